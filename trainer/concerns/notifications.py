"""Mail that a concern report causes: a new report to the network's notification address, an
instruction to the member's own address. Queued in the caller's transaction (flush only), so a
report is saved whatever happens to the mail; sent after the commit (deliver_soon), and retried
by `trainer mail send`.

Mail never carries the report's contents (the signs, the area, the person's details, the free
text) nor the reporter's name: only the number, the urgency and the link to open it in the app,
behind its sign-in. A mistyped or forwarded address then leaks nothing about the person.
"""

from __future__ import annotations

from flask import current_app

from trainer.accounts.models import Network
from trainer.concerns.models import ConcernMessage, ConcernReport
from trainer.database import Session
from trainer.mail import outbox
from trainer.mail.models import OutgoingMail
from trainer.timeutil import jdatetime

SUBJECT_TYPE = "concern_report"  # both notices are "about" the report (subject_id: its id)
KIND_NEW = "concern.new"
KIND_INSTRUCTION = "concern.instruction"
KIND_LABELS = {KIND_NEW: "事務局への通知", KIND_INSTRUCTION: "構成員への通知"}
_FOOTER = (
    "\n\n--\nこのメールは見守りトレーナーから自動で送っています。返信しても届きません。\n"
    "報告の内容は、メールには書いていません。"
)


def _base_url() -> str:
    return str(current_app.config["TRAINER_BASE_URL"])


def _network(session: Session, network_id: int) -> Network:
    network = session.get(Network, network_id)
    if network is None:  # the report's foreign key makes this impossible
        raise LookupError(f"network {network_id}")
    return network


def new_report(session: Session, report: ConcernReport) -> OutgoingMail | None:
    """Queue the secretariat's notice of a new report (if the network has an address)."""
    network = _network(session, report.network_id)
    address = (network.concern_notify_email or "").strip()
    if not address:
        return None
    urgent = "（緊急）" if report.is_urgent else ""
    subject = f"【見守りネットワーク】気づき報告 受付番号 {report.number_label}{urgent}"
    url = f"{_base_url()}/n/{report.network_id}/concerns/{report.id}"
    body = (
        f"{network.name} 事務局 御中\n\n"
        "構成員から、新しい気づき報告が届きました。\n\n"
        f"受付番号：{report.number_label}\n"
        f"急ぎかどうか：{report.urgency_label}\n"
        f"受付日時：{jdatetime(report.received_at)}\n\n"
        "内容は、次のページにログインして確かめてください。\n"
        f"{url}\n"
        + (
            "\n今まさに起きていると報告されています。できるだけ早く確かめてください。\n"
            if report.is_urgent
            else ""
        )
        + _FOOTER
    )
    return outbox.queue(
        session,
        network_id=report.network_id,
        kind=KIND_NEW,
        subject_type=SUBJECT_TYPE,
        subject_id=report.id,
        to=address,
        subject=subject,
        body=body,
        sender_name=network.name,
    )


def instruction(session: Session, message: ConcernMessage) -> OutgoingMail | None:
    """Queue the member's notice of a new instruction (if the member has an address). It links
    to the report on their personal page, which they open as usual (their personal link is
    never in a mail: a forwarded mail would sign someone else in)."""
    report = message.report or session.get(ConcernReport, message.report_id)
    if report is None:  # neither attached nor stored: nothing to announce
        return None
    member = report.member
    address = (member.email or "").strip()
    if not address:
        return None
    network = _network(session, report.network_id)
    body = (
        "見守りネットワークの構成員の方へ\n\n"
        f"あなたが送った気づき報告（受付番号 {report.number_label}）について、"
        "事務局から返事があります。\n\n"
        "いつも研修に使っているページ（個人用リンク）を開いてから、次のページで確かめてください。\n"
        f"{_base_url()}/me/reports/{report.number}\n\n"
        "読んだら「了解しました」を押してください。" + _FOOTER
    )
    return outbox.queue(
        session,
        network_id=report.network_id,
        kind=KIND_INSTRUCTION,
        subject_type=SUBJECT_TYPE,
        subject_id=report.id,
        to=address,
        subject=f"【{network.name}】事務局から返事があります（受付番号 {report.number_label}）",
        body=body,
        sender_name=network.name,
    )


def deliver_soon() -> None:
    """Call after the commit that queued a notice: sends it without delaying the response."""
    outbox.deliver_soon()


def mail_state_for(session: Session, report: ConcernReport) -> list[OutgoingMail]:
    """The report's notices, oldest first, for the inbox's detail page: show each as
    KIND_LABELS[mail.kind] and mail.state_label(mail_configured()) — 送信済み, 送信待ち
    （メール未設定）, 送信できませんでした …"""
    return outbox.mails_about(session, SUBJECT_TYPE, report.id)


def mail_configured() -> bool:
    return outbox.mail_configured()
