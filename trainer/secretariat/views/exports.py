"""The downloads (書き出し): the page that lists them, and the files: certificates, answers, and
the members with their completion status (asked for from the completion pages, whose addresses
and filters it keeps).

Secretariat only (the blueprint's default): every file names people. Each download is logged
before it is sent, by the exports services."""

from __future__ import annotations

from flask import g, render_template, request, url_for
from flask_login import current_user

from trainer import tables
from trainer.accounts import roster
from trainer.accounts.access import network_blueprint
from trainer.certificates.service import CERTIFICATE_FILTERS
from trainer.core.error_pages import render_error
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.qr import absolute_url
from trainer.secretariat.exports import answers, certificates, members
from trainer.timeutil import today_jst
from trainer.web import query_id

# No prefix after the network: the members download keeps the completion pages' addresses
# (/completion/export.csv), the others are under /exports/.
bp = network_blueprint("exports", __name__)


def _page(section: str = "", error: DomainError | None = None, status: int = 200):
    """The downloads page; after bad filters, with the message at the section's field."""
    network_id = g.network.id
    return render_template(
        "secretariat/exports/index.html",
        courses=learning.active_courses(db.session),
        organisations=roster.organisations(db.session, network_id),
        statuses=CERTIFICATE_FILTERS,
        certificate_total=certificates.certificate_count(db.session, network_id),
        attempt_total=answers.submitted_attempt_count(db.session, network_id),
        members_links=_members_links(),
        section=section,
        error=error,
        args=request.args,
        xlsx_max_rows=answers.XLSX_MAX_ROWS,
    ), status


def _members_links() -> list[tuple[str, str, str]]:
    """The members download's filters live on the completion pages; from here, everyone."""
    return [
        ("CSVで書き出す", url_for("exports.members_csv"), "button"),
        ("Excel形式で書き出す", url_for("exports.members_xlsx"), "button secondary"),
    ]


@bp.get("/exports/")
def index():
    return _page()


def _filename(stem: str, kind: str) -> str:
    return f"{stem}-{g.network.id}-{today_jst():%Y%m%d}.{kind}"


def _args(*names: str) -> dict[str, str]:
    return {name: request.args.get(name, "") for name in names}


def _certificates(kind: str):
    try:
        filters = certificates.certificate_filter(
            db.session, network_id=g.network.id, **_args("course", "organisation", "status")
        )
    except DomainError as error:
        return _page("certificates", error, 422)
    # One url_for for the whole file: every row's address is this prefix and its token.
    prefix = absolute_url(url_for("verify.page", token="-"))[:-1]
    body = certificates.export_certificates(
        db.session,
        network_id=g.network.id,
        network_name=g.network.name,
        actor=current_user,
        kind=kind,
        filters=filters,
        verify_url=prefix.__add__,
    )
    return tables.download(body, kind, _filename("certificates", kind))


@bp.get("/exports/certificates.csv")
def certificates_csv():
    return _certificates("csv")


@bp.get("/exports/certificates.xlsx")
def certificates_xlsx():
    return _certificates("xlsx")


def _answers(kind: str):
    keys = ("course", "organisation", "submitted_from", "submitted_to")
    try:
        filters = answers.answer_filter(db.session, network_id=g.network.id, **_args(*keys))
        body = answers.export_answers(
            db.session,
            network_id=g.network.id,
            network_name=g.network.name,
            actor=current_user,
            kind=kind,
            filters=filters,
        )
    except DomainError as error:
        return _page("answers", error, 422)
    return tables.download(body, kind, _filename("answers", kind))


@bp.get("/exports/answers.csv")
def answers_csv():
    return _answers("csv")


@bp.get("/exports/answers.xlsx")
def answers_xlsx():
    return _answers("xlsx")


def _members(kind: str):
    """A filter value no completion page offers is answered as those pages answer it: 404 for
    a course or organisation that is not a choice, else their message page with 422."""
    try:
        course, filters = members.members_filter(
            db.session,
            g.network.id,
            course_id=query_id("course"),
            kind=request.args.get("kind"),
            organisation_id=query_id("organisation"),
            status=request.args.get("status"),
        )
        data, _rows = members.export_members(
            db.session,
            network_id=g.network.id,
            course=course,
            filters=filters,
            fmt=kind,
            actor=current_user,
        )
    except NotFound:
        return render_error(404)
    except DomainError as error:
        page = render_template("secretariat/completion/bad_request.html", message=error.message)
        return page, 422
    return tables.download(data, kind, f"members-status.{kind}")


@bp.get("/completion/export.csv")
def members_csv():
    return _members("csv")


@bp.get("/completion/export.xlsx")
def members_xlsx():
    return _members("xlsx")
