"""course review date and forms: 内容の確認日, 法令の出典, counterbalanced forms, question variants

- course.reviewed_on, course.sources: when and against what the content was last checked.
- course.counterbalance: the pre and post banks are parallel forms taken A→B or B→A per learner.
- quiz_bank.variant_ids: each question's other variants, served on a retake.

Existing rows: no review date (the course page says nothing until content is reloaded), no
sources, not counterbalanced, no variants.

Revision ID: b20a0012form
Revises: b18a0011ctrl
Create Date: 2026-12-03 15:00:00

"""

from alembic import op
import sqlalchemy as sa

revision = "b20a0012form"
down_revision = "b18a0011ctrl"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy of the tables): SQLite adds a column with a constant
    # default in place, and copying `course` would trip the foreign keys that point at it.
    op.add_column("course", sa.Column("reviewed_on", sa.Date(), nullable=True))
    op.add_column("course", sa.Column("sources", sa.JSON(), server_default="[]", nullable=False))
    op.add_column(
        "course",
        sa.Column("counterbalance", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "quiz_bank", sa.Column("variant_ids", sa.JSON(), server_default="{}", nullable=False)
    )


def downgrade():
    # SQLite 3.35+ drops a column in place too.
    op.drop_column("quiz_bank", "variant_ids")
    op.drop_column("course", "counterbalance")
    op.drop_column("course", "sources")
    op.drop_column("course", "reviewed_on")
