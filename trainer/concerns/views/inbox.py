"""The secretariat's (and a 相談員's) inbox of concern reports and the handling of one."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.models import Role
from trainer.concerns import handling, notifications, retention
from trainer.concerns.inbox_forms import ConnectionForm, InstructionForm, StatusForm
from trainer.concerns.models import ConcernReport
from trainer.concerns.vocabulary import INSTRUCTION_TEMPLATES, ConcernStatus
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.timeutil import utcnow
from trainer.web import page_number, show_error

bp = network_blueprint("concerns", __name__, "/concerns")


def _private(body: str) -> Response:
    """Reports name people: never kept by a browser's cache or a proxy, never indexed."""
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/")
@allow(Role.CASE_WORKER)
def inbox():
    # Here too, not only in the daily command: the deletion happens even without a timer.
    retention.purge_expired(
        db.session,
        now=utcnow(),
        days=current_app.config["CONCERN_RETENTION_DAYS"],
        network_id=g.network.id,
    )
    tab = request.args.get("tab", handling.OPEN)
    if tab not in handling.TABS:
        tab = handling.OPEN
    result = handling.inbox(
        db.session,
        g.network.id,
        tab=tab,
        page=page_number(),
        per_page=current_app.config["MEMBERS_PER_PAGE"],
    )
    return _private(
        render_template(
            "concerns/inbox/inbox.html",
            result=result,
            counts=handling.counts(db.session, g.network.id),
            tabs=handling.TABS,
            tab=tab,
            thread_state=handling.thread_state,
        )
    )


def _detail_page(
    report: ConcernReport,
    *,
    instruction: InstructionForm | None = None,
    connection: ConnectionForm | None = None,
) -> Response:
    """The report's page. Each showing is recorded (concern.view), also after a refused form."""
    db.session.rollback()  # nothing of a refused change is left to commit with the record
    handling.open_report(db.session, report=report, actor=current_user)
    if connection is None:
        connection = ConnectionForm(
            formdata=None, connected_to=report.connected_to, outcome=report.outcome
        )
    current = ConcernStatus(report.status)
    return _private(
        render_template(
            "concerns/inbox/detail.html",
            report=report,
            status_form=StatusForm(formdata=None),
            next_statuses=[s for s in ConcernStatus if s in handling.TRANSITIONS[current]],
            instruction=instruction or InstructionForm(formdata=None),
            connection=connection,
            templates=INSTRUCTION_TEMPLATES,
            state=handling.thread_state(report),
            mails=notifications.mail_state_for(db.session, report),
            mail_configured=notifications.mail_configured(),
            mail_kinds=notifications.KIND_LABELS,
        )
    )


@bp.get("/<int:report_id>")
@allow(Role.CASE_WORKER)
def detail(report_id: int):
    return _detail_page(handling.get_report(db.session, g.network.id, report_id))


def _back(report: ConcernReport, anchor: str = ""):
    return redirect(url_for(".detail", report_id=report.id) + anchor)


@bp.post("/<int:report_id>/status")
@allow(Role.CASE_WORKER)
def status(report_id: int):
    report = handling.get_report(db.session, g.network.id, report_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("ページの有効期限が切れました。もう一度操作してください。", "error")
        return _back(report)
    try:
        changed = handling.set_status(
            db.session, report=report, status=form.status.data or "", actor=current_user
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(report)
    if changed:
        flash(f"状況を「{report.status_label}」にしました。", "success")
    else:
        flash("変更はありませんでした。", "success")
    return _back(report)


@bp.post("/<int:report_id>/instruct")
@allow(Role.CASE_WORKER)
def instruct(report_id: int):
    report = handling.get_report(db.session, g.network.id, report_id)
    form = InstructionForm()
    if form.validate_on_submit():
        try:
            handling.instruct(
                db.session,
                report=report,
                template=form.template.data or "",
                body=form.body.data or "",
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            notifications.deliver_soon()
            flash("指示を送りました。構成員の個人ページに表示されます。", "success")
            return _back(report, "#thread")
    return _detail_page(report, instruction=form)


@bp.post("/<int:report_id>/connect")
@allow(Role.CASE_WORKER)
def connect(report_id: int):
    report = handling.get_report(db.session, g.network.id, report_id)
    form = ConnectionForm()
    if form.validate_on_submit():
        try:
            changed = handling.record_connection(
                db.session,
                report=report,
                connected_to=form.connected_to.data or "",
                outcome=form.outcome.data or "",
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(
                "つないだ先と結果を記録しました。" if changed else "変更はありませんでした。",
                "success",
            )
            return _back(report, "#connection")
    return _detail_page(report, connection=form)
