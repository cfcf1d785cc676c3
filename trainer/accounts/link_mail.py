"""Sign-in links by mail: a staff invitation, a password reset link, a member's personal link.

When mail is set up (outbox.mail_configured), a staff link goes to the account's own address and
is never shown to the person who made it: the inviter's page says only 「<address> に送りました」.
That closes the pre-registration hole at its root (one network invites the address of someone who
will later be staff elsewhere, opens the setup link itself and chooses the password: see
invitations.py): the link now reaches only the mailbox of the address. Without mail, the pages show
the link as before (invitations.py explains what still holds then).

A member's personal link is mailed only on the secretariat's request (a button on the member's
page), to the member's own stored address. It is the member's current link, not a new one: a
new link would silently stop the QR slips and badges the member already carries (rotating stays
its own, explicit button). Sending it is audited like showing it.

Each function queues in the caller's transaction; the caller commits, then calls
outbox.deliver_soon(). The message bodies hold the link until the server accepts them (kind
link.*: outbox empties the body then).
"""

from __future__ import annotations

from flask import current_app, url_for

from trainer.accounts.invitations import InvitationLink
from trainer.accounts.models import Member, Network, User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict
from trainer.mail import outbox, records
from trainer.mail.models import OutgoingMail
from trainer.qr import absolute_url

FOOTER = "\n\n--\nこのメールは見守りトレーナーから自動で送っています。返信しても届きません。\n"
PLATFORM_NAME = "見守りトレーナー"


def invitation(session: Session, link: InvitationLink) -> OutgoingMail:
    """The invitation link, to the invited address."""
    invited = link.invitation
    network = invited.network
    url = absolute_url(url_for("auth.invitation", token=link.token))
    body = (
        f"{invited.name_given} 様\n\n"
        f"「{network.name}」の{invited.role_label}として、見守りトレーナーに招待されました。\n"
        "次のリンクを開いて、承諾してください。初めての方は、そこでパスワードを決めます。\n"
        "すでにアカウントのある方は、ログインしてから承諾してください。\n\n"
        f"{url}\n\n"
        f"このリンクは{_hours()}時間で使えなくなります。心当たりがない場合は、"
        "このメールを削除してください（承諾しなければ何も起きません）。" + FOOTER
    )
    return outbox.queue(
        session,
        network_id=network.id,
        kind=records.KIND_INVITATION,
        subject_type="invitation",
        subject_id=invited.id,
        to=invited.user.email,
        subject=f"【{network.name}】見守りトレーナーへの招待",
        body=body,
        sender_name=network.name,
    )


def password_reset(
    session: Session, *, user: User, token: str, network: Network | None
) -> OutgoingMail:
    """A password reset link, to the account's own address (network: the issuing network; None
    for the platform admin's)."""
    url = absolute_url(url_for("auth.reset_password", token=token))
    who = f"{network.name}の事務局" if network else "見守りトレーナーの管理者"
    body = (
        f"{user.name} 様\n\n"
        f"{who}が、見守りトレーナーのパスワード再設定用のリンクを発行しました。\n"
        "次のリンクを開いて、新しいパスワードを決めてください。\n\n"
        f"{url}\n\n"
        f"一度だけ使えます。{_hours()}時間で使えなくなります。心当たりがない場合は、"
        "このメールを削除してください（今のパスワードはそのまま使えます）。" + FOOTER
    )
    return outbox.queue(
        session,
        network_id=network.id if network else None,
        kind=records.KIND_RESET,
        subject_type="user",
        subject_id=user.id,
        to=user.email,
        subject="【見守りトレーナー】パスワード再設定のご案内",
        body=body,
        sender_name=network.name if network else PLATFORM_NAME,
    )


def can_mail_personal_link(member: Member) -> bool:
    """Whether the member's page offers 「個人用リンクをメールで送る」."""
    return bool((member.email or "").strip()) and not member.membership_ended


def personal_link(session: Session, *, member: Member, actor: User) -> OutgoingMail:
    """The member's current personal link, to the member's own address; audited."""
    if not can_mail_personal_link(member):
        raise Conflict(
            "メールアドレスが登録されていないか、退会した構成員です。個人用リンクは送れません。"
        )
    network = member.network
    url = absolute_url(url_for("learning.personal_link", token=member.link_token))
    body = (
        f"{member.name} 様\n\n"
        f"{network.name}の事務局から、見守りトレーナーの個人用リンクをお送りします。\n"
        "このリンクを開くと、あなたの研修のページが開きます（パスワードはいりません）。\n\n"
        f"{url}\n\n"
        "このリンクはあなた専用です。ほかの人に転送しないでください。\n"
        f"心当たりがない場合は、{network.name}の事務局にお問い合わせください。" + FOOTER
    )
    mail = outbox.queue(
        session,
        network_id=network.id,
        kind=records.KIND_PERSONAL_LINK,
        subject_type="member",
        subject_id=member.id,
        to=str(member.email),
        subject=f"【{network.name}】見守りトレーナーの個人用リンク",
        body=body,
        sender_name=network.name,
    )
    audit.record(
        session,
        actor=actor,
        action="member.link_mail",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=network.id,
        details={"email": mail.to_address},
    )
    return mail


def _hours() -> int:
    return int(current_app.config.get("PASSWORD_RESET_HOURS", 72))
