"""Certificate pages: the public check (/verify), the learner's own certificates, and the
secretariat's lists, revocation, print views and badge sheets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from trainer.accounts import roster
from trainer.accounts.access import learner_required, network_blueprint
from trainer.certificates import service, signing
from trainer.certificates import verification as verifying
from trainer.certificates.badge_sheet import badge_sheet_pdf
from trainer.certificates.credential import signed_credential
from trainer.certificates.forms import BadgeSheetForm, RevokeForm, SerialCheckForm
from trainer.certificates.models import Certificate
from trainer.certificates.pages import (
    certificate_pdf_response,
    pdf_response,
    render_print_view,
    verify_url,
)
from trainer.concerns import keys
from trainer.errors import DomainError
from trainer.extensions import db, limiter
from trainer.form_base import required
from trainer.qr import absolute_url
from trainer.timeutil import today_jst, utcnow
from trainer.web import page_number, query_id, show_error

verify_bp = Blueprint("verify", __name__, url_prefix="/verify")
learner_bp = Blueprint("my_certificates", __name__, url_prefix="/learn/certificates")
bp = network_blueprint("certificates", __name__, "/certificates")

# A resident or a police officer checks one badge at a time; a script trying tokens does not.
VERIFY_LIMIT = "30 per minute;300 per hour"


def issuer_key() -> Ed25519PrivateKey:
    """The issuer key, read (or made) once per app."""
    key = current_app.extensions.get("mimamori_issuer_key")
    if key is None:
        key = signing.load_or_create_key(Path(current_app.config["SIGNING_KEY_FILE"]))
        current_app.extensions["mimamori_issuer_key"] = key
    return key


def _key_url() -> str:
    return absolute_url(url_for("verify.issuer_key_document"))


def _private(response: Response) -> Response:
    """Verification answers are live and name a person: never cached, never indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- public --------------------------------------------------------------------------------------


@verify_bp.route("/", methods=["GET", "POST"], strict_slashes=False)
@limiter.shared_limit(VERIFY_LIMIT, scope="verify", methods=["POST"])
def by_serial():
    """For whoever holds a certificate or a badge but cannot read its QR code: the number, the
    holder's name and the network, as printed. Each check counts against the same limit as the
    QR code's page (a guesser gains nothing by switching)."""
    form = SerialCheckForm()
    form.set_networks(verifying.networks(db.session))
    result, checked = None, False
    if form.validate_on_submit():
        checked = True
        result = verifying.by_serial(
            db.session,
            network_id=form.network_id.data,
            serial=form.serial_number,
            name=form.name.data or "",
        )
    status = 404 if checked and result is None else (422 if form.errors else 200)
    response = Response(
        render_template(
            "certificates/verify/by_serial.html",
            form=form,
            result=result,
            checked=checked,
            checked_at=utcnow(),
        ),
        status=status,
    )
    return _private(response)


@verify_bp.get("/<token>")
@limiter.shared_limit(VERIFY_LIMIT, scope="verify")
def page(token: str):
    certificate = verifying.find_by_token(db.session, token)
    result = verifying.verification(certificate) if certificate else None
    response = Response(
        render_template("certificates/verify/page.html", result=result, checked_at=utcnow()),
        status=200 if result else 404,
    )
    return _private(response)


@verify_bp.get("/<token>.json")
@limiter.shared_limit(VERIFY_LIMIT, scope="verify")
def credential_json(token: str):
    certificate = verifying.find_by_token(db.session, token)
    if certificate is None:
        return _private(jsonify(error="not_found", message="確認できません")), 404
    signed = signed_credential(
        certificate,
        key=issuer_key(),
        key_document_url=_key_url(),
        base_url=current_app.config["TRAINER_BASE_URL"],
        verify_url=verify_url(certificate),
        checked_at=utcnow(),
    )
    return _private(jsonify(signed))


@verify_bp.get("/issuer-key.json")
@limiter.shared_limit(VERIFY_LIMIT, scope="verify")
def issuer_key_document():
    """The public key that checks every credential's proof (a controlled identifier document)."""
    return jsonify(signing.issuer_document(issuer_key(), _key_url()))


# --- the learner's own ---------------------------------------------------------------------------


@learner_bp.get("/")
@learner_required
def index():
    return render_template(
        "certificates/mine/index.html",
        certificates=service.of_member(db.session, current_user.id),
        today=today_jst(),
    )


@learner_bp.get("/<int:certificate_id>")
@learner_required
def show(certificate_id: int):
    certificate = service.for_learner(db.session, current_user, certificate_id)
    return render_print_view(
        certificate,
        url_for(".pdf", certificate_id=certificate.id),
        url_for(".index"),
    )


