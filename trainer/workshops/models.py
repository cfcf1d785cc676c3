"""A workshop (one session in one room), its participants and their satisfaction survey.

The live state (the phase) is a column, so every app worker on every host sees the same
workshop; phones and the projector poll it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import Member, Network, Organisation, User
from trainer.extensions import Model
from trainer.learning.models import Course
from trainer.timeutil import utcnow


class Phase(enum.StrEnum):
    """The phases in the order the trainer moves through them."""

    RECEPTION = "reception"
    PRE = "pre"
    TRAINING = "training"
    POST = "post"
    SURVEY = "survey"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]

    @property
    def position(self) -> int:
        """Where the phase is in PHASE_ORDER. Not `index`: a str member has that method."""
        return PHASE_ORDER.index(self)


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)
PHASE_LABELS: dict[Phase, str] = {
    Phase.RECEPTION: "受付",
    Phase.PRE: "事前テスト",
    Phase.TRAINING: "研修",
    Phase.POST: "事後テスト",
    Phase.SURVEY: "アンケート",
    Phase.CLOSED: "終了",
}


class Workshop(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    # The organisations invited ([Organisation.id, …]); empty means every organisation.
    organisation_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    phase: Mapped[str] = mapped_column(String(12), default=Phase.RECEPTION.value)
    phase_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The projector link (/projector/<id>/<token>) is signed with this number: making a new
    # link raises it, and every earlier link stops working (projector_link.py).
    projector_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    network: Mapped[Network] = relationship()
    course: Mapped[Course] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def current_phase(self) -> Phase:
        return Phase(self.phase)


class Confirmation(enum.StrEnum):
    """Who vouched that the person on this seat is the member it names. Until someone has, the
    participant's results and certificate are 確認中 (pending): typing a name proves nothing."""

    LINK = "link"  # joined with their own personal link
    TRAINER = "trainer"  # the trainer saw them in the room
    SECRETARIAT = "secretariat"  # the secretariat's review

    @property
    def label(self) -> str:
        return {"link": "個人用リンク", "trainer": "講師が確認", "secretariat": "事務局が確認"}[
            self.value
        ]


class Participant(Model):
    """Someone who joined a workshop. Always a member: one found on the roster, or one created
    from what they typed and marked for the secretariat to confirm or merge (Member.needs_review).
    One row per member and workshop. The seat belongs to the phone that took it
    (ParticipantDevice): another phone typing the same name waits for the trainer."""

    __table_args__ = (UniqueConstraint("workshop_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    entered_name: Mapped[str] = mapped_column(String(100))
    entered_kana: Mapped[str] = mapped_column(String(100), default="")
    # How they were matched: "roster" (name + organisation), "link" (personal link), "new".
    matched_by: Mapped[str] = mapped_column(String(10))
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A Confirmation value, or None while nobody has confirmed who this is.
    confirmed_via: Mapped[str | None] = mapped_column(String(12))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set by the trainer's 「別の人として参加」: a second phone typed the same name as this
    # earlier participant, and the trainer said it is somebody else (重複の可能性).
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"))

    workshop: Mapped[Workshop] = relationship()
    member: Mapped[Member] = relationship()
    organisation: Mapped[Organisation] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def confirmation(self) -> Confirmation | None:
        return Confirmation(self.confirmed_via) if self.confirmed_via else None


class DeviceStatus(enum.StrEnum):
    BOUND = "bound"  # this phone holds the seat
    WAITING = "waiting"  # asked for the seat; the trainer has not answered yet
    REJECTED = "rejected"  # the trainer said no


class ParticipantDevice(Model):
    """A phone (browser) that holds, or asked for, a participant's seat.

    The phone keeps a random secret in its session cookie; only its SHA-256 is stored here. The
    phone that joined first holds the seat; a phone that types the same organisation and name
    later waits until the trainer approves it (the same person on a new phone), rejects it, or
    seats it as somebody else."""

    __table_args__ = (UniqueConstraint("participant_id", "device_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    device_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    entered_name: Mapped[str] = mapped_column(String(100), default="")
    entered_kana: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    participant: Mapped[Participant] = relationship()


class WorkshopFeedback(Model):
    """The satisfaction survey at the end: two 5-point answers and a free comment."""

    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), primary_key=True)
    satisfaction: Mapped[int] = mapped_column(Integer)  # 研修の感想 5 (とても良かった) … 1
    understanding: Mapped[int] = mapped_column(Integer)  # 理解できましたか 5 … 1
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
