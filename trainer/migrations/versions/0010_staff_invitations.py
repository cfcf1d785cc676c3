"""staff invitations: a role in a network comes only when the invited person accepts a link

Until now the web granted roles directly, also to accounts that already existed; see
trainer/accounts/invitations.py for why that let one network take a role in another. Existing
roles stay as they are: they were given before, and this table only holds offers.

Revision ID: b17a0010invt
Revises: b17a0009seat
Create Date: 2026-12-04 10:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b17a0010invt"
down_revision = "b17a0009seat"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name_given", sa.String(length=100), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["user.id"], name=op.f("fk_staff_invitation_invited_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_staff_invitation_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_staff_invitation_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitation_token_hash")),
    )
    with op.batch_alter_table("staff_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_invitation_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_staff_invitation_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("staff_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_invitation_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_invitation_network_id"))

    op.drop_table("staff_invitation")
