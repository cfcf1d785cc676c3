"""Certificates: issuing on a passed post-quiz, public verification, revocation, the
secretariat's lists and the badge sheet's selection."""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, func, not_, or_, select, update
from sqlalchemy.orm import joinedload

from trainer.accounts.models import Member, Network, Organisation, User
from trainer.accounts.roster import active_clause, ensure_not_ended
from trainer.audit import service as audit
from trainer.certificates.certificate_sheet import PrintedCertificate, StatusMark
from trainer.certificates.models import Certificate, CertificateStatus, CertificateSupersession
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.learning.models import Course
from trainer.security import new_token, token_digest
from trainer.text import clean_multiline
from trainer.timeutil import today_jst, utcnow

# 16 random bytes = 128 bits, 22 URL-safe characters: unguessable, and short enough that the
# badge's QR code stays small (version 4 for a typical https address).
TOKEN_BYTES = 16
EXPIRING_DAYS = 90
_SPACES = re.compile(r"\s+")
REASON_MAX = 500


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until_for(issued_on: date, months: int) -> date:
    """The last valid day: issued 2026-11-23 for 24 months → valid until 2028-11-22."""
    return add_months(issued_on, months) - timedelta(days=1)


# --- issuing -------------------------------------------------------------------------------------


def _next_serial(session: Session, network_id: int) -> int:
    """The network's next serial. The UPDATE takes the network row's write lock (SQLite: the
    database's) until the issuing transaction ends, so concurrent issues queue here."""
    return session.execute(
        update(Network)
        .where(Network.id == network_id)
        .values(last_certificate_serial=Network.last_certificate_serial + 1)
        .returning(Network.last_certificate_serial)
    ).scalar_one()


def issue_for_attempt(
    session: Session,
    *,
    member: Member,
    course: Course,
    attempt_id: int,
    awaiting_confirmation: bool = False,
    period_from: date | None = None,
) -> Certificate:
    """Issue the certificate for a passed post-quiz, inside the caller's transaction (flush
    only): the submit that flips the attempt to 'submitted' issues it, exactly once. Never to a
    member whose membership has ended (Conflict): it would be 失効 from the day it is issued.
    A renewal passes period_from (the day after the old one's last day): the validity is
    counted from it when it is later than today, so renewing early loses no days."""
    ensure_not_ended(member)
    token = new_token(TOKEN_BYTES)
    issued_on = today_jst()
    period_start = max(issued_on, period_from) if period_from else issued_on
    certificate = Certificate(
        network_id=member.network_id,
        member_id=member.id,
        course_id=course.id,
        attempt_id=attempt_id,
        serial=_next_serial(session, member.network_id),
        token=token,
        token_hash=token_digest(token),
        issued_on=issued_on,
        valid_until=valid_until_for(period_start, course.certificate_months),
        # A result nobody has confirmed yet (a workshop participant who typed a name) gets its
        # certificate in the pending state (確認中) until the trainer or the secretariat does.
        awaiting_confirmation=awaiting_confirmation,
    )
    session.add(certificate)
    session.flush()
    return certificate


def in_force(session: Session, member: Member, course: Course) -> Certificate | None:
    """The member's certificate for the course that is neither revoked nor expired, if any."""
    return session.scalar(
        select(Certificate)
        .where(
            Certificate.member_id == member.id,
            Certificate.course_id == course.id,
            Certificate.revoked_at.is_(None),
            Certificate.awaiting_confirmation.is_(False),
            Certificate.valid_until >= today_jst(),
        )
        .order_by(Certificate.valid_until.desc())
        .limit(1)
    )


def latest_for(session: Session, member: Member, course: Course) -> Certificate | None:
    return session.scalar(
        select(Certificate)
        .where(
            Certificate.member_id == member.id,
            Certificate.course_id == course.id,
            Certificate.awaiting_confirmation.is_(False),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )


def for_attempt(session: Session, attempt_id: int) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id))


def with_relations(stmt: Select) -> Select:
    """The certificate with its member, organisation, network and course, in one query."""
    return stmt.options(
        joinedload(Certificate.member).joinedload(Member.organisation),
        joinedload(Certificate.network),
        joinedload(Certificate.course),
    )


