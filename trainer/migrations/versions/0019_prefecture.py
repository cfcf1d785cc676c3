"""prefecture view: the area role, per-network summaries and their stale mark

- area_role: a staff account's view of one prefecture's networks (prefecture as typed on the
  networks) or of every network (prefecture "*", 全国). One per account.
- network_summary: per network and course, the counts the prefecture page shows (completion
  statuses of the active members; the report's learners and paired score sums), for one day.
- network_figures_change: a row per change to a network's counts, inserted in the transaction
  of the change, deleted by the recomputation (inserts only: writers never wait for each other).
  Existing networks have no summary yet: the worker computes them within its first minutes.

Revision ID: 0019_prefecture
Revises: b23a0018refr
Create Date: 2026-12-04 18:30:00

"""

from alembic import op
import sqlalchemy as sa

revision = "0019_prefecture"
down_revision = "b23a0018refr"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "network_figures_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_figures_change")),
    )
    op.create_index(
        op.f("ix_network_figures_change_network_id"),
        "network_figures_change",
        ["network_id"],
        unique=False,
    )
    op.create_table(
        "area_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefecture", sa.String(length=20), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_area_role_user_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["user.id"], name=op.f("fk_area_role_granted_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_role")),
        sa.UniqueConstraint("user_id", name=op.f("uq_area_role_user_id")),
    )
    op.create_table(
        "network_summary",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("computed_for", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "members",
                "not_started",
                "pre_done",
                "learning",
                "pending",
                "valid",
                "expiring",
                "lapsed",
                "learners_pre",
                "learners_post",
                "learners_paired",
                "scored_paired",
            )
        ],
        sa.Column("pre_sum", sa.Float(), nullable=False),
        sa.Column("post_sum", sa.Float(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in ("improved", "same", "worse")],
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_network_summary_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_network_summary_course_id_course")
        ),
        sa.PrimaryKeyConstraint("network_id", "course_id", name=op.f("pk_network_summary")),
    )


def downgrade():
    op.drop_table("network_summary")
    op.drop_table("area_role")
    op.drop_index(op.f("ix_network_figures_change_network_id"), table_name="network_figures_change")
    op.drop_table("network_figures_change")
