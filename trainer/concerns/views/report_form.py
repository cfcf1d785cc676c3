"""The public report form behind the badge's second QR code: /r/<token>.

The token opens this form and its thanks page, nothing else: no sign-in, no session. Unknown,
rotated-away and ended tokens all get one page (404), which still says what to do."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from trainer.concerns import keys, notifications, submission
from trainer.concerns.contacts import contacts_for
from trainer.concerns.forms import ReportForm
from trainer.errors import DomainError
from trainer.extensions import db, limiter
from trainer.timeutil import today_jst

bp = Blueprint("report_form", __name__)

# As the personal link (learning/views/learner.py): wrong tokens from one address are counted,
# 60 in 15 minutes; tokens that work are neither counted nor refused (a venue, an office: one
# address). The token's 128 random bits, not this limit, keep it from being guessed.
TOKEN_FAILURE_LIMIT = "60 per 15 minutes"


def _token_member():
    """The member of the token in the URL, looked up once per request (None: no such key)."""
    if "report_member" not in g:
        token = (request.view_args or {}).get("token", "")
        g.report_member = keys.member_by_report_token(db.session, token)
    return g.report_member


def _token_works() -> bool:
    try:
        return _token_member() is not None
    except Exception:  # the database failed: the view meets it too (500), not the limiter
        return False


limited = limiter.shared_limit(
    TOKEN_FAILURE_LIMIT,
    scope="report-token",
    exempt_when=_token_works,
    deduct_when=lambda _response: "report_member" in g and g.report_member is None,
)


def _invalid():
    return render_template("concerns/report_form/invalid.html"), 404


@bp.route("/r/<token>", methods=["GET", "POST"])
@limited
def form(token: str):
    member = _token_member()
    if member is None:
        return _invalid()
    form = ReportForm()
    if form.validate_on_submit():
        try:
            report = submission.submit_report(
                db.session, member=member, data=form.to_input(), via="badge"
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            notifications.deliver_soon()
            return redirect(url_for(".sent", token=token, number=report.number))
    return render_template(
        "concerns/report_form/form.html",
        form=form,
        member=member,
        action=url_for(".form", token=token),
        today=today_jst(),
    )


@bp.get("/r/<token>/sent/<int:number>")
@limited
def sent(token: str, number: int):
    member = _token_member()
    if member is None:
        return _invalid()
    report = submission.report_of_member(db.session, member, number)
    if report is None:
        abort(404)
    return render_template(
        "concerns/report_form/sent.html",
        report=report,
        member=member,
        contacts=contacts_for(member.network),
    )
