"""Publishing a bulletin, now or at a set time, and the mails it queues.

Publishing is one transaction: published_at is set by a conditional UPDATE (only while it is
still empty, so a double click, or the timer and a person at once, publish once) and one mail per
audience member who has an address and has not stopped bulletin mails is queued in the outbox
with it. Services only queue; the view (or the worker) delivers after the commit.

A mail is plain Japanese text: the title, the body (its Markdown source, which reads as plain
text), a link to the bulletin on the personal page and the link that stops these mails. The
member's personal link is never in it: a forwarded mail would sign its reader in as the member.
The bulletin's page asks them to open their personal link first, as the concern notices do.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from trainer.accounts.models import Network, User
from trainer.audit import service as audit
from trainer.bulletins import audience, mail_stop
from trainer.bulletins.editing import ensure_editable
from trainer.bulletins.models import Bulletin, BulletinKind
from trainer.database import Session, rows_changed
from trainer.errors import Conflict, DomainError
from trainer.mail import outbox
from trainer.mail.models import MailStatus, OutgoingMail
from trainer.timeutil import JST, jdatetime, to_jst

MAIL_KIND = "bulletin"
SUBJECT_TYPE = "bulletin"
MAX_AHEAD = timedelta(days=366)
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M")
ALREADY_PUBLISHED = "このお知らせは、すでに公開しています。"
_CALLOUT = re.compile(r"^!!!\s*(\S+).*$", re.MULTILINE)


def parse_jst(raw: str | None) -> datetime | None:
    """A date and time typed in Japan time (2026-12-05T09:00, 2026/12/5 9:00) as naive UTC."""
    text = (raw or "").strip()
    for pattern in DATETIME_FORMATS:
        try:
            local = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if not 2000 <= local.year <= 2100:
            return None
        return local.replace(tzinfo=JST).astimezone(UTC).replace(tzinfo=None)
    return None


def plain_body(source: str) -> str:
    """The Markdown source as mail text: call-out markers (!!! 注意) read as 【注意】."""
    return _CALLOUT.sub(lambda m: f"【{m.group(1)}】", source).strip()


def _mail_text(bulletin: Bulletin, network: Network) -> tuple[str, str]:
    """(subject, body without the stop link) of the bulletin's mail."""
    base = str(current_app.config["TRAINER_BASE_URL"]).rstrip("/")
    label = BulletinKind(bulletin.kind).label
    attachment = (
        f"\n\n添付：{bulletin.attachment_name}（個人ページで見られます）"
        if bulletin.attachment_name
        else ""
    )
    body = (
        f"{network.name}の構成員の方へ\n\n"
        f"【{label}】{bulletin.title}\n\n"
        f"{plain_body(bulletin.body_text)}{attachment}\n\n"
        "このお知らせは、個人ページでも読めます。いつも研修に使っているページ（個人用リンク）を"
        "開いてから、次のページを開いてください。\n"
        f"{base}/me/bulletins/{bulletin.id}\n\n"
        "--\n"
        f"このメールは{network.name}の事務局が、見守りトレーナーから送っています。"
        "返信しても届きません。\n"
        "お知らせのメールを止めるには、次のページを開いてください"
        "（お知らせは個人ページで読めます）。\n"
    )
    return f"【{label}】{bulletin.title}", body


