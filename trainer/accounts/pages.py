"""What the secretariat's staff pages share with the platform admin's pages: the page that shows
an invitation link once, and the one that shows a password reset link once."""

from __future__ import annotations

from flask import render_template, url_for

from trainer.accounts.invitations import InvitationLink
from trainer.accounts.models import Network, User
from trainer.qr import absolute_url, qr_svg


def invitation_link_page(
    link: InvitationLink, *, back_url: str, created: Network | None = None
) -> str:
    """The link, shown once: never kept by a browser or proxy cache (the endpoints that show it
    are in core/headers.py's NO_STORE_ENDPOINTS). `created` is the network just made with it."""
    url = absolute_url(url_for("auth.invitation", token=link.token))
    return render_template(
        "accounts/invitations/link.html",
        invitation=link.invitation,
        url=url,
        qr=qr_svg(url, label="招待リンクのQRコード"),
        back_url=back_url,
        created=created,
    )


def reset_link_page(user: User, token: str) -> str:
    """A password reset link, shown once (no-store like the invitation link)."""
    return render_template(
        "accounts/staff/reset_link.html",
        user=user,
        url=absolute_url(url_for("auth.reset_password", token=token)),
    )
