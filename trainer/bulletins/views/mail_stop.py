"""The stop link at the foot of every bulletin mail (List-Unsubscribe, RFC 8058).

GET shows a page with one button; POST stops the mails. A mail client's one-click unsubscribe
posts `List-Unsubscribe=One-Click` to the same address with no cookie and no CSRF token, so the
POST is exempt from CSRF: the signed token in the URL is what authorises it (it cannot be forged
without SECRET_KEY, and it can do one thing only, stop one member's bulletin mails, which the
member can undo on their personal page). A forged or unknown token gets the same neutral page,
saying nothing about whom it would have named.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from trainer.bulletins import mail_stop
from trainer.extensions import csrf, db

bp = Blueprint("bulletin_mail", __name__, url_prefix="/bulletins/stop")


def _neutral():
    return render_template("bulletins/mail_stop/unknown.html"), 404


@bp.get("/<token>")
def confirm(token: str):
    member = mail_stop.member_of_token(db.session, token)
    if member is None:
        return _neutral()
    return render_template(
        "bulletins/mail_stop/confirm.html",
        network_name=member.network.name,
        stopped=mail_stop.is_stopped(db.session, member.id),
        token=token,
    )


@bp.post("/<token>")
@csrf.exempt  # RFC 8058 one-click: see the module's notes; the signed token authorises it
def stop(token: str):
    member = mail_stop.member_of_token(db.session, token)
    if member is None:
        return _neutral()
    mail_stop.stop(db.session, member)
    return render_template("bulletins/mail_stop/done.html", network_name=member.network.name)
