"""The secretariat's (and a 相談員's) handling of concern reports: the inbox of one network, one
report (each opening audited), its status, instructions to the member, and where it was connected.

Each public function that writes commits once, with its audit event. Free text (instructions,
outcomes) never goes into the audit log: the log is kept for good, the text only until the
retention purge (retention.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from trainer.accounts.models import User
from trainer.audit import service as audit
from trainer.concerns import notifications
from trainer.concerns.models import ConcernMessage, ConcernReport
from trainer.concerns.vocabulary import TEMPLATES_BY_KEY, ConcernStatus, ConnectedTo, Urgency
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.text import clean_multiline
from trainer.timeutil import utcnow

MAX_TEXT = 2000  # an instruction or an outcome

OPEN = "open"
ALL = "all"
# The inbox's tabs, in order: the default (every report not yet 完了), each stage, everything.
TABS: dict[str, str] = {
    OPEN: "未完了",
    **{status.value: status.label for status in ConcernStatus},
    ALL: "すべて",
}

# Which stage can follow which by hand. 指示済み is reached by sending an instruction.
TRANSITIONS: dict[ConcernStatus, frozenset[ConcernStatus]] = {
    ConcernStatus.NEW: frozenset({ConcernStatus.IN_REVIEW, ConcernStatus.CLOSED}),
    ConcernStatus.IN_REVIEW: frozenset({ConcernStatus.NEW, ConcernStatus.CLOSED}),
    ConcernStatus.INSTRUCTED: frozenset({ConcernStatus.IN_REVIEW, ConcernStatus.CLOSED}),
    ConcernStatus.CLOSED: frozenset({ConcernStatus.IN_REVIEW}),
}


@dataclass(frozen=True)
class InboxPage:
    reports: list[ConcernReport]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class ThreadState:
    """What the inbox row says about the thread: the member answered after the latest
    instruction (返信あり); the latest instruction is not yet acknowledged (未了解)."""

    replied: bool
    unacknowledged: bool


def _open_clause():
    return ConcernReport.status != ConcernStatus.CLOSED.value


def inbox(
    session: Session, network_id: int, *, tab: str = OPEN, page: int = 1, per_page: int = 50
) -> InboxPage:
    """A page of the network's reports for a tab: urgent (今まさに起きている) open reports first,
    then the newest."""
    where = [ConcernReport.network_id == network_id]
    if tab == OPEN:
        where.append(_open_clause())
    elif tab in {s.value for s in ConcernStatus}:
        where.append(ConcernReport.status == tab)
    total = session.scalar(select(func.count()).select_from(ConcernReport).where(*where)) or 0
    urgent_first = case(
        (
            (ConcernReport.urgency == Urgency.NOW.value) & _open_clause(),
            0,
        ),
        else_=1,
    )
    rows = session.scalars(
        select(ConcernReport)
        .where(*where)
        .options(
            selectinload(ConcernReport.signs),
            selectinload(ConcernReport.messages),
            selectinload(ConcernReport.organisation),
        )
        .order_by(urgent_first, ConcernReport.received_at.desc(), ConcernReport.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return InboxPage(reports=list(rows), total=int(total), page=page, per_page=per_page)


def counts(session: Session, network_id: int) -> dict[str, int]:
    """The number of reports per tab, and of urgent open ones ("urgent")."""
    rows = session.execute(
        select(ConcernReport.status, func.count())
        .where(ConcernReport.network_id == network_id)
        .group_by(ConcernReport.status)
    ).all()
    by_status = {status: int(n) for status, n in rows}
    result = {s.value: by_status.get(s.value, 0) for s in ConcernStatus}
    result[ALL] = sum(by_status.values())
    result[OPEN] = result[ALL] - result[ConcernStatus.CLOSED.value]
    result["urgent"] = int(
        session.scalar(
            select(func.count())
            .select_from(ConcernReport)
            .where(
                ConcernReport.network_id == network_id,
                ConcernReport.urgency == Urgency.NOW.value,
                _open_clause(),
            )
        )
        or 0
    )
    return result


def thread_state(report: ConcernReport) -> ThreadState:
    instructions = [m for m in report.messages if not m.from_member]
    answers = [m for m in report.messages if m.from_member]
    latest = instructions[-1] if instructions else None
    if latest is None:
        return ThreadState(replied=bool(answers), unacknowledged=False)
    replied = bool(answers) and answers[-1].id > latest.id
    return ThreadState(replied=replied, unacknowledged=latest.acknowledged_at is None)


def get_report(session: Session, network_id: int, report_id: int) -> ConcernReport:
    report = session.scalar(
        select(ConcernReport).where(
            ConcernReport.id == report_id, ConcernReport.network_id == network_id
        )
    )
    if report is None:
        raise NotFound("気づき報告が見つかりません。")
    return report


def _record(
    session: Session, report: ConcernReport, *, action: str, actor: User | None, **details
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="concern_report",
        target_id=report.id,
        target_label=report.number_label,
        network_id=report.network_id,
        details={"number": report.number_label, **details},
    )


def open_report(session: Session, *, report: ConcernReport, actor: User) -> ConcernReport:
    """Record that the actor opened the report (every opening of its page is in the log)."""
    _record(session, report, action="concern.view", actor=actor)
    session.commit()
    return report


def _move(report: ConcernReport, status: ConcernStatus, now: datetime) -> list[str]:
    """Set the status (and closed_at with it); returns [old, new] for the audit details."""
    old = report.status
    report.status = status.value
    report.status_changed_at = now
    report.closed_at = now if status is ConcernStatus.CLOSED else None
    return [old, status.value]


def set_status(session: Session, *, report: ConcernReport, status: str, actor: User) -> bool:
    """Move the report by hand (see TRANSITIONS). False when it already had that status."""
    try:
        new = ConcernStatus(status)
    except ValueError:
        raise DomainError("状況を選んでください。", "status") from None
    current = ConcernStatus(report.status)
    if new is current:
        return False
    if new not in TRANSITIONS[current]:
        raise Conflict(
            f"「{current.label}」から「{new.label}」には変えられません。"
            + (
                "「指示済み」には、指示を送ると変わります。"
                if new is ConcernStatus.INSTRUCTED
                else ""
            ),
            "status",
        )
    change = _move(report, new, utcnow())
    _record(
        session, report, action="concern.status", actor=actor, changes={"concern_status": change}
    )
    session.commit()
    return True


def _text(value: str | None, field: str) -> str:
    text = clean_multiline(value)
    if len(text) > MAX_TEXT:
        raise DomainError(f"{MAX_TEXT}文字以内で入力してください。", field)
    return text


def instruct(
    session: Session, *, report: ConcernReport, template: str, body: str, actor: User
) -> ConcernMessage:
    """Send the member an instruction: a template, free text, or both. The report becomes
    指示済み; the first instruction's time is kept for the figures. The member's mail is queued
    in the same transaction (the caller delivers it after the commit)."""
    template = (template or "").strip()
    if template and template not in TEMPLATES_BY_KEY:
        raise DomainError("指示の種類を一覧から選んでください。", "template")
    text = _text(body, "body")
    if not template and not text:
        raise DomainError("指示の種類を選ぶか、指示の文を入力してください。", "body")
    if report.status == ConcernStatus.CLOSED.value:
        raise Conflict("完了した報告には指示を送れません。先に状況を「確認中」に戻してください。")
    now = utcnow()
    message = ConcernMessage(
        report=report, from_member=False, author_user_id=actor.id, template=template, body=text
    )
    message.created_at = now
    session.add(message)
    if report.first_instruction_at is None:
        report.first_instruction_at = now
    details: dict[str, object] = {"template": template}
    if report.status != ConcernStatus.INSTRUCTED.value:
        details["changes"] = {"concern_status": _move(report, ConcernStatus.INSTRUCTED, now)}
    session.flush()
    notifications.instruction(session, message)
    _record(session, report, action="concern.instruct", actor=actor, **details)
    session.commit()
    return message


def record_connection(
    session: Session, *, report: ConcernReport, connected_to: str, outcome: str, actor: User
) -> bool:
    """Record where the case was connected and what came of it. False when nothing changed.
    The log names the place; the outcome's text stays out of it (personal data)."""
    if connected_to not in {c.value for c in ConnectedTo}:
        raise DomainError("つないだ先を選んでください。", "connected_to")
    text = _text(outcome, "outcome")
    place_changed = report.connected_to != connected_to
    if not place_changed and report.outcome == text:
        return False
    details: dict[str, object] = {}
    if place_changed:
        details["changes"] = {"connected_to": [report.connected_to, connected_to]}
    report.connected_to = connected_to
    report.outcome = text
    _record(session, report, action="concern.connect", actor=actor, **details)
    session.commit()
    return True


def close(session: Session, *, report: ConcernReport, actor: User) -> bool:
    """完了: the retention period for the personal details starts now (see retention.py)."""
    return set_status(session, report=report, status=ConcernStatus.CLOSED.value, actor=actor)
