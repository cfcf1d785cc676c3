"""Platform admin pages: create networks with their first secretariat; issue reset links."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from trainer.accounts import users
from trainer.accounts.access import admin_required
from trainer.accounts.models import User
from trainer.admin.forms import NetworkCreateForm
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.qr import absolute_url
from trainer.web import show_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@admin_required
def index():
    return render_template(
        "admin/index.html",
        networks=users.all_networks(db.session),
        accounts=users.all_users(db.session),
    )


@bp.route("/networks/new", methods=["GET", "POST"])
@admin_required
def network_new():
    form = NetworkCreateForm()
    if form.validate_on_submit():
        try:
            created = users.create_network(
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
            if created.setup_link_token:
                return render_template(
                    "admin/network_created.html",
                    created=created,
                    url=absolute_url(
                        url_for("auth.reset_password", token=created.setup_link_token)
                    ),
                )
            flash(f"「{created.network.name}」を作成しました。", "success")
            return redirect(url_for(".index"))
    return render_template("admin/network_new.html", form=form)


@bp.post("/users/<int:user_id>/reset-link")
@admin_required
def reset_link(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("職員が見つかりません。")
    token = users.issue_password_reset(db.session, user=user, issuer=current_user)
    return render_template(
        "staff/reset_link.html",
        user=user,
        url=absolute_url(url_for("auth.reset_password", token=token)),
        first=False,
    )
