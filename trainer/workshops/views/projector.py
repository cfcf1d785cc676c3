"""The projector: its page and the live part that the page fetches every 2 seconds, opened from
the projector link (projector_link.py) on any screen, signed in or not."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, url_for

from trainer.errors import NotFound
from trainer.extensions import db
from trainer.qr import absolute_url, qr_svg
from trainer.timeutil import today_jst
from trainer.workshops import codes, projector_link, service
from trainer.workshops.live_cache import LiveFragment, LiveFragmentCache
from trainer.workshops.models import Phase, Workshop

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
        return render_template("workshops/projector_expired.html", message=EXPIRED), 410
    return render_projector_page(workshop)


@bp.get("/<int:workshop_id>/<token>/live")
def live(workshop_id: int, token: str):
    """Served from the cache without a database query while it is fresh (live_cache.py); the
    token and the date are checked against what the cache read with the fragment."""
    fragment = live_fragments().fetch(workshop_id, lambda: render_live(_workshop(workshop_id)))
    if not projector_link.matches(workshop_id, fragment.projector_version, token):
        raise NotFound("ページが見つかりません。")
    if projector_link.expired(fragment.held_on, today_jst()):
        return Response(EXPIRED, status=410, mimetype="text/plain")
    return live_response(fragment)


def render_projector_page(workshop: Workshop) -> str:
    return render_template(
        "workshops/projector.html",
        live_url=projector_link.live_path(workshop),
        **projector_context(workshop),
    )


def join_url(workshop: Workshop) -> str:
    """The address on the join QR code (the projector's and the trainer's page)."""
    return absolute_url(url_for("join.join", code=workshop.join_code))


def projector_context(workshop: Workshop) -> dict:
    url = join_url(workshop)
    return {
        "workshop": workshop,
        "Phase": Phase,
        "join_url": url,
        "spaced": codes.spaced(workshop.join_code),
        "qr": qr_svg(url, label="参加用QRコード"),
        "state": service.projector_state(db.session, workshop),
        # The survey's figures are on the wall only from アンケート on.
        "summary": service.feedback_summary(db.session, workshop)
        if workshop.current_phase.index >= Phase.SURVEY.index
        else None,
    }


def _workshop(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound("ページが見つかりません。")
    return workshop


def render_live(workshop: Workshop) -> LiveFragment:
    return LiveFragment(
        html=render_template("workshops/_live.html", **projector_context(workshop)),
        phase=workshop.phase,
        projector_version=workshop.projector_version,
        held_on=workshop.held_on,
    )


def live_response(fragment: LiveFragment) -> Response:
    response = Response(fragment.html)
    response.headers["Cache-Control"] = "no-store"
    return response


def live_fragments() -> LiveFragmentCache:
    cache = current_app.extensions.get("trainer.live_fragments")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "trainer.live_fragments",
            LiveFragmentCache(current_app.config["PROJECTOR_CACHE_SECONDS"]),
        )
    return cache
