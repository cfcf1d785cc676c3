"""The satisfaction survey at the end of a workshop: each participant's answers, and the summary
that the trainer and (without the comments) the projector show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainer.database import Session
from trainer.errors import Conflict, DomainError
from trainer.text import clean_multiline
from trainer.timeutil import utcnow
from trainer.workshops.models import Participant, Phase, Workshop, WorkshopFeedback

SATISFACTION_LABELS = ("良くなかった", "あまり良くなかった", "ふつう", "良かった", "とても良かった")
UNDERSTANDING_LABELS = (
    "理解できなかった",
    "あまり理解できなかった",
    "どちらともいえない",
    "おおむね理解できた",
    "よく理解できた",
)


def save_feedback(
    session: Session,
    *,
    participant: Participant,
    satisfaction: str,
    understanding: str,
    comment: str,
) -> WorkshopFeedback:
    phase = participant.workshop.current_phase
    if phase is not Phase.SURVEY:
        raise Conflict(
            f"いまはアンケートの時間ではありません（現在は「{phase.label}」です）。"
            "回答は保存されていません。"
        )
    values = {}
    for name, raw in (("satisfaction", satisfaction), ("understanding", understanding)):
        if raw not in {"1", "2", "3", "4", "5"}:
            raise DomainError("5つの中から選んでください。", name)
        values[name] = int(raw)
    comment = clean_multiline(comment)  # a textarea: its line breaks stay
    if len(comment) > 2000:
        raise DomainError("感想は2000文字以内で入力してください。", "comment")
    feedback = session.get(WorkshopFeedback, participant.id)
    if feedback is None:
        feedback = WorkshopFeedback(participant_id=participant.id)
        session.add(feedback)
    feedback.satisfaction = values["satisfaction"]
    feedback.understanding = values["understanding"]
    feedback.comment = comment
    feedback.answered_at = utcnow()
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # sent twice at once: send it again over the first
        return save_feedback(
            session,
            participant=participant,
            satisfaction=satisfaction,
            understanding=understanding,
            comment=comment,
        )
    return feedback


def feedback_of(session: Session, participant: Participant) -> WorkshopFeedback | None:
    return session.get(WorkshopFeedback, participant.id)


@dataclass
class Distribution:
    label: str
    scale: tuple[str, ...]
    counts: list[int]  # for 1..5

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        return sum((i + 1) * c for i, c in enumerate(self.counts)) / self.n if self.n else None


@dataclass
class FeedbackSummary:
    satisfaction: Distribution
    understanding: Distribution
    comments: list[str]


def feedback_summary(session: Session, workshop: Workshop) -> FeedbackSummary:
    rows = session.execute(
        select(
            WorkshopFeedback.satisfaction, WorkshopFeedback.understanding, WorkshopFeedback.comment
        )
        .join(Participant, Participant.id == WorkshopFeedback.participant_id)
        .where(Participant.workshop_id == workshop.id)
        .order_by(WorkshopFeedback.answered_at)
    ).all()
    satisfaction = Distribution("研修の感想", SATISFACTION_LABELS, [0] * 5)
    understanding = Distribution("理解できましたか", UNDERSTANDING_LABELS, [0] * 5)
    comments = []
    for s, u, comment in rows:
        satisfaction.counts[s - 1] += 1
        understanding.counts[u - 1] += 1
        if comment:
            comments.append(comment)
    return FeedbackSummary(satisfaction, understanding, comments)
