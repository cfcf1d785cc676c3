"""The report's filters: what the form offers, what was chosen, and how the report states them
(the line of conditions above the figures, and the period the answers cover)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from trainer.accounts.models import AgeBand, JobType, Organisation, OrganisationKind
from trainer.database import Session
from trainer.learning.models import Course
from trainer.quizzes.course_stats import StatsFilter
from trainer.quizzes.stats_query import POST_BEST, POST_FIRST
from trainer.timeutil import jdate, to_jst


@dataclass(frozen=True)
class ReportFilters:
    course_id: int | None = None
    organisation_id: int | None = None
    organisation_kind: str | None = None
    job_type: str | None = None
    age_band: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    post_attempt: str = POST_FIRST  # which after-test attempt counts (stats_query)

    @property
    def best_post(self) -> bool:
        return self.post_attempt == POST_BEST

    def stats_filter(self) -> StatsFilter:
        return StatsFilter(
            organisation_id=self.organisation_id,
            organisation_kind=self.organisation_kind,
            job_type=self.job_type,
            age_band=self.age_band,
            date_from=self.date_from,
            date_to=self.date_to,
            post_attempt=self.post_attempt,
        )


# The choice of the after-test attempt, as the form offers it and the report states it.
POST_ATTEMPT_LABELS = {POST_FIRST: "最初の受験", POST_BEST: "最も良い受験"}
POST_ATTEMPT_REASON = {
    POST_FIRST: "研修で身についたことを測るため、くり返し受けた分は入れていません。",
    POST_BEST: "くり返し受けた中で最も得点の高い回です（くり返し受けて覚えた分も入ります）。",
}


@dataclass(frozen=True)
class FilterOptions:
    courses: list[Course]
    organisations: list[Organisation]


def filter_options(session: Session, network_id: int) -> FilterOptions:
    """What the filter form offers: courses with a before and an after test, the organisations."""
    courses = list(
        session.scalars(
            select(Course)
            .where(
                Course.is_active.is_(True),
                Course.pre_quiz.is_not(None),
                Course.post_quiz.is_not(None),
            )
            .order_by(Course.title)
        )
    )
    organisations = list(
        session.scalars(
            select(Organisation)
            .where(Organisation.network_id == network_id)
            .order_by(Organisation.kind, Organisation.name)
        )
    )
    return FilterOptions(courses, organisations)


def label(kind: type[enum.Enum], value: str) -> str:
    """The Japanese label of a stored code; the code itself if the list no longer has it."""
    try:
        return kind(value).label  # type: ignore[attr-defined]
    except ValueError:
        return value


def period(filters: ReportFilters, first: datetime | None, last: datetime | None) -> str:
    """The days the figures cover: the chosen dates, else the days answers were submitted."""
    if filters.date_from or filters.date_to:
        start = jdate(filters.date_from) if filters.date_from else "はじめ"
        end = jdate(filters.date_to) if filters.date_to else "現在"
        return f"{start}〜{end}"
    if first is None or last is None:
        return "回答はまだありません"
    return f"{jdate(to_jst(first).date())}〜{jdate(to_jst(last).date())}（回答のあった期間）"


def filter_lines(
    session: Session, network_id: int, course: Course, filters: ReportFilters
) -> list[tuple[str, str]]:
    """What is in effect, as (label, value): every filter, 「すべて」 for one not chosen."""
    organisation = (
        session.scalar(
            select(Organisation).where(
                Organisation.id == filters.organisation_id, Organisation.network_id == network_id
            )
        )
        if filters.organisation_id
        else None
    )
    dates = "すべて"
    if filters.date_from or filters.date_to:
        dates = f"{jdate(filters.date_from) or 'はじめ'}〜{jdate(filters.date_to) or '現在'}"
    return [
        ("研修", course.title),
        ("構成団体", organisation.name if organisation else "すべて"),
        (
            "構成団体の種類",
            label(OrganisationKind, filters.organisation_kind)
            if filters.organisation_kind
            else "すべて",
        ),
        ("職種", label(JobType, filters.job_type) if filters.job_type else "すべて"),
        ("年代", label(AgeBand, filters.age_band) if filters.age_band else "すべて"),
        ("回答日", dates),
        ("事後テスト", POST_ATTEMPT_LABELS.get(filters.post_attempt, filters.post_attempt)),
    ]
