"""The reminders sent before a certificate runs out: one row per certificate and threshold."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trainer.extensions import Model
from trainer.timeutil import utcnow


class CertificateReminder(Model):
    """A reminder 90 or 30 days before a certificate's last valid day. Recorded also for a
    member without a mail address (mail_id None), so that each threshold happens once per
    certificate, whatever the address, and the counts agree with what members were shown. The
    member is the certificate's (no member column: a merge of members moves certificates only)."""

    __table_args__ = (UniqueConstraint("certificate_id", "threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"))
    threshold: Mapped[int] = mapped_column(Integer)  # 90 or 30 (days before valid_until)
    due_on: Mapped[date] = mapped_column(Date)  # the day the job recorded it (JST)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_mail.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
