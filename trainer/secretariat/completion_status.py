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

Everything is decided by SQL, never per member in Python, and without aggregating the network's
attempts or certificates: each fact is an EXISTS test of one member's rows through an index, so a
page of 50 members costs a page's worth of probes, and a status filter or a count one pass over
the network's members with one or a few probes each (100,000 members: well under 200 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, not_, or_, select
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


# --- a member's status, in SQL --------------------------------------------------------------


@dataclass(frozen=True)
class StatusFacts:
    """What decides a status, as EXISTS tests correlated to the Member row of the enclosing
    query. Each is one probe of an index (ix_certificate_member_course, ix_attempt_member_course,
    ix_module_read_member_id), so a status costs a few probes for the member asked about, never
    an aggregate over the network."""

    lasting: ColumnElement[bool]  # a certificate in force beyond today + 90 days
    in_force: ColumnElement[bool]  # a certificate in force today (valid or expiring)
    pending: ColumnElement[bool]  # a certificate awaiting confirmation, not revoked
    certificate: ColumnElement[bool]  # any certificate of the course from this network
    started: ColumnElement[bool]  # a module read, or a confirmed post-test submitted
    pre: ColumnElement[bool]  # a confirmed pre-test submitted


def status_facts(network_id: int, course_id: int, today: date) -> StatusFacts:
    def certificates(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return (
            select(Certificate.id)
            .where(
                Certificate.member_id == Member.id,
                Certificate.course_id == course_id,
                Certificate.network_id == network_id,
                *conditions,
            )
            .exists()
        )

    def attempts(phase: str) -> ColumnElement[bool]:
        return (
            select(Attempt.id)
            .where(
                Attempt.member_id == Member.id,
                Attempt.course_id == course_id,
                Attempt.phase == phase,
                Attempt.status == "submitted",
                Attempt.awaiting_confirmation.is_(False),
            )
            .exists()
        )

    settled = (Certificate.revoked_at.is_(None), Certificate.awaiting_confirmation.is_(False))
    read = (
        select(ModuleRead.id)
        .join(CourseModule, CourseModule.id == ModuleRead.module_id)
        .where(ModuleRead.member_id == Member.id, CourseModule.course_id == course_id)
        .exists()
    )
    return StatusFacts(
        lasting=certificates(
            *settled, Certificate.valid_until > today + timedelta(days=EXPIRING_DAYS)
        ),
        in_force=certificates(*settled, Certificate.valid_until >= today),
        pending=certificates(
            Certificate.revoked_at.is_(None), Certificate.awaiting_confirmation.is_(True)
        ),
        certificate=certificates(),
        started=or_(read, attempts("post")),
        pre=attempts("pre"),
    )


def status_column(facts: StatusFacts) -> ColumnElement[str]:
    """The member's status, the rules of the module's docstring in their order: the most
    common status is decided by the first probe (most members hold a lasting certificate)."""
    return case(
        (facts.lasting, literal(VALID)),
        (facts.in_force, literal(EXPIRING)),
        (facts.pending, literal(PENDING)),
        (facts.certificate, literal(LAPSED)),
        (facts.started, literal(LEARNING)),
        (facts.pre, literal(PRE_DONE)),
        else_=literal(NOT_STARTED),
    )


def status_clause(facts: StatusFacts, status: str) -> ColumnElement[bool] | None:
    """Members of a status, of 修了 (the three together), or None for everyone: the same sets
    as status_column(), each written with only the probes it needs."""
    no_certificate = not_(facts.certificate)
    clauses: dict[str, ColumnElement[bool]] = {
        VALID: facts.lasting,
        EXPIRING: and_(facts.in_force, not_(facts.lasting)),
        PENDING: and_(facts.pending, not_(facts.in_force)),
        LAPSED: and_(facts.certificate, not_(facts.in_force), not_(facts.pending)),
        COMPLETED: or_(facts.in_force, and_(facts.certificate, not_(facts.pending))),
        LEARNING: and_(no_certificate, facts.started),
        PRE_DONE: and_(no_certificate, not_(facts.started), facts.pre),
        NOT_STARTED: and_(no_certificate, not_(facts.started), not_(facts.pre)),
    }
    return clauses.get(status)


def last_activity(
    session: Session, network_id: int, course_id: int, member_ids: Sequence[int]
) -> dict[int, datetime]:
    """Per member of a page: the last submitted attempt, module read or certificate of the
    course (confirmed or not), for the list's 'last activity' column."""
    if not member_ids:
        return {}
    queries = (
        select(Attempt.member_id, func.max(Attempt.submitted_at))
        .where(
            Attempt.member_id.in_(member_ids),
            Attempt.course_id == course_id,
            Attempt.status == "submitted",
            Attempt.awaiting_confirmation.is_(False),
        )
        .group_by(Attempt.member_id),
        select(ModuleRead.member_id, func.max(ModuleRead.read_at))
        .join(CourseModule, CourseModule.id == ModuleRead.module_id)
        .where(ModuleRead.member_id.in_(member_ids), CourseModule.course_id == course_id)
        .group_by(ModuleRead.member_id),
        select(Certificate.member_id, func.max(Certificate.issued_at))
        .where(
            Certificate.member_id.in_(member_ids),
            Certificate.course_id == course_id,
            Certificate.network_id == network_id,
        )
        .group_by(Certificate.member_id),
    )
    last: dict[int, datetime] = {}
    for query in queries:
        for member_id, moment in session.execute(query):
            if moment is not None and (member_id not in last or moment > last[member_id]):
                last[member_id] = moment
    return last


# --- members with their status ----------------------------------------------------------------

# The order of every list and export: by organisation, then kana.
MEMBER_ORDER = (
    Organisation.kind,
    Organisation.name_key,
    Member.kana_key,
    Member.name_key,
    Member.id,
)


def _where(network_id: int, course: Course, filters: Filters, today: date) -> list[Any]:
    """The WHERE clauses of the active members of the network matching the filters."""
    clauses: list[Any] = [Member.network_id == network_id, active_clause(today)]
    status = status_clause(status_facts(network_id, course.id, today), filters.status)
    if status is not None:
        clauses.append(status)
    if filters.kind:
        clauses.append(Member.organisation_id.in_(_of_kind(network_id, filters.kind)))
    if filters.organisation_id:
        clauses.append(Member.organisation_id == filters.organisation_id)
    return clauses


def _of_kind(network_id: int, kind: str) -> Select[Any]:
    return select(Organisation.id).where(
        Organisation.network_id == network_id, Organisation.kind == kind
    )


def members_statement(network_id: int, course: Course, filters: Filters) -> Select[Any]:
    """(Member with its organisation, status) of the active members matching the filters,
    unordered. The status is computed for the rows the statement returns only."""
    today = today_jst()
    status = status_column(status_facts(network_id, course.id, today))
    stmt = (
        select(Member, status.label("status"))
        .join(Organisation, Organisation.id == Member.organisation_id)
        .options(contains_eager(Member.organisation))
        .where(*_where(network_id, course, filters, today))
    )
    return cast(Select[Any], stmt)


def counts_by_organisation(
    session: Session, network_id: int, course: Course, filters: Filters
) -> dict[int, int]:
    """Per organisation, the number of active members matching the filters (a status filter is
    one or two index probes a member, not the member's whole status)."""
    # Grouped by organisation_id + 0, an expression: grouping by the column itself makes SQLite
    # walk ix_member_organisation_id and fetch every member row out of order (3x slower).
    organisation = (Member.organisation_id + 0).label("organisation_id")
    stmt = (
        select(organisation, func.count())
        .select_from(Member)
        .where(*_where(network_id, course, filters, today_jst()))
        .group_by(organisation)
    )
    return {int(o): int(n) for o, n in session.execute(stmt)}


def status_counts(
    session: Session,
    network_id: int,
    course: Course,
    kind: str | None = None,
    today: date | None = None,
) -> dict[int, dict[str, int]]:
    """Per organisation (of one kind, or all), the number of active members in each status on
    `today` (Japan's date by default): one pass over the network's members, each decided by a
    few index probes."""
    today = today or today_jst()
    status = status_column(status_facts(network_id, course.id, today)).label("status")
    organisation = (Member.organisation_id + 0).label("organisation_id")
    stmt = (
        select(status, organisation, func.count())
        .select_from(Member)
        .where(Member.network_id == network_id, active_clause(today))
        .group_by(status, organisation)
    )
    if kind:
        stmt = stmt.where(Member.organisation_id.in_(_of_kind(network_id, kind)))
    counts: dict[int, dict[str, int]] = {}
    for name, organisation_id, n in session.execute(stmt):
        counts.setdefault(int(organisation_id), {})[name] = int(n)
    return counts


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
