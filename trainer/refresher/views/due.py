"""The secretariat's refresher list (更新研修の対象): who is due per organisation, and their
personal-link QR slips (the completion pages' sheet, trainer/secretariat/link_sheet.py)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from trainer import tables
from trainer.accounts import roster
from trainer.accounts.access import network_blueprint
from trainer.certificates.models import Certificate
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.parsing import parse_id
from trainer.qr import absolute_url
from trainer.refresher import due, eligibility
from trainer.secretariat.link_sheet import LinkSlip, link_sheet_pdf
from trainer.timeutil import today_jst
from trainer.web import query_id

bp = network_blueprint("refresher_due", __name__, "/refresher")


@bp.get("/")
def index():
    today = today_jst()
    organisations = roster.organisations(db.session, g.network.id)
    organisation_id = query_id("organisation")
    organisation = next((o for o in organisations if o.id == organisation_id), None)
    return render_template(
        "refresher/due.html",
        today=today,
        counts=due.counts(db.session, network_id=g.network.id, today=today),
        certificates=due.due_certificates(
            db.session,
            network_id=g.network.id,
            today=today,
            organisation_id=organisation.id if organisation else None,
        ),
        organisations=organisations,
        organisation=organisation,
        window=eligibility.WINDOW_DAYS,
        grace=eligibility.GRACE_DAYS,
    )


def _slips(certificates: list[Certificate]) -> bytes:
    return link_sheet_pdf(
        [
            LinkSlip(
                member_name=c.member.name,
                organisation=c.member.organisation.name,
                network=g.network.name,
                course_title=f"更新研修：{c.course.title}",
                url=absolute_url(url_for("learning.personal_link", token=c.member.link_token)),
            )
            for c in certificates
        ]
    )


@bp.post("/sheet.pdf")
def link_sheet():
    today = today_jst()
    organisation_id = parse_id(request.form.get("organisation"))
    organisation = (
        roster.get_organisation(db.session, g.network.id, organisation_id)
        if organisation_id
        else None
    )
    member_ids = [i for i in map(parse_id, request.form.getlist("member")) if i]
    try:
        chosen = due.slip_certificates(
            db.session,
            network_id=g.network.id,
            today=today,
            organisation_id=organisation_id,
            member_ids=member_ids,
        )
    except NotFound:
        raise
    except DomainError as error:  # nobody due under the filter, or too many at once
        flash(error.message, "error")
        return redirect(url_for(".index", organisation=organisation_id))
    data = due.link_sheet(
        db.session,
        network_id=g.network.id,
        members=chosen,
        organisation=organisation,
        actor=current_user,
        make_pdf=_slips,
    )
    return tables.download(data, "pdf", "refresher-links.pdf")
