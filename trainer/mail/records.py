"""The 送信記録 (a network's outgoing mail, for its secretariat): what each message was about, its
state in plain Japanese, and putting a failed message back in the queue.

Mail that carries a sign-in link (an invitation, a password reset, a personal link) has a kind
starting with outbox.LINK_KIND_PREFIX: its body is emptied once the server accepted it, so the
database does not keep a usable link in clear. Neither this page nor anything else shows a
message's body to the staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from trainer.database import Session
from trainer.errors import Conflict, NotFound
from trainer.mail.models import MailStatus, OutgoingMail
from trainer.mail.outbox import LINK_KIND_PREFIX
from trainer.timeutil import utcnow

PER_PAGE = 50

KIND_INVITATION = LINK_KIND_PREFIX + "invitation"
KIND_RESET = LINK_KIND_PREFIX + "reset"
KIND_PERSONAL_LINK = LINK_KIND_PREFIX + "personal"

KIND_LABELS = {
    "concern.new": "気づき報告の通知（事務局へ）",
    "concern.instruction": "気づき報告の返事の通知（構成員へ）",
    KIND_INVITATION: "職員の招待リンク",
    KIND_RESET: "パスワード再設定リンク",
    KIND_PERSONAL_LINK: "個人用リンク",
}
# Kinds of the other parts (bulletins, refresher) by their first word.
KIND_PREFIX_LABELS = {"bulletin": "お知らせ", "refresher": "修了証の更新のご案内"}

STATUS_LABELS = {
    MailStatus.SENT.value: "送信済み",
    MailStatus.QUEUED.value: "送信待ち",
    MailStatus.FAILED.value: "送信できませんでした",
}


def kind_label(kind: str) -> str:
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    return KIND_PREFIX_LABELS.get(kind.partition(".")[0], kind)


def status_label(mail: OutgoingMail) -> str:
    return STATUS_LABELS.get(mail.status, mail.status)


@dataclass(frozen=True)
class Page:
    mails: list[OutgoingMail]
    total: int
    page: int
    pages: int


def of_network(session: Session, network_id: int, *, page: int, per_page: int = PER_PAGE) -> Page:
    """The network's outgoing mail, newest first, one page of it."""
    total = session.scalar(
        select(func.count()).select_from(OutgoingMail).where(OutgoingMail.network_id == network_id)
    )
    pages = max(1, -(-(total or 0) // per_page))
    page = min(page, pages)
    mails = session.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.network_id == network_id)
        .order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(mails=list(mails), total=total or 0, page=page, pages=pages)


def get_of_network(session: Session, network_id: int, mail_id: int) -> OutgoingMail:
    mail = session.get(OutgoingMail, mail_id)
    if mail is not None and mail.network_id != network_id:
        mail = None
    if mail is None:
        raise NotFound("メールが見つかりません。")
    return mail


def requeue(mail: OutgoingMail) -> int:
    """Put a failed message back in the queue, due now, with a fresh count of tries (the caller
    records it and commits). Returns the tries it had."""
    if mail.status != MailStatus.FAILED.value:
        raise Conflict("送信できなかったメールだけを、もう一度送れます。")
    tries = mail.attempts
    mail.status = MailStatus.QUEUED.value
    mail.attempts = 0
    mail.next_attempt_at = utcnow()
    return tries
