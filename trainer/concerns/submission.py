"""The member's side of a concern report: sending it (from the badge's form or the personal
page) and the thread that follows (了解しました, a short answer).

A member only ever reaches their own reports: every lookup here takes the member."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from trainer.accounts.models import Member, Network
from trainer.concerns import notifications
from trainer.concerns.models import ConcernMessage, ConcernReport, ConcernSign
from trainer.concerns.vocabulary import OTHER_SIGN, SIGN_LABELS, SIGNS, Consent, Urgency
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.text import clean_multiline, clean_text
from trainer.timeutil import utcnow

VIA = frozenset({"badge", "personal_page"})
REPLY_MAX = 2000
NOT_FOUND = "この報告は見つかりません。"
DUPLICATE_WINDOW = timedelta(minutes=2)
_SIGN_ORDER = {sign.key: n for n, sign in enumerate(SIGNS)}


@dataclass(frozen=True)
class ReportInput:
    """What the form took, already checked for lengths and required answers."""

    signs: tuple[str, ...]
    noticed_on: date
    urgency: str
    consent: str
    area: str = ""
    other_sign: str = ""
    consent_reason: str = ""
    person_name: str = ""
    person_contact: str = ""
    details: str = ""


def _check_codes(data: ReportInput, via: str) -> None:
    """Codes the form offers only; one that is not (a crafted request) is refused, not stored."""
    if not data.signs or any(sign not in SIGN_LABELS for sign in data.signs):
        raise DomainError("気づいたことを一覧から選んでください。", field="signs")
    if data.urgency not in {u.value for u in Urgency}:
        raise DomainError("どのくらい急ぐかを一覧から選んでください。", field="urgency")
    if data.consent not in {c.value for c in Consent}:
        raise DomainError("本人の同意について一覧から選んでください。", field="consent")
    if via not in VIA:
        raise DomainError("送り方が正しくありません。")


def _next_number(session: Session, network_id: int) -> int:
    """The network's next 受付番号, allocated as certificate serials are: the UPDATE holds the
    network row's write lock until the commit, so concurrent reports queue here, numbers are
    consecutive and a rolled-back report gives its number back."""
    return session.execute(
        update(Network)
        .where(Network.id == network_id)
        .values(last_concern_number=Network.last_concern_number + 1)
        .returning(Network.last_concern_number)
    ).scalar_one()


def _same_report_just_sent(
    session: Session, member: Member, report: ConcernReport, signs: list[str]
) -> ConcernReport | None:
    """The member's report of the last two minutes that says exactly this: the same form sent
    twice (a double tap, a resend after a slow answer) is one report. Asked after the number is
    allocated, so that a concurrent twin has committed (the network row's lock) and is seen."""
    earlier = session.scalars(
        select(ConcernReport)
        .where(
            ConcernReport.member_id == member.id,
            ConcernReport.received_at >= report.received_at - DUPLICATE_WINDOW,
            ConcernReport.noticed_on == report.noticed_on,
            ConcernReport.urgency == report.urgency,
            ConcernReport.consent == report.consent,
            ConcernReport.area == report.area,
        )
        .options(selectinload(ConcernReport.signs))
    ).all()
    fields = ("consent_reason", "other_sign", "person_name", "person_contact", "details")
    for candidate in earlier:
        same_text = all(getattr(candidate, f) == getattr(report, f) for f in fields)
        if same_text and [s.sign for s in candidate.signs] == signs:
            return candidate
    return None


def submit_report(
    session: Session, *, member: Member, data: ReportInput, via: str
) -> ConcernReport:
    """Store the report, then queue its notice in the same transaction: one commit, so a report
    is saved whatever happens to the mail (sent after the commit by notifications). The same
    report sent again within two minutes returns the first (nothing stored twice)."""
    _check_codes(data, via)
    signs = sorted(set(data.signs), key=_SIGN_ORDER.__getitem__)  # once each, checklist order
    given = data.consent == Consent.GIVEN.value
    report = ConcernReport(
        network_id=member.network_id,
        number=_next_number(session, member.network_id),
        member_id=member.id,
        organisation_id=member.organisation_id,
        organisation_kind=member.organisation.kind,
        via=via,
        received_at=utcnow(),
        noticed_on=data.noticed_on,
        area=clean_text(data.area),
        urgency=data.urgency,
        consent=data.consent,
        consent_reason="" if given else clean_multiline(data.consent_reason),
        other_sign=clean_text(data.other_sign) if OTHER_SIGN in signs else "",
        person_name=clean_text(data.person_name),
        person_contact=clean_text(data.person_contact),
        details=clean_multiline(data.details),
    )
    twin = _same_report_just_sent(session, member, report, signs)
    if twin is not None:
        session.rollback()  # gives the number back
        return twin
    report.signs = [ConcernSign(sign=sign) for sign in signs]
    session.add(report)
    session.flush()
    notifications.new_report(session, report)
    session.commit()
    return report


# --- the member's thread -------------------------------------------------------------------------


def reports_of_member(session: Session, member: Member) -> Sequence[ConcernReport]:
    """The member's reports, newest first, with their signs and messages."""
    return session.scalars(
        select(ConcernReport)
        .where(ConcernReport.member_id == member.id)
        .options(selectinload(ConcernReport.signs), selectinload(ConcernReport.messages))
        .order_by(ConcernReport.received_at.desc(), ConcernReport.id.desc())
    ).all()


def report_of_member(session: Session, member: Member, number: int) -> ConcernReport | None:
    """The member's report with this 受付番号; None if there is none or it is someone else's."""
    return session.scalar(
        select(ConcernReport).where(
            ConcernReport.member_id == member.id,
            ConcernReport.network_id == member.network_id,
            ConcernReport.number == number,
        )
    )


def unacknowledged(report: ConcernReport) -> list[ConcernMessage]:
    """The secretariat's instructions on this report the member has not yet acknowledged."""
    return [m for m in report.messages if not m.from_member and m.acknowledged_at is None]


def awaiting_acknowledgement(session: Session, member: Member) -> Sequence[ConcernReport]:
    """The member's reports with an instruction not yet acknowledged (the home page's notice)."""
    waiting = (
        select(ConcernMessage.report_id)
        .where(ConcernMessage.from_member.is_(False), ConcernMessage.acknowledged_at.is_(None))
        .scalar_subquery()
    )
    return session.scalars(
        select(ConcernReport)
        .where(ConcernReport.member_id == member.id, ConcernReport.id.in_(waiting))
        .order_by(ConcernReport.number)
    ).all()


def acknowledge(
    session: Session, *, member: Member, report: ConcernReport, message_id: int
) -> ConcernMessage:
    """了解しました: an instruction of this report, once (a second press changes nothing and
    says so). The UPDATE's condition makes two presses at once record one."""
    if report.member_id != member.id:
        raise NotFound(NOT_FOUND)
    message = session.scalar(
        select(ConcernMessage).where(
            ConcernMessage.id == message_id,
            ConcernMessage.report_id == report.id,
            ConcernMessage.from_member.is_(False),
        )
    )
    if message is None:
        raise NotFound("この連絡は見つかりません。")
    done = session.execute(
        update(ConcernMessage)
        .where(ConcernMessage.id == message.id, ConcernMessage.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict("この連絡には、もう「了解しました」と伝えてあります。")
    session.commit()
    session.refresh(message)
    return message


def reply(session: Session, *, member: Member, report: ConcernReport, body: str) -> ConcernMessage:
    """The member's short answer on the thread."""
    if report.member_id != member.id:
        raise NotFound(NOT_FOUND)
    if report.personal_data_deleted_at is not None:
        raise Conflict("この報告は保存期間が過ぎたため、返事を送れません。", field="body")
    text = clean_multiline(body)
    if not text:
        raise DomainError("返事を入力してください。", field="body")
    if len(text) > REPLY_MAX:
        raise DomainError(f"{REPLY_MAX}文字以内で入力してください。", field="body")
    message = ConcernMessage(report_id=report.id, from_member=True, body=text, created_at=utcnow())
    session.add(message)
    session.commit()
    return message
