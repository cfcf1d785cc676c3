"""Concern reports (気づき報告): what a member noticed, the secretariat's handling, the thread of
instructions and answers, and each member's reporting key (the second QR code on the badge)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import Member, Organisation, User
from trainer.concerns.vocabulary import (
    SIGN_LABELS,
    TEMPLATES_BY_KEY,
    ConcernStatus,
    ConnectedTo,
    Consent,
    Urgency,
)
from trainer.extensions import Model
from trainer.timeutil import utcnow


class ReportingKey(Model):
    """A member's reporting token: printed as the second QR code on the badge back, it opens the
    network's report form tied to the member, and nothing else (not the personal page). Separate
    from the personal link so that a badge lost in the street exposes no learning record.

    One row per member, made when first needed (the badge is printed). The token is kept (the
    badge is printed again from it) and looked up by its SHA-256. Making a new one (rotating)
    replaces both: the old badge's code then opens the same page as an unknown code.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    member: Mapped[Member] = relationship()


class ConcernReport(Model):
    """One report. The codes (signs, urgency, consent, status, where it was connected, the
    organisation's kind) and the times are kept for the council's figures; the free text and
    the person's details are personal data, emptied by the retention purge a set time after
    the case is closed (personal_data_deleted_at then says when)."""

    __table_args__ = (
        UniqueConstraint("network_id", "number"),
        Index("ix_concern_report_network_status", "network_id", "status"),
        Index("ix_concern_report_network_received", "network_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"))
    # 受付番号: consecutive per network (Network.last_concern_number, as certificate serials).
    number: Mapped[int]
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    # The reporter's organisation and its kind when the report was made: the figures by kind
    # stay as they were if the member later moves.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    organisation_kind: Mapped[str] = mapped_column(String(40))
    via: Mapped[str] = mapped_column(String(20))  # "badge" (the QR code) or "personal_page"
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # What the member said.
    noticed_on: Mapped[date] = mapped_column(Date)
    area: Mapped[str] = mapped_column(String(100), default="")  # an area, not an address
    urgency: Mapped[str] = mapped_column(String(20))
    consent: Mapped[str] = mapped_column(String(20))
    consent_reason: Mapped[str] = mapped_column(Text, default="")  # when not 同意あり
    other_sign: Mapped[str] = mapped_column(Text, default="")  # what その他 was
    person_name: Mapped[str] = mapped_column(String(100), default="")
    person_contact: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[str] = mapped_column(Text, default="")

    # The secretariat's handling.
    status: Mapped[str] = mapped_column(String(20), default=ConcernStatus.NEW.value)
    status_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    connected_to: Mapped[str] = mapped_column(String(30), default="")  # a ConnectedTo, or ""
    outcome: Mapped[str] = mapped_column(Text, default="")
    first_instruction_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    personal_data_deleted_at: Mapped[datetime | None] = mapped_column(DateTime)

    member: Mapped[Member] = relationship()
    organisation: Mapped[Organisation] = relationship()
    signs: Mapped[list[ConcernSign]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ConcernSign.id"
    )
    messages: Mapped[list[ConcernMessage]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ConcernMessage.id"
    )

    @property
    def number_label(self) -> str:
        return f"{self.number:05d}"

    @property
    def status_label(self) -> str:
        return ConcernStatus(self.status).label

    @property
    def urgency_label(self) -> str:
        return Urgency(self.urgency).label

    @property
    def consent_label(self) -> str:
        return Consent(self.consent).label

    @property
    def connected_to_label(self) -> str:
        return ConnectedTo(self.connected_to).label if self.connected_to else "（未記録）"

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.NOW.value

    @property
    def sign_labels(self) -> list[str]:
        return [SIGN_LABELS.get(s.sign, s.sign) for s in self.signs]


class ConcernSign(Model):
    """One ticked item of the checklist (a row each, so that the figures count them in SQL)."""

    __table_args__ = (UniqueConstraint("report_id", "sign"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("concern_report.id"), index=True)
    sign: Mapped[str] = mapped_column(String(40))

    report: Mapped[ConcernReport] = relationship(back_populates="signs")


class ConcernMessage(Model):
    """The thread of a report: the secretariat's instructions (author_user_id set) and the
    member's answers (from_member). An instruction is acknowledged (了解しました) by the member
    once; acknowledged_at records when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("concern_report.id"), index=True)
    from_member: Mapped[bool] = mapped_column(default=False)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    template: Mapped[str] = mapped_column(String(40), default="")  # an instruction template key
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)

    report: Mapped[ConcernReport] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()

    @property
    def template_text(self) -> str:
        template = TEMPLATES_BY_KEY.get(self.template)
        return template.text if template else ""

    @property
    def template_title(self) -> str:
        template = TEMPLATES_BY_KEY.get(self.template)
        return template.title if template else ""
