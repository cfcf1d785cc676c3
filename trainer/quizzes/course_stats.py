"""Before/after statistics of one course in one network: per question, per Likert item, and
paired scores per learner, for the before/after report.

Each learner counts once per phase, with their first submitted attempt, or after the training
optionally their best one (stats_query.POST_BEST); a retaken post-quiz never counts twice. Only
the current versions of each question are counted: a question whose text changed is a new
question. Pre and post are paired by question key (the parallel forms share
keys) and by learner. One query picks the attempts; the counting is done on their result codes
(see CountedAttempts).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np
from sqlalchemy import select

from trainer.content.question_types import question_type
from trainer.content.quizzes import LIKERT_SCALES, TOPICS
from trainer.database import Session
from trainer.learning.models import Course
from trainer.quizzes import result_codes
from trainer.quizzes.models import QuizQuestion
from trainer.quizzes.questions import bank_of
from trainer.quizzes.statistics import PairedTable
from trainer.quizzes.stats_query import CountedAttempt, StatsFilter, first_attempts


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


_group_order = attrgetter("job_type", "age_band", "gender", "organisation_kind")


@dataclass(frozen=True)
class AnswerValueCount:
    question_id: int
    phase: str
    value: Any  # as stored: "a" (single), {"1": true, …} (truefalse)
    n: int  # learners who gave exactly this answer (first attempt per phase)


def _bank_ids(session: Session, slug: str | None, *, variants: bool = False) -> list[int]:
    bank = bank_of(session, slug)
    if bank is None:
        return []
    return bank.all_version_ids if variants else list(bank.question_ids)


_member_of = itemgetter(0)
_codes_of = itemgetter(3)
_score_of = itemgetter(4)
_max_score_of = itemgetter(5)


@dataclass(frozen=True)
class LayoutGroup:
    """The counted attempts of one phase that share a layout, row by row: the whole matrix, for
    figures that need a learner's other answers or score (the item analysis)."""

    phase: str
    question_ids: tuple[int, ...]
    members: np.ndarray
    packed: np.ndarray  # attempts × questions, -1 where left blank
    score: np.ndarray  # the attempt's points (float; NaN if it has none)
    max_score: np.ndarray  # the points possible (float; NaN if unknown)


