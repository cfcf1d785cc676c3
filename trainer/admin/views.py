"""Platform admin pages: create networks and invite their first secretariat; issue reset links.

The admin may see every network and account. Creating a network invites its secretariat like any
other network's invitation (trainer/accounts/invitations.py): the admin's page gets a link, and
nobody has a role in the new network until the invited person accepts it. The admin can make a
new link for any open invitation, since a new network has nobody else who could.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from trainer.accounts import invitations, passwords, users
from trainer.accounts.access import admin_required
from trainer.accounts.models import User
from trainer.accounts.pages import invitation_link_page, reset_link_page
from trainer.admin.forms import AreaRoleForm, NetworkCreateForm
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.prefecture import roles as area_roles
from trainer.web import show_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@admin_required
def index():
    return render_template(
        "admin/index.html",
        networks=users.all_networks(db.session),
        accounts=users.all_users(db.session),
        invited=invitations.all_open_invitations(db.session),
        area_roles=area_roles.all_area_roles(db.session),
        area_form=AreaRoleForm(),
        prefectures=area_roles.prefectures(db.session),
    )


@bp.route("/networks/new", methods=["GET", "POST"])
@admin_required
def network_new():
    form = NetworkCreateForm()
    if form.validate_on_submit():
        try:
            link = invitations.create_network(
                db.session,
                name=form.name.data,
                prefecture=form.prefecture.data,
                municipality=form.municipality.data,
                secretariat_email=form.secretariat_email.data,
                secretariat_name=form.secretariat_name.data,
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            return invitation_link_page(
                link, back_url=url_for(".index"), created=link.invitation.network
            )
    return render_template("admin/network_new.html", form=form)


@bp.post("/invitations/<int:invitation_id>/reissue")
@admin_required
def reissue_invitation(invitation_id: int):
    invitation = invitations.get_open_invitation(db.session, invitation_id, network_id=None)
    link = invitations.reissue(db.session, invitation=invitation, actor=current_user)
    return invitation_link_page(link, back_url=url_for(".index"))


@bp.post("/invitations/<int:invitation_id>/cancel")
@admin_required
def cancel_invitation(invitation_id: int):
    invitation = invitations.get_open_invitation(db.session, invitation_id, network_id=None)
    invitations.cancel(db.session, invitation=invitation, actor=current_user)
    flash(f"{invitation.name_given}さんへの招待を取り消しました。", "success")
    return redirect(url_for(".index"))


@bp.post("/users/<int:user_id>/reset-link")
@admin_required
def reset_link(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("職員が見つかりません。")
    token = passwords.issue_password_reset(db.session, user=user, issuer=current_user)
    return reset_link_page(user, token)


@bp.post("/area-roles")
@admin_required
def grant_area_role():
    """都道府県・全国の閲覧権限: to an account by address; a new account gets a first-password
    link, shown (or mailed) like a reset link."""
    form = AreaRoleForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return redirect(url_for(".index"))
    try:
        granted = area_roles.grant(
            db.session,
            email=form.email.data,
            name=form.name.data,
            area=form.area.data,
            actor=current_user,
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".index"))
    if granted.reset_token:
        return reset_link_page(granted.role.user, granted.reset_token)
    flash(
        f"{granted.role.user.name}さんに「{granted.role.label}」の閲覧権限を付与しました。",
        "success",
    )
    return redirect(url_for(".index"))


@bp.post("/users/<int:user_id>/area-role/revoke")
@admin_required
def revoke_area_role(user_id: int):
    label = area_roles.revoke(db.session, user_id=user_id, actor=current_user)
    flash(f"「{label}」の閲覧権限を取り消しました。", "success")
    return redirect(url_for(".index"))
