"""outgoing mail: the outbox (queued, sent and failed messages)

- outgoing_mail: one row per message, queued in the transaction of what caused it (e.g. a new
  concern report) and delivered over SMTP afterwards, with retries (trainer/mail/outbox.py).

Existing rows: none (nothing was ever sent).

Revision ID: b22a0015mail
Revises: b22a0014conc
Create Date: 2026-12-03 22:00:00

"""

from alembic import op
import sqlalchemy as sa

revision = "b22a0015mail"
down_revision = "b22a0014conc"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_outgoing_mail_network_id_network")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    op.create_index(
        op.f("ix_outgoing_mail_network_id"), "outgoing_mail", ["network_id"], unique=False
    )
    op.create_index(
        "ix_outgoing_mail_status_due", "outgoing_mail", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_outgoing_mail_subject", "outgoing_mail", ["subject_type", "subject_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_outgoing_mail_subject", table_name="outgoing_mail")
    op.drop_index("ix_outgoing_mail_status_due", table_name="outgoing_mail")
    op.drop_index(op.f("ix_outgoing_mail_network_id"), table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
