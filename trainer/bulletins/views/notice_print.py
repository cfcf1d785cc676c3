"""A published bulletin printed for notice boards (「◯◯ 掲示用」, an A4 PDF): the secretariat
prints it for one organisation of its audience or for all of them at once; a member prints the
copy for their own organisation, of a bulletin meant for them."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template
from flask_login import current_user

from trainer.accounts.access import learner_required, network_blueprint
from trainer.bulletins import printing, published
from trainer.bulletins.models import Bulletin
from trainer.extensions import db
from trainer.tables import download

bp = network_blueprint("bulletin_print", __name__, "/bulletins")
learner_bp = Blueprint("my_bulletin_print", __name__, url_prefix="/learn/bulletins")


def _bulletin(bulletin_id: int) -> Bulletin:
    bulletin = published.published(db.session, g.network.id, bulletin_id)
    if bulletin is None:
        abort(404)
    return bulletin


def _pdf(bulletin: Bulletin, organisations: list[str], filename: str):
    data = printing.notice_pdf(printing.printed_bulletin(bulletin, bulletin.network), organisations)
    return download(data, "pdf", filename, inline=True)


@bp.get("/<int:bulletin_id>/notice")
def choose(bulletin_id: int):
    """The organisations of the audience, each with its copy, and all of them in one PDF."""
    bulletin = _bulletin(bulletin_id)
    return render_template(
        "bulletins/print/choose.html",
        bulletin=bulletin,
        organisations=published.audience_organisations(db.session, bulletin),
    )


@bp.get("/<int:bulletin_id>/notice.pdf")
def all_copies(bulletin_id: int):
    bulletin = _bulletin(bulletin_id)
    organisations = published.audience_organisations(db.session, bulletin)
    if not organisations:
        abort(404)
    names = [organisation.name for organisation in organisations]
    return _pdf(bulletin, names, f"bulletin-{bulletin.id}-notice.pdf")


@bp.get("/<int:bulletin_id>/notice/<int:organisation_id>.pdf")
def one_copy(bulletin_id: int, organisation_id: int):
    bulletin = _bulletin(bulletin_id)
    organisation = published.organisation_in_audience(db.session, bulletin, organisation_id)
    if organisation is None:
        abort(404)
    return _pdf(bulletin, [organisation.name], f"bulletin-{bulletin.id}-{organisation.id}.pdf")


@learner_bp.get("/<int:bulletin_id>/notice.pdf")
@learner_required
def notice_pdf(bulletin_id: int):
    """The copy for the member's own organisation; 404 for a bulletin not meant for them."""
    member = current_user
    bulletin = published.published(db.session, member.network_id, bulletin_id)
    if bulletin is None or not published.reaches(bulletin, member.organisation):
        abort(404)
    return _pdf(bulletin, [member.organisation.name], f"bulletin-{bulletin.id}.pdf")
