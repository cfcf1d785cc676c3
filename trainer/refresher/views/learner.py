"""The member's refresher: the page (what changed, the test) and starting the test. The test's
questions, review, submit and result are the quiz pages (trainer/quizzes/views.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.accounts.access import learner_required
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.quizzes.questions import missing_positions
from trainer.refresher import renewal
from trainer.timeutil import today_jst

bp = Blueprint("refresher", __name__, url_prefix="/learn/<course_slug>/refresher")


@bp.get("")
@learner_required
def page(course_slug: str):
    course = learning.get_course(db.session, course_slug)
    return render_template(
        "refresher/page.html",
        page=renewal.page(db.session, current_user, course, today_jst()),
    )


@bp.post("/start")
@learner_required
def start(course_slug: str):
    course = learning.get_course(db.session, course_slug)
    try:
        attempt = renewal.start(
            db.session,
            member=current_user,
            course=course,
            key=request.form.get("key", ""),
            today=today_jst(),
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".page", course_slug=course_slug))
    missing = missing_positions(db.session, attempt)
    return redirect(
        url_for("quizzes.question", attempt_id=attempt.id, n=missing[0] if missing else 1)
    )
