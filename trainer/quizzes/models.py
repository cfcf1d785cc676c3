"""Question banks and questions as loaded from files (versioned), attempts and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import Model, db
from trainer.timeutil import utcnow

PHASES = ("pre", "post")
# The refresher test before a certificate runs out (trainer/refresher): the after-test's form,
# in versions the member has not seen, graded like it; never counted in the before/after report.
REFRESHER = "refresher"


class QuizBank(Model):
    """A question bank from quizzes/<slug>.yaml; its current question order and settings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    shuffle: Mapped[bool] = mapped_column(default=False)
    # The current versions, in file order: [QuizQuestion.id, …]
    question_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The current versions of each question's other variants, for retakes: {key: [id, …]}.
    variant_ids: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    source_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def all_version_ids(self) -> list[int]:
        """Every current version of the bank's questions: as written, then the variants."""
        return list(self.question_ids) + [i for ids in self.variant_ids.values() for i in ids]


class QuizQuestion(Model):
    """One version of a question. A question whose text, choices or answers change gets a new
    row (new content hash), so earlier answers keep pointing at what was actually asked."""

    __table_args__ = (UniqueConstraint("bank_id", "key", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("quiz_bank.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))  # the id in the file: pairs pre and post
    content_hash: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # text, choices, cases, scale, explanation
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    bank: Mapped[QuizBank] = relationship()


class Attempt(Model):
    """A member's attempt at the pre- or post-quiz of a course (with the attitude survey).

    The questions and the order their choices were shown in are fixed when the attempt starts.
    At most one attempt per member, course and phase is open at a time (partial unique index);
    submitting flips status from open to submitted once, whatever the number of requests.
    """

    __table_args__ = (
        Index(
            "uq_attempt_one_open",
            "member_id",
            "course_id",
            "phase",
            unique=True,
            sqlite_where=db.text("status = 'open'"),
            postgresql_where=db.text("status = 'open'"),
        ),
        Index("ix_attempt_course_phase_status", "course_id", "phase", "status"),
        # A member's confirmed submitted attempts of a course and phase, answered from the index
        # alone: the completion status's EXISTS probes (secretariat/completion_status.py).
        Index(
            "ix_attempt_member_course",
            "member_id",
            "course_id",
            "phase",
            "status",
            "awaiting_confirmation",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    # The workshop the attempt was taken in (the context); None when taken on one's own.
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshop.id"), index=True)
    phase: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="open")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    question_ids: Mapped[list[int]] = mapped_column(JSON)
    choice_order: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None]
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The answers in one line, written at submit time for the statistics (result_codes.py).
    result_layout: Mapped[str | None] = mapped_column(Text)
    result_codes: Mapped[str | None] = mapped_column(Text)
    # Set when submitted by a workshop participant whom nobody had confirmed yet (a typed name):
    # the result is kept but counts for nobody until the trainer or the secretariat confirms it.
    awaiting_confirmation: Mapped[bool] = mapped_column(default=False, server_default=false())

    answers: Mapped[list[Answer]] = relationship(back_populates="attempt")

    @property
    def percent(self) -> int | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score)


class Answer(Model):
    """The learner's answer to one question version in one attempt, scored when saved."""

    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id"),
        # Covers the statistics: answers of the counted attempts, without touching the table.
        Index("ix_answer_attempt_cover", "attempt_id", "question_id", "fully_right", "likert"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_question.id"))
    value: Mapped[Any] = mapped_column(JSON)
    # Likert answers as a plain number too, so distributions are a GROUP BY on any database.
    likert: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    fully_right: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    question: Mapped[QuizQuestion] = relationship()
