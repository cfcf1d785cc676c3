"""The home page, the network dashboard and the health check."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trainer.accounts import roster_search, users
from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.models import Role
from trainer.bulletins import reading as bulletin_reading
from trainer.concerns import handling as concern_handling
from trainer.extensions import db, limiter
from trainer.learning.service import active_courses
from trainer.prefecture import roles as area_roles
from trainer.secretariat import completion, local_facts_notice
from trainer.timeutil import today_jst
from trainer.workshops import review

bp = Blueprint("core", __name__)
network_bp = network_blueprint("network", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("core/home.html")
    if not current_user.is_staff:
        return redirect(url_for("learning.home"))
    networks = users.networks_of(current_user)
    area = area_roles.area_role_of(db.session, current_user)
    if area is not None and not networks and not current_user.is_platform_admin:
        return redirect(url_for("prefecture.index"))  # 都道府県・全国の担当: their page
    if len(networks) == 1 and area is None and not current_user.is_platform_admin:
        return redirect(url_for("network.dashboard", network_id=networks[0][0].id))
    return render_template("core/choose_network.html", networks=networks, area=area)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")


@network_bp.get("/")
@allow(Role.TRAINER, Role.CASE_WORKER)
def dashboard():
    reports = (
        concern_handling.counts(db.session, g.network.id)
        if g.role.includes(Role.CASE_WORKER)
        else None
    )
    if g.role is Role.CASE_WORKER:
        # A 相談員 sees the reports only: nothing of the roster, completion or training.
        return render_template("core/network/dashboard.html", reports=reports)
    course = next(iter(active_courses(db.session)), None)
    secretariat = g.role is Role.SECRETARIAT
    return render_template(
        "core/network/dashboard.html",
        reports=reports,
        counts=roster_search.network_counts(db.session, g.network.id),
        pending_review=review.pending_count(db.session, g.network.id),
        completion_course=course,
        completion_summary=(
            completion.summary(db.session, g.network.id, course) if course and secretariat else None
        ),
        withheld=local_facts_notice.banks_of(local_facts_notice.withheld_in(db.session, g.network)),
        last_bulletin=(
            bulletin_reading.last_sent(db.session, g.network.id, today_jst())
            if secretariat
            else None
        ),
    )
