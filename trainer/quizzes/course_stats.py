"""Before/after statistics of one course in one network, counted in SQL.

Each learner counts once per phase, with their first submitted attempt (a retaken post-quiz does
not count twice). Only the current version of each question is counted: a question whose text
changed is a new question. Pre and post are paired by question id (the parallel forms share
ids) and by learner. The secretariat dashboard and the workshop projector read these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, Text, and_, case, cast, func, select
from sqlalchemy.orm import Session

from trainer.accounts.models import Member, Organisation
from trainer.content.quizzes import LIKERT_SCALES, TOPICS
from trainer.learning.models import Course
from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion
from trainer.quizzes.statistics import PairedTable
from trainer.timeutil import JST


@dataclass(frozen=True)
class StatsFilter:
    organisation_id: int | None = None
    organisation_kind: str | None = None
    job_type: str | None = None
    age_band: str | None = None
    date_from: date | None = None  # attempts submitted on or after this JST day
    date_to: date | None = None  # … and on or before this JST day


@dataclass
class QuestionStats:
    key: str
    topic: str
    text: str
    pre_n: int = 0
    pre_right: int = 0
    post_n: int = 0
    post_right: int = 0
    paired: PairedTable = field(default_factory=lambda: PairedTable(0, 0, 0, 0))

    @property
    def pre_rate(self) -> float | None:
        return self.pre_right / self.pre_n if self.pre_n else None

    @property
    def post_rate(self) -> float | None:
        return self.post_right / self.post_n if self.post_n else None


@dataclass
class TopicStats:
    topic: str
    label: str
    questions: list[QuestionStats]

    def _sum(self, name: str) -> int:
        return sum(getattr(q, name) for q in self.questions)

    @property
    def pre_rate(self) -> float | None:
        n = self._sum("pre_n")
        return self._sum("pre_right") / n if n else None

    @property
    def post_rate(self) -> float | None:
        n = self._sum("post_n")
        return self._sum("post_right") / n if n else None

    @property
    def paired(self) -> PairedTable:
        return PairedTable(
            both_right=sum(q.paired.both_right for q in self.questions),
            gained=sum(q.paired.gained for q in self.questions),
            lost=sum(q.paired.lost for q in self.questions),
            neither=sum(q.paired.neither for q in self.questions),
        )

    @property
    def normalised_gain(self) -> float | None:
        return self.paired.normalised_gain


@dataclass
class LikertStats:
    key: str
    text: str
    labels: tuple[str, ...]
    pre: list[int]  # counts for 1..5
    post: list[int]


@dataclass
class CourseStats:
    learners_pre: int
    learners_post: int
    learners_paired: int
    questions: list[QuestionStats]
    topics: list[TopicStats]
    likert: list[LikertStats]


def _first_attempts(network_id: int, course_id: int, filters: StatsFilter) -> Select:
    """Each learner's first submitted attempt per phase: (member_id, phase, attempt_id)."""
    stmt = (
        select(Attempt.member_id, Attempt.phase, func.min(Attempt.id).label("attempt_id"))
        .join(Member, Member.id == Attempt.member_id)
        .where(
            Attempt.course_id == course_id,
            Attempt.status == "submitted",
            Member.network_id == network_id,
        )
        .group_by(Attempt.member_id, Attempt.phase)
    )
    if filters.organisation_id:
        stmt = stmt.where(Member.organisation_id == filters.organisation_id)
    if filters.organisation_kind:
        stmt = stmt.join(Organisation, Organisation.id == Member.organisation_id).where(
            Organisation.kind == filters.organisation_kind
        )
    if filters.job_type:
        stmt = stmt.where(Member.job_type == filters.job_type)
    if filters.age_band:
        stmt = stmt.where(Member.age_band == filters.age_band)
    if filters.date_from:
        stmt = stmt.where(Attempt.submitted_at >= _utc_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Attempt.submitted_at < _utc_midnight(filters.date_to + timedelta(days=1)))
    return stmt


def _utc_midnight(day: date) -> datetime:
    """The start of a Japanese calendar day as the naive UTC the columns store (a quiz taken at
    08:00 JST on 1 April belongs to 1 April, although it is still 31 March in UTC)."""
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(UTC).replace(tzinfo=None)


def _bank_ids(session: Session, slug: str | None) -> list[int]:
    bank = session.scalar(select(QuizBank).where(QuizBank.slug == slug)) if slug else None
    return list(bank.question_ids) if bank else []


