"""The secretariat reads its network's audit log."""

from __future__ import annotations

import math

from flask import g, render_template

from trainer.accounts.access import network_blueprint
from trainer.audit import service
from trainer.extensions import db
from trainer.web import page_number

bp = network_blueprint("audit", __name__, "/audit")
PER_PAGE = 50


@bp.get("/")
def index():
    page = page_number()
    events, total = service.events_for_network(
        db.session, g.network.id, page=page, per_page=PER_PAGE
    )
    return render_template(
        "audit/index.html",
        events=events,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PER_PAGE)),
    )
