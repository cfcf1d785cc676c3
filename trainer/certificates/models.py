"""Certificates (修了証): one row per passed post-quiz; the member badge prints from it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import Member, Network, User
from trainer.extensions import Model
from trainer.learning.models import Course
from trainer.timeutil import utcnow


class CertificateStatus(enum.StrEnum):
    """What /verify shows. Derived when asked, never stored: ending a membership or passing the
    expiry date changes it at once, without a job that has to run."""

    VALID = "valid"
    EXPIRED = "expired"
    LAPSED = "lapsed"  # the membership has ended
    REVOKED = "revoked"
    # Renewed (refresher): a newer certificate replaced this one (CertificateSupersession).
    SUPERSEDED = "superseded"
    # Passed, but nobody has confirmed yet that the person is the member named (a workshop
    # participant who typed a name, or someone not on the roster): never shown as valid.
    PENDING = "pending"

    @property
    def label(self) -> str:
        return {
            "valid": "有効",
            "expired": "期限切れ",
            "lapsed": "失効",
            "revoked": "取消",
            "superseded": "更新済み",
            "pending": "確認中",
        }[self.value]

    def public_text(self, network: str) -> str:
        """The one sentence /verify and the credential say about this status. Only VALID says
        the person is a member and has completed the training: nothing else claims it."""
        return {
            "valid": f"この方は、{network}の構成員で、研修を修了しています。",
            "expired": "この修了証は有効期限が過ぎています。",
            "lapsed": f"この方は、現在は{network}の構成員ではありません。",
            "revoked": "この修了証は、発行した協議会によって取り消されています。",
            # Says nothing about the person: the newer certificate's own page does, when checked.
            "superseded": (
                "この修了証は更新され、新しい修了証に置き換えられています。"
                "この修了証だけでは、有効かどうかを示しません。"
            ),
            "pending": (
                "事務局の確認が済むまで、構成員証としては有効ではありません。"
                "（研修会での本人確認、または名簿への登録を待っています）"
            ),
        }[self.value]

    @property
    def printed_text(self) -> str:
        """What a printed certificate that is not valid says across it (PDF and print view)."""
        return {
            "valid": "",
            "expired": "この修了証は有効期限が過ぎています。",
            "lapsed": "構成員の登録が終わったため、この修了証は失効しています。",
            "revoked": "この修了証は取り消されています。",
            "superseded": "この修了証は更新され、新しい修了証に置き換えられています。",
            "pending": "事務局の確認が済むまで、この修了証は有効ではありません。",
        }[self.value]


class Certificate(Model):
    """A certificate issued to a member for passing a course's post-quiz.

    The serial is consecutive per network (allocated from Network.last_certificate_serial in
    the issuing transaction) and unique per network. The token is printed as a QR code; it is
    looked up by its SHA-256 only, so lookup time says nothing about how close a guess was.
    """

    __table_args__ = (
        UniqueConstraint("network_id", "serial"),
        Index("ix_certificate_network_valid_until", "network_id", "valid_until"),
        # A member's certificates of a course, in force or not and until when, answered from the
        # index alone: the completion status's EXISTS probes (secretariat/completion_status.py).
        Index(
            "ix_certificate_member_course",
            "member_id",
            "course_id",
            "network_id",
            "revoked_at",
            "awaiting_confirmation",
            "valid_until",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    # One certificate per passing attempt: a second issue for the same attempt is impossible.
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"), unique=True)
    serial: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)  # the last valid day
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Issued for a result nobody has confirmed yet (Attempt.awaiting_confirmation): 確認中.
    awaiting_confirmation: Mapped[bool] = mapped_column(default=False, server_default=false())

    member: Mapped[Member] = relationship()
    network: Mapped[Network] = relationship()
    course: Mapped[Course] = relationship()
    revoked_by: Mapped[User | None] = relationship()
    # Set once a renewal replaced this certificate (loaded with it: status_on reads it).
    supersession: Mapped[CertificateSupersession | None] = relationship(
        primaryjoin="Certificate.id == CertificateSupersession.old_certificate_id",
        uselist=False,
        viewonly=True,
        lazy="selectin",
    )

    @property
    def serial_label(self) -> str:
        return f"第{self.serial:05d}号"

    @property
    def is_pending(self) -> bool:
        """Not confirmed yet: the result awaits the trainer's or the secretariat's confirmation,
        or the person is not on the roster yet (an entry awaiting the secretariat's review)."""
        return self.awaiting_confirmation or self.member.needs_review

    def status_on(self, day: date) -> CertificateStatus:
        """取消 before 確認中 before 失効 before 更新済み before 期限切れ: the strongest reason is
        the one shown."""
        if self.revoked_at is not None:
            return CertificateStatus.REVOKED
        if self.is_pending:
            return CertificateStatus.PENDING
        if not self.member.is_active_on(day):
            return CertificateStatus.LAPSED
        if self.supersession is not None:
            return CertificateStatus.SUPERSEDED
        if day > self.valid_until:
            return CertificateStatus.EXPIRED
        return CertificateStatus.VALID


class CertificateSupersession(Model):
    """A renewal (the refresher): which certificate replaced which, and when. The old one is
    kept on record; /verify of its token says it was replaced and points to the new one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    old_certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), unique=True)
    new_certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), unique=True)
    superseded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    new_certificate: Mapped[Certificate] = relationship(foreign_keys=[new_certificate_id])
