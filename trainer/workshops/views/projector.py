"""The projector: its page and the live part that the page fetches every 2 seconds, opened from
the projector link (projector_link.py) on any screen, signed in or not. What they show is
rendered by projector.py."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from trainer.errors import NotFound
from trainer.extensions import db
from trainer.timeutil import today_jst
from trainer.workshops import codes, projector, projector_link
from trainer.workshops.models import Workshop

bp = Blueprint("projector", __name__, url_prefix="/projector")

EXPIRED = (
    "このプロジェクター用リンクは期限が切れました（研修会の翌日まで使えます）。"
    "講師の画面から開き直してください。"
)


@bp.get("/<int:workshop_id>/<token>")
def page(workshop_id: int, token: str):
    workshop = _workshop(workshop_id)
    if not projector_link.matches(workshop.id, workshop.projector_version, token):
        raise NotFound("ページが見つかりません。")
    if projector_link.expired(workshop.held_on, today_jst()):
        return render_template("workshops/projector/expired.html", message=EXPIRED), 410
    codes.known_from_here(workshop.join_code)
    return projector.render_projector_page(db.session, workshop)


@bp.get("/<int:workshop_id>/<token>/live")
def live(workshop_id: int, token: str):
    """Served from the cache without a database query while it is fresh (live_cache.py); the
    token and the date are checked against what the cache read with the fragment."""
    fragment = projector.live_fragments().fetch(
        workshop_id, lambda: projector.render_live(db.session, _workshop(workshop_id))
    )
    if not projector_link.matches(workshop_id, fragment.projector_version, token):
        raise NotFound("ページが見つかりません。")
    if projector_link.expired(fragment.held_on, today_jst()):
        return Response(EXPIRED, status=410, mimetype="text/plain")
    return projector.live_response(fragment)


def _workshop(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound("ページが見つかりません。")
    return workshop
