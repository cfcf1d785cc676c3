"""A signed-in member's reports: the same form on the personal page, the secretariat's
instructions, 了解しました and answers. Another member's report is 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from trainer.accounts.access import learner_required
from trainer.concerns import notifications, submission
from trainer.concerns.contacts import contacts_for
from trainer.concerns.forms import ReplyForm, ReportForm
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.timeutil import today_jst

bp = Blueprint("my_concerns", __name__, url_prefix="/me/reports")


def _own_report(number: int):
    report = submission.report_of_member(db.session, current_user, number)
    if report is None:
        abort(404)
    return report


@bp.get("/")
@learner_required
def index():
    return render_template(
        "concerns/member/index.html",
        reports=submission.reports_of_member(db.session, current_user),
        unacknowledged=submission.unacknowledged,
    )


@bp.route("/new", methods=["GET", "POST"])
@learner_required
def new():
    form = ReportForm()
    if form.validate_on_submit():
        try:
            report = submission.submit_report(
                db.session, member=current_user, data=form.to_input(), via="personal_page"
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            notifications.deliver_soon()
            flash(f"事務局に送りました。受付番号は {report.number_label} です。", "success")
            return redirect(url_for(".show", number=report.number))
    return render_template(
        "concerns/member/new.html",
        form=form,
        member=current_user,
        action=url_for(".new"),
        today=today_jst(),
    )


def _show(report, reply_form: ReplyForm, status: int = 200):
    return render_template(
        "concerns/member/show.html",
        report=report,
        reply_form=reply_form,
        contacts=contacts_for(current_user.network),
        member=current_user,
    ), status


@bp.get("/<int:number>")
@learner_required
def show(number: int):
    return _show(_own_report(number), ReplyForm())


@bp.post("/<int:number>/acknowledge/<int:message_id>")
@learner_required
def acknowledge(number: int, message_id: int):
    report = _own_report(number)
    try:
        submission.acknowledge(
            db.session, member=current_user, report=report, message_id=message_id
        )
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("「了解しました」と事務局に伝えました。", "success")
    return redirect(url_for(".show", number=number))


@bp.post("/<int:number>/reply")
@learner_required
def reply(number: int):
    report = _own_report(number)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _show(report, form, 400)
    try:
        submission.reply(db.session, member=current_user, report=report, body=form.body.data or "")
    except DomainError as error:
        db.session.rollback()
        form.body.errors = [error.message]
        return _show(report, form, 400)
    flash("返事を事務局に送りました。", "success")
    return redirect(url_for(".show", number=number))
