"""A member's bulletins: the list, one bulletin (its first open recorded), its attachment, and
the switch for bulletin mails. A bulletin that is not for the member is 404, as is a draft."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.accounts.access import learner_required
from trainer.bulletins import attachments, mail_stop, reading
from trainer.bulletins.forms import ActionForm
from trainer.bulletins.models import Bulletin
from trainer.extensions import db

bp = Blueprint("my_bulletins", __name__, url_prefix="/me/bulletins")


def _own(bulletin_id: int) -> Bulletin:
    bulletin = reading.get_for_member(db.session, current_user, bulletin_id)
    if bulletin is None:
        abort(404)
    return bulletin


@bp.get("/")
@learner_required
def index():
    return render_template(
        "bulletins/member/index.html",
        items=reading.for_member(db.session, current_user),
        mail_stopped=mail_stop.is_stopped(db.session, current_user.id),
        member=current_user,
    )


@bp.get("/<int:bulletin_id>")
@learner_required
def show(bulletin_id: int):
    bulletin = _own(bulletin_id)
    reading.record_open(db.session, bulletin, current_user)
    return render_template(
        "bulletins/member/show.html",
        bulletin=bulletin,
        is_image=attachments.is_image(bulletin),
    )


@bp.get("/<int:bulletin_id>/attachment")
@learner_required
def attachment(bulletin_id: int):
    return attachments.response(_own(bulletin_id))


@bp.post("/mail")
@learner_required
def mail():
    """Stop or resume bulletin mails (the personal page's switch)."""
    if not ActionForm().validate_on_submit():
        flash("ページの有効期限が切れました。もう一度操作してください。", "error")
    elif request.form.get("action") == "resume":
        mail_stop.resume(db.session, current_user)
        flash("お知らせのメールを、また受け取るようにしました。", "success")
    elif request.form.get("action") == "stop":
        mail_stop.stop(db.session, current_user)
        flash("お知らせのメールを止めました。お知らせは、このページで読めます。", "success")
    return redirect(url_for(".index"))
