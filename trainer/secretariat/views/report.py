"""The before/after report (事前・事後の比較レポート): the page and its print view.

Aggregates only, no names: trainers may see it too. The filters are a GET form, so a filtered
report is a URL that can be bookmarked, shared with a colleague, and opened as the print view.
"""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request

from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.models import Role
from trainer.extensions import db
from trainer.secretariat import report as service
from trainer.secretariat.forms import ReportFilterForm
from trainer.secretariat.report_figures import SMALL_MARK
from trainer.secretariat.report_filters import filter_options

bp = network_blueprint("report", __name__, "/report")


def _render(template: str):
    """Bind the filters from the query string; a bad filter is shown, with 422 and no figures."""
    options = filter_options(db.session, g.network.id)
    first = options.courses[0].id if options.courses else None
    form = ReportFilterForm(request.args, course=first)
    form.set_options(options)
    if not options.courses:
        return render_template(template, form=form, report=None, no_courses=True, **_marks())
    if not form.validate():
        return render_template(template, form=form, report=None, no_courses=False, **_marks()), 422
    report = service.build_report(db.session, network=g.network, filters=form.filters())
    return render_template(template, form=form, report=report, no_courses=False, **_marks())


def _marks() -> dict[str, Any]:
    """What the sections' template marks everywhere: small groups, and the two series."""
    return {"small_mark": SMALL_MARK, "series_legend": service.series_legend()}


@bp.get("/")
@allow(Role.TRAINER)
def index():
    return _render("secretariat/report/index.html")


@bp.get("/print")
@allow(Role.TRAINER)
def print_view():
    return _render("secretariat/report/print_view.html")


@bp.get("/summary")
@allow(Role.TRAINER)
def summary_view():
    """The まとめ alone, as one A4 page for a council paper (same filters as the page)."""
    return _render("secretariat/report/summary_view.html")
