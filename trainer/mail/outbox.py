"""The outbox: queue a message in the caller's transaction, deliver due messages over SMTP.

- `queue()` only adds a row (flush): the message commits with the thing that caused it, or not
  at all. Nothing is sent inside a request's transaction.
- `deliver_due()` sends what is due, one message at a time: it claims a row (moves its
  next_attempt_at forward by a lease, committed) before talking to the server, so two senders at
  once never send one message twice, and a sender that dies mid-way leaves the message to be
  retried when the lease ends. A failure is retried with exponential backoff (1, 2, 4 … minutes,
  at most 6 hours); a permanent refusal (an SMTP 5xx reply) or the tenth failed try marks the
  message failed. A server that cannot be reached stops the round: the rest waits, untouched.
- `deliver_soon()` is what a view calls after its commit. It calls the dispatcher registered on
  the app (DISPATCH_KEY: trainer/worker.py enqueues a task for the worker, whose every-minute job
  is also the retry path), so the response never waits for the mail server. With no dispatcher
  (an app built without the worker), a background thread delivers, as before.

Without SMTP settings (TRAINER_SMTP_HOST) nothing is sent and every message stays queued.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import func, select, update

from trainer.database import Session, rows_changed
from trainer.extensions import db
from trainer.mail.models import MailStatus, OutgoingMail
from trainer.timeutil import to_jst, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_BACKOFF = timedelta(hours=6)
# How long a claimed message is left alone by other senders while this one tries it.
LEASE = timedelta(minutes=10)
TIMEOUT_SECONDS = 20
BATCH = 50
# app.extensions[DISPATCH_KEY]: a callable without arguments that arranges delivery soon (the
# worker registers one; this bottom-layer module never imports the worker).
DISPATCH_KEY = "trainer.mail_dispatch"
DEFAULT_SENDER_NAME = "見守りネットワーク"
# Mail whose body holds a sign-in link (an invitation, a password reset, a personal link): the
# body is emptied once the server has accepted it (the token must not stay in clear).
LINK_KIND_PREFIX = "link."
SENT_LINK_BODY = "（ログイン用のリンクを含むため、送信後に本文を削除しました）"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | tls | none
    user: str
    password: str
    sender: str  # the From address

    @classmethod
    def from_config(cls, config: Any) -> SmtpSettings:
        return cls(
            host=config.get("SMTP_HOST", ""),
            port=int(config.get("SMTP_PORT", 587)),
            security=config.get("SMTP_SECURITY", "starttls"),
            user=config.get("SMTP_USER", ""),
            password=config.get("SMTP_PASSWORD", ""),
            sender=config.get("MAIL_FROM", ""),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)


def mail_configured(app: Flask | None = None) -> bool:
    """Whether mail can be sent at all (SMTP host and sender address set)."""
    return SmtpSettings.from_config((app or current_app).config).configured


def queue(
    session: Session,
    *,
    network_id: int | None,
    kind: str,
    subject_type: str,
    subject_id: int | None,
    to: str,
    subject: str,
    body: str,
    sender_name: str = "",
    unsubscribe_url: str = "",
) -> OutgoingMail:
    """Add a message to the outbox in the caller's transaction (flush only)."""
    mail = OutgoingMail(
        network_id=network_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        to_address=to.strip(),
        sender_name=sender_name,
        list_unsubscribe=unsubscribe_url,
        subject=subject,
        body=body,
        status=MailStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(mail)
    session.flush()
    return mail


def backoff(attempts: int) -> timedelta:
    """The wait after the attempts-th failed try: 1, 2, 4 … minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 20)), MAX_BACKOFF)


@dataclass
class Delivery:
    """What one round of deliver_due did."""

    sent: int = 0
    retry: int = 0  # failed this time, tried again later
    failed: int = 0  # given up
    stopped: bool = False  # the server could not be reached or refused the login: round ended

    @property
    def tried(self) -> int:
        return self.sent + self.retry + self.failed


@dataclass(frozen=True)
class _Failure:
    text: str  # for last_error: short, no secrets
    permanent: bool = False  # this message will never go: failed at once
    stop: bool = False  # nothing else can go now either: end the round


def deliver_due(
    session: Session,
    *,
    now: datetime,
    limit: int = BATCH,
    settings: SmtpSettings | None = None,
) -> Delivery:
    """Send up to `limit` messages that are due at `now`; see the module's notes."""
    settings = settings or SmtpSettings.from_config(current_app.config)
    result = Delivery()
    if not settings.configured:
        return result
    due = session.scalars(
        select(OutgoingMail.id)
        .where(
            OutgoingMail.status == MailStatus.QUEUED.value,
            OutgoingMail.next_attempt_at <= now,
        )
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
    ).all()
    session.commit()
    with _Connection(settings) as connection:
        for mail_id in due:
            mail = _claim(session, mail_id, now)
            if mail is None:
                continue  # another sender has it, or it was sent meanwhile
            failure = connection.send(mail)
            _record(session, mail, failure, now, result)
            if failure is not None and failure.stop:
                result.stopped = True
                break
    return result


def _claim(session: Session, mail_id: int, now: datetime) -> OutgoingMail | None:
    claimed = rows_changed(
        session.execute(
            update(OutgoingMail)
            .where(
                OutgoingMail.id == mail_id,
                OutgoingMail.status == MailStatus.QUEUED.value,
                OutgoingMail.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + LEASE, attempts=OutgoingMail.attempts + 1)
        )
    )
    session.commit()
    return session.get(OutgoingMail, mail_id) if claimed == 1 else None


def _record(
    session: Session,
    mail: OutgoingMail,
    failure: _Failure | None,
    now: datetime,
    result: Delivery,
) -> None:
    if failure is None:
        mail.status, mail.sent_at, mail.last_error = MailStatus.SENT.value, utcnow(), ""
        if mail.kind.startswith(LINK_KIND_PREFIX):
            mail.body = SENT_LINK_BODY
        result.sent += 1
    else:
        mail.last_error = failure.text[:300]
        if failure.permanent or mail.attempts >= MAX_ATTEMPTS:
            mail.status = MailStatus.FAILED.value
            result.failed += 1
        else:
            mail.next_attempt_at = now + backoff(mail.attempts)
            result.retry += 1
        log.warning("mail %s: try %s failed: %s", mail.id, mail.attempts, mail.last_error)
    session.commit()


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """The message as it goes out: UTF-8 plain text, the network's name as the From name
    (encoded by the email package), Date in Japan time, a Message-ID kept across retries, and
    Auto-Submitted (RFC 3834: no auto-replies back)."""
    if not mail.message_id:
        mail.message_id = make_msgid(domain=sender.rpartition("@")[2] or None)
    message = EmailMessage()
    message["From"] = Address(
        display_name=mail.sender_name or DEFAULT_SENDER_NAME, addr_spec=sender
    )
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(to_jst(utcnow()))
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    if mail.list_unsubscribe:
        message["List-Unsubscribe"] = f"<{mail.list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body, charset="utf-8", cte="base64")
    return message


class _Connection:
    """One SMTP session for a round, opened at the first message that needs it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
        try:
            if s.security == "starttls":
                client.starttls(context=context)
            if s.user:
                client.login(s.user, s.password)
        except BaseException:
            client.close()
            raise
        return client

    def send(self, mail: OutgoingMail) -> _Failure | None:
        """None when the server accepted the message, else why not."""
        try:
            message = build_message(mail, self.settings.sender)
        except (ValueError, TypeError) as error:
            return _Failure(f"メールを組み立てられません（{type(error).__name__}）", permanent=True)
        if self.client is None:
            try:
                self.client = self._open()
            except smtplib.SMTPAuthenticationError as error:
                return _Failure(
                    f"SMTPサーバーにログインできませんでした（{error.smtp_code}）。"
                    "TRAINER_SMTP_USER と TRAINER_SMTP_PASSWORD を確かめてください",
                    stop=True,
                )
            except (smtplib.SMTPException, OSError) as error:
                self.client = None
                return _Failure(_describe(error, "SMTPサーバーに接続できませんでした"), stop=True)
        try:
            self.client.send_message(
                message, from_addr=self.settings.sender, to_addrs=[mail.to_address]
            )
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _reply in error.recipients.values()]
            return _Failure(
                f"宛先が受け付けられませんでした（{', '.join(map(str, codes))}）",
                permanent=all(code >= 500 for code in codes),
            )
        except smtplib.SMTPResponseException as error:
            return _Failure(
                _describe(error, "SMTPサーバーが受け付けませんでした"),
                permanent=error.smtp_code >= 500,
                stop=error.smtp_code == 421,
            )
        except smtplib.SMTPNotSupportedError as error:  # e.g. an address that needs SMTPUTF8
            return _Failure(_describe(error, "SMTPサーバーが対応していません"), permanent=True)
        except (smtplib.SMTPException, OSError) as error:
            self.client = None
            return _Failure(_describe(error, "送信の途中で接続が切れました"), stop=True)
        return None


def _describe(error: BaseException, what: str) -> str:
    """A short line for last_error: the SMTP code and reply, or the error's kind. The settings
    (and so the password) are never part of it."""
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return f"{what}（{error.smtp_code} {' '.join(text.split())[:150]}）"
    return f"{what}（{type(error).__name__}）"


def deliver_all(session: Session, *, limit: int = 1000) -> Delivery:
    """Rounds of deliver_due until nothing is due, the server cannot be reached, or `limit`
    messages were tried (`trainer mail send` and the worker)."""
    total = Delivery()
    while total.tried < limit:
        round_ = deliver_due(session, now=utcnow(), limit=min(BATCH, limit - total.tried))
        total.sent += round_.sent
        total.retry += round_.retry
        total.failed += round_.failed
        if round_.stopped or round_.tried == 0:
            total.stopped = round_.stopped
            break
    return total


def deliver_soon() -> None:
    """After a view's commit: deliver what is due without holding up the response, through the
    app's dispatcher (DISPATCH_KEY, the worker's queue). Without one: a daemon thread with its
    own app context and session, or at once with MAIL_DELIVER_INLINE. A dispatcher that fails
    (Redis down) is logged, not raised: the message is committed, the worker's every-minute
    round sends it."""
    app = cast(Any, current_app)._get_current_object()
    if not mail_configured(app):
        return
    dispatch = app.extensions.get(DISPATCH_KEY)
    if dispatch is not None:
        try:
            dispatch()
        except Exception:
            log.exception("mail: the delivery could not be queued; the next round sends it")
        return
    if app.config.get("MAIL_DELIVER_INLINE"):
        deliver_due(db.session, now=utcnow(), limit=BATCH)
        return
    threading.Thread(
        target=_deliver_in_background, args=(app,), name="mail-delivery", daemon=True
    ).start()


def _deliver_in_background(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_due(db.session, now=utcnow(), limit=BATCH)
        except Exception:  # a thread has no one to report to: log it, the timer retries
            log.exception("mail delivery in the background failed")
        finally:
            db.session.remove()


def erase_old(session: Session, *, now: datetime, days: int) -> int:
    """Erase the address and body of mail sent (or failed for good) more than `days` ago: they
    hold members' addresses and names, and a bulletin's text is on its page anyway. The row
    stays, with its kind, status, subject and times, so that the counts (a bulletin's mails sent,
    a report's notices) do not change. Commits; returns how many were erased."""
    cutoff = now - timedelta(days=days)
    erased = rows_changed(
        session.execute(
            update(OutgoingMail)
            .where(
                OutgoingMail.status.in_((MailStatus.SENT.value, MailStatus.FAILED.value)),
                func.coalesce(OutgoingMail.sent_at, OutgoingMail.created_at) < cutoff,
                (OutgoingMail.to_address != "") | (OutgoingMail.body != ""),
            )
            .values(to_address="", body="", list_unsubscribe="")
        )
    )
    session.commit()
    return erased


def counts_by_status(session: Session) -> dict[str, int]:
    """How many messages are queued, sent and failed (every status present, 0 if none)."""
    rows = session.execute(
        select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)
    ).all()
    found = {status: count for status, count in rows}
    return {status.value: found.get(status.value, 0) for status in MailStatus}


def mails_about(session: Session, subject_type: str, subject_id: int) -> list[OutgoingMail]:
    """The messages a thing caused, oldest first (e.g. a report's notices)."""
    return list(
        session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.subject_type == subject_type, OutgoingMail.subject_id == subject_id)
            .order_by(OutgoingMail.id)
        )
    )