def _publish(session: Session, bulletin: Bulletin, now: datetime) -> int | None:
    """Mark published and queue the mails (no commit); None when it already was published."""
    changed = rows_changed(
        session.execute(
            update(Bulletin)
            .where(Bulletin.id == bulletin.id, Bulletin.published_at.is_(None))
            .values(published_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if changed != 1:
        return None
    bulletin.published_at = now
    network = session.get(Network, bulletin.network_id)
    assert network is not None  # the foreign key
    subject, body = _mail_text(bulletin, network)
    recipients = audience.mail_recipients(session, bulletin, to_jst(now).date())
    for member_id, address in recipients:
        url = mail_stop.stop_url(member_id)
        outbox.queue(
            session,
            network_id=bulletin.network_id,
            kind=MAIL_KIND,
            subject_type=SUBJECT_TYPE,
            subject_id=bulletin.id,
            to=address,
            subject=subject,
            body=body + url + "\n",
            sender_name=network.name,
            unsubscribe_url=url,
        )
    return len(recipients)


def _record_publish(
    session: Session, bulletin: Bulletin, actor: User | None, mails: int, scheduled: bool
) -> None:
    audit.record(
        session,
        actor=actor,
        action="bulletin.publish",
        target_type="bulletin",
        target_id=bulletin.id,
        target_label=bulletin.title,
        network_id=bulletin.network_id,
        details={"mails": mails, "scheduled": scheduled},
    )


def publish_now(session: Session, *, bulletin: Bulletin, actor: User | None, now: datetime) -> int:
    """Publish at once; returns how many mails were queued. Commits."""
    ensure_editable(bulletin)
    mails = _publish(session, bulletin, now)
    if mails is None:
        session.rollback()
        raise Conflict(ALREADY_PUBLISHED)
    _record_publish(session, bulletin, actor, mails, scheduled=False)
    session.commit()
    return mails


def publish_due(session: Session, now: datetime) -> int:
    """Publish every scheduled bulletin whose time has come (publish_at <= now), each in its own
    transaction with its mails; returns how many were published. Running it again, or two at
    once, publishes nothing twice."""
    due = session.scalars(
        select(Bulletin.id)
        .where(Bulletin.publish_at.is_not(None), Bulletin.publish_at <= now)
        .where(Bulletin.published_at.is_(None))
        .order_by(Bulletin.publish_at, Bulletin.id)
    ).all()
    session.commit()
    published = 0
    for bulletin_id in due:
        bulletin = session.get(Bulletin, bulletin_id)
        if bulletin is None:
            continue
        mails = _publish(session, bulletin, now)
        if mails is None:  # published meanwhile (a person, or another worker)
            session.rollback()
            continue
        _record_publish(session, bulletin, None, mails, scheduled=True)
        session.commit()
        published += 1
    return published


def schedule(
    session: Session,
    *,
    bulletin: Bulletin,
    publish_at: datetime | None,
    actor: User | None,
    now: datetime,
) -> None:
    """Publish at publish_at (naive UTC, in the future, within a year). Commits."""
    ensure_editable(bulletin)
    if publish_at is None:
        raise DomainError(
            "公開する日時を 2026-12-05 09:00 の形で入力してください。", field="publish_at"
        )
    if publish_at <= now:
        raise DomainError("公開する日時は、今より後にしてください。", field="publish_at")
    if publish_at > now + MAX_AHEAD:
        raise DomainError("公開する日時は、1年以内にしてください。", field="publish_at")
    bulletin.publish_at = publish_at
    audit.record(
        session,
        actor=actor,
        action="bulletin.schedule",
        target_type="bulletin",
        target_id=bulletin.id,
        target_label=bulletin.title,
        network_id=bulletin.network_id,
        details={"publish_at": jdatetime(publish_at)},
    )
    session.commit()


def cancel_schedule(session: Session, *, bulletin: Bulletin, actor: User | None) -> None:
    """Back to a draft. Commits."""
    ensure_editable(bulletin)
    if bulletin.publish_at is None:
        raise DomainError("公開の予約はありません。")
    previous = jdatetime(bulletin.publish_at)
    bulletin.publish_at = None
    audit.record(
        session,
        actor=actor,
        action="bulletin.schedule_cancel",
        target_type="bulletin",
        target_id=bulletin.id,
        target_label=bulletin.title,
        network_id=bulletin.network_id,
        details={"publish_at": previous},
    )
    session.commit()


def withdraw_from_public(session: Session, *, bulletin: Bulletin, actor: User | None) -> None:
    """Take a published bulletin off the network's public page and feed (a mistake, or out of
    date). Members still see it, and the mails have gone: only the public copy stops. Commits."""
    if not bulletin.public:
        raise DomainError("このお知らせは一般公開していません。")
    bulletin.public = False
    audit.record(
        session,
        actor=actor,
        action="bulletin.withdraw_public",
        target_type="bulletin",
        target_id=bulletin.id,
        target_label=bulletin.title,
        network_id=bulletin.network_id,
    )
    session.commit()


def mail_counts(session: Session, bulletin_id: int) -> dict[str, int]:
    """Queued, sent and failed mails of one bulletin (every status, 0 if none)."""
    rows = session.execute(
        select(OutgoingMail.status, func.count())
        .where(OutgoingMail.subject_type == SUBJECT_TYPE, OutgoingMail.subject_id == bulletin_id)
        .group_by(OutgoingMail.status)
    ).all()
    found = {status: count for status, count in rows}
    return {status.value: int(found.get(status.value, 0)) for status in MailStatus}