def printed(
    certificate: Certificate, verify_url: str, day: date | None = None
) -> PrintedCertificate:
    """What the certificate's PDF (and the badge) prints, with the status on `day` (today) as a
    mark across it unless it is valid."""
    member, network = certificate.member, certificate.network
    day = day or today_jst()
    status = certificate.status_on(day)
    mark = (
        None
        if status is CertificateStatus.VALID
        else StatusMark(label=status.label, text=status.printed_text, as_of=day)
    )
    return PrintedCertificate(
        serial_label=certificate.serial_label,
        member_name=member.name,
        member_kana=member.kana,
        organisation=member.organisation.name,
        network=certificate.network.name,
        course_title=certificate.course.title,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        verify_url=verify_url,
        issuer_title=network.certificate_issuer_title,
        issuer_name=network.certificate_issuer_name,
        secretariat_phone=network.secretariat_phone,
        status_mark=mark,
    )


# --- the learner's own certificates --------------------------------------------------------------


def of_member(session: Session, member_id: int) -> list[Certificate]:
    return list(
        session.scalars(
            with_relations(
                select(Certificate)
                .where(Certificate.member_id == member_id)
                .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
            )
        ).unique()
    )


def for_learner(session: Session, member: Member, certificate_id: int) -> Certificate:
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or certificate.member_id != member.id:
        raise NotFound("修了証が見つかりません。")
    if certificate.is_pending:
        # Printed, a pending certificate would look valid: it is handed out once confirmed.
        raise NotFound("この修了証は確認中です。本人確認が済むと開けるようになります。")
    return certificate


# --- the secretariat -----------------------------------------------------------------------------


def get_certificate(session: Session, network_id: int, certificate_id: int) -> Certificate:
    certificate = session.scalar(
        with_relations(
            select(Certificate).where(
                Certificate.id == certificate_id, Certificate.network_id == network_id
            )
        )
    )
    if certificate is None:
        raise NotFound("修了証が見つかりません。")
    return certificate


