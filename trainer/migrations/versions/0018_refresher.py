"""refresher before expiry: certificate renewals (supersession) and the reminders sent

- certificate_supersession: a renewal (refresher test passed): the old certificate, the new one
  that replaced it, and when. The old certificate is kept; /verify of it says it was replaced.
- certificate_reminder: a reminder 90 or 30 days before a certificate's last valid day, once per
  certificate and threshold (mail_id: the queued mail, none for a member without an address).

Existing rows: no certificate is superseded; no reminder has been sent (the first run of the
reminder job sends the ones due that day: 30 days or less left → the 30-day one only).

Revision ID: b23a0018refr
Revises: b23a0017bull
Create Date: 2026-12-04 08:40:00

"""

from alembic import op
import sqlalchemy as sa

revision = "b23a0018refr"
down_revision = "b23a0017bull"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate_supersession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_certificate_id", sa.Integer(), nullable=False),
        sa.Column("new_certificate_id", sa.Integer(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["new_certificate_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_supersession_new_certificate_id_certificate"),
        ),
        sa.ForeignKeyConstraint(
            ["old_certificate_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_supersession_old_certificate_id_certificate"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_supersession")),
        sa.UniqueConstraint(
            "new_certificate_id", name=op.f("uq_certificate_supersession_new_certificate_id")
        ),
        sa.UniqueConstraint(
            "old_certificate_id", name=op.f("uq_certificate_supersession_old_certificate_id")
        ),
    )
    op.create_table(
        "certificate_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificate.id"],
            name=op.f("fk_certificate_reminder_certificate_id_certificate"),
        ),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["outgoing_mail.id"],
            name=op.f("fk_certificate_reminder_mail_id_outgoing_mail"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_reminder")),
        sa.UniqueConstraint(
            "certificate_id",
            "threshold",
            name=op.f("uq_certificate_reminder_certificate_id_threshold"),
        ),
    )


def downgrade():
    op.drop_table("certificate_reminder")
    op.drop_table("certificate_supersession")
