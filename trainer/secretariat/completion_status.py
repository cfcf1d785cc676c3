"""A member's completion status (受講状況) for a course, decided in SQL.

A member's status for a course is exactly one of these, checked in this order (the first that
holds wins), on today's date in Japan:

1. 90日以内に期限切れ (expiring): a certificate that is not revoked and not expired, and the longest
   lasting such certificate ends within EXPIRING_DAYS days (valid_until <= today + 90).
2. 修了証有効 (valid): a certificate that is not revoked and lasts more than 90 days from today.
3. 失効 (lapsed): certificates exist, but none is valid today (each is expired or revoked).
4. 確認待ち (pending): passed, but the certificate is pending (確認中): nobody has confirmed yet
   that the participant who typed this member's name in a workshop was the member. Not 修了.
5. 学習中 (learning): no certificate, but a module of the course was read, or a post-test was
   submitted (and not passed: a pass always issues a certificate).
6. 事前テスト済 (pre_done): only a submitted pre-test.
7. 未受講 (not_started): nothing submitted and nothing read (an attempt that is started and never
   submitted does not count as a start).

修了 (completed) is 1 + 2 + 3 together: passed the course at least once. Only members active today
(roster.active_clause) are counted, so a certificate that lapsed because the membership ended
never shows up here (the member is not counted at all), and an entry awaiting the
secretariat's review is not on the roster (not counted either). Results awaiting confirmation
count for nothing here: an unconfirmed attempt is neither a start nor a pass.

Everything is computed by SQL over three per-member aggregates (attempts, module reads,
certificates), never per member in Python: 20,000 members and 200 organisations stay well under
the 500 ms that a weekly page deserves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, literal, or_, select
from sqlalchemy.orm import contains_eager

from trainer.accounts.models import Member, Organisation
from trainer.accounts.roster import active_clause
from trainer.certificates.models import Certificate
from trainer.certificates.service import EXPIRING_DAYS
from trainer.database import Session
from trainer.learning.models import Course, CourseModule, ModuleRead
from trainer.quizzes.models import Attempt
from trainer.timeutil import today_jst

NOT_STARTED = "not_started"
PRE_DONE = "pre_done"
LEARNING = "learning"
PENDING = "pending"
VALID = "valid"
EXPIRING = "expiring"
LAPSED = "lapsed"
COMPLETED = "completed"  # VALID + EXPIRING + LAPSED
ALL = "all"  # every active member

# The six statuses, in the order a member goes through them.
STATUSES: dict[str, str] = {
    NOT_STARTED: "未受講",
    PRE_DONE: "事前テスト済",
    LEARNING: "学習中",
    PENDING: "確認待ち",
    VALID: "修了証有効",
    EXPIRING: f"{EXPIRING_DAYS}日以内に期限切れ",
    LAPSED: "失効",
}
COMPLETED_STATUSES = (VALID, EXPIRING, LAPSED)


@dataclass(frozen=True)
class Filters:
    """The query-string filters of every completion page and export (all optional)."""

    kind: str | None = None
    organisation_id: int | None = None
    status: str = ALL


# --- the per-member facts ---------------------------------------------------------------------


def member_facts(network_id: int, course_id: int, today: date) -> Subquery:
    """One row per active member of the network: id, organisation, status, and the dates of the
    member's last submitted attempt, last module read and last certificate (for 'last activity').

    Each aggregate is restricted to the network's members before grouping, so its size follows
    the network, not the whole database."""
    in_network = Member.network_id == network_id
    attempts = _attempts(in_network, course_id)
    reads = _reads(in_network, course_id)
    certificates = _certificates(network_id, course_id)
    best = certificates.c.best_until
    status = case(
        (and_(best >= today, best <= today + timedelta(days=EXPIRING_DAYS)), literal(EXPIRING)),
        (best > today + timedelta(days=EXPIRING_DAYS), literal(VALID)),
        (certificates.c.pending == 1, literal(PENDING)),
        (certificates.c.member_id.is_not(None), literal(LAPSED)),
        (or_(reads.c.member_id.is_not(None), attempts.c.post == 1), literal(LEARNING)),
        (attempts.c.pre == 1, literal(PRE_DONE)),
        else_=literal(NOT_STARTED),
    )
    return (
        select(
            Member.id.label("member_id"),
            Member.organisation_id.label("organisation_id"),
            status.label("status"),
            attempts.c.last_at.label("attempt_at"),
            reads.c.last_at.label("read_at"),
            certificates.c.last_at.label("certificate_at"),
        )
        .select_from(Member)
        .outerjoin(attempts, attempts.c.member_id == Member.id)
        .outerjoin(reads, reads.c.member_id == Member.id)
        .outerjoin(certificates, certificates.c.member_id == Member.id)
        .where(in_network, active_clause(today))
        .subquery("facts")
    )


def _attempts(in_network: ColumnElement[bool], course_id: int) -> Subquery:
    """Per member: a confirmed, submitted pre-test and post-test (1 or 0), and the last one."""
    return (
        select(
            Attempt.member_id.label("member_id"),
            func.max(case((Attempt.phase == "pre", 1), else_=0)).label("pre"),
            func.max(case((Attempt.phase == "post", 1), else_=0)).label("post"),
            func.max(Attempt.submitted_at).label("last_at"),
        )
        .join(Member, Member.id == Attempt.member_id)
        .where(
            in_network,
            Attempt.course_id == course_id,
            Attempt.status == "submitted",
            Attempt.awaiting_confirmation.is_(False),
        )
        .group_by(Attempt.member_id)
        .subquery("attempts")
    )


def _reads(in_network: ColumnElement[bool], course_id: int) -> Subquery:
    """Per member who read a module of the course: the last read."""
    return (
        select(
            ModuleRead.member_id.label("member_id"),
            func.max(ModuleRead.read_at).label("last_at"),
        )
        .join(CourseModule, CourseModule.id == ModuleRead.module_id)
        .join(Member, Member.id == ModuleRead.member_id)
        .where(in_network, CourseModule.course_id == course_id)
        .group_by(ModuleRead.member_id)
        .subquery("reads")
    )


def _certificates(network_id: int, course_id: int) -> Subquery:
    """Per member with a certificate of the course: the end of the longest lasting one in
    force, whether one is pending (1 or 0), and the last issued."""
    in_force = and_(Certificate.revoked_at.is_(None), Certificate.awaiting_confirmation.is_(False))
    pending = and_(Certificate.revoked_at.is_(None), Certificate.awaiting_confirmation.is_(True))
    return (
        select(
            Certificate.member_id.label("member_id"),
            # The longest lasting certificate that was neither revoked nor pending decides
            # valid / expiring.
            func.max(case((in_force, Certificate.valid_until), else_=None)).label("best_until"),
            func.max(case((pending, 1), else_=0)).label("pending"),
            func.max(Certificate.issued_at).label("last_at"),
        )
        .where(Certificate.network_id == network_id, Certificate.course_id == course_id)
        .group_by(Certificate.member_id)
        .subquery("certificates")
    )


def status_clause(facts: Subquery, status: str) -> ColumnElement[bool] | None:
    """The facts' rows of a status, of 修了 (the three together), or None for everyone."""
    if status == COMPLETED:
        return facts.c.status.in_(COMPLETED_STATUSES)
    if status in STATUSES:
        return facts.c.status == status
    return None


