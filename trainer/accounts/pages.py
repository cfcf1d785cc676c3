"""What the secretariat's staff pages share with the platform admin's pages: the page after an
invitation or a password reset link was made. With mail set up, the link is mailed to the
account's own address and the page says only where it went (accounts/link_mail.py); without,
the page shows the link once, as before."""

from __future__ import annotations

from flask import render_template, url_for

from trainer.accounts import link_mail
from trainer.accounts.invitations import InvitationLink
from trainer.accounts.models import Network, User
from trainer.extensions import db
from trainer.mail import outbox
from trainer.qr import absolute_url, qr_svg


def invitation_link_page(
    link: InvitationLink, *, back_url: str, created: Network | None = None
) -> str:
    """The link mailed, or shown once: never kept by a browser or proxy cache (the endpoints
    that show it are in core/headers.py's NO_STORE_ENDPOINTS). `created` is the network just
    made with it."""
    if outbox.mail_configured():
        link_mail.invitation(db.session, link)
        db.session.commit()
        outbox.deliver_soon()
        return render_template(
            "accounts/link_sent.html",
            what="招待リンク",
            address=link.invitation.user.email,
            network=link.invitation.network,
            back_url=back_url,
            created=created,
        )
    url = absolute_url(url_for("auth.invitation", token=link.token))
    return render_template(
        "accounts/invitations/link.html",
        invitation=link.invitation,
        url=url,
        qr=qr_svg(url, label="招待リンクのQRコード"),
        back_url=back_url,
        created=created,
    )


def reset_link_page(user: User, token: str, *, network: Network | None = None) -> str:
    """A password reset link, mailed, or shown once (no-store like the invitation link).
    `network`: the issuing network (None: the platform admin)."""
    if outbox.mail_configured():
        link_mail.password_reset(db.session, user=user, token=token, network=network)
        db.session.commit()
        outbox.deliver_soon()
        return render_template(
            "accounts/link_sent.html",
            what="パスワード再設定用リンク",
            address=user.email,
            network=network,
            back_url=url_for("core.home"),
            created=None,
        )
    return render_template(
        "accounts/staff/reset_link.html",
        user=user,
        url=absolute_url(url_for("auth.reset_password", token=token)),
    )
