"""名簿の取り込み（CSV・Excel）: upload → preview → confirm, all or nothing."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField
from wtforms.validators import Optional

from trainer.accounts.access import network_blueprint
from trainer.accounts.models import AgeBand, JobType, OrganisationKind
from trainer.core.headers import CSV
from trainer.errors import Conflict, DomainError
from trainer.extensions import db
from trainer.form_base import JapaneseDateField, JapaneseForm
from trainer.parsing import parse_id, parse_int
from trainer.secretariat.roster_import import apply, drafts
from trainer.tables import csv_bytes

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


class UploadForm(JapaneseForm):
    file = FileField("名簿のファイル", validators=[FileRequired("ファイルを選んでください。")])


class ConfirmForm(JapaneseForm):
    """The dynamic parts (kind-<n> selects, end checkboxes) are read by confirm_choices()."""

    digest = HiddenField()
    end_all = BooleanField("一覧の全員を退会にする")
    end_date = JapaneseDateField("退会日", validators=[Optional()])


# The page numbers its selects and checkboxes itself: anything else was not sent by it.
NOT_FROM_THE_PAGE = (
    "送信内容が正しくありません。お手数ですが、ページを開き直してからもう一度お試しください。"
)


def confirm_choices() -> tuple[dict[int, str], set[int]]:
    """The kind chosen for each new organisation (kind-<n>) and the members ticked to end.

    Raises DomainError, so that nothing is imported, for a name or a value the page could not
    have sent (kind-፩, end=², 25 digits): as apply_import refuses an end for someone who is
    not in its list, rather than importing without the choice."""
    kinds: dict[int, str] = {}
    for key, value in request.form.items():
        if key.startswith("kind-"):
            position = parse_int(key[5:])
            if position is None:
                raise DomainError(NOT_FROM_THE_PAGE)
            kinds[position] = value
    ends: set[int] = set()
    for value in request.form.getlist("end"):
        member_id = parse_id(value)
        if member_id is None:
            raise DomainError(NOT_FROM_THE_PAGE)
        ends.add(member_id)
    return kinds, ends


def preview_page(draft_id: int, form: ConfirmForm, status: int = 200):
    draft = drafts.get_draft(db.session, g.network.id, draft_id)
    plan = None if draft.applied_at else drafts.plan_for(db.session, draft)
    return render_template(
        "secretariat/roster_import/preview.html",
        draft=draft,
        plan=plan,
        form=form,
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
    return Response(
        csv_bytes(TEMPLATE_HEADER, []),
        content_type=CSV,
        headers={"Content-Disposition": "attachment; filename*=UTF-8''meibo_template.csv"},
    )


@bp.get("/<int:draft_id>")
def preview(draft_id: int):
    return preview_page(draft_id, ConfirmForm())


@bp.post("/<int:draft_id>/confirm")
def confirm(draft_id: int):
    drafts.get_draft(db.session, g.network.id, draft_id)  # another network's: 404
    form = ConfirmForm()
    if not form.validate_on_submit():
        return preview_page(draft_id, form, 422)
    try:
        kinds, ends = confirm_choices()
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
        )
    except DomainError as error:
        flash(error.message, "error")
        return preview_page(draft_id, form, 409 if isinstance(error, Conflict) else 422)
    flash(result.message(), "success")
    return redirect(url_for(".preview", draft_id=draft_id))