def course_statistics(
    session: Session, *, network_id: int, course: Course, filters: StatsFilter | None = None
) -> CourseStats:
    filters = filters or StatsFilter()
    first = _first_attempts(network_id, course.id, filters or StatsFilter()).subquery("first")
    ids = {"pre": _bank_ids(session, course.pre_quiz), "post": _bank_ids(session, course.post_quiz)}
    survey_ids = _bank_ids(session, course.survey)
    rows = {
        q.id: q
        for q in session.scalars(
            select(QuizQuestion).where(QuizQuestion.id.in_(ids["pre"] + ids["post"] + survey_ids))
        )
    }
    scored = [i for i in ids["pre"] + ids["post"] if rows[i].type != "likert"]

    # One pass over the answers: per question key and learner, right before / right after
    # (NULL when that phase was not answered); then one row per key with every count.
    # The question id → key mapping is a CASE, not a join: one less table in the hot query.
    keys = sorted({rows[i].key for i in scored})
    key_of = case({qid: keys.index(rows[qid].key) for qid in scored}, value=Answer.question_id)
    right = case((Answer.fully_right, 1), else_=0)
    per_learner = (
        select(
            key_of.label("key"),
            func.max(case((first.c.phase == "pre", right))).label("pre"),
            func.max(case((first.c.phase == "post", right))).label("post"),
        )
        .select_from(Answer)
        .join(first, first.c.attempt_id == Answer.attempt_id)
        .where(Answer.question_id.in_(scored))
        .group_by(key_of, first.c.member_id)
        .subquery("per_learner")
    )
    pre, post = per_learner.c.pre, per_learner.c.post
    counted = session.execute(
        select(
            per_learner.c.key,
            func.count(pre),
            func.sum(pre),
            func.count(post),
            func.sum(post),
            func.sum(case((and_(pre == 1, post == 1), 1), else_=0)),
            func.sum(case((and_(pre == 0, post == 1), 1), else_=0)),
            func.sum(case((and_(pre == 1, post == 0), 1), else_=0)),
            func.sum(case((and_(pre == 0, post == 0), 1), else_=0)),
        ).group_by(per_learner.c.key)
    ).all()

    # Rows per question key, in the order of the post-quiz (falling back to the pre-quiz).
    by_key: dict[str, QuestionStats] = {}
    for qid in ids["post"] + ids["pre"]:
        q = rows[qid]
        if q.type != "likert" and q.key not in by_key:
            by_key[q.key] = QuestionStats(key=q.key, topic=q.topic, text=q.body["text"])
    for index, pre_n, pre_right, post_n, post_right, both, gained, lost, neither in counted:
        stats = by_key[keys[index]]
        stats.pre_n, stats.pre_right = int(pre_n), int(pre_right or 0)
        stats.post_n, stats.post_right = int(post_n), int(post_right or 0)
        stats.paired = PairedTable(int(both), int(gained), int(lost), int(neither))

    likert: dict[int, LikertStats] = {}
    for qid in survey_ids:
        q = rows[qid]
        if q.type == "likert":
            labels = LIKERT_SCALES[q.body["scale"]]
            likert[qid] = LikertStats(q.key, q.body["text"], labels, [0] * 5, [0] * 5)
    for question_id, phase, value, n in session.execute(
        select(Answer.question_id, first.c.phase, Answer.likert, func.count())
        .join(first, first.c.attempt_id == Answer.attempt_id)
        .where(Answer.question_id.in_(list(likert)), Answer.likert.is_not(None))
        .group_by(Answer.question_id, first.c.phase, Answer.likert)
    ):
        getattr(likert[question_id], phase)[int(value) - 1] = int(n)

    by_member = (
        select(
            first.c.member_id,
            func.max(case((first.c.phase == "pre", 1), else_=0)).label("pre"),
            func.max(case((first.c.phase == "post", 1), else_=0)).label("post"),
        )
        .group_by(first.c.member_id)
        .subquery("by_member")
    )
    learners_pre, learners_post, learners_paired = session.execute(
        select(
            func.coalesce(func.sum(by_member.c.pre), 0),
            func.coalesce(func.sum(by_member.c.post), 0),
            func.coalesce(func.sum(by_member.c.pre * by_member.c.post), 0),
        )
    ).one()
    questions = list(by_key.values())
    topics = [
        TopicStats(topic=t, label=label, questions=[q for q in questions if q.topic == t])
        for t, label in TOPICS.items()
        if any(q.topic == t for q in questions)
    ]
    return CourseStats(
        learners_pre=int(learners_pre),
        learners_post=int(learners_post),
        learners_paired=int(learners_paired),
        questions=questions,
        topics=topics,
        likert=list(likert.values()),
    )


# --- The before/after report (secretariat): paired scores per person, answer distributions -----


