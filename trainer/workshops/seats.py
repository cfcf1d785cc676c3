"""Seats: joining a workshop, and the phone that holds each seat.

Typing an organisation and a name proves nothing about who is holding the phone. So:

- A seat (Participant) belongs to the phone that took it. The phone keeps a random secret in its
  session cookie; ParticipantDevice stores its SHA-256. The same phone after sleep, a reload or a
  closed tab resumes; another phone that types the same organisation and name never sees the
  seat's answers or certificate: it waits until the trainer approves it (the same person on a
  new phone), rejects it, or seats it as somebody else (devices.py).
- A participant is confirmed by their own personal link, by the trainer (who sees them in the
  room) or by the secretariat's review; until then their results and certificate are pending
  (confirming.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update

from trainer.accounts.models import Member, Organisation
from trainer.accounts.roster import _new_link
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.security import tokens_equal
from trainer.text import clean_text, hiragana, name_key
from trainer.timeutil import today_jst, utcnow
from trainer.workshops import confirming
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
class Seated:
    """Joining left this phone on its seat."""

    participant: Participant


@dataclass(frozen=True)
class Waiting:
    """The seat is another phone's: this phone waits for the trainer."""

    device: ParticipantDevice


Joined = Seated | Waiting


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


def take_turns(session: Session, workshop: Workshop, *key: object) -> None:
    """Joins that could make the same member or take the same seat take turns from here, so a
    double tap on 参加する makes one member and one seat, not two. `key` says what they would
    share: the organisation and typed name (before the roster is searched), or the member
    (before their seat is looked for).

    On PostgreSQL a transaction-scoped advisory lock per workshop and key: joins with other
    names go on at the same time (a lock on the workshop's row made a hall's 1,000 joins queue
    one behind the other). On SQLite, which has one writer at a time anyway, a no-op UPDATE of
    the workshop's row takes the write lock before the roster is searched."""
    if session.get_bind().dialect.name == "postgresql":
        text = ":".join(str(part) for part in (workshop.id, *key))
        lock = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), signed=True)
        session.execute(select(func.pg_advisory_xact_lock(lock)))
        return
    session.execute(
        update(Workshop).where(Workshop.id == workshop.id).values(join_code=Workshop.join_code)
    )


def new_pending_member(
    session: Session, workshop: Workshop, organisation_id: int, name: str, kana: str
) -> Member:
    """An entry for the secretariat to review: not on the roster until confirmed or merged."""
    selector, verifier = _new_link()
    member = Member(
        network_id=workshop.network_id,
        organisation_id=organisation_id,
        name=name,
        kana=hiragana(kana),  # one script on the roster, as an import or the form stores it
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


@dataclass(frozen=True)
class _Entry:
    """What the phone sent, checked and cleaned, and the phone's secret."""

    organisation_id: int
    name: str
    kana: str
    secret: str


def _seat(
    session: Session, workshop: Workshop, member: Member, entry: _Entry, matched_by: str
) -> Participant:
    participant = Participant(
        workshop_id=workshop.id,
        member_id=member.id,
        organisation_id=entry.organisation_id,
        entered_name=entry.name,
        entered_kana=entry.kana,
        matched_by=matched_by,
    )
    if matched_by == "link":
        participant.confirmed_via = Confirmation.LINK.value
        participant.confirmed_at = utcnow()
    session.add(participant)
    session.flush()
    _bind(session, participant, entry.secret, entry.name, entry.kana)
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


def _checked_entry(
    session: Session,
    workshop: Workshop,
    organisation_id: int | None,
    name: str,
    kana: str,
    secret: str,
) -> _Entry:
    reason = join_closed_reason(workshop)
    if reason:
        raise Conflict(reason)
    invited = {o.id for o in invited_organisations(session, workshop)}
    if organisation_id is None or organisation_id not in invited:
        raise DomainError("所属を一覧から選んでください。", "organisation_id")
    name, kana = clean_text(name), clean_text(kana)
    if not name:
        raise DomainError("お名前を入力してください。", "name")
    if len(name) > 100 or len(kana) > 100:
        raise DomainError("100文字以内で入力してください。", "name" if len(name) > 100 else "kana")
    return _Entry(organisation_id, name, kana, secret)


def _seat_here(session: Session, workshop: Workshop, member: Member) -> Participant | None:
    return session.scalar(
        select(Participant).where(
            Participant.workshop_id == workshop.id, Participant.member_id == member.id
        )
    )


def _ask_for_seat(session: Session, participant: Participant, entry: _Entry) -> ParticipantDevice:
    """This phone's hold on a seat already taken: its own if it took it, else a request."""
    device = _device(session, participant.id, entry.secret)
    if device is None and not _has_devices(session, participant.id):
        # A seat taken before phones were bound to seats: the first phone back keeps it.
        device = _bind(session, participant, entry.secret, entry.name, entry.kana)
    if device is None:
        device = ParticipantDevice(
            participant_id=participant.id,
            device_hash=device_hash(entry.secret),
            status=DeviceStatus.WAITING.value,
            entered_name=entry.name,
            entered_kana=entry.kana,
        )
        session.add(device)
        session.flush()
    return device


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
    phone waits for the trainer (Waiting)."""
    entry = _checked_entry(session, workshop, organisation_id, name, kana, secret)
    take_turns(session, workshop, "name", entry.organisation_id, name_key(entry.name))
    member = match_member(
        session,
        network_id=workshop.network_id,
        organisation_id=entry.organisation_id,
        name=entry.name,
        kana=entry.kana,
    )
    if member is None:
        member = new_pending_member(
            session, workshop, entry.organisation_id, entry.name, entry.kana
        )
        new_seat = _seat(session, workshop, member, entry, matched_by="new")
        session.commit()
        return Seated(new_seat)
    take_turns(session, workshop, "member", member.id)  # a kana spelling may match them too
    taken = _seat_here(session, workshop, member)
    if taken is None:
        roster_seat = _seat(session, workshop, member, entry, matched_by="roster")
        session.commit()
        return Seated(roster_seat)
    device = _ask_for_seat(session, taken, entry)
    session.commit()
    if device.status == DeviceStatus.BOUND.value:
        return Seated(taken)
    if device.status == DeviceStatus.REJECTED.value:
        raise Conflict(REJECTED_HERE)
    return Waiting(device)


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
    take_turns(session, workshop, "member", member.id)
    participant = _seat_here(session, workshop, member)
    if participant is None:
        entry = _Entry(member.organisation_id, member.name, member.kana, secret)
        participant = _seat(session, workshop, member, entry, matched_by="link")
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
        confirming.confirm(session, workshop, [participant], Confirmation.LINK, actor=None)
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