class CountedAttempts:
    """The attempts a report counts, read in one query (one row per learner and phase), and
    every figure of the report counted from them.

    The answers come from each attempt's result codes (result_codes.py), not from the answer
    table. The codes of the attempts sharing a layout are fixed-width, so they are cut into a
    matrix of learners × questions with numpy and whole columns are counted at once: a report
    over 40,000 attempts costs one query and a few array operations, instead of a join over
    840,000 answers."""

    def __init__(self, rows: Sequence[CountedAttempt]) -> None:
        self.rows = rows
        # Per phase and question version: (member ids, packed codes); -1 where left blank.
        self._columns: dict[str, dict[int, list[tuple[np.ndarray, np.ndarray]]]] = {
            "pre": defaultdict(list),
            "post": defaultdict(list),
        }
        self.groups: list[LayoutGroup] = []
        # Bucketed in one pass, in the rows' order within a bucket (as a stable sort would give
        # them): there are only a few layouts, and sorting 170,000 rows by a key function cost
        # a third of this loop at 100,000 members.
        buckets: dict[tuple[str, str], list[CountedAttempt]] = {}
        for row in rows:
            key = (row[1], row[2] or "")  # phase, layout (none: submitted before codes existed)
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = []
            bucket.append(row)
        for (phase, layout), attempts in sorted(buckets.items(), key=itemgetter(0)):
            ids = result_codes.layout_ids(layout)
            if not ids:
                continue
            packed = result_codes.packed_matrix(list(map(_codes_of, attempts)), len(ids))
            members = np.fromiter(map(_member_of, attempts), np.int64, len(attempts))
            for position, question_id in enumerate(ids):
                self._columns[phase][question_id].append((members, packed[:, position]))
            # None becomes NaN in a float array.
            score = np.array(list(map(_score_of, attempts)), dtype=np.float64)
            max_score = np.array(list(map(_max_score_of, attempts)), dtype=np.float64)
            self.groups.append(LayoutGroup(phase, ids, members, packed, score, max_score))

    def answers(self, phase: str, question_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(member ids, packed codes) of the learners who answered these versions of one
        question in a phase. One attempt holds one version of a question; should a learner have
        answered two, the right one counts, as the highest mark always did."""
        parts = [part for qid in question_ids for part in self._columns[phase].get(qid, [])]
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        members = np.concatenate([m for m, _ in parts])
        packed = np.concatenate([p for _, p in parts])
        answered = packed >= 0
        members, packed = members[answered], packed[answered]
        if len(parts) > 1:
            # Sort by member, right answers last; keep each member's last row.
            order = np.lexsort((packed & 1, members))
            members, packed = members[order], packed[order]
            last = np.append(members[1:] != members[:-1], True)
            members, packed = members[last], packed[last]
        return members, packed

    # -- per question, Likert items, learners ------------------------------------------------

    def statistics(self, session: Session, course: Course) -> CourseStats:
        # With the variants served on retakes: a first attempt never has them, but the best
        # after-test may be a retake (stats_query.POST_BEST), and its answers count for the key.
        ids = {
            "pre": _bank_ids(session, course.pre_quiz, variants=True),
            "post": _bank_ids(session, course.post_quiz, variants=True),
        }
        survey_ids = _bank_ids(session, course.survey)
        rows = {
            q.id: q
            for q in session.scalars(
                select(QuizQuestion).where(
                    QuizQuestion.id.in_(ids["pre"] + ids["post"] + survey_ids)
                )
            )
        }
        questions = self._question_stats([rows[qid] for qid in ids["post"] + ids["pre"]])
        phases: dict[int, int] = defaultdict(int)
        for row in self.rows:  # by position: a Row's attribute lookup costs twice as much
            phases[row[0]] |= 1 if row[1] == "pre" else 2  # member_id, phase
        topics = [
            TopicStats(topic=t, label=label, questions=[q for q in questions if q.topic == t])
            for t, label in TOPICS.items()
            if any(q.topic == t for q in questions)
        ]
        return CourseStats(
            learners_pre=sum(p & 1 for p in phases.values()),
            learners_post=sum(p >> 1 for p in phases.values()),
            learners_paired=sum(p == 3 for p in phases.values()),
            questions=questions,
            topics=topics,
            likert=self._likert_stats([rows[qid] for qid in survey_ids]),
        )

    def _question_stats(self, banked: list[QuizQuestion]) -> list[QuestionStats]:
        """Right rates before and after, and the paired table, per question key of the scored
        questions, in the order of the post-quiz (falling back to the pre-quiz). A key's current
        versions in either bank count for it, in either phase."""
        by_key: dict[str, QuestionStats] = {}
        versions: dict[str, list[int]] = defaultdict(list)
        for q in banked:
            if question_type(q.type).statistics != "rate":
                continue
            if q.key not in by_key:
                by_key[q.key] = QuestionStats(key=q.key, topic=q.topic, text=q.body["text"])
            if q.id not in versions[q.key]:
                versions[q.key].append(q.id)
        for key, stats in by_key.items():
            pre_members, pre_codes = self.answers("pre", versions[key])
            post_members, post_codes = self.answers("post", versions[key])
            stats.pre_n, stats.pre_right = len(pre_codes), int((pre_codes & 1).sum())
            stats.post_n, stats.post_right = len(post_codes), int((post_codes & 1).sum())
            _, at_pre, at_post = np.intersect1d(
                pre_members, post_members, assume_unique=True, return_indices=True
            )
            # 0: wrong → wrong, 1: wrong → right, 2: right → wrong, 3: right → right.
            cells = np.bincount(
                (pre_codes[at_pre] & 1) * 2 + (post_codes[at_post] & 1), minlength=4
            )
            stats.paired = PairedTable(
                both_right=int(cells[3]),
                gained=int(cells[1]),
                lost=int(cells[2]),
                neither=int(cells[0]),
            )
        return list(by_key.values())

    def _likert_stats(self, survey: list[QuizQuestion]) -> list[LikertStats]:
        """How many learners chose each point of the scale, per survey item and phase."""
        likert: list[LikertStats] = []
        for q in survey:
            if question_type(q.type).statistics != "scale":
                continue
            labels = LIKERT_SCALES[q.body["scale"]]
            item = LikertStats(q.key, q.body["text"], labels, [0] * 5, [0] * 5)
            for phase in ("pre", "post"):
                _, packed = self.answers(phase, [q.id])
                values = np.bincount(packed >> 1, minlength=6)
                getattr(item, phase)[:] = [int(n) for n in values[1:6]]
            likert.append(item)
        return likert

    # -- paired scores per attribute combination -----------------------------------------------

    def score_groups(self) -> ScoreGroups:
        """Each learner's first pre and first post score, paired by learner, summed per
        combination of attributes (a few hundred groups at most). A plain loop over tuples:
        20,000 learners take a few tens of milliseconds."""
        scores: dict[str, dict[int, float | None]] = {"pre": {}, "post": {}}
        who: dict[int, tuple[str, str, str, str]] = {}
        for member, phase, _, _, score, max_score, _, job, age, gender, kind in self.rows:
            scores[phase][member] = score / max_score if score is not None and max_score else None
            who[member] = (job, age, gender, kind)
        groups: dict[tuple[str, str, str, str], ScoreGroup] = {}
        for member, attributes in who.items():
            group = groups.get(attributes)
            if group is None:
                group = groups[attributes] = ScoreGroup(*attributes)
            before, after = scores["pre"].get(member), scores["post"].get(member)
            group.pre_n += before is not None
            group.post_n += after is not None
            if before is None or after is None:
                continue
            group.paired_n += 1
            group.pre_sum += before
            group.post_sum += after
            if after - before > _SAME:
                group.improved += 1
            elif before - after > _SAME:
                group.worse += 1
            else:
                group.same += 1
        moments = [row[6] for row in self.rows if row[6] is not None]
        return ScoreGroups(
            sorted(groups.values(), key=_group_order),
            datetime.fromisoformat(min(moments)) if moments else None,
            datetime.fromisoformat(max(moments)) if moments else None,
        )

    # -- answer distributions -------------------------------------------------------------------

    def value_counts(self, session: Session, question_ids: list[int]) -> list[AnswerValueCount]:
        """How many learners gave each distinct answer, per question version and phase."""
        questions = session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(question_ids)))
        counted = []
        for q in questions:
            for phase in ("pre", "post"):
                _, packed = self.answers(phase, [q.id])
                numbers, counts = np.unique(packed >> 1, return_counts=True)
                for number, n in zip(numbers.tolist(), counts.tolist(), strict=True):
                    value = question_type(q.type).decode(q.body, number)
                    counted.append(AnswerValueCount(q.id, phase, value, n))
        return counted


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cycle collector paused while a report counts.

    Reading 40,000 rows allocates half a million objects, which sets off hundreds of
    collections, some of them full ones over the whole heap: a third of the report's time, for
    rows that hold no cycles and are freed by reference counting as soon as the counting is
    done. Collection resumes afterwards (and nothing is lost: cycles made meanwhile are
    collected then)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def counted_attempts(
    session: Session, *, network_id: int, course: Course, filters: StatsFilter | None = None
) -> CountedAttempts:
    """The attempts the report counts (stats_query.first_attempts), ready to be counted."""
    rows = first_attempts(session, network_id=network_id, course=course, filters=filters)
    return CountedAttempts(rows)
