"""bulletins (見守り通信・注意喚起): bulletins, who opened them, members' mail opt-out

- bulletin: title, Markdown body, kind, audience (organisation kinds / organisations, both empty =
  everyone), public flag, optional attachment, scheduled and published times.
- bulletin_read: the first time a member opened a bulletin on their personal page.
- bulletin_mail_stop: a member stopped bulletin mails (one-click link); no row = they get them.

Existing rows: no bulletins; every member gets bulletin mails (where they have an address).

Revision ID: b23a0017bull
Revises: b23a0016mail
Create Date: 2026-12-04 15:10:00

"""

from alembic import op
import sqlalchemy as sa

revision = "b23a0017bull"
down_revision = "b23a0016mail"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audience_org_kinds", sa.JSON(), nullable=False),
        sa.Column("audience_organisation_ids", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("attachment_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("attachment_type", sa.String(length=100), server_default="", nullable=False),
        sa.Column("attachment_data", sa.LargeBinary(), nullable=True),
        sa.Column("publish_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_bulletin_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_bulletin_network_id_network")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin")),
    )
    op.create_index(
        "ix_bulletin_network_published", "bulletin", ["network_id", "published_at"], unique=False
    )
    op.create_table(
        "bulletin_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"], ["bulletin.id"], name=op.f("fk_bulletin_read_bulletin_id_bulletin")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_bulletin_read_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_read")),
        sa.UniqueConstraint(
            "bulletin_id", "member_id", name=op.f("uq_bulletin_read_bulletin_id_member_id")
        ),
    )
    op.create_index(
        op.f("ix_bulletin_read_bulletin_id"), "bulletin_read", ["bulletin_id"], unique=False
    )
    op.create_index(
        op.f("ix_bulletin_read_member_id"), "bulletin_read", ["member_id"], unique=False
    )


    op.create_table(
        "bulletin_mail_stop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_bulletin_mail_stop_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_mail_stop")),
        sa.UniqueConstraint("member_id", name=op.f("uq_bulletin_mail_stop_member_id")),
    )


def downgrade():
    op.drop_table("bulletin_mail_stop")
    op.drop_index(op.f("ix_bulletin_read_member_id"), table_name="bulletin_read")
    op.drop_index(op.f("ix_bulletin_read_bulletin_id"), table_name="bulletin_read")
    op.drop_table("bulletin_read")
    op.drop_index("ix_bulletin_network_published", table_name="bulletin")
    op.drop_table("bulletin")
