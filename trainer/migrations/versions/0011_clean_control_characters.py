"""clean control characters: text stored before it was cleaned at the door

Until now a name typed on the workshop join form (no account needed), a survey comment, a staff
form or an import cell could hold NUL, ESC, other C0 and C1 controls or a right-to-left override:
PostgreSQL refused NUL (a 500), and every xlsx export holding such a text failed. Text is now
cleaned when it is typed (trainer/text.py); this revision cleans what was stored before, once,
with the same rules (trainer/text_cleanup.py, which `trainer clean-text` also runs: that command
only reports unless given --apply).

No schema change. What changed is written to the log of this upgrade and, when anything did, as
one audit event (「保存済みの文字の整理」). A row that cannot be cleaned by a program (a required
name that would become empty, a name or address that would clash with another row's) is left
as it is and named there, for a person to fix; the exports cope with it.

The downgrade changes nothing: the removed characters are not kept anywhere, and the earlier
revisions read clean text as well as they read the rest.

Revision ID: b18a0011ctrl
Revises: b17a0010invt
Create Date: 2026-12-05 10:00:00

"""

import logging

from alembic import op
import sqlalchemy as sa

from trainer.text_cleanup import TABLES, clean_stored_text, present_in
from trainer.timeutil import utcnow


# revision identifiers, used by Alembic.
revision = "b18a0011ctrl"
down_revision = "b17a0010invt"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

audit_event = sa.table(
    "audit_event",
    sa.column("network_id", sa.Integer),
    sa.column("actor_user_id", sa.Integer),
    sa.column("actor_label", sa.String),
    sa.column("action", sa.String),
    sa.column("target_type", sa.String),
    sa.column("target_id", sa.Integer),
    sa.column("target_label", sa.String),
    sa.column("details", sa.JSON),
    sa.column("created_at", sa.DateTime),
)


def upgrade():
    connection = op.get_bind()
    cleanup = clean_stored_text(connection, apply=True, tables=present_in(connection, TABLES))
    for line in cleanup.lines():
        log.info("0011 制御文字の除去: %s", line)
    if cleanup.total or cleanup.left:
        connection.execute(
            audit_event.insert().values(
                network_id=None,
                actor_user_id=None,
                actor_label="システム（データベースの更新 0011）",
                action="data.clean_text",
                target_type="database",
                target_id=None,
                target_label="保存済みの文字の整理",
                details=cleanup.audit_details(),
                created_at=utcnow(),
            )
        )


def downgrade():
    pass
