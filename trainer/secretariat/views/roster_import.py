"""The roster import (名簿の取り込み, CSV or Excel): upload → preview → confirm, all or nothing.

A file with rows that cannot be imported can still be imported without them: the preview links to
a page listing the rows left out (skip), whose form confirms with skip_rejected=1."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from trainer import tables
from trainer.accounts.access import network_blueprint
from trainer.accounts.models import AgeBand, JobType, OrganisationKind
from trainer.errors import Conflict, DomainError
from trainer.extensions import db
from trainer.secretariat.forms import ConfirmForm, UploadForm, confirm_choices
from trainer.secretariat.roster_import import apply, drafts

bp = network_blueprint("roster_import", __name__, "/roster/import")

TEMPLATE_HEADER = (
    "団体名",
    "氏名",
    "ふりがな",
    "職種",
    "年代",
    "メールアドレス",
    "加入日",
    "団体種別",
    "構成員番号",
)


def preview_page(draft_id: int, form: ConfirmForm, status: int = 200, skip: bool = False):
    draft = drafts.get_draft(db.session, g.network.id, draft_id)
    plan = None if draft.applied_at else drafts.plan_for(db.session, draft)
    return render_template(
        "secretariat/roster_import/preview.html",
        draft=draft,
        plan=plan,
        form=form,
        skip=bool(skip and plan is not None and plan.counts["rejected"]),
        kind_choices=[(k.value, k.label) for k in OrganisationKind],
        job_labels={j.value: j.label for j in JobType},
        age_labels={a.value: a.label for a in AgeBand},
    ), status


@bp.route("/", methods=["GET", "POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            draft = drafts.create_draft(
                db.session,
                network_id=g.network.id,
                actor=current_user,
                filename=upload.filename or "名簿",
                data=upload.read(),
            )
        except DomainError as error:
            form.file.errors = [*form.file.errors, error.message]
        else:
            return redirect(url_for(".preview", draft_id=draft.id))
    status = 422 if form.errors else 200
    return render_template(
        "secretariat/roster_import/upload.html", form=form, header=TEMPLATE_HEADER
    ), status


@bp.get("/template.csv")
def template():
    return tables.download(tables.csv_bytes(TEMPLATE_HEADER, []), "csv", "meibo_template.csv")


@bp.get("/<int:draft_id>")
def preview(draft_id: int):
    return preview_page(draft_id, ConfirmForm())


@bp.get("/<int:draft_id>/skip")
def skip(draft_id: int):
    """「問題のない行だけ取り込む」: the rows left out, then what the others change. With nothing
    to leave out, or nothing else to import (or applied already), the preview as it is."""
    draft = drafts.get_draft(db.session, g.network.id, draft_id)
    can_skip = False
    if not draft.applied_at:
        plan = drafts.plan_for(db.session, draft)
        can_skip = bool(plan.counts["rejected"] and plan.importable)
    return preview_page(draft_id, ConfirmForm(), skip=can_skip)


@bp.post("/<int:draft_id>/confirm")
def confirm(draft_id: int):
    drafts.get_draft(db.session, g.network.id, draft_id)  # another network's: 404
    form = ConfirmForm()
    skip_rejected = request.form.get("skip_rejected") == "1"
    if not form.validate_on_submit():
        return preview_page(draft_id, form, 422, skip=skip_rejected)
    try:
        kinds, ends = confirm_choices(request.form)
        result = apply.apply_import(
            db.session,
            network_id=g.network.id,
            draft_id=draft_id,
            actor=current_user,
            digest=form.digest.data or "",
            kinds=kinds,
            end_ids=ends,
            end_all=form.end_all.data,
            end_date=form.end_date.data,
            skip_rejected=skip_rejected,
        )
    except DomainError as error:
        flash(error.message, "error")
        status = 409 if isinstance(error, Conflict) else 422
        return preview_page(draft_id, form, status, skip=skip_rejected)
    flash(result.message(), "success")
    return redirect(url_for(".preview", draft_id=draft_id))
