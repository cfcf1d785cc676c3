"""The secretariat manages the network's staff: who is secretariat or trainer here, and whom
it has invited (a role comes only with the invited person's acceptance: invitations.py)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from trainer.accounts import invitations, passwords, users
from trainer.accounts.access import network_blueprint
from trainer.accounts.forms import RoleForm, StaffAddForm
from trainer.accounts.models import Role
from trainer.accounts.pages import invitation_link_page, reset_link_page
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.mail import outbox
from trainer.web import show_error

bp = network_blueprint("staff", __name__, "/staff")


@bp.get("/")
def index():
    return render_template(
        "accounts/staff/index.html",
        staff=users.staff_of_network(db.session, g.network.id),
        invited=invitations.open_invitations(db.session, g.network.id),
        role_form=RoleForm(),
        can_reset=lambda target: passwords.can_issue_reset(current_user, target),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = StaffAddForm()
    if form.validate_on_submit():
        try:
            link = invitations.invite(
                db.session,
                network_id=g.network.id,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                actor=current_user,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            # The same page whether or not the address had an account (invitations.py).
            return invitation_link_page(link, back_url=url_for(".index"))
    return render_template("accounts/staff/new.html", form=form, mailed=outbox.mail_configured())


@bp.post("/invitations/<int:invitation_id>/reissue")
def reissue_invitation(invitation_id: int):
    invitation = invitations.get_open_invitation(db.session, invitation_id, network_id=g.network.id)
    link = invitations.reissue(db.session, invitation=invitation, actor=current_user)
    return invitation_link_page(link, back_url=url_for(".index"))


@bp.post("/invitations/<int:invitation_id>/cancel")
def cancel_invitation(invitation_id: int):
    invitation = invitations.get_open_invitation(db.session, invitation_id, network_id=g.network.id)
    invitations.cancel(db.session, invitation=invitation, actor=current_user)
    flash(
        f"{invitation.name_given}さんへの招待を取り消しました。リンクは使えなくなりました。",
        "success",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/role")
def change_role(user_id: int):
    user = users.staff_member(db.session, g.network.id, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            users.change_role(
                db.session,
                user=user,
                network_id=g.network.id,
                role=Role(form.role.data),
                actor=current_user,
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"{user.name}さんの役割を「{Role(form.role.data).label}」にしました。", "success")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/remove")
def remove(user_id: int):
    user = users.staff_member(db.session, g.network.id, user_id)
    try:
        users.revoke_role(db.session, user=user, network_id=g.network.id, actor=current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{user.name}さんをこのネットワークの職員から外しました。", "success")
    return redirect(url_for(".index"))


@bp.post("/<int:user_id>/reset-link")
def reset_link(user_id: int):
    user = users.staff_member(db.session, g.network.id, user_id)
    try:
        token = passwords.issue_password_reset(
            db.session, user=user, issuer=current_user, network_id=g.network.id
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".index"))
    return reset_link_page(user, token, network=g.network)
