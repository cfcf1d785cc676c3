"""workshop seats: who confirmed a participant, the phones that hold or ask for a seat, results
and certificates awaiting that confirmation, review entries found not to be members

Plain ADD COLUMN (no batch mode, which on SQLite would rebuild tables other rows refer to; see
0005). Existing rows keep their meaning: participants who joined with their personal link are
confirmed by it; everything already issued stays as it was (awaiting_confirmation false).

Revision ID: b17a0009seat
Revises: 665ec949aedd
Create Date: 2026-12-03 08:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b17a0009seat"
down_revision = "665ec949aedd"
branch_labels = None
depends_on = None


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable column referring to target.id. On SQLite in place (batch mode would rebuild a
    table that other rows refer to, which SQLite refuses with foreign keys on; see 0005)."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f'ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES "{target}" (id)'
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(name), table, target, [column], ["id"])


def upgrade():
    op.add_column("participant", sa.Column("confirmed_via", sa.String(length=12), nullable=True))
    _add_reference("participant", "confirmed_by_id", "user")
    op.add_column("participant", sa.Column("confirmed_at", sa.DateTime(), nullable=True))
    _add_reference("participant", "duplicate_of_id", "participant")
    op.execute(
        "UPDATE participant SET confirmed_via = 'link', confirmed_at = joined_at "
        "WHERE matched_by = 'link'"
    )
    op.create_table(
        "participant_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("entered_name", sa.String(length=100), nullable=False),
        sa.Column("entered_kana", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_participant_device_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_device_participant_id_participant"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_device")),
        sa.UniqueConstraint(
            "participant_id",
            "device_hash",
            name=op.f("uq_participant_device_participant_id_device_hash"),
        ),
    )
    with op.batch_alter_table("participant_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participant_device_participant_id"), ["participant_id"], unique=False
        )
    op.add_column(
        "attempt",
        sa.Column("awaiting_confirmation", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "certificate",
        sa.Column("awaiting_confirmation", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("member", sa.Column("rejected_at", sa.DateTime(), nullable=True))
    op.add_column(
        "member", sa.Column("rejected_reason", sa.Text(), server_default="", nullable=False)
    )


def _drop_plain_column(table: str, column: str) -> None:
    """SQLite drops a plain column in place; batch mode would rebuild the table, which SQLite
    refuses while other rows refer to it (certificates refer to attempts)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN {column}')
    else:
        op.drop_column(table, column)


def downgrade():
    _drop_plain_column("member", "rejected_reason")
    _drop_plain_column("member", "rejected_at")
    _drop_plain_column("certificate", "awaiting_confirmation")
    _drop_plain_column("attempt", "awaiting_confirmation")
    with op.batch_alter_table("participant_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_device_participant_id"))
    op.drop_table("participant_device")
    # The two references go with a rebuilt participant table on SQLite (a column in a foreign
    # key cannot be dropped in place there).
    with op.batch_alter_table("participant", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(
                "fk_participant_duplicate_of_id_participant", type_="foreignkey"
            )
            batch_op.drop_constraint("fk_participant_confirmed_by_id_user", type_="foreignkey")
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmed_by_id")
        batch_op.drop_column("confirmed_via")
