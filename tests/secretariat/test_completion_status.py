"""The completion status decided in SQL (indexed EXISTS probes, a status filter as a WHERE
clause, the member list paged from per-organisation counts) against the same rules computed in
Python from the rows, over members in every combination of certificates, attempts, reads and
membership, including the edges: the last valid day, 90 and 91 days left, expired yesterday,
revoked, pending (確認待ち) certificates, unconfirmed results, an open attempt, a certificate
from another network, a membership that ended today or starts tomorrow, an entry awaiting
review."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.quizzes.helpers import load_repository_content
from trainer.accounts.models import Member
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.learning.models import Course, CourseModule, ModuleRead
from trainer.quizzes.models import Attempt
from trainer.secretariat import completion
from trainer.secretariat.completion_status import (
    COMPLETED,
    COMPLETED_STATUSES,
    EXPIRING,
    LAPSED,
    LEARNING,
    NOT_STARTED,
    PENDING,
    PRE_DONE,
    STATUSES,
    VALID,
    Filters,
)
from trainer.timeutil import today_jst, utcnow

# Each member's certificates: (days from today to valid_until, revoked, awaiting confirmation).
CERTIFICATES: dict[str, list[tuple[int, bool, bool]]] = {
    "none": [],
    "valid": [(91, False, False)],
    "expiring_90": [(90, False, False)],
    "last_day": [(0, False, False)],
    "expired": [(-1, False, False)],
    "revoked": [(400, True, False)],
    "pending": [(700, False, True)],
    "pending_and_expired": [(700, False, True), (-30, False, False)],
    "pending_and_valid": [(700, False, True), (200, False, False)],
    "pending_and_expiring": [(700, False, True), (30, False, False)],
    "revoked_pending": [(700, True, True)],
    "revoked_and_expiring": [(300, True, False), (10, False, False)],
    "other_network": [],  # a certificate, but issued in another network: not counted here
}
# Each member's attempts: (phase, status, awaiting confirmation); and whether a module was read.
ATTEMPTS: dict[str, list[tuple[str, str, bool]]] = {
    "none": [],
    "pre": [("pre", "submitted", False)],
    "pre_open": [("pre", "open", False)],
    "pre_unconfirmed": [("pre", "submitted", True)],
    "post_failed": [("pre", "submitted", False), ("post", "submitted", False)],
    "post_unconfirmed": [("post", "submitted", True)],
}
MEMBERSHIPS = ("active", "ended_today", "ends_tomorrow", "starts_tomorrow", "needs_review")


def python_status(member: Member, course: Course, network_id: int, today: date) -> str | None:
    """The rules of completion_status's docstring, in Python; None for a member not counted."""
    if not member.is_active_on(today):
        return None
    certificates = db.session.scalars(
        select(Certificate).where(
            Certificate.member_id == member.id,
            Certificate.course_id == course.id,
            Certificate.network_id == network_id,
        )
    ).all()
    in_force = [
        c.valid_until
        for c in certificates
        if c.revoked_at is None and not c.awaiting_confirmation and c.valid_until >= today
    ]
    if in_force and max(in_force) > today + timedelta(days=90):
        return VALID
    if in_force:
        return EXPIRING
    if any(c.revoked_at is None and c.awaiting_confirmation for c in certificates):
        return PENDING
    if certificates:
        return LAPSED
    attempts = db.session.scalars(
        select(Attempt).where(
            Attempt.member_id == member.id,
            Attempt.course_id == course.id,
            Attempt.status == "submitted",
            Attempt.awaiting_confirmation.is_(False),
        )
    ).all()
    read = db.session.scalar(
        select(ModuleRead.id)
        .join(CourseModule, CourseModule.id == ModuleRead.module_id)
        .where(ModuleRead.member_id == member.id, CourseModule.course_id == course.id)
        .limit(1)
    )
    if read is not None or any(a.phase == "post" for a in attempts):
        return LEARNING
    if any(a.phase == "pre" for a in attempts):
        return PRE_DONE
    return NOT_STARTED


def _member(network, organisation, n: int, membership: str, today: date) -> Member:
    start = today + timedelta(days=1) if membership == "starts_tomorrow" else date(2024, 4, 1)
    end = {"ended_today": today, "ends_tomorrow": today + timedelta(days=1)}.get(membership)
    member = Member(
        network_id=network.id,
        organisation_id=organisation.id,
        name=f"構成員 {n}",
        kana=f"こうせいいん {n:04d}",
        name_key=f"構成員{n:04d}",
        kana_key=f"こうせいいん{(n * 7919) % 1000:04d}",  # not in id order
        membership_start=start,
        membership_end=end,
        needs_review=membership == "needs_review",
        link_selector=uuid.uuid4().hex,
        link_verifier=uuid.uuid4().hex,
    )
    db.session.add(member)
    db.session.flush()
    return member


def _certificate(member_id, network_id, course, serial, days, revoked, awaiting, today):
    return Certificate(
        network_id=network_id,
        member_id=member_id,
        course_id=course.id,
        serial=serial,
        token=uuid.uuid4().hex,
        token_hash=uuid.uuid4().hex,
        issued_on=today - timedelta(days=365),
        valid_until=today + timedelta(days=days),
        revoked_at=utcnow() if revoked else None,
        awaiting_confirmation=awaiting,
    )


