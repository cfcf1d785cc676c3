"""The secretariat's roster pages: organisations and members of one network."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.accounts import link_mail, roster, roster_search
from trainer.accounts.access import allow, network_blueprint
from trainer.accounts.forms import (
    EndMembershipForm,
    MemberForm,
    OrganisationForm,
    ReportingKeyRotateForm,
)
from trainer.accounts.models import Role
from trainer.certificates import service as certificate_service
from trainer.concerns import keys
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.form_base import required
from trainer.mail import outbox
from trainer.qr import absolute_url, qr_svg
from trainer.text import clean_multiline
from trainer.timeutil import today_jst
from trainer.web import page_number, query_id, show_error

bp = network_blueprint("roster", __name__)


# --- organisations ----------------------------------------------------------------------------


@bp.get("/organisations")
@allow(Role.TRAINER)
def organisations():
    return render_template(
        "accounts/roster/organisations.html",
        organisations=roster.organisations(db.session, g.network.id),
        counts=roster.organisation_member_counts(db.session, g.network.id),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def organisation_new():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = roster.create_organisation(
                db.session,
                network_id=g.network.id,
                kind=form.kind.data,
                name=required(form.name.data),
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"構成団体「{org.name}」を登録しました。", "success")
            return redirect(url_for(".organisations"))
    return render_template("accounts/roster/organisation_form.html", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
def organisation_edit(organisation_id: int):
    org = roster.get_organisation(db.session, g.network.id, organisation_id)
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            roster.update_organisation(
                db.session,
                organisation=org,
                kind=form.kind.data,
                name=required(form.name.data),
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"構成団体「{org.name}」を更新しました。", "success")
            return redirect(url_for(".organisations"))
    return render_template("accounts/roster/organisation_form.html", form=form, organisation=org)


# --- members ----------------------------------------------------------------------------------


@bp.get("/members")
def members():
    organisation_id = query_id("organisation")
    status = request.args.get("status", "active")
    if status not in roster_search.MEMBER_STATUSES:
        status = "active"
    result = roster_search.search_members(
        db.session,
        network_id=g.network.id,
        query=request.args.get("q", "")[:100],
        organisation_id=organisation_id,
        status=status,
        page=page_number(),
        per_page=current_app.config["MEMBERS_PER_PAGE"],
    )
    return render_template(
        "accounts/roster/members.html",
        result=result,
        organisations=roster.organisations(db.session, g.network.id),
        statuses=roster_search.MEMBER_STATUSES,
        query=request.args.get("q", ""),
        organisation_id=organisation_id,
        status=status,
    )


def _member_input(form: MemberForm) -> roster.MemberInput:
    return roster.MemberInput(
        organisation_id=form.organisation_id.data,
        name=form.name.data or "",
        kana=form.kana.data or "",
        job_type=form.job_type.data,
        age_band=form.age_band.data,
        email=form.email.data or "",
        membership_start=form.membership_start.data,
    )


@bp.route("/members/new", methods=["GET", "POST"])
def member_new():
    form = MemberForm()
    form.set_organisations(roster.organisations(db.session, g.network.id))
    if request.method == "GET":
        form.membership_start.data = today_jst()
        form.organisation_id.data = query_id("organisation") or 0
    if form.validate_on_submit():
        try:
            member = roster.create_member(
                db.session,
                network_id=g.network.id,
                data=_member_input(form),
                actor=current_user,
                allow_same_name=form.allow_same_name.data,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{member.name}さんを登録しました。", "success")
            return redirect(url_for(".member", member_id=member.id))
    return render_template("accounts/roster/member_form.html", form=form, member=None)


@bp.get("/members/<int:member_id>")
def member(member_id: int):
    member = roster.get_member(db.session, g.network.id, member_id)
    return render_template(
        "accounts/roster/member.html",
        member=member,
        certificates=certificate_service.of_member(db.session, member_id),
        today=today_jst(),
        reporting_key=keys.existing_key(db.session, member),
        rotate_form=ReportingKeyRotateForm(),
        can_mail_link=outbox.mail_configured() and link_mail.can_mail_personal_link(member),
    )


@bp.post("/members/<int:member_id>/reporting-key/rotate")
def reporting_key_rotate(member_id: int):
    """「報告用QRコードを作り直す」: the first press shows what it does (nothing changed yet);
    the confirmation page posts back with confirmed=1, which rotates."""
    member = roster.get_member(db.session, g.network.id, member_id)
    form = ReportingKeyRotateForm()
    if not form.validate_on_submit():
        flash("もう一度お試しください。", "error")
        return redirect(url_for(".member", member_id=member.id))
    if not keys.can_report(member):
        flash("確認待ちの構成員と退会した構成員には、報告用QRコードはありません。", "error")
        return redirect(url_for(".member", member_id=member.id))
    if form.confirmed.data != "1":
        form.confirmed.data = "1"
        return render_template(
            "accounts/roster/reporting_key_rotate_confirm.html", member=member, form=form
        )
    keys.rotate_key(db.session, member=member, actor=current_user)
    flash(
        f"{member.name}さんの報告用QRコードを作り直しました。前の構成員証の報告用QRコードは"
        "使えません。構成員証を印刷し直してください。",
        "success",
    )
    return redirect(url_for(".member", member_id=member.id))


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
def member_edit(member_id: int):
    member = roster.get_member(db.session, g.network.id, member_id)
    form = MemberForm(obj=member)
    form.set_organisations(roster.organisations(db.session, g.network.id))
    if form.validate_on_submit():
        try:
            roster.update_member(
                db.session,
                member=member,
                data=_member_input(form),
                actor=current_user,
                allow_same_name=form.allow_same_name.data,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{member.name}さんの情報を更新しました。", "success")
            return redirect(url_for(".member", member_id=member.id))
    return render_template("accounts/roster/member_form.html", form=form, member=member)


@bp.route("/members/<int:member_id>/end", methods=["GET", "POST"])
def member_end(member_id: int):
    """The form, then a confirmation page repeating the date and reason, then the record: only
    a POST from the confirmation page (confirmed=1) ends the membership."""
    member = roster.get_member(db.session, g.network.id, member_id)
    form = EndMembershipForm()
    if request.method == "GET":
        form.end_date.data = today_jst()
    elif request.form.get("back"):
        pass  # 「戻って直す」: the form again, with what was typed
    elif form.validate_on_submit():
        end_date = required(form.end_date.data)
        try:
            roster.check_end(member, end_date)
            if form.confirmed.data != "1":
                return render_template(
                    "accounts/roster/member_end_confirm.html",
                    form=form,
                    member=member,
                    end_date=end_date,
                    reason=clean_multiline(form.reason.data),
                )
            roster.end_membership(
                db.session,
                member=member,
                end_date=end_date,
                reason=form.reason.data or "",
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{member.name}さんの退会を記録しました。", "success")
            return redirect(url_for(".member", member_id=member.id))
    form.confirmed.data = ""  # the form page never confirms by itself
    return render_template("accounts/roster/member_end.html", form=form, member=member)


@bp.post("/members/<int:member_id>/reinstate")
def member_reinstate(member_id: int):
    member = roster.get_member(db.session, g.network.id, member_id)
    try:
        roster.reinstate_membership(db.session, member=member, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{member.name}さんの退会を取り消しました。", "success")
    return redirect(url_for(".member", member_id=member.id))


@bp.get("/members/<int:member_id>/link")
def member_link(member_id: int):
    member = roster.get_member(db.session, g.network.id, member_id)
    roster.record_link_view(db.session, member=member, actor=current_user)
    url = absolute_url(url_for("learning.personal_link", token=member.link_token))
    return render_template(
        "accounts/roster/member_link.html",
        member=member,
        url=url,
        qr=qr_svg(url, label=f"{member.name}さんの個人用リンク"),
    )


@bp.post("/members/<int:member_id>/link/rotate")
def member_link_rotate(member_id: int):
    member = roster.get_member(db.session, g.network.id, member_id)
    roster.rotate_member_link(db.session, member=member, actor=current_user)
    flash("個人用リンクを新しくしました。以前のリンクとQRコードは使えなくなりました。", "success")
    return redirect(url_for(".member_link", member_id=member.id))


@bp.post("/members/<int:member_id>/link/mail")
def member_link_mail(member_id: int):
    """「個人用リンクをメールで送る」: the current link (not a new one: link_mail.py says why) to
    the member's own address; audited."""
    member = roster.get_member(db.session, g.network.id, member_id)
    if not outbox.mail_configured():
        flash("メールの送信が設定されていないため、送れません。", "error")
        return redirect(url_for(".member", member_id=member.id))
    try:
        mail = link_mail.personal_link(db.session, member=member, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        outbox.deliver_soon()
        flash(f"{mail.to_address} に個人用リンクを送りました。", "success")
    return redirect(url_for(".member", member_id=member.id))
