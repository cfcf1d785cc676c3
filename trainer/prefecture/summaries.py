"""Per-network summaries (NetworkSummary): computed with the network's own pages' queries, kept
until something changes them or the day turns.

Computing one network's summary runs what its completion table (completion_status.status_counts,
added up) and its before/after report (stats_query.first_attempts, paired by
CountedAttempts.score_groups, no filters) run, so the prefecture page and the network's own
pages cannot disagree. A network is due when it has a row in network_figures_change
(trainer/prefecture/stale.py inserts one in the transaction of any change) or when it has no
summary for today (Japan) for a course: the valid / expiring / lapsed split and who is a member
depend on the date.

Refreshing deletes the network's change rows and commits *before* counting. A DELETE removes
only rows already committed: a change committed before it is seen by the counting, which starts
after it; a change still in flight keeps its row (not yet visible to the DELETE; on SQLite the
DELETE waits for it) and makes the network due again. So no change is ever left uncounted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, delete, exists, not_, or_, select
from sqlalchemy.exc import IntegrityError

from trainer.accounts.models import Network
from trainer.certificates.service import courses_with_certificates
from trainer.database import Session
from trainer.learning.models import Course
from trainer.prefecture.models import NetworkFiguresChange, NetworkSummary
from trainer.quizzes.course_stats import CountedAttempts, paused_gc
from trainer.quizzes.stats_query import first_attempts
from trainer.secretariat.completion_status import STATUSES, status_counts
from trainer.timeutil import today_jst, utcnow


def summary_courses(session: Session) -> list[Course]:
    """The courses summarised: those the completion page offers (active, or with certificates)."""
    return courses_with_certificates(session)


def compute(session: Session, network_id: int, course: Course, today: date) -> NetworkSummary:
    """One network's counts for one course on `today` (a new, unsaved row): the completion
    table's per-organisation status counts, added up."""
    row = NetworkSummary(
        network_id=network_id, course_id=course.id, computed_for=today, computed_at=utcnow()
    )
    counts = {s: 0 for s in STATUSES}
    for by_status in status_counts(session, network_id, course, today=today).values():
        for status, n in by_status.items():
            counts[status] += n
    for status, n in counts.items():
        setattr(row, status, n)
    row.members = sum(counts.values())
    with paused_gc():
        attempts = first_attempts(session, network_id=network_id, course=course)
        phases: dict[int, int] = {}
        for attempt in attempts:
            phases[attempt[0]] = phases.get(attempt[0], 0) | (1 if attempt[1] == "pre" else 2)
        groups = CountedAttempts(attempts).score_groups().groups
    row.learners_pre = sum(p & 1 for p in phases.values())
    row.learners_post = sum(p >> 1 for p in phases.values())
    row.learners_paired = sum(p == 3 for p in phases.values())
    row.scored_paired = sum(g.paired_n for g in groups)
    row.pre_sum = sum(g.pre_sum for g in groups)
    row.post_sum = sum(g.post_sum for g in groups)
    row.improved = sum(g.improved for g in groups)
    row.same = sum(g.same for g in groups)
    row.worse = sum(g.worse for g in groups)
    return row


def refresh_network(session: Session, network_id: int, courses: Sequence[Course]) -> bool:
    """Recompute one network's summaries (every course). False if another process stored them
    at the same moment (they are as fresh as these would have been)."""
    session.execute(
        delete(NetworkFiguresChange).where(NetworkFiguresChange.network_id == network_id)
    )
    session.commit()
    today = today_jst()
    try:
        rows = [compute(session, network_id, course, today) for course in courses]
    except Exception:
        session.rollback()  # the marks just deleted go back: the network stays due
        session.add(NetworkFiguresChange(network_id=network_id))
        session.commit()
        raise
    session.execute(delete(NetworkSummary).where(NetworkSummary.network_id == network_id))
    session.add_all(rows)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def due_clause(courses: Sequence[Course], today: date):
    """SQL: the network needs its summaries recomputed."""
    missing = [
        not_(
            exists().where(
                NetworkSummary.network_id == Network.id,
                NetworkSummary.course_id == course.id,
                NetworkSummary.computed_for == today,
            )
        )
        for course in courses
    ]
    changed = exists().where(NetworkFiguresChange.network_id == Network.id)
    return or_(changed, *missing)


@dataclass(frozen=True)
class Refreshed:
    done: int  # networks recomputed
    left: int  # networks still due when the time ran out


def refresh_due(
    session: Session,
    *,
    prefecture: str | None = None,
    budget_seconds: float = 50.0,
    limit: int | None = None,
) -> Refreshed:
    """Recompute the due networks (of one prefecture, or all) until the budget is spent: the
    worker's every-minute job, and the prefecture page before it reads."""
    courses = summary_courses(session)
    stmt = select(Network.id).where(due_clause(courses, today_jst())).order_by(Network.id)
    if prefecture is not None:
        stmt = stmt.where(Network.prefecture == prefecture)
    due = list(session.scalars(stmt.limit(limit) if limit else stmt))
    session.commit()
    deadline = time.monotonic() + budget_seconds
    done = 0
    for network_id in due:
        if time.monotonic() >= deadline:
            break
        refresh_network(session, network_id, courses)
        done += 1
    return Refreshed(done=done, left=len(due) - done)


def summaries(
    session: Session, course_id: int, prefecture: str | None
) -> list[tuple[Network, NetworkSummary | None]]:
    """Every network (of one prefecture, or all) with its stored summary for the course."""
    stmt = (
        select(Network, NetworkSummary)
        .outerjoin(
            NetworkSummary,
            and_(NetworkSummary.network_id == Network.id, NetworkSummary.course_id == course_id),
        )
        .order_by(Network.prefecture, Network.municipality, Network.name, Network.id)
    )
    if prefecture is not None:
        stmt = stmt.where(Network.prefecture == prefecture)
    return [(network, summary) for network, summary in session.execute(stmt)]