@pytest.fixture
def varied(app, make_network, make_org):
    """Every combination of certificates × attempts × a module read, for active members in three
    organisations of two kinds; and each membership edge for a few of the combinations."""
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    module = db.session.scalar(select(CourseModule).where(CourseModule.course_id == course.id))
    today = today_jst()
    network, elsewhere = make_network(), make_network()
    organisations = [
        make_org(network, name="みどり信用金庫", kind="financial"),
        make_org(network, name="あおば信用金庫", kind="financial"),
        make_org(network, name="みどり生協", kind="coop_delivery"),
    ]
    combos = list(itertools.product(CERTIFICATES, ATTEMPTS, (False, True)))
    plans = [(c, a, r, "active") for c, a, r in combos]
    plans += [(c, "pre", False, m) for c in ("valid", "expired", "none") for m in MEMBERSHIPS[1:]]
    serial = itertools.count(1)
    for n, (certs, attempts, read, membership) in enumerate(plans):
        member = _member(network, organisations[n % 3], n, membership, today)
        for days, revoked, awaiting in CERTIFICATES[certs]:
            db.session.add(
                _certificate(
                    member.id, network.id, course, next(serial), days, revoked, awaiting, today
                )
            )
        if certs == "other_network":
            db.session.add(
                _certificate(
                    member.id, elsewhere.id, course, next(serial), 400, False, False, today
                )
            )
        for phase, status, awaiting in ATTEMPTS[attempts]:
            db.session.add(
                Attempt(
                    member_id=member.id,
                    course_id=course.id,
                    phase=phase,
                    status=status,
                    idempotency_key=uuid.uuid4().hex,
                    question_ids=[],
                    submitted_at=utcnow() if status == "submitted" else None,
                    awaiting_confirmation=awaiting,
                )
            )
        if read:
            db.session.add(
                ModuleRead(
                    member_id=member.id,
                    module_version_id=module.current_version_id,
                    module_id=module.id,
                )
            )
    db.session.commit()
    members = db.session.scalars(select(Member).where(Member.network_id == network.id)).all()
    expected = {m.id: python_status(m, course, network.id, today) for m in members}
    return network, course, organisations, expected


def _listed(network, course, filters: Filters, per_page: int) -> list[tuple[int, str]]:
    """Every (member id, status) of the paged list, page by page."""
    first = completion.members(
        db.session, network_id=network.id, course=course, filters=filters, per_page=per_page
    )
    listed = [(i.member.id, i.status) for i in first.items]
    for page in range(2, first.pages + 1):
        more = completion.members(
            db.session,
            network_id=network.id,
            course=course,
            filters=filters,
            page=page,
            per_page=per_page,
        )
        assert more.total == first.total
        listed += [(i.member.id, i.status) for i in more.items]
    assert len(listed) == first.total
    return listed


def test_the_data_set_has_every_status(varied):
    _network, _course, _organisations, expected = varied
    assert set(expected.values()) == {*STATUSES, None}


@pytest.mark.parametrize("status", [*STATUSES, COMPLETED, "all"])
def test_each_status_filter_lists_exactly_the_members_python_finds(varied, status):
    network, course, organisations, expected = varied
    wanted = {*COMPLETED_STATUSES} if status == COMPLETED else {status}
    for filters in (
        Filters(status=status),
        Filters(status=status, kind="financial"),
        Filters(status=status, organisation_id=organisations[2].id),
    ):
        in_scope = {
            o.id
            for o in organisations
            if (not filters.kind or o.kind == filters.kind)
            and (not filters.organisation_id or o.id == filters.organisation_id)
        }
        members = {m.id: m for m in db.session.scalars(select(Member))}
        want = {
            member_id
            for member_id, found in expected.items()
            if found is not None
            and (status == "all" or found in wanted)
            and members[member_id].organisation_id in in_scope
        }
        for per_page in (7, 50):
            listed = _listed(network, course, filters, per_page)
            assert len(listed) == len({i for i, _ in listed}), "a member listed twice"
            assert {i for i, _ in listed} == want
            assert all(found == expected[i] for i, found in listed)


def test_the_paged_list_keeps_the_order_of_the_whole_list(varied):
    """The page is found from per-organisation counts; the concatenated pages are the list
    ordered in one query (by organisation kind and name_key, then kana)."""
    network, course, _organisations, _expected = varied
    stmt = completion.members_statement(network.id, course, Filters())
    whole = [row[0].id for row in db.session.execute(stmt.order_by(*completion.MEMBER_ORDER))]
    for per_page in (1, 7, 50):
        assert [i for i, _ in _listed(network, course, Filters(), per_page)] == whole


def test_the_table_and_the_summary_count_what_python_finds(varied):
    network, course, organisations, expected = varied
    members = {m.id: m for m in db.session.scalars(select(Member))}
    table = completion.table(db.session, network_id=network.id, course=course)
    for row in table.rows:
        want: dict[str, int] = {}
        for member_id, found in expected.items():
            if found is not None and members[member_id].organisation_id == row.organisation.id:
                want[found] = want.get(found, 0) + 1
        assert row.counts == want
    summary = completion.summary(db.session, network.id, course)
    for status in STATUSES:
        assert summary.count(status) == sum(1 for s in expected.values() if s == status)
    assert summary.members == sum(1 for s in expected.values() if s is not None)
    coop = completion.table(db.session, network_id=network.id, course=course, kind="coop_delivery")
    assert [r.organisation.id for r in coop.rows] == [organisations[2].id]
    assert (
        coop.total.counts
        == table.rows[[r.organisation.id for r in table.rows].index(organisations[2].id)].counts
    )


def test_a_page_past_the_end_shows_the_last_page(varied):
    network, course, _organisations, _expected = varied
    last = completion.members(
        db.session, network_id=network.id, course=course, filters=Filters(), page=999, per_page=7
    )
    assert last.page == last.pages and last.items
    assert len(last.items) == last.total - 7 * (last.pages - 1)
