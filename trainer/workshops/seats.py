"""Seats: joining a workshop, the phone that holds each seat, and who vouched for the person on it.

Typing an organisation and a name proves nothing about who is holding the phone. So:

- A seat (Participant) belongs to the phone that took it. The phone keeps a random secret in its
  session cookie; ParticipantDevice stores its SHA-256. The same phone after sleep, a reload or a
  closed tab resumes; another phone that types the same organisation and name never sees the
  seat's answers or certificate: it waits until the trainer approves it (the same person on a
  new phone), rejects it, or seats it as somebody else (重複の可能性).
- A participant is confirmed by their own personal link, by the trainer (who sees them in the
  room) or by the secretariat's review. Until then every result they submit is kept but marked
  awaiting confirmation (Attempt.awaiting_confirmation), and a pass gives a certificate in the
  pending state (確認中), which /verify never shows as valid.
- Confirming takes the participant row first, then the attempts, then the certificates. A submit
  in the same workshop locks the participant row before it flips the attempt (answer() in
  service.py), so the two take turns: either the submit sees the confirmation, or the
  confirmation waits for the submit and then finds its result and certificate to confirm.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from trainer.accounts.models import Member, Organisation, User
from trainer.accounts.roster import _new_link
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.quizzes.models import Attempt
from trainer.security import tokens_equal
from trainer.text import clean_text, name_key
from trainer.timeutil import today_jst, utcnow
from trainer.workshops.models import (
    Confirmation,
    DeviceStatus,
    Participant,
    ParticipantDevice,
    Phase,
    Workshop,
)

NOT_JOINED = "この研修会への参加登録が見つかりません。もう一度参加してください。"
REJECTED_HERE = (
    "講師が、この端末での参加を確認できませんでした。"
    "お名前と所属をお確かめのうえ、会場の講師に声をかけてください。"
)


def device_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Joined:
    """Where joining left this phone: on its seat, or waiting for the trainer."""

    participant: Participant | None = None
    waiting: ParticipantDevice | None = None


# --- joining -------------------------------------------------------------------------------------


def join_closed_reason(workshop: Workshop, day: date | None = None) -> str | None:
    """Why no one can join any more, or None. The code lasts until the end of the workshop's day."""
    if workshop.current_phase is Phase.CLOSED:
        return "この研修会は終了しました。参加の受付は締め切りました。"
    if (day or today_jst()) > workshop.held_on:
        return "この参加コードの有効期限が切れています（開催日を過ぎました）。"
    return None


def invited_organisations(session: Session, workshop: Workshop) -> list[Organisation]:
    stmt = select(Organisation).where(Organisation.network_id == workshop.network_id)
    if workshop.organisation_ids:
        stmt = stmt.where(Organisation.id.in_(workshop.organisation_ids))
    return list(session.scalars(stmt.order_by(Organisation.name_key)))


def match_member(
    session: Session, *, network_id: int, organisation_id: int, name: str, kana: str
) -> Member | None:
    """The one member of the organisation this person is, or None when none or several could be.

    Names compare in normal form (full- and half-width, spaces, katakana and hiragana all
    fold together). Same-name members are told apart by kana; a name typed in kana matches
    a member's kana. Never guesses between two people: the secretariat merges instead. Entries
    the secretariat found not to be members are never matched again."""
    in_org = select(Member).where(
        Member.network_id == network_id,
        Member.organisation_id == organisation_id,
        Member.rejected_at.is_(None),
    )
    typed_name, typed_kana = name_key(name), name_key(kana)
    candidates = list(session.scalars(in_org.where(Member.name_key == typed_name)))
    if len(candidates) > 1 and typed_kana:
        candidates = [m for m in candidates if m.kana_key == typed_kana]
    if not candidates:
        candidates = list(session.scalars(in_org.where(Member.kana_key == typed_name)))
    if len(candidates) > 1:  # prefer the one on the roster over an earlier unconfirmed entry
        confirmed = [m for m in candidates if not m.needs_review and m.is_member_now]
        candidates = confirmed if len(confirmed) == 1 else candidates
    return candidates[0] if len(candidates) == 1 else None


