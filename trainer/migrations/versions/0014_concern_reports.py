"""concern reports (気づき報告): reports, their ticked signs, the thread, reporting keys

- reporting_key: a member's reporting token (the second QR code on the badge back).
- concern_report, concern_sign, concern_message: a report, its checklist items, and the
  secretariat's instructions and the member's answers.
- network.last_concern_number: the last 受付番号 given; network.concern_notify_email: where a new
  report is announced by e-mail ("" = nowhere).

Existing rows: no reports; networks start at number 0 with no notification address.

Revision ID: b22a0014conc
Revises: b21a0013issr
Create Date: 2026-12-03 21:30:00

"""

from alembic import op
import sqlalchemy as sa

revision = "b22a0014conc"
down_revision = "b21a0013issr"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "network",
        sa.Column("last_concern_number", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "network",
        sa.Column("concern_notify_email", sa.String(length=254), server_default="", nullable=False),
    )
    op.create_table(
        "reporting_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_reporting_key_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_reporting_key_network_id_network")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_key")),
        sa.UniqueConstraint("member_id", name=op.f("uq_reporting_key_member_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_reporting_key_token_hash")),
    )
    op.create_index(
        op.f("ix_reporting_key_network_id"), "reporting_key", ["network_id"], unique=False
    )
    op.create_table(
        "concern_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("organisation_kind", sa.String(length=40), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("noticed_on", sa.Date(), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("consent", sa.String(length=20), nullable=False),
        sa.Column("consent_reason", sa.Text(), nullable=False),
        sa.Column("other_sign", sa.Text(), nullable=False),
        sa.Column("person_name", sa.String(length=100), nullable=False),
        sa.Column("person_contact", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("connected_to", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("first_instruction_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("personal_data_deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_concern_report_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_concern_report_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_concern_report_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_report")),
        sa.UniqueConstraint(
            "network_id", "number", name=op.f("uq_concern_report_network_id_number")
        ),
    )
    op.create_index(
        op.f("ix_concern_report_member_id"), "concern_report", ["member_id"], unique=False
    )
    op.create_index("ix_concern_report_network_status", "concern_report", ["network_id", "status"])
    op.create_index(
        "ix_concern_report_network_received", "concern_report", ["network_id", "received_at"]
    )
    op.create_table(
        "concern_sign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sign", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["concern_report.id"],
            name=op.f("fk_concern_sign_report_id_concern_report"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_sign")),
        sa.UniqueConstraint("report_id", "sign", name=op.f("uq_concern_sign_report_id_sign")),
    )
    op.create_index(op.f("ix_concern_sign_report_id"), "concern_sign", ["report_id"])
    op.create_table(
        "concern_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("from_member", sa.Boolean(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["user.id"], name=op.f("fk_concern_message_author_user_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["concern_report.id"],
            name=op.f("fk_concern_message_report_id_concern_report"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_message")),
    )
    op.create_index(op.f("ix_concern_message_report_id"), "concern_message", ["report_id"])


def downgrade():
    op.drop_table("concern_message")
    op.drop_table("concern_sign")
    op.drop_table("concern_report")
    op.drop_table("reporting_key")
    op.drop_column("network", "concern_notify_email")
    op.drop_column("network", "last_concern_number")
