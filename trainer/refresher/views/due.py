"""The secretariat's refresher list (更新研修の対象): who is due per organisation, and their
personal-link QR slips (the completion pages' sheet, trainer/secretariat/link_sheet.py)."""

from __future__ import annotations

import math

from flask import current_app, flash, g, redirect, render_template, request, url_for
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
from trainer.web import page_number, query_id

bp = network_blueprint("refresher_due", __name__, "/refresher")


@bp.get("/")
def index():
    today = today_jst()
    organisations = roster.organisations(db.session, g.network.id)
    organisation_id = query_id("organisation")
    organisation = next((o for o in organisations if o.id == organisation_id), None)
    counts = due.counts(db.session, network_id=g.network.id, today=today)
    # The list is paged (a network of 100,000 has thousands due); its total is the counts'.
    total = sum(c.total for c in counts if not organisation or c.organisation.id == organisation.id)
    per_page = current_app.config["MEMBERS_PER_PAGE"]
    pages = max(1, math.ceil(total / per_page))
    page = min(page_number(), pages)
    return render_template(
        "refresher/due.html",
        today=today,
        counts=counts,
        total=total,
        page=page,
        pages=pages,
        certificates=due.due_certificates(
            db.session,
            network_id=g.network.id,
            today=today,
            organisation_id=organisation.id if organisation else None,
            limit=per_page,
            offset=(page - 1) * per_page,
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
