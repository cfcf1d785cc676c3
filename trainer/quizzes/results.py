"""The result page of a submitted attempt: each question with the learner's answer and its
explanation, and the right rates per topic, before (the pre-quiz) and after."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from trainer.accounts.models import Member
from trainer.content.question_types import question_type
from trainer.content.quizzes import TOPICS, Question
from trainer.database import Session
from trainer.errors import Conflict
from trainer.learning.models import Course
from trainer.quizzes.attempts import submitted_attempts
from trainer.quizzes.models import Answer, Attempt, QuizQuestion
from trainer.quizzes.questions import answers_by_question, attempt_questions, question_of


@dataclass
class TopicRate:
    topic: str
    label: str
    before: float | None = None
    after: float | None = None


@dataclass
class ReviewItem:
    position: int
    question: Question
    row: QuizQuestion
    answer: Answer | None
    order: list[str] = field(default_factory=list)


@dataclass
class Result:
    attempt: Attempt
    items: list[ReviewItem]
    topics: list[TopicRate]
    pre_attempt: Attempt | None

    @property
    def scored_items(self) -> list[ReviewItem]:
        return [i for i in self.items if question_type(i.question.type).scored]


def _topic_rates(session: Session, attempt: Attempt | None) -> dict[str, float]:
    if attempt is None:
        return {}
    totals: dict[str, list[float]] = defaultdict(list)
    answered = answers_by_question(session, attempt)
    for row in attempt_questions(session, attempt):
        if question_type(row.type).scored:
            answer = answered.get(row.id)
            totals[row.topic].append(answer.score if answer else 0.0)
    return {t: sum(v) / len(v) for t, v in totals.items()}


def result(session: Session, member: Member, attempt: Attempt) -> Result:
    if attempt.status != "submitted":
        raise Conflict("このテストはまだ提出されていません。")
    course = session.get_one(Course, attempt.course_id)
    pre = submitted_attempts(session, member, course, "pre")
    pre_attempt = pre[0] if pre else None
    answered = answers_by_question(session, attempt)
    items = [
        ReviewItem(
            position=i,
            question=question_of(row),
            row=row,
            answer=answered.get(row.id),
            order=attempt.choice_order.get(str(row.id), []),
        )
        for i, row in enumerate(attempt_questions(session, attempt), start=1)
    ]
    now = _topic_rates(session, attempt)
    before = _topic_rates(session, pre_attempt) if attempt.phase == "post" else {}
    topics = [
        TopicRate(topic=t, label=TOPICS[t], before=before.get(t), after=now.get(t))
        for t in TOPICS
        if t in now
    ]
    return Result(attempt=attempt, items=items, topics=topics, pre_attempt=pre_attempt)
