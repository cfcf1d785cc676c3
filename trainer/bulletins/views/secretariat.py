"""The secretariat's bulletin pages: the list, writing, the preview with publish and schedule, and
per bulletin its audience, its mails and who has opened it per organisation."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from trainer.accounts import roster
from trainer.accounts.access import network_blueprint
from trainer.bulletins import attachments, audience, editing, publishing, reading
from trainer.bulletins.forms import ActionForm, BulletinForm, ScheduleForm
from trainer.bulletins.models import Bulletin
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.mail import outbox
from trainer.timeutil import to_jst, today_jst, utcnow
from trainer.web import show_error

bp = network_blueprint("bulletins", __name__, "/bulletins")


def _bulletin(bulletin_id: int) -> Bulletin:
    return editing.get_bulletin(db.session, g.network.id, bulletin_id)  # NotFound: 404


def _organisation_names() -> dict[int, str]:
    return {o.id: o.name for o in roster.organisations(db.session, g.network.id)}


@bp.get("/")
def index():
    return render_template(
        "bulletins/secretariat/index.html",
        lists=reading.for_network(db.session, g.network.id),
        last=reading.last_sent(db.session, g.network.id, today_jst()),
        quiet_days=reading.QUIET_DAYS,
    )


def _form_page(form: BulletinForm, bulletin: Bulletin | None, status: int = 200):
    return render_template("bulletins/secretariat/form.html", form=form, bulletin=bulletin), status


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = BulletinForm()
    form.set_choices(roster.organisations(db.session, g.network.id))
    if form.validate_on_submit():
        try:
            bulletin = editing.create_draft(
                db.session, network_id=g.network.id, data=form.to_input(), actor=current_user
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("下書きを保存しました。内容を確かめてから公開してください。", "success")
            return redirect(url_for(".detail", bulletin_id=bulletin.id))
    return _form_page(form, None, 400 if form.errors else 200)


@bp.route("/<int:bulletin_id>/edit", methods=["GET", "POST"])
def edit(bulletin_id: int):
    bulletin = _bulletin(bulletin_id)
    if bulletin.published_at is not None:
        flash(editing.PUBLISHED_IS_FINAL, "error")
        return redirect(url_for(".detail", bulletin_id=bulletin.id))
    form = BulletinForm()
    form.set_choices(roster.organisations(db.session, g.network.id))
    if not form.is_submitted():
        form.fill_from(bulletin)
    elif form.validate():
        try:
            changed = editing.update_bulletin(
                db.session, bulletin=bulletin, data=form.to_input(), actor=current_user
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("保存しました。" if changed else "変更はありませんでした。", "success")
            return redirect(url_for(".detail", bulletin_id=bulletin.id))
    return _form_page(form, bulletin, 400 if form.errors else 200)


def _detail_page(bulletin: Bulletin, schedule_form: ScheduleForm | None = None, status=200):
    today = today_jst()
    published = bulletin.published_at is not None
    if schedule_form is None:
        schedule_form = ScheduleForm(formdata=None)
        if bulletin.publish_at is not None:
            schedule_form.publish_at.data = to_jst(bulletin.publish_at).strftime("%Y-%m-%dT%H:%M")
    return render_template(
        "bulletins/secretariat/detail.html",
        bulletin=bulletin,
        audience_text=audience.describe(bulletin, _organisation_names()),
        audience_size=audience.size(db.session, bulletin, today),
        mail_recipients=(
            None if published else audience.mail_recipient_count(db.session, bulletin, today)
        ),
        mail_counts=publishing.mail_counts(db.session, bulletin.id),
        mail_configured=outbox.mail_configured(),
        reads=reading.reads_by_organisation(db.session, bulletin, today) if published else [],
        schedule_form=schedule_form,
        is_image=attachments.is_image(bulletin),
    ), status


@bp.get("/<int:bulletin_id>")
def detail(bulletin_id: int):
    return _detail_page(_bulletin(bulletin_id))


def _button(bulletin_id: int, act: Callable[[Bulletin], str]):
    """A one-button action on the bulletin's page (its form carries only the CSRF token): act
    does it and says what was done; a refusal is flashed as it is. Back to the page either way."""
    bulletin = _bulletin(bulletin_id)
    if not ActionForm().validate_on_submit():
        flash("ページの有効期限が切れました。もう一度操作してください。", "error")
        return redirect(url_for(".detail", bulletin_id=bulletin.id))
    try:
        done = act(bulletin)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for(".detail", bulletin_id=bulletin.id))


@bp.post("/<int:bulletin_id>/publish")
def publish(bulletin_id: int):
    def act(bulletin: Bulletin) -> str:
        mails = publishing.publish_now(
            db.session, bulletin=bulletin, actor=current_user, now=utcnow()
        )
        outbox.deliver_soon()
        return f"公開しました。メールを{mails}通、送信の列に入れました。"

    return _button(bulletin_id, act)


@bp.post("/<int:bulletin_id>/schedule")
def schedule(bulletin_id: int):
    bulletin = _bulletin(bulletin_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            publishing.schedule(
                db.session,
                bulletin=bulletin,
                publish_at=publishing.parse_jst(form.publish_at.data),
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("公開を予約しました。その日時になると公開し、メールを送ります。", "success")
            return redirect(url_for(".detail", bulletin_id=bulletin.id))
    return _detail_page(bulletin, form, 400)


@bp.post("/<int:bulletin_id>/cancel")
def cancel(bulletin_id: int):
    def act(bulletin: Bulletin) -> str:
        publishing.cancel_schedule(db.session, bulletin=bulletin, actor=current_user)
        return "公開の予約を取り消しました。下書きに戻りました。"

    return _button(bulletin_id, act)


@bp.post("/<int:bulletin_id>/withdraw-public")
def withdraw_public(bulletin_id: int):
    def act(bulletin: Bulletin) -> str:
        publishing.withdraw_from_public(db.session, bulletin=bulletin, actor=current_user)
        return "公開ページとフィードから外しました。構成員の個人ページには残ります。"

    return _button(bulletin_id, act)


@bp.get("/<int:bulletin_id>/attachment")
def attachment(bulletin_id: int):
    return attachments.response(_bulletin(bulletin_id))
