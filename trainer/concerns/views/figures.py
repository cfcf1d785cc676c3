"""Figures for the council and the prefecture: counts only, no personal data.

The page, its A4 print view and the downloads (CSV, xlsx) of one period of months, given as the
GET parameters from/to (2026-04): a period is a URL that can be bookmarked and printed. Open to
the secretariat and case workers (相談員), not to trainers, like the reports themselves.
"""

from __future__ import annotations

from flask import g, render_template, request
from flask_login import current_user

from trainer import tables
from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.models import Role
from trainer.concerns import figures as service
from trainer.concerns import figures_export
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.timeutil import today_jst

bp = network_blueprint("concern_figures", __name__, "/concerns/figures")


def _period() -> service.Period:
    return service.parse_period(
        request.args.get("from", ""), request.args.get("to", ""), today=today_jst()
    )


def _render(template: str):
    """The page or the print view; a bad period is shown with its message, HTTP 400."""
    try:
        period = _period()
    except DomainError as error:
        return _page(template, None, error), 400
    figures = service.build_figures(db.session, g.network.id, period)
    return _page(template, figures, None)


def _page(template: str, figures: service.Figures | None, error: DomainError | None) -> str:
    return render_template(
        template,
        figures=figures,
        error=error,
        raw_from=request.args.get("from", ""),
        raw_to=request.args.get("to", ""),
        signs_note=service.SIGNS_NOTE,
        within_hours=service.WITHIN_HOURS,
        hours_label=service.hours_label,
        today=today_jst(),
    )


@bp.get("/")
@allow(Role.CASE_WORKER)
def index():
    return _render("concerns/figures/index.html")


@bp.get("/print")
@allow(Role.CASE_WORKER)
def print_view():
    return _render("concerns/figures/print_view.html")


def _export(fmt: str):
    try:
        period = _period()
    except DomainError as error:
        return _page("concerns/figures/index.html", None, error), 400
    data = figures_export.export(
        db.session,
        network_id=g.network.id,
        network_name=g.network.name,
        period=period,
        fmt=fmt,
        actor=current_user,
    )
    name = f"concern-figures-{g.network.id}-{service.month_value(period.first)}"
    return tables.download(data, fmt, f"{name}-{service.month_value(period.last)}.{fmt}")


@bp.get("/figures.csv")
@allow(Role.CASE_WORKER)
def export_csv():
    return _export("csv")


@bp.get("/figures.xlsx")
@allow(Role.CASE_WORKER)
def export_xlsx():
    return _export("xlsx")
