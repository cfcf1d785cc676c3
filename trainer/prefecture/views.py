"""The prefecture / national page (都道府県・全国の集計) and its CSV: counts per network, no names.

Only an account with an AreaRole opens these; anyone else signed in gets 404 (as for another
network's pages), a visitor the login page. A prefecture account sees its own prefecture's
networks; a national one sees one row per prefecture, and any prefecture's networks with ?p=.
Nothing here takes a network id: no /n/<id>/ page opens for these accounts either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_login import current_user

from trainer.extensions import db, login_manager
from trainer.learning.models import Course
from trainer.prefecture import figures, roles, summaries
from trainer.tables import csv_bytes, download
from trainer.timeutil import today_jst

bp = Blueprint("prefecture", __name__, url_prefix="/prefecture")

# How long a page view may spend recomputing stale networks before it shows stored figures
# (the worker recomputes the rest within the minute).
PAGE_BUDGET_SECONDS = 1.0


def area_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        role = roles.area_role_of(db.session, current_user)
        if role is None:
            abort(404)
        g.area_role = role
        return view(*args, **kwargs)

    return wrapped


def _scope() -> tuple[str | None, bool]:
    """(the prefecture shown, None for every one; whether rows are prefectures)."""
    role = g.area_role
    asked = request.args.get("p") or None
    if not role.is_national:
        if asked not in (None, role.prefecture):
            abort(404)
        return role.prefecture, False
    if asked is not None and asked not in roles.prefectures(db.session):
        abort(404)
    return asked, asked is None


def _course(choices: list[Course]) -> Course | None:
    raw = request.args.get("course", "")
    if raw:
        chosen = next((c for c in choices if str(c.id) == raw), None)
        if chosen is None:
            abort(404)
        return chosen
    return next((c for c in choices if c.is_active), choices[0] if choices else None)


def _table() -> tuple[list[Course], Course | None, str | None, figures.Table | None]:
    prefecture, by_prefecture = _scope()
    choices = summaries.summary_courses(db.session)
    course = _course(choices)
    if course is None:
        return choices, None, prefecture, None
    budget = float(current_app.config.get("PREFECTURE_PAGE_BUDGET", PAGE_BUDGET_SECONDS))
    summaries.refresh_due(db.session, prefecture=prefecture, budget_seconds=budget)
    pairs = summaries.summaries(db.session, course.id, prefecture)
    table = figures.prefecture_table(pairs) if by_prefecture else figures.network_table(pairs)
    return choices, course, prefecture, table


@bp.get("/")
@area_required
def index():
    choices, course, prefecture, table = _table()
    return render_template(
        "prefecture/index.html",
        courses=choices,
        course=course,
        prefecture=prefecture,
        table=table,
        completion_headers=figures.COMPLETION_HEADERS,
        score_headers=figures.SCORE_HEADERS,
        parts=figures.parts,
        hidden=figures.HIDDEN,
        as_of=figures.as_of,
        today=today_jst(),
    )


@bp.get("/export.csv")
@area_required
def export_csv():
    _choices, course, prefecture, table = _table()
    if course is None or table is None:
        abort(404)
    area = prefecture or g.area_role.label
    header = ["都道府県" if table.by_prefecture else "ネットワーク", *figures.HEADERS]
    body = csv_bytes(header, figures.csv_rows(table))
    return download(body, "csv", f"集計_{area}_{course.slug}_{today_jst():%Y%m%d}.csv")