def _take_turns(session: Session, workshop: Workshop) -> None:
    """Joins to one workshop take turns from here: this no-op UPDATE takes the workshop row's
    lock (PostgreSQL) or the write lock (SQLite) before the roster is searched, so a double tap
    on 参加する makes one member and one seat, not two."""
    session.execute(
        update(Workshop).where(Workshop.id == workshop.id).values(join_code=Workshop.join_code)
    )


def _new_pending_member(
    session: Session, workshop: Workshop, organisation_id: int, name: str, kana: str
) -> Member:
    """An entry for the secretariat to review: not on the roster until confirmed or merged."""
    selector, verifier = _new_link()
    member = Member(
        network_id=workshop.network_id,
        organisation_id=organisation_id,
        name=name,
        kana=kana,
        name_key=name_key(name),
        kana_key=name_key(kana),
        membership_start=min(workshop.held_on, today_jst()),
        link_selector=selector,
        link_verifier=verifier,
        needs_review=True,
    )
    session.add(member)
    session.flush()
    return member


def _seat(
    session: Session,
    workshop: Workshop,
    member: Member,
    *,
    matched_by: str,
    name: str,
    kana: str,
    organisation_id: int,
    secret: str,
    duplicate_of: Participant | None = None,
) -> Participant:
    participant = Participant(
        workshop_id=workshop.id,
        member_id=member.id,
        organisation_id=organisation_id,
        entered_name=name,
        entered_kana=kana,
        matched_by=matched_by,
        duplicate_of_id=duplicate_of.id if duplicate_of else None,
    )
    if matched_by == "link":
        participant.confirmed_via = Confirmation.LINK.value
        participant.confirmed_at = utcnow()
    session.add(participant)
    session.flush()
    _bind(session, participant, secret, name, kana)
    return participant


def _device(session: Session, participant_id: int, secret: str) -> ParticipantDevice | None:
    return session.scalar(
        select(ParticipantDevice).where(
            ParticipantDevice.participant_id == participant_id,
            ParticipantDevice.device_hash == device_hash(secret),
        )
    )


def _has_devices(session: Session, participant_id: int) -> bool:
    return (
        session.scalar(
            select(ParticipantDevice.id)
            .where(ParticipantDevice.participant_id == participant_id)
            .limit(1)
        )
        is not None
    )


def join(
    session: Session,
    *,
    workshop: Workshop,
    organisation_id: int | None,
    name: str,
    kana: str,
    secret: str,
) -> Joined:
    """Join by organisation and name. Someone not found on the roster is kept as an entry for
    the secretariat to review. A seat already taken by another phone is not handed over: this
    phone waits for the trainer (Joined.waiting)."""
    reason = join_closed_reason(workshop)
    if reason:
        raise Conflict(reason)
    invited = {o.id for o in invited_organisations(session, workshop)}
    if organisation_id not in invited:
        raise DomainError("所属を一覧から選んでください。", "organisation_id")
    name, kana = clean_text(name), clean_text(kana)
    if not name:
        raise DomainError("お名前を入力してください。", "name")
    if len(name) > 100 or len(kana) > 100:
        raise DomainError("100文字以内で入力してください。", "name" if len(name) > 100 else "kana")
    _take_turns(session, workshop)
    member = match_member(
        session,
        network_id=workshop.network_id,
        organisation_id=organisation_id,
        name=name,
        kana=kana,
    )
    seat = dict(name=name, kana=kana, organisation_id=organisation_id, secret=secret)
    if member is None:
        member = _new_pending_member(session, workshop, organisation_id, name, kana)
        participant = _seat(session, workshop, member, matched_by="new", **seat)
        session.commit()
        return Joined(participant=participant)
    participant = session.scalar(
        select(Participant).where(
            Participant.workshop_id == workshop.id, Participant.member_id == member.id
        )
    )
    if participant is None:
        participant = _seat(session, workshop, member, matched_by="roster", **seat)
        session.commit()
        return Joined(participant=participant)
    device = _device(session, participant.id, secret)
    if device is None and not _has_devices(session, participant.id):
        # A seat taken before phones were bound to seats: the first phone back keeps it.
        device = _bind(session, participant, secret, name, kana)
    if device is None:
        device = ParticipantDevice(
            participant_id=participant.id,
            device_hash=device_hash(secret),
            status=DeviceStatus.WAITING.value,
            entered_name=name,
            entered_kana=kana,
        )
        session.add(device)
        session.flush()
    session.commit()
    if device.status == DeviceStatus.BOUND.value:
        return Joined(participant=participant)
    if device.status == DeviceStatus.REJECTED.value:
        raise Conflict(REJECTED_HERE)
    return Joined(waiting=device)


