"""workshop projector link: the number its signed link is made with (1 for every workshop)

Plain ADD COLUMN rather than batch mode, which on SQLite would rebuild workshop, a table other
rows refer to (see 0005).

Revision ID: 665ec949aedd
Revises: c7c41af37692
Create Date: 2026-11-23 21:07:50.213996

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "665ec949aedd"
down_revision = "c7c41af37692"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "workshop",
        sa.Column("projector_version", sa.Integer(), server_default="1", nullable=False),
    )


def downgrade():
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("projector_version")
