"""The trainer's list of who joined a workshop and how each of them did: their tests, their
survey, their certificate. The control page and the exports show the same rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trainer.certificates.models import Certificate
from trainer.database import Session
from trainer.quizzes.models import Attempt
from trainer.workshops.models import Participant, Workshop, WorkshopFeedback


@dataclass
class ParticipantRow:
    participant: Participant
    pre: Attempt | None
    post: Attempt | None
    feedback: WorkshopFeedback | None
    certificate_serial: str | None
    certificate_pending: bool = False  # 確認中: nobody confirmed who passed, or not on the roster


def participant_rows(session: Session, workshop: Workshop) -> list[ParticipantRow]:
    participants = list(
        session.scalars(
            select(Participant)
            .where(Participant.workshop_id == workshop.id)
            .options(selectinload(Participant.member), selectinload(Participant.organisation))
            .order_by(Participant.joined_at, Participant.id)
        )
    )
    attempts = {
        (a.member_id, a.phase): a
        for a in session.scalars(select(Attempt).where(Attempt.workshop_id == workshop.id))
    }
    feedback = {
        f.participant_id: f
        for f in session.scalars(
            select(WorkshopFeedback).where(
                WorkshopFeedback.participant_id.in_([p.id for p in participants])
            )
        )
    }
    post_ids = [a.id for (_, phase), a in attempts.items() if phase == "post"]
    issued = {
        c.attempt_id: c
        for c in session.scalars(select(Certificate).where(Certificate.attempt_id.in_(post_ids)))
    }
    rows = []
    for p in participants:
        post = attempts.get((p.member_id, "post"))
        certificate = issued.get(post.id) if post else None
        rows.append(
            ParticipantRow(
                participant=p,
                pre=attempts.get((p.member_id, "pre")),
                post=post,
                feedback=feedback.get(p.id),
                certificate_serial=certificate.serial_label if certificate else None,
                certificate_pending=bool(
                    certificate
                    and (certificate.awaiting_confirmation or p.member.needs_review)
                    and certificate.revoked_at is None
                ),
            )
        )
    return rows