def _bind(
    session: Session, participant: Participant, secret: str, name: str, kana: str
) -> ParticipantDevice:
    device = ParticipantDevice(
        participant_id=participant.id,
        device_hash=device_hash(secret),
        status=DeviceStatus.BOUND.value,
        entered_name=name,
        entered_kana=kana,
    )
    session.add(device)
    session.flush()
    return device


def join_as_member(
    session: Session, *, workshop: Workshop, member: Member, secret: str
) -> Participant:
    """Join as the member whose personal link this phone is signed in with: no name to type and
    nothing to confirm. If a phone had typed this member's name before, that seat is theirs
    now; the other phones wait for the trainer unless the trainer had approved them."""
    reason = join_closed_reason(workshop)
    if reason:
        raise Conflict(reason)
    if member.network_id != workshop.network_id:
        raise NotFound("参加コードが見つかりません。コードをもう一度お確かめください。")
    _take_turns(session, workshop)
    participant = session.scalar(
        select(Participant).where(
            Participant.workshop_id == workshop.id, Participant.member_id == member.id
        )
    )
    if participant is None:
        participant = _seat(
            session,
            workshop,
            member,
            matched_by="link",
            name=member.name,
            kana=member.kana,
            organisation_id=member.organisation_id,
            secret=secret,
        )
        session.commit()
        return participant
    mine = device_hash(secret)
    for device in session.scalars(
        select(ParticipantDevice).where(ParticipantDevice.participant_id == participant.id)
    ):
        if device.device_hash == mine:
            device.status = DeviceStatus.BOUND.value
        elif device.status == DeviceStatus.BOUND.value and device.decided_by_id is None:
            device.status = DeviceStatus.WAITING.value
    if _device(session, participant.id, secret) is None:
        _bind(session, participant, secret, member.name, member.kana)
    if participant.confirmed_via is None:
        _confirm(session, workshop, [participant], Confirmation.LINK, actor=None)
    session.commit()
    return participant


# --- the phone's seat ----------------------------------------------------------------------------


def seat_of(
    session: Session, workshop: Workshop, participant_id: int | None, secret: str | None
) -> Participant:
    """The participant this phone holds the seat of, in this workshop only."""
    participant = session.get(Participant, participant_id) if participant_id else None
    if participant is None or participant.workshop_id != workshop.id or not secret:
        raise NotFound(NOT_JOINED)
    status = session.scalar(
        select(ParticipantDevice.status).where(
            ParticipantDevice.participant_id == participant.id,
            ParticipantDevice.device_hash == device_hash(secret),
        )
    )
    if status == DeviceStatus.BOUND.value:
        return participant
    if status is None and not _has_devices(session, participant.id):
        _bind(session, participant, secret, participant.entered_name, participant.entered_kana)
        session.commit()
        return participant
    raise NotFound(NOT_JOINED)


def waiting_device(
    session: Session, workshop: Workshop, device_id: int | None, secret: str | None
) -> ParticipantDevice:
    """The request for a seat this phone made (waiting, approved or rejected)."""
    device = session.get(ParticipantDevice, device_id) if device_id else None
    if (
        device is None
        or not secret
        or device.participant.workshop_id != workshop.id
        or not tokens_equal(device.device_hash, device_hash(secret))
    ):
        raise NotFound(NOT_JOINED)
    return device


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


# --- the trainer in the room ---------------------------------------------------------------------


def _confirm(
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
        _confirm(session, group[0].workshop, group, via, actor)


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
    _confirm(session, workshop, [participant], Confirmation.TRAINER, actor)
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
    _confirm(session, workshop, participants, Confirmation.TRAINER, actor)
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
        _confirm(session, workshop, [participant], Confirmation.TRAINER, actor)
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
    _take_turns(session, workshop)
    member = _new_pending_member(
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
