"""Roster import drafts: an uploaded file's parsed rows, kept between the preview and the
confirmation.

Nothing is written to the roster before the secretariat confirms. The upload stores the parsed
rows in a draft (RosterImport); the preview and the confirmation each compute the plan afresh
from those rows and the roster as it is then, so a roster changed in between is noticed (the
plan's digest differs) instead of being overwritten.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import delete, select

from trainer.accounts.models import User
from trainer.database import Session
from trainer.errors import NotFound
from trainer.secretariat.models import RosterImport
from trainer.secretariat.roster_import.plan import Plan, build_plan
from trainer.secretariat.roster_import.reading import read_table
from trainer.secretariat.roster_import.rows import ParsedRow
from trainer.text import clean_text
from trainer.timeutil import today_jst, utcnow

DRAFT_LIFETIME = timedelta(days=1)


def create_draft(
    session: Session, *, network_id: int, actor: User, filename: str, data: bytes
) -> RosterImport:
    """Parse an uploaded file and keep its rows for the preview; the roster is not touched.

    Raises ImportFileError (a DomainError) when the file cannot be read as a roster."""
    table = read_table(data, filename)
    # Drafts hold personal data and are only needed between upload and confirmation.
    session.execute(
        delete(RosterImport).where(
            RosterImport.network_id == network_id,
            RosterImport.created_at < utcnow() - DRAFT_LIFETIME,
        )
    )
    draft = RosterImport(
        network_id=network_id,
        user_id=actor.id,
        filename=clean_text(filename)[:255],  # the browser's name for the file, shown back
        sha256=hashlib.sha256(data).hexdigest(),
        rows=[row.to_json() for row in table.rows],
        summary={
            "header_line": table.header_line,
            "columns": table.columns,
            "unused_columns": table.unused_columns,
        },
    )
    session.add(draft)
    session.commit()
    return draft


def get_draft(session: Session, network_id: int, draft_id: int) -> RosterImport:
    draft = session.scalar(
        select(RosterImport).where(
            RosterImport.id == draft_id, RosterImport.network_id == network_id
        )
    )
    if draft is None:
        raise NotFound("取り込みが見つかりません。もう一度ファイルを選んでください。")
    return draft


def plan_for(session: Session, draft: RosterImport, today: date | None = None) -> Plan:
    rows = [ParsedRow.from_json(data) for data in draft.rows]
    return build_plan(session, draft.network_id, rows, today or today_jst())