# --- members with their status ----------------------------------------------------------------

# The order of every list and export: by organisation, then kana.
MEMBER_ORDER = (
    Organisation.kind,
    Organisation.name_key,
    Member.kana_key,
    Member.name_key,
    Member.id,
)


def members_statement(network_id: int, course: Course, filters: Filters) -> Select[Any]:
    """(Member with its organisation, status, attempt_at, read_at, certificate_at) of the active
    members matching the filters, unordered."""
    facts = member_facts(network_id, course.id, today_jst())
    stmt = (
        select(Member, facts.c.status, facts.c.attempt_at, facts.c.read_at, facts.c.certificate_at)
        .join(facts, facts.c.member_id == Member.id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .options(contains_eager(Member.organisation))
    )
    clause = status_clause(facts, filters.status)
    if clause is not None:
        stmt = stmt.where(clause)
    if filters.kind:
        stmt = stmt.where(Organisation.kind == filters.kind)
    if filters.organisation_id:
        stmt = stmt.where(Member.organisation_id == filters.organisation_id)
    return stmt


def certificates_of(
    session: Session, course: Course, member_ids: Sequence[int]
) -> dict[int, Certificate]:
    """Per member, the certificate to show: valid and longest lasting, else the latest issued."""
    if not member_ids:
        return {}
    today = today_jst()
    chosen: dict[int, Certificate] = {}
    rows = session.scalars(
        select(Certificate)
        .where(Certificate.course_id == course.id, Certificate.member_id.in_(member_ids))
        .order_by(Certificate.member_id, Certificate.issued_at, Certificate.id)
    )
    for certificate in rows:
        current = chosen.get(certificate.member_id)
        if current is None or _rank(certificate, today) >= _rank(current, today):
            chosen[certificate.member_id] = certificate
    return chosen


def _rank(certificate: Certificate, today: date) -> tuple[bool, date]:
    valid = (
        certificate.revoked_at is None
        and not certificate.awaiting_confirmation
        and certificate.valid_until >= today
    )
    return (valid, certificate.valid_until if valid else date.min)
