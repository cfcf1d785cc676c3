"""The learner's side: opening the personal link, and the learner's home page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from trainer.accounts import roster
from trainer.extensions import db, limiter

bp = Blueprint("learning", __name__)


@bp.route("/m/<token>", methods=["GET", "POST"])
@limiter.limit("60 per 15 minutes")
def personal_link(token: str):
    member = roster.member_by_link_token(db.session, token)
    if member is None:
        return render_template("learning/link_invalid.html"), 404
    # A staff member testing a handed-out link on their own browser is asked first, so that
    # opening it does not silently end their staff session.
    if getattr(current_user, "is_staff", False) and request.method == "GET":
        return render_template("learning/switch.html", member=member, token=token)
    logout_user()
    login_user(member, remember=True)
    return redirect(url_for(".home"))


@bp.get("/learn")
def home():
    if not current_user.is_authenticated:
        return render_template("learning/signed_out.html"), 401
    if getattr(current_user, "is_staff", True):
        abort(403)
    return render_template("learning/home.html", member=current_user)