def revocable(certificate: Certificate, reason: str) -> str:
    """The reason as it would be recorded, if the certificate can be revoked with it: what the
    confirmation page shows before anything is stored. Raises as revoke() would."""
    reason = clean_multiline(reason)  # a textarea: its line breaks stay
    if not reason:
        raise DomainError("取り消す理由を入力してください。", "reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"理由は{REASON_MAX}文字以内で入力してください。", "reason")
    if certificate.revoked_at is not None:
        raise Conflict("この修了証はすでに取り消されています。")
    return reason


def revoke(
    session: Session, *, certificate: Certificate, reason: str, actor: User | None
) -> Certificate:
    """Revoke for good (取消): /verify shows it from the next request on. Not undone: a
    certificate revoked by mistake is replaced when the member passes again."""
    reason = revocable(certificate, reason)
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor.id if actor else None
    audit.record(
        session,
        actor=actor,
        action="certificate.revoke",
        target_type="certificate",
        target_id=certificate.id,
        target_label=f"{certificate.serial_label} {certificate.member.name}",
        network_id=certificate.network_id,
        details={"serial": certificate.serial_label, "reason": reason},
    )
    session.commit()
    return certificate


CERTIFICATE_FILTERS = {
    "all": "すべて",
    "valid": "有効",
    "expiring": f"{EXPIRING_DAYS}日以内に期限切れ",
    "expired": "期限切れ",
    "lapsed": "失効（退会）",
    "superseded": "更新済み",
    "revoked": "取消",
    "pending": "確認中",
}


def status_clause(status: str, today: date):
    """SQL for the status filters, in the same order of precedence as status_on()."""
    not_revoked = Certificate.revoked_at.is_(None)
    pending = or_(Certificate.awaiting_confirmation.is_(True), Member.needs_review.is_(True))
    settled = and_(not_revoked, not_(pending))
    active = active_clause(today)
    superseded = Certificate.id.in_(select(CertificateSupersession.old_certificate_id))
    current = and_(settled, active, not_(superseded))
    valid = and_(current, Certificate.valid_until >= today)
    return {
        "valid": valid,
        "expiring": and_(valid, Certificate.valid_until <= today + timedelta(days=EXPIRING_DAYS)),
        "expired": and_(current, Certificate.valid_until < today),
        "lapsed": and_(settled, not_(active)),
        "superseded": and_(settled, active, superseded),
        "revoked": Certificate.revoked_at.is_not(None),
        "pending": and_(not_revoked, pending),
    }.get(status)


@dataclass(frozen=True)
class CertificatePage:
    certificates: list[Certificate]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def search(
    session: Session,
    *,
    network_id: int,
    organisation_id: int | None = None,
    status: str = "all",
    page: int = 1,
    per_page: int = 50,
) -> CertificatePage:
    """The network's certificates; "expiring" lists the soonest first, the others the newest."""
    today = today_jst()
    stmt = (
        select(Certificate)
        .join(Member, Certificate.member_id == Member.id)
        .where(Certificate.network_id == network_id)
    )
    if organisation_id:
        stmt = stmt.where(Member.organisation_id == organisation_id)
    clause = status_clause(status, today)
    if clause is not None:
        stmt = stmt.where(clause)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    # network_id first (it is fixed by the WHERE): so SQLite reads the newest 50 from the
    # (network_id, serial) index instead of sorting the whole network's certificates (0.7 ms
    # instead of 350 ms at 75,000 certificates).
    order = (
        (Certificate.valid_until, Certificate.serial)
        if status == "expiring"
        else (Certificate.network_id.desc(), Certificate.serial.desc())
    )
    rows = session.scalars(
        with_relations(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    ).unique()
    return CertificatePage(certificates=list(rows), total=int(total), page=page, per_page=per_page)


def status_counts(session: Session, network_id: int) -> dict[str, int]:
    """The count behind each status tab, in one pass over the network's certificates."""
    today = today_jst()
    columns = []
    for status in CERTIFICATE_FILTERS:
        clause = status_clause(status, today)
        columns.append(func.count() if clause is None else func.count().filter(clause))
    row = session.execute(
        select(*columns)
        .select_from(Certificate)
        .join(Member, Certificate.member_id == Member.id)
        .where(Certificate.network_id == network_id)
    ).one()
    return {status: int(n or 0) for status, n in zip(CERTIFICATE_FILTERS, row, strict=True)}


# --- badges --------------------------------------------------------------------------------------


def badge_certificates(
    session: Session, *, network_id: int, course_id: int, organisation_id: int | None
) -> list[Certificate]:
    """One certificate per member to print a badge from: the member's valid certificate for the
    course that lasts longest. Members without a valid one get no badge. Sorted by
    organisation, then kana, as a secretariat hands them out."""
    today = today_jst()
    stmt = (
        select(Certificate)
        .join(Member, Certificate.member_id == Member.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .where(
            Certificate.network_id == network_id,
            Certificate.course_id == course_id,
            status_clause("valid", today),
        )
    )
    if organisation_id:
        stmt = stmt.where(Member.organisation_id == organisation_id)
    rows = session.scalars(
        with_relations(
            stmt.order_by(
                Organisation.name_key,
                Member.kana_key,
                Member.name_key,
                Member.id,
                Certificate.valid_until.desc(),
            )
        )
    ).unique()
    chosen: dict[int, Certificate] = {}
    for certificate in rows:
        chosen.setdefault(certificate.member_id, certificate)
    return list(chosen.values())


def badge_sheet(
    session: Session,
    *,
    network_id: int,
    course: Course,
    organisation: Organisation | None,
    actor: User,
    make_pdf: Callable[[list[Certificate]], bytes],
) -> bytes:
    """The badges of the members with a valid certificate for the course (of one organisation,
    or of all), logged as certificate.badges_print: a sheet carries names and verification
    codes, so who printed whose badges is recorded. The PDF is made by the caller's make_pdf (it
    needs the app's URLs); it is logged only once it exists."""
    chosen = badge_certificates(
        session,
        network_id=network_id,
        course_id=course.id,
        organisation_id=organisation.id if organisation else None,
    )
    if not chosen:
        raise DomainError("修了証が有効な構成員がいないため、構成員証を作れません。")
    data = make_pdf(chosen)
    audit.record(
        session,
        actor=actor,
        action="certificate.badges_print",
        target_type="organisation" if organisation else "network",
        target_id=organisation.id if organisation else network_id,
        target_label=organisation.name if organisation else "全構成団体",
        network_id=network_id,
        details={"course": course.title, "count": len(chosen)},
    )
    session.commit()
    return data


def courses_with_certificates(session: Session) -> list[Course]:
    return list(
        session.scalars(
            select(Course)
            .where(or_(Course.is_active.is_(True), Course.id.in_(select(Certificate.course_id))))
            .order_by(Course.title)
        )
    )
