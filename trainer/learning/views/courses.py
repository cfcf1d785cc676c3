"""Staff see the courses and preview modules as their network's learners will read them."""

from __future__ import annotations

from flask import g, render_template

from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.models import Role
from trainer.extensions import db
from trainer.learning import service

bp = network_blueprint("courses", __name__, "/courses")


@bp.get("/")
@allow(Role.TRAINER)
def index():
    courses = service.active_courses(db.session)
    return render_template(
        "learning/courses/index.html",
        courses=[(c, service.active_modules(c)) for c in courses],
        unset=[name for name, value in g.network.local_facts().items() if not value],
    )


@bp.get("/<course_slug>/<module_slug>")
@allow(Role.TRAINER)
def preview(course_slug: str, module_slug: str):
    page = service.module_page(db.session, None, course_slug, module_slug)
    return render_template(
        "learning/courses/preview.html",
        page=page,
        body=service.module_html(page.version, g.network, staff=True),
    )
