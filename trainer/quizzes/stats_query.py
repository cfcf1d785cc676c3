"""Which attempts the before/after statistics count: the report's filters, and one submitted
attempt per learner and phase in one query, with the learner's attributes.

Before the training, each learner's first attempt counts. After it, the first attempt counts by
default (it measures what the training taught, not repeated tries); the secretariat may choose
the best one instead (POST_BEST). Only results someone has vouched for count (not those
awaiting confirmation, nobody who is not on the roster); a retaken post-quiz never counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Row, Select, String, cast, select
from sqlalchemy.orm import aliased

from trainer.accounts.models import Member, Organisation
from trainer.database import Session
from trainer.learning.models import Course
from trainer.parsing import clamp_date
from trainer.quizzes.models import PHASES, Attempt
from trainer.timeutil import JST

# Which after-test attempt counts: the first submitted (default) or the best one.
POST_FIRST = "first"
POST_BEST = "best"
POST_ATTEMPTS = (POST_FIRST, POST_BEST)


@dataclass(frozen=True)
class StatsFilter:
    organisation_id: int | None = None
    organisation_kind: str | None = None
    job_type: str | None = None
    age_band: str | None = None
    date_from: date | None = None  # attempts submitted on or after this JST day
    date_to: date | None = None  # … and on or before this JST day
    post_attempt: str = POST_FIRST  # POST_FIRST or POST_BEST


# The columns first_attempts() reads, one row per learner and phase (SQLAlchemy rows, used as
# they come: building 40,000 objects of our own would cost more than the counting).
CountedAttempt = Row[
    int,  # member_id
    str,  # phase
    str | None,  # result_layout
    str | None,  # result_codes
    float | None,  # score
    int | None,  # max_score
    str | None,  # submitted_at, as ISO text (naive UTC)
    str,  # job_type
    str,  # age_band
    str,  # gender
    str,  # organisation_kind
]


def _submitted_attempts(
    network_id: int, course_id: int, filters: StatsFilter, phases: tuple[str, ...] = PHASES
) -> Select:
    """Every submitted attempt of the course under the filters, oldest first, with what the
    report needs of it and of its learner (the columns of CountedAttempt, in order)."""
    stmt = (
        select(
            Attempt.member_id,
            Attempt.phase,
            Attempt.result_layout,
            Attempt.result_codes,
            Attempt.score,
            Attempt.max_score,
            # As text: parsing 40,000 datetimes would cost more than the rest of a row; only the
            # earliest and the latest are parsed (ISO text sorts in time order).
            cast(Attempt.submitted_at, String).label("submitted_at"),
            Member.job_type,
            Member.age_band,
            Member.gender,
            Organisation.kind.label("organisation_kind"),
        )
        .join(Member, Member.id == Attempt.member_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(
            Attempt.course_id == course_id,
            # Before and after the training only: refresher tests are counted on their own.
            Attempt.phase.in_(phases),
            Attempt.status == "submitted",
            Member.network_id == network_id,
            # Only results someone has vouched for: not those awaiting the trainer's or the
            # secretariat's confirmation, and nobody who is not on the roster.
            Attempt.awaiting_confirmation.is_(False),
            Member.needs_review.is_(False),
        )
        .order_by(Attempt.id)
    )
    if filters.organisation_id:
        stmt = stmt.where(Member.organisation_id == filters.organisation_id)
    if filters.organisation_kind:
        stmt = stmt.where(Organisation.kind == filters.organisation_kind)
    if filters.job_type:
        stmt = stmt.where(Member.job_type == filters.job_type)
    if filters.age_band:
        stmt = stmt.where(Member.age_band == filters.age_band)
    # Clamped: the report's form refuses dates out of range, but these filters are built without
    # it too, and 9999-12-31 has no next day (nor 0001-01-01 a UTC midnight) to compare with.
    if filters.date_from:
        stmt = stmt.where(Attempt.submitted_at >= _utc_midnight(clamp_date(filters.date_from)))
    if filters.date_to:
        end = clamp_date(filters.date_to) + timedelta(days=1)
        stmt = stmt.where(Attempt.submitted_at < _utc_midnight(end))
    return stmt


def _utc_midnight(day: date) -> datetime:
    """The start of a Japanese calendar day as the naive UTC the columns store (a quiz taken at
    08:00 JST on 1 April belongs to 1 April, although it is still 31 March in UTC)."""
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(UTC).replace(tzinfo=None)


def _share(row: CountedAttempt) -> float:
    """The attempt's score as a fraction of its points (-1 when it has none: never the best)."""
    score, max_score = row[4], row[5]
    return score / max_score if score is not None and max_score else -1.0


def first_attempts(
    session: Session, *, network_id: int, course: Course, filters: StatsFilter | None = None
) -> list[CountedAttempt]:
    """One submitted attempt per learner and phase under the filters, with their attributes:
    the one query behind the report. Before: the first attempt. After: the first, or with
    POST_BEST the best (the earliest of equal scores). Picked here rather than with GROUP BY in
    SQL, which cost as much again as reading the rows."""
    filters = filters or StatsFilter()
    stmt = _submitted_attempts(network_id, course.id, filters)
    best_post = filters.post_attempt == POST_BEST
    # Core rows straight from the connection: the ORM's result processing would double the cost.
    chosen: dict[tuple[int, str], CountedAttempt] = {}
    for row in session.connection().execute(stmt):
        key = (row[0], row[1])
        held = chosen.get(key)
        if held is None:
            chosen[key] = row
        elif best_post and row[1] == "post" and _share(row) > _share(held):
            chosen[key] = row  # rows come oldest first: a tie keeps the earlier attempt
    return list(chosen.values())


def attempt_ids(
    session: Session,
    *,
    network_id: int,
    course: Course,
    filters: StatsFilter,
    phases: tuple[str, ...],
    takers_of: str | None = None,
) -> list[tuple[int, int, str, bool | None]]:
    """(attempt id, member id, phase, passed) of every submitted attempt of these phases under
    the report's filters, oldest first: the refresher section counts from these. With
    takers_of, only of the members who submitted an attempt of that phase (the refresher
    section needs no after-test of a member who never took a refresher test: at 100,000
    members that is 90,000 rows not read)."""
    stmt = _submitted_attempts(network_id, course.id, filters, phases).with_only_columns(
        Attempt.id, Attempt.member_id, Attempt.phase, Attempt.passed
    )
    if takers_of:
        took = aliased(Attempt)
        stmt = stmt.where(
            Attempt.member_id.in_(
                select(took.member_id).where(
                    took.course_id == course.id,
                    took.phase == takers_of,
                    took.status == "submitted",
                )
            )
        )
    return [(a, m, p, passed) for a, m, p, passed in session.execute(stmt)]
