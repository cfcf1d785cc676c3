"""The questions of an attempt: the banks' current versions, each stored version as the pure
dataclass that grading reads (cached, since versions never change), and the answers stored."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.engine import Engine

from trainer.content.quizzes import Case, Choice, Question
from trainer.database import Session
from trainer.errors import NotFound
from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion


def bank_of(session: Session, slug: str | None) -> QuizBank | None:
    return session.scalar(select(QuizBank).where(QuizBank.slug == slug)) if slug else None


def question_of(row: QuizQuestion) -> Question:
    """The stored version as the pure dataclass that grading understands."""
    body = row.body
    return Question(
        id=row.key,
        type=row.type,
        topic=row.topic,
        text=body["text"],
        explanation=body.get("explanation", ""),
        choices=tuple(Choice(c["key"], c["text"], c["correct"]) for c in body.get("choices", [])),
        cases=tuple(Case(c["key"], c["text"], c["answer"]) for c in body.get("cases", [])),
        scale=body.get("scale"),
        required=body.get("required", True),
        variant=body.get("variant", 1),
    )


def attempt_questions(session: Session, attempt: Attempt) -> list[QuizQuestion]:
    rows = {
        q.id: q
        for q in session.scalars(
            select(QuizQuestion).where(QuizQuestion.id.in_(attempt.question_ids))
        )
    }
    return [rows[i] for i in attempt.question_ids]


_question_cache: WeakKeyDictionary[Engine, dict[int, Question]] = WeakKeyDictionary()


def cached_question(session: Session, question_id: int) -> Question:
    """A question version as grading sees it, kept per database for the life of the process:
    versions never change (a changed question is a new row: trainer/courses/loading.py)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    known = _question_cache.setdefault(engine, {})
    question = known.get(question_id)
    if question is None:
        row = session.get(QuizQuestion, question_id)
        if row is None:
            raise NotFound("問題が見つかりません。")
        question = known[question_id] = question_of(row)
    return question


def answers_by_question(session: Session, attempt: Attempt) -> dict[int, Answer]:
    return {
        a.question_id: a
        for a in session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }


def missing_positions(session: Session, attempt: Attempt) -> list[int]:
    """1-based positions of required questions not answered yet."""
    answered = answers_by_question(session, attempt)
    return [
        i
        for i, question_id in enumerate(attempt.question_ids, start=1)
        if question_id not in answered and cached_question(session, question_id).required
    ]
