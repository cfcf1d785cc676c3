"""Confirming who is on a seat: until someone vouches that a participant is the member their
seat names, every result they submit is kept but marked awaiting confirmation
(Attempt.awaiting_confirmation), and a pass gives a certificate in the pending state (確認中),
which /verify never shows as valid. Their personal link, the trainer (who sees them in the room)
or the secretariat's review (review.py) confirms them.

Confirming takes the participant row first, then the attempts, then the certificates. A submit
in the same workshop locks the participant row before it flips the attempt (answering.answer),
so the two take turns: either the submit sees the confirmation, or the confirmation waits for
the submit and then finds its result and certificate to confirm.
"""

from __future__ import annotations

from sqlalchemy import exists, select, update
from sqlalchemy.sql.elements import ColumnElement

from trainer.accounts.models import User
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.database import Session
from trainer.errors import NotFound
from trainer.quizzes.models import Attempt
from trainer.timeutil import utcnow
from trainer.workshops.models import Confirmation, Participant, Workshop


def lock_for_submit(session: Session, participant: Participant) -> None:
    """Hold the participant row until this transaction ends (PostgreSQL; SQLite writes take
    turns anyway), so that a confirmation and a submit never cross (see the module's note)."""
    session.execute(
        select(Participant.id).where(Participant.id == participant.id).with_for_update()
    )


def unconfirmed_clause() -> ColumnElement[bool]:
    """SQL, for the attempt being submitted: nobody has confirmed the participant who took it."""
    return exists(
        select(Participant.id).where(
            Participant.workshop_id == Attempt.workshop_id,
            Participant.member_id == Attempt.member_id,
            Participant.confirmed_via.is_(None),
        )
    )


def confirm(
    session: Session,
    workshop: Workshop,
    participants: list[Participant],
    via: Confirmation,
    actor: User | None,
) -> None:
    """Mark the participants confirmed, then their results and certificates in this workshop
    (in that order: see the module's note). Flush only: the caller commits."""
    if not participants:
        return
    ids = [p.id for p in participants]
    member_ids = [p.member_id for p in participants]
    now = utcnow()
    session.execute(
        update(Participant)
        .where(Participant.id.in_(ids), Participant.confirmed_via.is_(None))
        .values(
            confirmed_via=via.value, confirmed_by_id=actor.id if actor else None, confirmed_at=now
        )
    )
    # Every attempt of theirs in this workshop, not only those marked: an attempt being
    # submitted right now is locked by the submit, and this waits for it.
    session.execute(
        update(Attempt)
        .where(Attempt.workshop_id == workshop.id, Attempt.member_id.in_(member_ids))
        .values(awaiting_confirmation=False)
    )
    session.execute(
        update(Certificate)
        .where(
            Certificate.attempt_id.in_(
                select(Attempt.id).where(
                    Attempt.workshop_id == workshop.id, Attempt.member_id.in_(member_ids)
                )
            )
        )
        .values(awaiting_confirmation=False)
    )
    for participant in participants:
        session.refresh(participant)


def confirm_seats(
    session: Session, participants: list[Participant], via: Confirmation, actor: User | None
) -> None:
    """Confirm participants of any workshops (the secretariat's review). Flush only."""
    by_workshop: dict[int, list[Participant]] = {}
    for participant in participants:
        if participant.confirmed_via is None:
            by_workshop.setdefault(participant.workshop_id, []).append(participant)
    for group in by_workshop.values():
        confirm(session, group[0].workshop, group, via, actor)


def _participant_here(session: Session, workshop: Workshop, participant_id: int) -> Participant:
    participant = session.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop.id:
        raise NotFound("参加者が見つかりません。")
    return participant


def confirm_participant(
    session: Session, *, workshop: Workshop, participant_id: int, actor: User
) -> Participant:
    """The trainer saw this person in the room: their results count and a pass is valid (once
    they are on the roster: an entry not on it still waits for the secretariat)."""
    participant = _participant_here(session, workshop, participant_id)
    if participant.confirmed_via is not None:
        return participant
    confirm(session, workshop, [participant], Confirmation.TRAINER, actor)
    audit.record(
        session,
        actor=actor,
        action="workshop.participant_confirm",
        target_type="participant",
        target_id=participant.id,
        target_label=f"{participant.entered_name}（{participant.organisation.name}）",
        network_id=workshop.network_id,
        details={"workshop": workshop.title},
    )
    session.commit()
    return participant


def confirm_everyone(session: Session, *, workshop: Workshop, actor: User) -> int:
    """「全員を確認済みにする」: everyone joined and not confirmed yet, after a roll call."""
    participants = list(
        session.scalars(
            select(Participant).where(
                Participant.workshop_id == workshop.id, Participant.confirmed_via.is_(None)
            )
        )
    )
    if not participants:
        return 0
    confirm(session, workshop, participants, Confirmation.TRAINER, actor)
    audit.record(
        session,
        actor=actor,
        action="workshop.participants_confirm",
        target_type="workshop",
        target_id=workshop.id,
        target_label=workshop.title,
        network_id=workshop.network_id,
        details={"count": len(participants)},
    )
    session.commit()
    return len(participants)
