"""Reminders before a certificate runs out: a mail 90 and 30 days before its last valid day
(once each, recorded in CertificateReminder), and the banner on the member's personal page
from 90 days before until the renewal (or, after the expiry, while the refresher is open)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainer.accounts.models import Member
from trainer.certificates.models import Certificate
from trainer.database import Session
from trainer.learning.models import Course
from trainer.mail import outbox
from trainer.refresher import eligibility
from trainer.refresher.models import CertificateReminder
from trainer.timeutil import jdate

KIND = "refresher.reminder"
SUBJECT_TYPE = "certificate"
_FOOTER = "\n\n--\nこのメールは見守りトレーナーから自動で送っています。返信しても届きません。"


def threshold_on(valid_until: date, today: date) -> int | None:
    """The reminder due today for a certificate valid until `valid_until`: 30 from 30 days
    before on, 90 from 90 days before on, None outside (before, or after the last day). A job
    that did not run on the 90th day sends only the 30-day one, never both at once."""
    days_left = (valid_until - today).days
    if days_left < 0:
        return None
    for threshold in sorted(eligibility.THRESHOLDS):
        if days_left <= threshold:
            return threshold
    return None


def send_due_reminders(session: Session, today: date) -> int:
    """Record (and mail, where the member has an address) every reminder due on `today` that
    has not been recorded yet; commit; return how many were recorded. Safe to run any number
    of times a day: the (certificate, threshold) pair is unique."""
    horizon = today + timedelta(days=max(eligibility.THRESHOLDS))
    candidates = session.scalars(
        eligibility.current_statement(today)
        .where(Certificate.valid_until >= today, Certificate.valid_until <= horizon)
        .options(joinedload(Certificate.member).joinedload(Member.network))
        .options(joinedload(Certificate.course))
        .order_by(Certificate.id)
    ).all()
    done = {
        (certificate_id, threshold)
        for certificate_id, threshold in session.execute(
            select(CertificateReminder.certificate_id, CertificateReminder.threshold).where(
                CertificateReminder.certificate_id.in_([c.id for c in candidates])
            )
        )
    }
    count = 0
    for certificate in candidates:
        threshold = threshold_on(certificate.valid_until, today)
        if threshold is None or (certificate.id, threshold) in done:
            continue
        mail = _queue_mail(session, certificate, today)
        session.add(
            CertificateReminder(
                certificate_id=certificate.id,
                threshold=threshold,
                due_on=today,
                mail_id=mail.id if mail else None,
            )
        )
        count += 1
    session.commit()
    return count


def reminder_text(certificate: Certificate, today: date, minutes: int) -> tuple[str, str]:
    """The reminder's subject and body (plain text, Japanese)."""
    member, course, network = certificate.member, certificate.course, certificate.member.network
    until = jdate(certificate.valid_until)
    days = (certificate.valid_until - today).days
    base = str(current_app.config.get("TRAINER_BASE_URL", ""))
    phone = f"（電話 {network.secretariat_phone}）" if network.secretariat_phone else ""
    subject = f"【{network.name}】修了証の有効期限が近づいています（{until}まで）"
    body = (
        f"{member.name} 様\n\n"
        f"「{course.title}」の修了証（{certificate.serial_label}）の有効期限は{until}です"
        f"（あと{days}日）。\n\n"
        f"期限までに、更新研修（約{minutes}分）を受けてください。"
        "合格すると、新しい修了証が発行されます。"
        "早めに受けても、新しい有効期限は今の期限の翌日から数えるので、損はありません。\n\n"
        "いつも研修に使っているページ（個人用リンク）を開くと、"
        "「更新研修を始める」ボタンがあります。次のページからも始められます。\n"
        f"{base}/learn/{course.slug}/refresher\n\n"
        f"個人用リンクがわからないときは、{network.name} 事務局にお問い合わせください{phone}。"
        + _FOOTER
    )
    return subject, body


def _queue_mail(session: Session, certificate: Certificate, today: date):
    address = (certificate.member.email or "").strip()
    if not address:
        return None
    minutes = eligibility.review(certificate.course, certificate).minutes
    subject, body = reminder_text(certificate, today, minutes)
    return outbox.queue(
        session,
        network_id=certificate.network_id,
        kind=KIND,
        subject_type=SUBJECT_TYPE,
        subject_id=certificate.id,
        to=address,
        subject=subject,
        body=body,
        sender_name=certificate.member.network.name,
    )


# --- the banner on the personal page -------------------------------------------------------------


@dataclass(frozen=True)
class Banner:
    course: Course
    valid_until: date
    minutes: int
    expired: bool
    last_day: date  # the last day the refresher is open

    @property
    def text(self) -> str:
        until = jdate(self.valid_until)
        if self.expired:
            return (
                f"修了証の有効期限（{until}）が過ぎました。{jdate(self.last_day)}までは、"
                f"更新研修（約{self.minutes}分）で更新できます"
            )
        return f"修了証の有効期限は{until}です。更新研修（約{self.minutes}分）を受けてください"


def banners(session: Session, member: Member, today: date) -> list[Banner]:
    """One banner per course whose current certificate is in the refresher's window today."""
    found = []
    for certificate in session.scalars(
        eligibility.current_statement(today)
        .where(Certificate.member_id == member.id)
        .order_by(Certificate.valid_until)
    ):
        if not eligibility.in_window(certificate.valid_until, today):
            continue
        found.append(
            Banner(
                course=certificate.course,
                valid_until=certificate.valid_until,
                minutes=eligibility.review(certificate.course, certificate).minutes,
                expired=today > certificate.valid_until,
                last_day=eligibility.last_refresher_day(certificate.valid_until),
            )
        )
    return found
