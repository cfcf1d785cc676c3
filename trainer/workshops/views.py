"""The trainer's side: the list, a new workshop, the control page with the phase buttons, the
projector, the exports; and the secretariat's review of participants not on the roster."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.accounts import roster
from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.models import Role
from trainer.audit import service as audit
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.qr import absolute_url, qr_svg
from trainer.web import show_error
from trainer.workshops import codes, exports, projector_link, projector_views, review, service
from trainer.workshops.forms import WorkshopForm
from trainer.workshops.models import Phase

bp = network_blueprint("workshops", __name__, "/workshops")


@bp.get("/")
@allow(Role.TRAINER)
def index():
    return render_template(
        "workshops/index.html",
        workshops=service.workshops_of(db.session, g.network.id),
        pending=review.pending_count(db.session, g.network.id),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.TRAINER)
def new():
    form = WorkshopForm()
    form.set_choices(
        learning.active_courses(db.session), roster.organisations(db.session, g.network.id)
    )
    if form.validate_on_submit():
        try:
            workshop = service.create_workshop(
                db.session,
                network_id=g.network.id,
                data=service.WorkshopInput(
                    course_id=form.course_id.data,
                    title=form.title.data,
                    held_on=form.held_on.data,
                    place=form.place.data or "",
                    organisation_ids=tuple(form.organisation_ids.data or ()),
                ),
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash("研修会を作成しました。当日はこの画面から進行します。", "success")
            return redirect(url_for(".detail", workshop_id=workshop.id))
    return render_template("workshops/new.html", form=form), (422 if form.errors else 200)


@bp.get("/<int:workshop_id>")
@allow(Role.TRAINER)
def detail(workshop_id: int):
    workshop = service.get_workshop(db.session, g.network.id, workshop_id)
    url = projector_views.join_url(workshop)
    return render_template(
        "workshops/detail.html",
        workshop=workshop,
        moves=service.allowed_moves(workshop.current_phase),
        Phase=Phase,
        join_url=url,
        spaced=codes.spaced(workshop.join_code),
        qr=qr_svg(url, label="参加用QRコード"),
        state=service.projector_state(db.session, workshop),
        projector_url=absolute_url(projector_link.page_path(workshop)),
        projector_until=projector_link.last_day(workshop.held_on),
        rows=service.participant_rows(db.session, workshop),
        summary=service.feedback_summary(db.session, workshop),
    )


@bp.post("/<int:workshop_id>/phase")
@allow(Role.TRAINER)
def phase(workshop_id: int):
    workshop = service.get_workshop(db.session, g.network.id, workshop_id)
    before = workshop.current_phase
    try:
        service.move_phase(
            db.session,
            workshop=workshop,
            from_phase=request.form.get("from", ""),
            to_phase=request.form.get("to", ""),
            actor=current_user,
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        now = workshop.current_phase
        verb = "戻しました" if now.index < before.index else "進めました"
        flash(f"「{now.label}」に{verb}。参加者の画面も切り替わります。", "success")
    return redirect(url_for(".detail", workshop_id=workshop.id))


@bp.get("/<int:workshop_id>/projector")
@allow(Role.TRAINER)
def projector(workshop_id: int):
    workshop = service.get_workshop(db.session, g.network.id, workshop_id)
    return projector_views.render_projector_page(workshop)


@bp.get("/<int:workshop_id>/projector/live")
@allow(Role.TRAINER)
def projector_live(workshop_id: int):
    """The live part for a signed-in trainer (the page itself polls the projector link): the
    same cached rendering, unless it shows another phase than the one just read."""
    workshop = service.get_workshop(db.session, g.network.id, workshop_id)
    fragment = projector_views.live_fragments().fetch(
        workshop.id,
        lambda: projector_views.render_live(workshop),
        usable=lambda cached: cached.phase == workshop.phase,
    )
    return projector_views.live_response(fragment)


@bp.post("/<int:workshop_id>/projector-link")
@allow(Role.TRAINER)
def new_projector_link(workshop_id: int):
    workshop = service.get_workshop(db.session, g.network.id, workshop_id)
    service.renew_projector_link(db.session, workshop=workshop, actor=current_user)
    flash(
        "プロジェクター用リンクを新しくしました。前のリンクは使えなくなりました"
        "（開いている画面は、数秒で表示が止まります）。",
        "success",
    )
    return redirect(url_for(".detail", workshop_id=workshop.id) + "#projector-link")


def _export(workshop_id: int, kind: str):
    workshop = service.get_workshop(db.session, g.network.id, workshop_id)
    rows = service.participant_rows(db.session, workshop)
    audit.record(
        db.session,
        actor=current_user,
        action="workshop.export",
        target_type="workshop",
        target_id=workshop.id,
        target_label=workshop.title,
        network_id=g.network.id,
        details={"format": kind, "rows": len(rows)},
    )
    db.session.commit()
    name = f"workshop-{workshop.id}-{workshop.held_on.isoformat()}.{kind}"
    if kind == "csv":
        response = Response(exports.to_csv(rows), mimetype="text/csv; charset=utf-8")
    else:
        response = Response(
            exports.to_xlsx(rows, title=f"{workshop.title}（{workshop.held_on:%Y-%m-%d}）"),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:workshop_id>/export.csv")
@allow(Role.TRAINER)
def export_csv(workshop_id: int):
    return _export(workshop_id, "csv")


@bp.get("/<int:workshop_id>/export.xlsx")
@allow(Role.TRAINER)
def export_xlsx(workshop_id: int):
    return _export(workshop_id, "xlsx")


# --- the secretariat: participants not found on the roster ---------------------------------------


@bp.get("/review")
def review_list():
    members = review.pending(db.session, g.network.id)
    return render_template(
        "workshops/review_list.html",
        entries=[
            {
                "member": m,
                "workshops": review.workshops_joined(db.session, m),
                "candidates": review.merge_candidates(db.session, m),
            }
            for m in members
        ],
    )


@bp.post("/review/<int:member_id>/confirm")
def review_confirm(member_id: int):
    try:
        member = review.confirm(
            db.session, network_id=g.network.id, member_id=member_id, actor=current_user
        )
    except NotFound:
        raise  # another network's member: the same 404 as everywhere
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"{member.name}さんを新しい構成員として確認しました。", "success")
    return redirect(url_for(".review_list"))


@bp.post("/review/<int:member_id>/merge")
def review_merge(member_id: int):
    into = request.form.get("into", "")
    try:
        target = review.merge(
            db.session,
            network_id=g.network.id,
            member_id=member_id,
            into_id=int(into) if into.isdigit() else None,
            actor=current_user,
        )
    except NotFound:
        raise
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"{target.name}さんに統合しました。回答と修了証も移りました。", "success")
    return redirect(url_for(".review_list"))
