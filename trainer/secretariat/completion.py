"""Completion (受講状況): where each active member stands in a course, counted per organisation;
the members behind each count; and the QR sheet of those who have not started.

What each status means, and how it is decided, is in completion_status. Everything is counted by
SQL in a handful of GROUP BY queries, never per member in Python.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import func, select

from trainer.accounts import roster
from trainer.accounts.models import Member, Organisation, OrganisationKind, User
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.certificates.service import EXPIRING_DAYS, courses_with_certificates
from trainer.database import Session
from trainer.errors import DomainError, NotFound
from trainer.learning.models import Course
from trainer.secretariat.completion_status import (
    ALL,
    COMPLETED,
    COMPLETED_STATUSES,
    EXPIRING,
    LAPSED,
    LEARNING,
    MEMBER_ORDER,
    NOT_STARTED,
    PENDING,
    PRE_DONE,
    STATUSES,
    VALID,
    Filters,
    certificates_of,
    counts_by_organisation,
    last_activity,
    members_statement,
    status_counts,
)

# What a drill-down can ask for: a status, 修了 (the three together) or everyone.
FILTERS: dict[str, str] = {**STATUSES, COMPLETED: "修了", ALL: "在籍者"}
# The table's columns (short headers; the page's legend explains each), in the order a member
# goes through them, 修了 before the three statuses it is made of.
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


def choices(
    session: Session,
    network_id: int,
    *,
    course_id: int | None,
    kind: str | None,
    organisation_id: int | None,
    status: str | None,
) -> tuple[list[Course], Course | None, Filters]:
    """The course list, the chosen course and the checked filters, from a page's query string.
    A value no form offers raises: NotFound for a course or organisation, else DomainError."""
    offered = courses(session)
    course = choose_course(offered, course_id)
    filters = Filters(kind=kind or None, organisation_id=organisation_id, status=status or ALL)
    check_filters(session, network_id, filters)
    return offered, course, filters


def kinds_in_use(session: Session, network_id: int) -> list[tuple[str, str]]:
    """(kind, label) of the kinds the network's organisations have, for the filter's select."""
    used = set(
        session.scalars(
            select(Organisation.kind).where(Organisation.network_id == network_id).distinct()
        )
    )
    return [(k.value, k.label) for k in OrganisationKind if k.value in used]


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionRow:
    """One organisation's counts (organisation None: the total over the rows shown)."""

    organisation: Organisation | None
    counts: dict[str, int] = field(default_factory=dict)

    @cached_property
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


def table(
    session: Session, *, network_id: int, course: Course, kind: str | None = None
) -> CompletionTable:
    """Organisations (of one kind, or all) × statuses: counts of active members."""
    counts = status_counts(session, network_id, course, kind)
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
    total: dict[str, int] = {}
    for counts in status_counts(session, network_id, course).values():
        for status, n in counts.items():
            total[status] = total.get(status, 0) + n
    return CompletionRow(None, total)


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


def members(
    session: Session,
    *,
    network_id: int,
    course: Course,
    filters: Filters,
    page: int = 1,
    per_page: int = 50,
) -> MemberStatusPage:
    """The active members matching the filters, with their status, a page at a time.

    Work in proportion to the page: the members matching the filters are counted per
    organisation (one index-probed pass, no status computed), the page's place in the list is
    found from those counts (the list is ordered by organisation first), and only the one or few
    organisations the page falls in are read and ordered."""
    counts = counts_by_organisation(session, network_id, course, filters)
    total = sum(counts.values())
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    skip, span = _page_span(session, network_id, counts, (page - 1) * per_page, per_page)
    rows: list[Any] = []
    if span:
        inside = Filters(kind=filters.kind, organisation_id=None, status=filters.status)
        stmt = members_statement(network_id, course, inside).where(Member.organisation_id.in_(span))
        rows = list(session.execute(stmt.order_by(*MEMBER_ORDER).limit(per_page).offset(skip)))
    ids = [r[0].id for r in rows]
    certificates = certificates_of(session, course, ids)
    last = last_activity(session, network_id, course.id, ids)
    items = [
        MemberStatus(
            member=member,
            status=status,
            last_activity=last.get(member.id),
            certificate=certificates.get(member.id),
        )
        for member, status in rows
    ]
    return MemberStatusPage(items=items, total=int(total), page=page, per_page=per_page)


def _page_span(
    session: Session, network_id: int, counts: dict[int, int], offset: int, per_page: int
) -> tuple[int, list[int]]:
    """The organisations a page starting at `offset` falls in, in the list's order, and the
    offset of the page within them."""
    skip, span = offset, list[int]()
    in_order = session.scalars(
        select(Organisation.id)
        .where(Organisation.network_id == network_id)
        .order_by(*MEMBER_ORDER[:2])  # as the list: kind, then name_key (unique in a network)
    )
    for organisation_id in in_order:
        n = counts.get(organisation_id, 0)
        if not n:
            continue
        if not span and skip >= n:
            skip -= n
            continue
        span.append(organisation_id)
        if sum(counts[o] for o in span) - skip >= per_page:
            break
    return skip, span


# --- the personal-link QR sheet ----------------------------------------------------------------


def not_started_members(
    session: Session, *, network_id: int, course: Course, organisation_id: int | None
) -> list[Member]:
    """未受講 members for the QR sheet, as the sheet is handed out: by organisation, then kana.
    More than MAX_SLIPS is refused with a Japanese message (choose one organisation)."""
    filters = Filters(organisation_id=organisation_id, status=NOT_STARTED)
    stmt = members_statement(network_id, course, filters)
    found = [row[0] for row in session.execute(stmt.order_by(*MEMBER_ORDER).limit(MAX_SLIPS + 1))]
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
