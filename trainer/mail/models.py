"""One queued or sent e-mail (OutgoingMail)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trainer.extensions import Model
from trainer.timeutil import utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting (first try, a retry after a failure, or mail not set up)
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # given up: a permanent refusal (5xx), or too many failed tries


class OutgoingMail(Model):
    """A message in the outbox. It says what caused it (kind, subject_type + subject_id: e.g.
    "concern.new" for ("concern_report", 12)), so that a page can show whether the notice
    went out. The body is plain text; mail never carries a report's contents.

    Delivery claims a row by moving next_attempt_at forward before trying (see
    trainer/mail/outbox.py), so two senders at once (a view's thread and the timer's
    `trainer mail send`) never send the same message twice.
    """

    __table_args__ = (
        Index("ix_outgoing_mail_status_due", "status", "next_attempt_at"),
        Index("ix_outgoing_mail_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The network the mail is about (its name is the sender's display name); None for mail of
    # the platform itself.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None]
    to_address: Mapped[str] = mapped_column(String(254))
    # Shown as the From name (the network's name when the mail was queued).
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=MailStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    # Why the last try failed, short and without secrets (the SMTP reply code and a few words).
    last_error: Mapped[str] = mapped_column(String(300), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Made on the first try and kept, so a retried message has the same Message-ID.
    message_id: Mapped[str] = mapped_column(String(255), default="")
    # For a mail a member may stop (a bulletin): the one-click unsubscribe address, sent as
    # List-Unsubscribe and List-Unsubscribe-Post (RFC 2369, RFC 8058). Empty for other mail.
    list_unsubscribe: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    def state_label(self, configured: bool) -> str:
        """送信済み, 送信待ち (with why, when mail is not set up), or 送信できませんでした."""
        if self.status == MailStatus.SENT.value:
            return "送信済み"
        if self.status == MailStatus.FAILED.value:
            return "送信できませんでした"
        if not configured:
            return "送信待ち（メール未設定）"
        return "送信待ち（再送予定）" if self.attempts else "送信待ち"
