"""Completion (受講状況): where each active member stands in a course, counted per organisation.

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

Everything is computed by SQL in a handful of GROUP BY queries over three per-member aggregates
(attempts, module reads, certificates), never per member in Python: 20,000 members and 200
organisations stay well under the 500 ms that a weekly page deserves.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased, contains_eager

from trainer.accounts import roster
from trainer.accounts.models import (
    AgeBand,
    JobType,
    Member,
    Organisation,
    OrganisationKind,
    User,
)
from trainer.accounts.roster import active_clause
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.certificates.service import EXPIRING_DAYS, courses_with_certificates
from trainer.database import Session
from trainer.errors import DomainError, NotFound
from trainer.learning.models import Course, CourseModule, ModuleRead
from trainer.quizzes.models import Attempt
from trainer.tables import csv_bytes, xlsx_bytes
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
# What a drill-down can ask for: a status, 修了 (the three together) or everyone.
FILTERS: dict[str, str] = {**STATUSES, COMPLETED: "修了", ALL: "在籍者"}
# The table's columns (short headers; the page's legend explains each), in the order.
COLUMNS: tuple[tuple[str, str], ...] = (
    (NOT_STARTED, "未受講"),
    (PRE_DONE, "事前済"),
    (LEARNING, "学習中"),
    (PENDING, "確認待ち"),
    (COMPLETED, "修了"),
    (VALID, "うち有効"),
    (EXPIRING, "うち期限近"),
    (LAPSED, "うち失効"),
)
LEGEND: dict[str, str] = {
    NOT_STARTED: "事前テストも学習もまだの人",
    PRE_DONE: "事前テストだけ済んだ人",
    LEARNING: "モジュールを読み始めた人、または事後テストで不合格だった人（修了証なし）",
    PENDING: (
        "研修会で事後テストに合格したが、本人確認（講師・事務局）がまだの人。"
        "修了証は「確認中」で、修了には数えない"
    ),
    COMPLETED: "一度でも事後テストに合格した人（次の3つの合計）",
    VALID: f"修了証が有効で、有効期限まで{EXPIRING_DAYS}日より長い人",
    EXPIRING: f"修了証は有効だが、{EXPIRING_DAYS}日以内に有効期限が来る人",
    LAPSED: "修了証はあるが、期限切れか取り消しで、今は有効なものがない人",
    ALL: "今日の時点で在籍している構成員の数（率の分母）",
}

# A QR sheet is for handing out in person: one organisation at a time, or a bounded number.
MAX_SLIPS = 500


# --- choosing what to show ---------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The query-string filters of every completion page and export (all optional)."""

    kind: str | None = None
    organisation_id: int | None = None
    status: str = ALL


def courses(session: Session) -> list[Course]:
    """Courses to choose from: the active ones, and retired ones that still have certificates."""
    return courses_with_certificates(session)


def choose_course(choices: Sequence[Course], course_id: int | None) -> Course | None:
    """The course asked for (NotFound if it is not a choice), else the first active one."""
    if course_id:
        course = next((c for c in choices if c.id == course_id), None)
        if course is None:
            raise NotFound("研修が見つかりません。")
        return course
    return next((c for c in choices if c.is_active), choices[0] if choices else None)


def check_filters(session: Session, network_id: int, filters: Filters) -> Organisation | None:
    """Raise a Japanese DomainError for a value no form offers; return the organisation chosen."""
    if filters.kind and filters.kind not in {k.value for k in OrganisationKind}:
        raise DomainError("構成団体の種別を一覧から選んでください。", "kind")
    if filters.status not in FILTERS:
        raise DomainError("受講状況を一覧から選んでください。", "status")
    if filters.organisation_id:
        return roster.get_organisation(session, network_id, filters.organisation_id)
    return None


def kinds_in_use(session: Session, network_id: int) -> list[tuple[str, str]]:
    """(kind, label) of the kinds the network's organisations have, for the filter's select."""
    used = set(
        session.scalars(
            select(Organisation.kind).where(Organisation.network_id == network_id).distinct()
        )
    )
    return [(k.value, k.label) for k in OrganisationKind if k.value in used]


# --- the per-member facts, in SQL --------------------------------------------------------------


