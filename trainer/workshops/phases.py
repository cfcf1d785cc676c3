"""The trainer moves the workshop through its phases; every phone follows.

The phase is a column (models.py), so any worker on any host serves any phone the same phase.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from trainer.accounts.models import Member, User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict, DomainError
from trainer.quizzes import attempts as quizzes
from trainer.timeutil import utcnow
from trainer.workshops.models import PHASE_ORDER, Participant, Phase, Workshop


def allowed_moves(phase: Phase) -> list[Phase]:
    """Forward one step, or back one step to undo a click too early. 終了 is final."""
    if phase is Phase.CLOSED:
        return []
    i = phase.position
    moves = [PHASE_ORDER[i + 1]]
    if i > 0:
        moves.append(PHASE_ORDER[i - 1])
    return moves


def move_phase(
    session: Session, *, workshop: Workshop, from_phase: str, to_phase: str, actor: User
) -> Workshop:
    """Move from the phase the trainer saw to the one chosen. The UPDATE is conditional on the
    phase seen, so a double click, or two trainers clicking at once, moves it one step only."""
    try:
        seen, wanted = Phase(from_phase), Phase(to_phase)
    except ValueError:
        raise DomainError("段階を選び直してください。") from None
    if wanted not in allowed_moves(seen):
        raise DomainError(f"「{seen.label}」から「{wanted.label}」へは進められません。")
    # An UPDATE's result is a CursorResult, which alone has rowcount; execute() is typed for
    # every statement.
    moved = cast(
        CursorResult[Any],
        session.execute(
            update(Workshop)
            .where(Workshop.id == workshop.id, Workshop.phase == seen.value)
            .values(phase=wanted.value, phase_changed_at=utcnow())
        ),
    )
    if moved.rowcount != 1:
        session.rollback()
        session.refresh(workshop)
        if workshop.phase == wanted.value:
            return workshop  # the same click arrived twice
        raise Conflict(
            f"ほかの操作で段階が「{workshop.current_phase.label}」に変わっています。"
            "画面を確かめてから操作してください。"
        )
    audit.record(
        session,
        actor=actor,
        action="workshop.phase",
        target_type="workshop",
        target_id=workshop.id,
        target_label=workshop.title,
        network_id=workshop.network_id,
        details={"from": seen.label, "to": wanted.label},
    )
    session.commit()
    session.refresh(workshop)
    if wanted in (Phase.PRE, Phase.POST):
        members = list(
            session.scalars(
                select(Member)
                .join(Participant, Participant.member_id == Member.id)
                .where(Participant.workshop_id == workshop.id)
            )
        )
        quizzes.open_workshop_attempts(
            session,
            members=members,
            course=workshop.course,
            phase=wanted.value,
            workshop_id=workshop.id,
        )
    return workshop
