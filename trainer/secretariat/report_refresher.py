"""The report's refresher section (更新研修): counted apart from the before/after figures, which
never include a refresher test (stats_query counts only the pre and post phases).

How many refresher tests were taken and passed, and retention: for each member who has both a
submitted after-test (their first) and a refresher test (their first), under the report's filters,
the share of points on the questions both asked (paired by question key, whatever the
version), at first training and at the refresher; averaged over those members, and per topic."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from trainer.accounts.models import Network
from trainer.content.question_types import question_type
from trainer.content.quizzes import TOPICS
from trainer.database import Session
from trainer.learning.models import Course
from trainer.quizzes.models import REFRESHER, Answer, Attempt, QuizQuestion
from trainer.quizzes.stats_query import StatsFilter, attempt_ids


@dataclass(frozen=True)
class RetentionTopic:
    label: str
    n: int  # paired members who were asked this topic in both
    post_percent: float
    refresher_percent: float


@dataclass
class RefresherFigures:
    attempts: int = 0  # refresher tests submitted
    passes: int = 0
    members: int = 0  # members who took one
    paired: int = 0  # members with a counted after-test and a refresher test
    post_percent: float | None = None  # their points on the shared questions, at first training
    refresher_percent: float | None = None  # … and at the refresher
    topics: list[RetentionTopic] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.post_percent is None or self.refresher_percent is None:
            return None
        return self.refresher_percent - self.post_percent


def refresher_figures(
    session: Session, *, network: Network, course: Course, filters: StatsFilter
) -> RefresherFigures:
    rows = attempt_ids(
        session,
        network_id=network.id,
        course=course,
        filters=filters,
        phases=("post", REFRESHER),
        takers_of=REFRESHER,
    )
    refreshers = [r for r in rows if r[2] == REFRESHER]
    figures = RefresherFigures(
        attempts=len(refreshers),
        passes=sum(1 for r in refreshers if r[3]),
        members=len({r[1] for r in refreshers}),
    )
    first: dict[tuple[int, str], int] = {}
    for attempt_id, member_id, phase, _ in rows:  # oldest first
        first.setdefault((member_id, phase), attempt_id)
    pairs = {
        member_id: (post_id, first[(member_id, REFRESHER)])
        for (member_id, phase), post_id in first.items()
        if phase == "post" and (member_id, REFRESHER) in first
    }
    _retention(session, figures, pairs)
    return figures


def _scores(session: Session, ids: list[int]) -> dict[int, dict[str, tuple[str, float]]]:
    """Per attempt: question key → (topic, points) for its scored questions (0 if unanswered)."""
    found: dict[int, dict[str, tuple[str, float]]] = defaultdict(dict)
    asked = session.execute(select(Attempt.id, Attempt.question_ids).where(Attempt.id.in_(ids)))
    asked_ids = {attempt_id: list(qids) for attempt_id, qids in asked}
    versions = {
        q.id: q
        for q in session.scalars(
            select(QuizQuestion).where(
                QuizQuestion.id.in_({q for qids in asked_ids.values() for q in qids})
            )
        )
    }
    points = {
        (a, q): s
        for a, q, s in session.execute(
            select(Answer.attempt_id, Answer.question_id, Answer.score).where(
                Answer.attempt_id.in_(ids)
            )
        )
    }
    for attempt_id, qids in asked_ids.items():
        for qid in qids:
            version = versions[qid]
            if question_type(version.type).scored:
                found[attempt_id][version.key] = (version.topic, points.get((attempt_id, qid), 0.0))
    return found


def _retention(
    session: Session, figures: RefresherFigures, pairs: dict[int, tuple[int, int]]
) -> None:
    scores = _scores(session, [i for pair in pairs.values() for i in pair])
    post_shares, refresher_shares = [], []
    by_topic: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for post_id, refresher_id in pairs.values():
        before, after = scores.get(post_id, {}), scores.get(refresher_id, {})
        shared = sorted(set(before) & set(after))
        if not shared:
            continue
        post_shares.append(sum(before[k][1] for k in shared) / len(shared))
        refresher_shares.append(sum(after[k][1] for k in shared) / len(shared))
        topics: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for key in shared:
            topics[before[key][0]].append((before[key][1], after[key][1]))
        for topic, values in topics.items():
            by_topic[topic].append(
                (sum(v[0] for v in values) / len(values), sum(v[1] for v in values) / len(values))
            )
    figures.paired = len(post_shares)
    if post_shares:
        figures.post_percent = 100 * sum(post_shares) / len(post_shares)
        figures.refresher_percent = 100 * sum(refresher_shares) / len(refresher_shares)
    order = {topic: n for n, topic in enumerate(TOPICS)}
    figures.topics = [
        RetentionTopic(
            label=TOPICS.get(topic, topic),
            n=len(values),
            post_percent=100 * sum(v[0] for v in values) / len(values),
            refresher_percent=100 * sum(v[1] for v in values) / len(values),
        )
        for topic, values in sorted(by_topic.items(), key=lambda t: order.get(t[0], len(order)))
    ]
