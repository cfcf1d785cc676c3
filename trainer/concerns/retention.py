"""Deleting the personal details of closed concern reports a set number of days after closing
(CONCERN_RETENTION_DAYS, default 365).

What goes: the area, the consent reason, what その他 was, the person's name and contact, the
free text, the outcome and every message of the thread. What stays: the codes (signs, urgency,
consent, status, where it was connected, the organisation's kind), the times and the template
keys of the instructions, which the council's anonymous figures count.

Run daily by `trainer concerns purge` (a systemd timer or cron), and also for a network each time
its inbox is opened, so that it happens even where no timer was set up.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from trainer.audit import service as audit
from trainer.concerns.models import ConcernMessage, ConcernReport
from trainer.concerns.vocabulary import ConcernStatus
from trainer.database import Session

PERSONAL_FIELDS = (
    "area",
    "consent_reason",
    "other_sign",
    "person_name",
    "person_contact",
    "details",
    "outcome",
)


def _expired(now: datetime, days: int, network_id: int | None):
    where = [
        ConcernReport.status == ConcernStatus.CLOSED.value,
        ConcernReport.closed_at.is_not(None),
        ConcernReport.closed_at < now - timedelta(days=days),
        ConcernReport.personal_data_deleted_at.is_(None),
    ]
    if network_id is not None:
        where.append(ConcernReport.network_id == network_id)
    return where


def purge_expired(
    session: Session, *, now: datetime, days: int, network_id: int | None = None
) -> int:
    """Empty the personal details of every report closed more than `days` before `now` (in one
    network, or all); returns how many. One audit event per network (concern.purge), by the
    system; commits only when there was something to delete."""
    reports = session.scalars(
        select(ConcernReport)
        .where(*_expired(now, days, network_id))
        .options(selectinload(ConcernReport.messages))
        .with_for_update()
    ).all()
    if not reports:
        return 0
    per_network: Counter[int] = Counter()
    for report in reports:
        for name in PERSONAL_FIELDS:
            setattr(report, name, "")
        report.personal_data_deleted_at = now
        per_network[report.network_id] += 1
    session.execute(
        update(ConcernMessage)
        .where(ConcernMessage.report_id.in_([r.id for r in reports]))
        .values(body="")
        .execution_options(synchronize_session="fetch")
    )
    for nid, n in sorted(per_network.items()):
        audit.record(
            session,
            actor=None,
            action="concern.purge",
            target_type="network",
            target_id=nid,
            target_label="保存期間を過ぎた気づき報告",
            network_id=nid,
            details={"reports": n},
        )
    session.commit()
    return len(reports)
