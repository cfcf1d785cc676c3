"""mail: one-click unsubscribe address on a queued message (and the worker's needs)

- outgoing_mail.list_unsubscribe: sent as List-Unsubscribe / List-Unsubscribe-Post for mail a
  member may stop (bulletins). Existing rows: empty (no header), as they were sent.

Revision ID: b23a0016mail
Revises: b22a0015mail
Create Date: 2026-12-04 08:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "b23a0016mail"
down_revision = "b22a0015mail"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.add_column(
            sa.Column("list_unsubscribe", sa.String(length=500), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.drop_column("list_unsubscribe")
