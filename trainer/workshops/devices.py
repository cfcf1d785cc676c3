"""The trainer's decisions about phones waiting for a seat (seats.py): a phone that typed the
name of someone already seated waits until the trainer approves it (the same person on a new
phone), rejects it, or seats it as somebody else (重複の可能性)."""

from __future__ import annotations

from sqlalchemy import func, select

from trainer.accounts.models import User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict, NotFound
from trainer.timeutil import utcnow
from trainer.workshops import confirming, seats
from trainer.workshops.models import (
    Confirmation,
    DeviceStatus,
    Participant,
    ParticipantDevice,
    Workshop,
)


def waiting_devices(session: Session, workshop: Workshop) -> list[ParticipantDevice]:
    return list(
        session.scalars(
            select(ParticipantDevice)
            .join(Participant, Participant.id == ParticipantDevice.participant_id)
            .where(
                Participant.workshop_id == workshop.id,
                ParticipantDevice.status == DeviceStatus.WAITING.value,
            )
            .order_by(ParticipantDevice.created_at, ParticipantDevice.id)
        )
    )


def device_counts(session: Session, workshop: Workshop) -> dict[int, int]:
    """How many phones hold each seat (more than one: the trainer approved a second phone)."""
    rows = session.execute(
        select(ParticipantDevice.participant_id, func.count())
        .join(Participant, Participant.id == ParticipantDevice.participant_id)
        .where(
            Participant.workshop_id == workshop.id,
            ParticipantDevice.status == DeviceStatus.BOUND.value,
        )
        .group_by(ParticipantDevice.participant_id)
    )
    return {participant_id: int(n) for participant_id, n in rows}


def _waiting_here(session: Session, workshop: Workshop, device_id: int) -> ParticipantDevice:
    device = session.get(ParticipantDevice, device_id)
    if device is None or device.participant.workshop_id != workshop.id:
        raise NotFound("確認を待っている端末が見つかりません。")
    if device.status != DeviceStatus.WAITING.value:
        raise Conflict("この端末の確認はすでに済んでいます。")
    return device


def _decide(device: ParticipantDevice, status: DeviceStatus, actor: User) -> None:
    device.status = status.value
    device.decided_by_id = actor.id
    device.decided_at = utcnow()


def _device_audit(
    session: Session, workshop: Workshop, device: ParticipantDevice, action: str, actor: User
) -> None:
    participant = device.participant
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="participant",
        target_id=participant.id,
        target_label=f"{participant.entered_name}（{participant.organisation.name}）",
        network_id=workshop.network_id,
        details={"workshop": workshop.title, "typed": device.entered_name},
    )


def approve_device(
    session: Session, *, workshop: Workshop, device_id: int, actor: User
) -> ParticipantDevice:
    """The same person on another phone: the phone joins the seat, and the trainer, who has
    seen them, has confirmed who they are."""
    device = _waiting_here(session, workshop, device_id)
    _decide(device, DeviceStatus.BOUND, actor)
    participant = device.participant
    if participant.confirmed_via is None:
        confirming.confirm(session, workshop, [participant], Confirmation.TRAINER, actor)
    _device_audit(session, workshop, device, "workshop.device_approve", actor)
    session.commit()
    return device


def reject_device(
    session: Session, *, workshop: Workshop, device_id: int, actor: User
) -> ParticipantDevice:
    """Not the person whose seat it asked for: the phone is told so and gets nothing."""
    device = _waiting_here(session, workshop, device_id)
    _decide(device, DeviceStatus.REJECTED, actor)
    _device_audit(session, workshop, device, "workshop.device_reject", actor)
    session.commit()
    return device


def seat_separately(
    session: Session, *, workshop: Workshop, device_id: int, actor: User
) -> Participant:
    """Two different people with the same name: the waiting phone gets a seat of its own, as an
    entry for the secretariat to review, marked 重複の可能性 beside the first one."""
    device = _waiting_here(session, workshop, device_id)
    first = device.participant
    seats.take_turns(session, workshop)
    member = seats.new_pending_member(
        session, workshop, first.organisation_id, device.entered_name, device.entered_kana
    )
    participant = Participant(
        workshop_id=workshop.id,
        member_id=member.id,
        organisation_id=first.organisation_id,
        entered_name=device.entered_name,
        entered_kana=device.entered_kana,
        matched_by="new",
        duplicate_of_id=first.id,
    )
    session.add(participant)
    session.flush()
    device.participant_id = participant.id
    _decide(device, DeviceStatus.BOUND, actor)
    _device_audit(session, workshop, device, "workshop.device_separate", actor)
    session.commit()
    return participant
