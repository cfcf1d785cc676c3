"""Staff sign-in, sign-out, own password, and one-time password links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from trainer.accounts import users
from trainer.accounts.access import staff_required
from trainer.accounts.forms import ChangePasswordForm, LoginForm, ResetPasswordForm
from trainer.errors import DomainError, InvalidToken
from trainer.extensions import db, limiter
from trainer.web import show_error

bp = Blueprint("auth", __name__)

LOGIN_LIMIT = "10 per 15 minutes"
LOCKED_MESSAGE = (
    "ログインの失敗が続いたため、しばらくログインできません。"
    "15分ほど待ってからもう一度お試しください。"
)


def _account_key() -> str:
    return "account:" + users.normalise_email(request.form.get("email", ""))


def _failed(_response: object) -> bool:
    return bool(g.get("login_failed"))


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: a crafted ?next= must not send staff to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed, error_message=LOCKED_MESSAGE)
@limiter.limit(
    LOGIN_LIMIT,
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    error_message=LOCKED_MESSAGE,
)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            logout_user()
            login_user(user)
            return redirect(_safe_next(form.next.data) or url_for("core.home"))
        g.login_failed = True
        form.password.errors.append("メールアドレスまたはパスワードが正しくありません。")
    return render_template("auth/login.html", form=form), 401 if g.get("login_failed") else 200


@bp.post("/logout")
def logout():
    # CSRFProtect has checked the token: a link on another site cannot sign anyone out.
    logout_user()
    flash("ログアウトしました。", "info")
    return redirect(url_for("core.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(
                db.session, current_user, form.current_password.data, form.new_password.data
            )
        except DomainError as error:
            show_error(form, error)
        else:
            # The session id includes the password version: sign in again with the new one.
            login_user(current_user._get_current_object())
            flash("パスワードを変更しました。", "success")
            return redirect(url_for("core.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes")
def reset_password(token: str):
    try:
        reset = users.valid_reset_token(db.session, token)
    except InvalidToken as error:
        return render_template("auth/reset_invalid.html", message=error.message), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = users.reset_password(
                db.session, token=token, new_password=form.new_password.data
            )
        except DomainError as error:
            show_error(form, error)
        else:
            logout_user()
            login_user(user)
            flash("パスワードを設定しました。", "success")
            return redirect(url_for("core.home"))
    return render_template("auth/reset_password.html", form=form, user=reset.user)