@learner_bp.get("/<int:certificate_id>.pdf")
@learner_required
def pdf(certificate_id: int):
    return certificate_pdf_response(service.for_learner(db.session, current_user, certificate_id))


# --- the secretariat -----------------------------------------------------------------------------


@bp.get("/")
def list_page():
    status = request.args.get("status", "all")
    if status not in service.CERTIFICATE_FILTERS:
        status = "all"
    organisation_id = query_id("organisation")
    result = service.search(
        db.session,
        network_id=g.network.id,
        organisation_id=organisation_id,
        status=status,
        page=page_number(),
        per_page=current_app.config["MEMBERS_PER_PAGE"],
    )
    return render_template(
        "certificates/list_page.html",
        result=result,
        counts=service.status_counts(db.session, g.network.id),
        filters=service.CERTIFICATE_FILTERS,
        status=status,
        organisations=roster.organisations(db.session, g.network.id),
        organisation_id=organisation_id,
        today=today_jst(),
    )


@bp.route("/<int:certificate_id>", methods=["GET", "POST"])
def detail(certificate_id: int):
    """The certificate; revoking asks once more. The form posts the reason here: valid and
    without confirmed=1, it is shown on a confirmation page (nothing stored yet); that page
    posts it back with confirmed=1, which revokes. 「戻って直す」 posts it back with back=1, to
    this page with the reason kept."""
    certificate = service.get_certificate(db.session, g.network.id, certificate_id)
    form = RevokeForm()
    if form.validate_on_submit() and not form.back.data:
        reason = required(form.reason.data)
        try:
            if not form.is_confirmed:
                return render_template(
                    "certificates/revoke_confirm.html",
                    certificate=certificate,
                    reason=service.revocable(certificate, reason),
                    form=form,
                )
            service.revoke(db.session, certificate=certificate, reason=reason, actor=current_user)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"修了証 {certificate.serial_label} を取り消しました。", "success")
            return redirect(url_for(".detail", certificate_id=certificate.id))
    return render_template(
        "certificates/detail.html",
        certificate=certificate,
        status=certificate.status_on(today_jst()),
        url=verify_url(certificate),
        form=form,
    ), (422 if form.errors else 200)


@bp.get("/<int:certificate_id>/print")
def print_view(certificate_id: int):
    certificate = service.get_certificate(db.session, g.network.id, certificate_id)
    return render_print_view(
        certificate,
        url_for(".staff_pdf", certificate_id=certificate.id),
        url_for(".detail", certificate_id=certificate.id),
    )


@bp.get("/<int:certificate_id>.pdf")
def staff_pdf(certificate_id: int):
    return certificate_pdf_response(
        service.get_certificate(db.session, g.network.id, certificate_id)
    )


@bp.route("/badges", methods=["GET", "POST"])
def badges():
    """Pick a course and an organisation (or everyone), see who gets a badge, download the PDF."""
    organisations = roster.organisations(db.session, g.network.id)
    courses = service.courses_with_certificates(db.session)
    form = BadgeSheetForm()
    form.set_choices(courses, organisations)
    if request.method == "GET":
        form.organisation_id.data = query_id("organisation_id") or 0
        form.course_id.data = query_id("course_id") or (courses[0].id if courses else 0)
    valid = form.validate() if request.method == "POST" else True
    # A valid form names one of the courses (its choices are their ids).
    course = next((c for c in courses if c.id == form.course_id.data), None)
    organisation = next((o for o in organisations if o.id == form.organisation_id.data), None)
    if request.method == "POST" and valid and course is not None:
        try:
            data = service.badge_sheet(
                db.session,
                network_id=g.network.id,
                course=course,
                organisation=organisation,
                actor=current_user,
                make_pdf=_badges_pdf,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            return pdf_response(data, "member-badges.pdf", download=True)
    selected = (
        service.badge_certificates(
            db.session,
            network_id=g.network.id,
            course_id=course.id,
            organisation_id=organisation.id if organisation else None,
        )
        if valid and course
        else []
    )
    return render_template(
        "certificates/badges.html", form=form, selected=selected, course=course
    ), (422 if form.errors else 200)


def _badges_pdf(chosen: list[Certificate]) -> bytes:
    """Each back carries the member's report code too. Keys are made here for members who have
    none yet (flushed; service.badge_sheet commits them with its audit event)."""
    report_urls = keys.badge_report_urls(db.session, [c.member for c in chosen])
    return badge_sheet_pdf(
        [
            replace(service.printed(c, verify_url(c)), report_url=report_urls.get(c.member_id, ""))
            for c in chosen
        ]
    )