def _facts(network_id: int, course_id: int, today: date):
    """One row per active member of the network: id, organisation, status, and the dates of the
    member's last submitted attempt, last module read and last certificate (for 'last activity').

    Each aggregate is restricted to the network's members before grouping, so its size follows
    the network, not the whole database."""
    in_network = Member.network_id == network_id
    attempts = (
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
    reads = (
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
    in_force = and_(Certificate.revoked_at.is_(None), Certificate.awaiting_confirmation.is_(False))
    certificates = (
        select(
            Certificate.member_id.label("member_id"),
            # The longest lasting certificate that was neither revoked nor pending decides
            # valid / expiring.
            func.max(case((in_force, Certificate.valid_until), else_=None)).label("best_until"),
            func.max(
                case(
                    (
                        and_(
                            Certificate.revoked_at.is_(None),
                            Certificate.awaiting_confirmation.is_(True),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("pending"),
            func.max(Certificate.issued_at).label("last_at"),
        )
        .where(Certificate.network_id == network_id, Certificate.course_id == course_id)
        .group_by(Certificate.member_id)
        .subquery("certificates")
    )
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


def _status_clause(facts, status: str):
    if status == COMPLETED:
        return facts.c.status.in_(COMPLETED_STATUSES)
    if status in STATUSES:
        return facts.c.status == status
    return None


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionRow:
    """One organisation's counts (organisation None: the total over the rows shown)."""

    organisation: Organisation | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def members(self) -> int:
        return sum(self.counts.get(s, 0) for s in STATUSES)

    def count(self, key: str) -> int:
        if key == ALL:
            return self.members
        if key == COMPLETED:
            return sum(self.counts.get(s, 0) for s in COMPLETED_STATUSES)
        return self.counts.get(key, 0)

    def rate(self, key: str) -> int | None:
        """Percent of the organisation's active members, rounded; None without members."""
        if not self.members:
            return None
        return round(100 * self.count(key) / self.members)


@dataclass(frozen=True)
class CompletionTable:
    course: Course
    rows: list[CompletionRow]
    total: CompletionRow


def _counts(session: Session, network_id: int, course: Course, kind: str | None):
    facts = _facts(network_id, course.id, today_jst())
    stmt = select(facts.c.organisation_id, facts.c.status, func.count()).group_by(
        facts.c.organisation_id, facts.c.status
    )
    if kind:
        stmt = stmt.join(Organisation, Organisation.id == facts.c.organisation_id).where(
            Organisation.kind == kind
        )
    counts: dict[int, dict[str, int]] = {}
    for organisation_id, status, n in session.execute(stmt):
        counts.setdefault(organisation_id, {})[status] = int(n)
    return counts


def table(
    session: Session, *, network_id: int, course: Course, kind: str | None = None
) -> CompletionTable:
    """Organisations (of one kind, or all) × statuses: counts of active members."""
    counts = _counts(session, network_id, course, kind)
    organisations = roster.organisations(session, network_id)
    rows = [
        CompletionRow(organisation=o, counts=counts.get(o.id, {}))
        for o in organisations
        if not kind or o.kind == kind
    ]
    total: dict[str, int] = {}
    for row in rows:
        for status, n in row.counts.items():
            total[status] = total.get(status, 0) + n
    return CompletionTable(course=course, rows=rows, total=CompletionRow(None, total))


def summary(session: Session, network_id: int, course: Course) -> CompletionRow:
    """The network's totals for one course, for the dashboard: row.count(key) / row.rate(key)
    for each key of STATUSES and COMPLETED, row.members for the active members counted."""
    facts = _facts(network_id, course.id, today_jst())
    rows = session.execute(select(facts.c.status, func.count()).group_by(facts.c.status))
    return CompletionRow(None, {status: int(n) for status, n in rows})


# --- the drill-down ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberStatus:
    member: Member
    status: str
    last_activity: datetime | None
    certificate: Certificate | None  # the one that matters: valid and longest, else the latest

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


@dataclass(frozen=True)
class MemberStatusPage:
    items: list[MemberStatus]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _members_stmt(network_id: int, course: Course, filters: Filters) -> tuple[Select, object]:
    facts = _facts(network_id, course.id, today_jst())
    stmt = (
        select(Member, facts.c.status, facts.c.attempt_at, facts.c.read_at, facts.c.certificate_at)
        .join(facts, facts.c.member_id == Member.id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .options(contains_eager(Member.organisation))
    )
    clause = _status_clause(facts, filters.status)
    if clause is not None:
        stmt = stmt.where(clause)
    if filters.kind:
        stmt = stmt.where(Organisation.kind == filters.kind)
    if filters.organisation_id:
        stmt = stmt.where(Member.organisation_id == filters.organisation_id)
    return stmt, facts


_ORDER = (Organisation.kind, Organisation.name_key, Member.kana_key, Member.name_key, Member.id)


def _certificates_of(
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


def _last(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)


def members(
    session: Session,
    *,
    network_id: int,
    course: Course,
    filters: Filters,
    page: int = 1,
    per_page: int = 50,
) -> MemberStatusPage:
    """The active members matching the filters, with their status, a page at a time."""
    stmt, _facts_sq = _members_stmt(network_id, course, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = session.execute(stmt.order_by(*_ORDER).limit(per_page).offset((page - 1) * per_page))
    rows = rows.all()
    certificates = _certificates_of(session, course, [r[0].id for r in rows])
    items = [
        MemberStatus(
            member=member,
            status=status,
            last_activity=_last(attempt_at, read_at, certificate_at),
            certificate=certificates.get(member.id),
        )
        for member, status, attempt_at, read_at, certificate_at in rows
    ]
    return MemberStatusPage(items=items, total=int(total), page=page, per_page=per_page)


# --- the personal-link QR sheet ----------------------------------------------------------------


def not_started_members(
    session: Session, *, network_id: int, course: Course, organisation_id: int | None
) -> list[Member]:
    """未受講 members for the QR sheet, as the sheet is handed out: by organisation, then kana.
    More than MAX_SLIPS is refused with a Japanese message (choose one organisation)."""
    filters = Filters(organisation_id=organisation_id, status=NOT_STARTED)
    stmt, _facts_sq = _members_stmt(network_id, course, filters)
    found = [row[0] for row in session.execute(stmt.order_by(*_ORDER).limit(MAX_SLIPS + 1))]
    if not found:
        raise DomainError("この条件では、未受講の構成員はいません。")
    if len(found) > MAX_SLIPS:
        total = session.scalar(select(func.count()).select_from(stmt.subquery()))
        raise DomainError(
            f"未受講の構成員が{total}人いて、一度に印刷できる{MAX_SLIPS}人を超えています。"
            "構成団体を選んで、分けて印刷してください。"
        )
    return found


def link_sheet(
    session: Session,
    *,
    network_id: int,
    course: Course,
    organisation_id: int | None,
    actor: User,
    make_pdf: Callable[[list[Member]], bytes],
) -> tuple[bytes, int]:
    """The QR sheet of the not-started members, logged as member.link_sheet (a sheet hands over
    each member's right to sign in, so who printed whose links is recorded). The PDF is made by
    the caller's make_pdf (it needs the app's URLs); it is logged only once it exists."""
    organisation = (
        roster.get_organisation(session, network_id, organisation_id) if organisation_id else None
    )
    chosen = not_started_members(
        session, network_id=network_id, course=course, organisation_id=organisation_id
    )
    data = make_pdf(chosen)
    audit.record(
        session,
        actor=actor,
        action="member.link_sheet",
        target_type="organisation" if organisation else "network",
        target_id=organisation.id if organisation else network_id,
        target_label=organisation.name if organisation else "全構成団体",
        network_id=network_id,
        details={"course": course.title, "count": len(chosen)},
    )
    session.commit()
    return data, len(chosen)


# --- the members export ------------------------------------------------------------------------

# The roster import reads 構成員番号 / 構成団体 / 氏名 / ふりがな / 職種 / 年代 / 加入日 by these
# names, so an export can be corrected in Excel and imported again (matched by 構成員番号).
EXPORT_HEADER = (
    "構成員番号",
    "構成団体",
    "種別",
    "氏名",
    "ふりがな",
    "職種",
    "年代",
    "加入日",
    "状況",
    "事前テスト得点",
    "事後テスト得点",
    "修了証番号",
    "有効期限",
)
EXPORT_WIDTHS = (10, 28, 20, 16, 18, 24, 10, 12, 18, 14, 14, 12, 12)
EXPORT_FORMATS = ("csv", "xlsx")


def _percent(score: float | None, max_score: int | None) -> int | None:
    if score is None or not max_score:
        return None
    return round(100 * score / max_score)


def _scores(
    session: Session, network_id: int, course: Course
) -> dict[int, tuple[int | None, int | None]]:
    """Per member: the first submitted pre-test's percent, and the best submitted post-test's."""
    submitted = (
        select(Attempt.id, Attempt.member_id, Attempt.phase)
        .join(Member, Member.id == Attempt.member_id)
        .where(
            Member.network_id == network_id,
            Attempt.course_id == course.id,
            Attempt.status == "submitted",
        )
        .subquery()
    )
    first_pre = (
        select(func.min(submitted.c.id))
        .where(submitted.c.phase == "pre")
        .group_by(submitted.c.member_id)
    )
    pre = aliased(Attempt)
    scores: dict[int, tuple[int | None, int | None]] = {}
    for member_id, score, max_score in session.execute(
        select(pre.member_id, pre.score, pre.max_score).where(pre.id.in_(first_pre))
    ):
        scores[member_id] = (_percent(score, max_score), None)
    post = (
        select(
            Attempt.member_id,
            func.max(Attempt.score * 100.0 / func.nullif(Attempt.max_score, 0)),
        )
        .where(Attempt.id.in_(select(submitted.c.id).where(submitted.c.phase == "post")))
        .group_by(Attempt.member_id)
    )
    for member_id, best in session.execute(post):
        before = scores.get(member_id, (None, None))[0]
        scores[member_id] = (before, None if best is None else round(best))
    return scores


def _export_rows(
    session: Session, network_id: int, course: Course, filters: Filters, *, for_csv: bool
) -> list[list[object]]:
    stmt, _facts_sq = _members_stmt(network_id, course, filters)
    rows = session.execute(stmt.order_by(*_ORDER)).all()
    certificates = _certificates_of(session, course, [r[0].id for r in rows])
    scores = _scores(session, network_id, course)

    # A CSV cell is text (ISO dates, "" for nothing); an xlsx cell a real date or empty.
    blank = "" if for_csv else None

    def day(value: date | None) -> object:
        if value is None:
            return blank
        return value.isoformat() if for_csv else value

    out = []
    for member, status, *_dates in rows:
        certificate = certificates.get(member.id)
        pre, post = scores.get(member.id, (None, None))
        out.append(
            [
                member.id,
                member.organisation.name,
                member.organisation.kind_label,
                member.name,
                member.kana,
                JobType(member.job_type).label,
                AgeBand(member.age_band).label,
                day(member.membership_start),
                STATUSES[status],
                blank if pre is None else pre,
                blank if post is None else post,
                certificate.serial_label if certificate else blank,
                day(certificate.valid_until if certificate else None),
            ]
        )
    return out


def export_members(
    session: Session,
    *,
    network_id: int,
    course: Course,
    filters: Filters,
    fmt: str,
    actor: User,
) -> tuple[bytes, int]:
    """The active members with their status as CSV or xlsx, logged as export.members."""
    if fmt not in EXPORT_FORMATS:
        raise DomainError("書き出しの形式は CSV か Excel を選んでください。")
    rows = _export_rows(session, network_id, course, filters, for_csv=fmt == "csv")
    if fmt == "csv":
        data = csv_bytes(EXPORT_HEADER, rows)
    else:
        # No title line: the header stays on row 1, where the roster import looks for it.
        data = xlsx_bytes(EXPORT_HEADER, rows, sheet_title="構成員と受講状況", widths=EXPORT_WIDTHS)
    audit.record(
        session,
        actor=actor,
        action="export.members",
        target_type="course",
        target_id=course.id,
        target_label=course.title,
        network_id=network_id,
        details={"format": fmt, "rows": len(rows), "course": course.title},
    )
    session.commit()
    return data, len(rows)
