"""The trainer's side: the list, a new workshop, the control page with the phase buttons, the
projector, the exports; and the secretariat's review of participants not on the roster."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from trainer import tables
from trainer.accounts import roster
from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.models import Role
from trainer.certificates import service as certificates
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.parsing import parse_id
from trainer.qr import absolute_url, qr_svg
from trainer.timeutil import today_jst
from trainer.web import show_error
from trainer.workshops import (
    codes,
    confirming,
    creating,
    devices,
    exports,
    participants,
    phase_poll,
    phases,
    projector_link,
    review,
    seats,
    survey,
)
from trainer.workshops import projector as wall  # the module; `projector` is a route here
from trainer.workshops.forms import WorkshopForm
from trainer.workshops.models import Phase

bp = network_blueprint("workshops", __name__, "/workshops")


@bp.get("/")
@allow(Role.TRAINER)
def index():
    return render_template(
        "workshops/control/index.html",
        workshops=creating.workshops_of(db.session, g.network.id),
        pending=review.pending_count(db.session, g.network.id),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.TRAINER)
def new():
    # 開催日 starts at today (JST): most workshops are made for a day soon, and an empty date
    # field on a phone is a calendar to scroll (the newcomer review's L8).
    form = WorkshopForm(held_on=today_jst())
    form.set_choices(
        learning.active_courses(db.session), roster.organisations(db.session, g.network.id)
    )
    if form.validate_on_submit():
        try:
            workshop = creating.create_workshop(
                db.session,
                network_id=g.network.id,
                data=creating.WorkshopInput(
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
    return render_template("workshops/control/new.html", form=form), (422 if form.errors else 200)


@bp.get("/<int:workshop_id>")
@allow(Role.TRAINER)
def detail(workshop_id: int):
    workshop = creating.get_workshop(db.session, g.network.id, workshop_id)
    url = wall.join_url(workshop)
    return render_template(
        "workshops/control/detail.html",
        workshop=workshop,
        moves=phases.allowed_moves(workshop.current_phase),
        Phase=Phase,
        # 終了, or the day is over: nobody can join, so the page stops offering the code.
        join_closed=seats.join_closed_reason(workshop),
        join_url=url,
        spaced=codes.spaced(workshop.join_code),
        qr=qr_svg(url, label="参加用QRコード"),
        state=wall.projector_state(db.session, workshop),
        projector_url=absolute_url(projector_link.page_path(workshop)),
        projector_until=projector_link.last_day(workshop.held_on),
        rows=participants.participant_rows(db.session, workshop),
        summary=survey.feedback_summary(db.session, workshop),
        waiting=devices.waiting_devices(db.session, workshop),
        devices=devices.device_counts(db.session, workshop),
    )


@bp.post("/<int:workshop_id>/phase")
@allow(Role.TRAINER)
def phase(workshop_id: int):
    workshop = creating.get_workshop(db.session, g.network.id, workshop_id)
    before = workshop.current_phase
    try:
        phases.move_phase(
            db.session,
            workshop=workshop,
            from_phase=request.form.get("from", ""),
            to_phase=request.form.get("to", ""),
            actor=current_user,
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        phase_poll.phase_cache().forget(workshop.join_code)  # this process's phones see it at once
        now = workshop.current_phase
        verb = "戻しました" if now.position < before.position else "進めました"
        flash(f"「{now.label}」に{verb}。参加者の画面も切り替わります。", "success")
    return redirect(url_for(".detail", workshop_id=workshop.id))


# --- who is who in the room (confirming.py, devices.py) -----------------------------------------


def _decided(act, done: str) -> None:
    """Run one decision (a service call), flash what happened or why not. Another network's
    record raises NotFound: the same 404 as everywhere."""
    try:
        result = act()
    except NotFound:
        raise
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done.format(result=result, name=result), "success")


def _in_room(workshop_id: int, act, done: str):
    """One decision about a seat, back to the participants."""
    workshop = creating.get_workshop(db.session, g.network.id, workshop_id)
    _decided(lambda: act(workshop), done)
    return redirect(url_for(".detail", workshop_id=workshop.id) + "#participants")


@bp.post("/<int:workshop_id>/participants/<int:participant_id>/confirm")
@allow(Role.TRAINER)
def confirm_participant(workshop_id: int, participant_id: int):
    return _in_room(
        workshop_id,
        lambda w: (
            confirming.confirm_participant(
                db.session, workshop=w, participant_id=participant_id, actor=current_user
            ).entered_name
        ),
        "{result}さんを本人確認済みにしました。",
    )


@bp.post("/<int:workshop_id>/participants/confirm-all")
@allow(Role.TRAINER)
def confirm_everyone(workshop_id: int):
    return _in_room(
        workshop_id,
        lambda w: confirming.confirm_everyone(db.session, workshop=w, actor=current_user),
        "{result}人を本人確認済みにしました。",
    )


@bp.post("/<int:workshop_id>/devices/<int:device_id>/<decision>")
@allow(Role.TRAINER)
def decide_device(workshop_id: int, device_id: int, decision: str):
    decide = {
        "approve": (devices.approve_device, "同じ方として、この端末での参加を認めました。"),
        "reject": (devices.reject_device, "この端末での参加を断りました。"),
        "separate": (devices.seat_separately, "別の方として参加させました（重複の可能性あり）。"),
    }.get(decision)
    if decide is None:
        raise NotFound("ページが見つかりません。")
    action, done = decide
    return _in_room(
        workshop_id,
        lambda w: action(db.session, workshop=w, device_id=device_id, actor=current_user),
        done,
    )


@bp.get("/<int:workshop_id>/projector")
@allow(Role.TRAINER)
def projector(workshop_id: int):
    workshop = creating.get_workshop(db.session, g.network.id, workshop_id)
    codes.known_from_here(workshop.join_code)
    return wall.render_projector_page(db.session, workshop)


@bp.post("/<int:workshop_id>/projector-link")
@allow(Role.TRAINER)
def new_projector_link(workshop_id: int):
    workshop = creating.get_workshop(db.session, g.network.id, workshop_id)
    projector_link.renew(db.session, workshop=workshop, actor=current_user)
    flash(
        "プロジェクター用リンクを新しくしました。前のリンクは使えなくなりました"
        "（開いている画面は、数秒で表示が止まります）。",
        "success",
    )
    return redirect(url_for(".detail", workshop_id=workshop.id) + "#projector-link")


def _export(workshop_id: int, kind: str) -> Response:
    workshop = creating.get_workshop(db.session, g.network.id, workshop_id)
    body, filename = exports.export(db.session, workshop, kind, current_user)
    return tables.download(body, kind, filename)


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
        "workshops/control/review_list.html",
        entries=[
            {
                "member": m,
                "workshops": review.workshops_joined(db.session, m),
                "candidates": review.merge_candidates(db.session, m),
                "participations": review.participations(db.session, m),
                "certificates": certificates.of_member(db.session, m.id),
            }
            for m in members
        ],
        matches=review.unconfirmed_matches(db.session, g.network.id),
        today=today_jst(),
    )


def _reviewed(act, done: str):
    """One review decision, back to the list."""
    _decided(act, done)
    return redirect(url_for(".review_list"))


@bp.post("/review/<int:member_id>/reject")
def review_reject(member_id: int):
    return _reviewed(
        lambda: (
            review.reject(
                db.session,
                network_id=g.network.id,
                member_id=member_id,
                reason=request.form.get("reason", ""),
                actor=current_user,
            ).name
        ),
        "{name}さんを「確認しない」としました。修了証は取り消されました。",
    )


@bp.post("/review/participants/<int:participant_id>/confirm")
def review_confirm_match(participant_id: int):
    return _reviewed(
        lambda: (
            review.confirm_match(
                db.session,
                network_id=g.network.id,
                participant_id=participant_id,
                actor=current_user,
            ).member.name
        ),
        "{name}さんの研修会での参加を確認しました。",
    )


@bp.post("/review/participants/<int:participant_id>/reject")
def review_reject_match(participant_id: int):
    return _reviewed(
        lambda: (
            review.reject_match(
                db.session,
                network_id=g.network.id,
                participant_id=participant_id,
                reason=request.form.get("reason", ""),
                actor=current_user,
            ).name
        ),
        "「{name}」の名前での参加を本人ではないとしました。結果は構成員の記録から外し、修了証は取り消しました。",
    )


@bp.post("/review/<int:member_id>/confirm")
def review_confirm(member_id: int):
    return _reviewed(
        lambda: (
            review.confirm(
                db.session, network_id=g.network.id, member_id=member_id, actor=current_user
            ).name
        ),
        "{name}さんを新しい構成員として確認しました。",
    )


@bp.post("/review/<int:member_id>/merge")
def review_merge(member_id: int):
    into = request.form.get("into", "")
    return _reviewed(
        lambda: (
            review.merge(
                db.session,
                network_id=g.network.id,
                member_id=member_id,
                into_id=parse_id(into),  # not an id: the service asks to choose from the list
                actor=current_user,
            ).name
        ),
        "{name}さんに統合しました。回答と修了証も移りました。",
    )