@dataclass
class ScoreGroup:
    """The learners who share one combination of attributes: how many answered before, after,
    and both (paired), and the paired learners' scores (as sums of 0..1 fractions, so groups can
    be added up into any breakdown in Python without another query)."""

    job_type: str
    age_band: str
    gender: str
    organisation_kind: str
    pre_n: int = 0
    post_n: int = 0
    paired_n: int = 0
    pre_sum: float = 0.0
    post_sum: float = 0.0
    improved: int = 0
    same: int = 0
    worse: int = 0


@dataclass
class ScoreGroups:
    groups: list[ScoreGroup]
    first_submitted: datetime | None  # the counted attempts' span (naive UTC)
    last_submitted: datetime | None


# Scores are fractions of float points (partial credit): two scores this close are the same.
_SAME = 1e-9


def paired_scores(
    session: Session, *, network_id: int, course: Course, filters: StatsFilter | None = None
) -> ScoreGroups:
    """Each learner's first pre and first post score, paired by learner, counted per attribute
    combination in one GROUP BY (a few hundred rows at most, whatever the number of learners)."""
    first = _first_attempts(network_id, course.id, filters or StatsFilter()).subquery("first")
    fraction = Attempt.score / func.nullif(Attempt.max_score, 0)
    per_member = (
        select(
            first.c.member_id,
            func.max(case((first.c.phase == "pre", fraction))).label("pre"),
            func.max(case((first.c.phase == "post", fraction))).label("post"),
            func.min(Attempt.submitted_at).label("first_at"),
            func.max(Attempt.submitted_at).label("last_at"),
        )
        .join(Attempt, Attempt.id == first.c.attempt_id)
        .group_by(first.c.member_id)
        .subquery("per_member")
    )
    pre, post = per_member.c.pre, per_member.c.post
    both = and_(pre.is_not(None), post.is_not(None))
    rows = session.execute(
        select(
            Member.job_type,
            Member.age_band,
            Member.gender,
            Organisation.kind,
            func.count(pre),
            func.count(post),
            func.sum(case((both, 1), else_=0)),
            func.sum(case((both, pre), else_=0.0)),
            func.sum(case((both, post), else_=0.0)),
            func.sum(case((and_(both, post - pre > _SAME), 1), else_=0)),
            func.sum(case((and_(both, func.abs(post - pre) <= _SAME), 1), else_=0)),
            func.sum(case((and_(both, pre - post > _SAME), 1), else_=0)),
            func.min(per_member.c.first_at),
            func.max(per_member.c.last_at),
        )
        .select_from(per_member)
        .join(Member, Member.id == per_member.c.member_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .group_by(Member.job_type, Member.age_band, Member.gender, Organisation.kind)
    ).all()
    groups = [
        ScoreGroup(
            job_type=job,
            age_band=age,
            gender=gender,
            organisation_kind=kind,
            pre_n=int(pre_n),
            post_n=int(post_n),
            paired_n=int(paired or 0),
            pre_sum=float(pre_sum or 0),
            post_sum=float(post_sum or 0),
            improved=int(improved or 0),
            same=int(same or 0),
            worse=int(worse or 0),
        )
        for job, age, gender, kind, pre_n, post_n, paired, pre_sum, post_sum, improved, same, worse, _, _ in rows  # noqa: E501
    ]
    starts = [row[-2] for row in rows if row[-2] is not None]
    ends = [row[-1] for row in rows if row[-1] is not None]
    return ScoreGroups(groups, min(starts, default=None), max(ends, default=None))


@dataclass(frozen=True)
class AnswerValueCount:
    question_id: int
    phase: str
    value: Any  # as stored: "a" (single), {"1": true, …} (truefalse)
    n: int  # learners who gave exactly this answer (first attempt per phase)


def answer_value_counts(
    session: Session,
    *,
    network_id: int,
    course: Course,
    question_ids: list[int],
    filters: StatsFilter | None = None,
) -> list[AnswerValueCount]:
    """How many learners gave each distinct answer, per question and phase.

    Counted in SQL on the JSON as text (GROUP BY works on any database); a single-choice or
    true/false question has only a handful of distinct answers, parsed here in Python."""
    if not question_ids:
        return []
    first = _first_attempts(network_id, course.id, filters or StatsFilter()).subquery("first")
    as_text = cast(Answer.value, Text)
    rows = session.execute(
        select(Answer.question_id, first.c.phase, as_text, func.count())
        .join(first, first.c.attempt_id == Answer.attempt_id)
        .where(Answer.question_id.in_(question_ids))
        .group_by(Answer.question_id, first.c.phase, as_text)
    ).all()
    return [
        AnswerValueCount(int(qid), phase, json.loads(text), int(n))
        for qid, phase, text, n in rows
        if text is not None
    ]
