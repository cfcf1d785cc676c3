"""The completion pages (受講状況): organisations × statuses, the members behind each count, and
the QR sheet of personal links for the members who have not started.

The members download these pages link to is served by the exports view, with the other files."""

from __future__ import annotations

from flask import current_app, g, render_template, request, url_for
from flask_login import current_user

from trainer import tables
from trainer.accounts import roster
from trainer.accounts.access import network_blueprint
from trainer.accounts.models import Member
from trainer.core.error_pages import render_error
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.qr import absolute_url
from trainer.secretariat import completion
from trainer.secretariat.forms import LinkSheetForm
from trainer.secretariat.link_sheet import LinkSlip, link_sheet_pdf
from trainer.timeutil import today_jst
from trainer.web import page_number, query_id

bp = network_blueprint("completion", __name__, "/completion")


def _choices() -> tuple[list[Course], Course | None, completion.Filters]:
    """The course list, the chosen course and the checked filters, from the query string.
    A value no form offers raises: NotFound → 404, DomainError → 422 with its message."""
    return completion.choices(
        db.session,
        g.network.id,
        course_id=query_id("course"),
        kind=request.args.get("kind"),
        organisation_id=query_id("organisation"),
        status=request.args.get("status"),
    )


@bp.errorhandler(DomainError)
def bad_request(error: DomainError):
    """A filter value no form offers, or a sheet that cannot be made: nothing was changed."""
    if isinstance(error, NotFound):
        return render_error(404)
    return render_template("secretariat/completion/bad_request.html", message=error.message), 422


def _table(course: Course | None, kind: str | None) -> completion.CompletionTable | None:
    if course is None:
        return None
    return completion.table(db.session, network_id=g.network.id, course=course, kind=kind)


@bp.get("/")
def index():
    courses, course, filters = _choices()
    return render_template(
        "secretariat/completion/index.html",
        courses=courses,
        course=course,
        kind=filters.kind,
        kinds=completion.kinds_in_use(db.session, g.network.id),
        table=_table(course, filters.kind),
        columns=completion.COLUMNS,
        legend=completion.LEGEND,
        filters=completion.FILTERS,
        today=today_jst(),
    )


def _member_list(template: str, filters_override: dict[str, object]):
    courses, course, filters = _choices()
    filters = completion.Filters(**{**filters.__dict__, **filters_override})
    result = (
        completion.members(
            db.session,
            network_id=g.network.id,
            course=course,
            filters=filters,
            page=page_number(),
            per_page=current_app.config["MEMBERS_PER_PAGE"],
        )
        if course
        else None
    )
    organisations = roster.organisations(db.session, g.network.id)
    form = LinkSheetForm(formdata=None, course=course.id if course else None)
    form.organisation.choices = [(0, "すべての構成団体")] + [(o.id, o.name) for o in organisations]
    form.organisation.data = filters.organisation_id or 0
    return render_template(
        template,
        courses=courses,
        course=course,
        filters=filters,
        result=result,
        organisations=organisations,
        organisation=next((o for o in organisations if o.id == filters.organisation_id), None),
        labels=completion.FILTERS,
        form=form,
        max_slips=completion.MAX_SLIPS,
    )


@bp.get("/members")
def members():
    return _member_list("secretariat/completion/members.html", {})


@bp.get("/not-started")
def not_started():
    return _member_list(
        "secretariat/completion/not_started.html", {"status": completion.NOT_STARTED}
    )


def _slips(members: list[Member], course_title: str) -> bytes:
    return link_sheet_pdf(
        [
            LinkSlip(
                member_name=m.name,
                organisation=m.organisation.name,
                network=g.network.name,
                course_title=course_title,
                url=absolute_url(url_for("learning.personal_link", token=m.link_token)),
            )
            for m in members
        ]
    )


@bp.post("/not-started/sheet.pdf")
def link_sheet():
    courses = completion.courses(db.session)
    form = LinkSheetForm()
    form.organisation.choices = [(0, "")] + [
        (o.id, o.name) for o in roster.organisations(db.session, g.network.id)
    ]
    if not form.validate():
        raise DomainError("構成団体を一覧から選んでください。")
    course = completion.choose_course(courses, form.course.data)
    if course is None:
        raise DomainError("研修がまだありません。")
    data, _count = completion.link_sheet(
        db.session,
        network_id=g.network.id,
        course=course,
        organisation_id=form.organisation.data or None,
        actor=current_user,
        make_pdf=lambda chosen: _slips(chosen, course.title),
    )
    return tables.download(data, "pdf", "personal-links.pdf")
