"""Staff sign-in, sign-out, own password, one-time password links, and invitation links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from trainer.accounts import invitations, passwords, sign_in_trust, users
from trainer.accounts.access import staff_required
from trainer.accounts.forms import (
    ChangePasswordForm,
    InvitationAnswerForm,
    LoginForm,
    ResetPasswordForm,
)
from trainer.errors import Conflict, DomainError, InvalidToken
from trainer.extensions import db, limiter
from trainer.form_base import required
from trainer.web import show_error

bp = Blueprint("auth", __name__)

# Sign-in failures are counted three ways (sign_in_trust.py says why):
# - per address, 10 in 15 minutes: one machine guessing, whichever accounts it tries;
# - per account, 30 in 15 minutes, from browsers that have never signed in to it: guesses at one
#   account from many addresses. Above the per-address limit, so one stranger's address cannot
#   reach it; and when many do, the owner's own browser is not counted here;
# - per known browser, 10 in 15 minutes: the owner's typos (or a copied cookie) on their own.
# Only failures count; the right password never fills a bucket. Each bucket is checked before
# the password and counted after it, so guesses sent at the same instant all pass the check:
# a burst may see up to as many extra passwords checked as the server answers at once
# (workers × threads, 20 with the defaults), once per window. scrypt makes each check slow.
LOGIN_LIMIT = "10 per 15 minutes"
ACCOUNT_LIMIT = "30 per 15 minutes"
# Links with a token (/reset/…, /invite/…): enough for a person, too few to guess tokens.
TOKEN_LINK_LIMIT = "30 per 15 minutes"
LOCKED_MESSAGE = (
    "ログインの失敗が続いたため、しばらくログインできません。"
    "15分ほど待ってからもう一度お試しください。"
)
ACCOUNT_LOCKED_MESSAGE = (
    "このアカウントへのログインの失敗が続いているため、この端末からはしばらくログインできません。"
    "以前このアカウントでログインした端末からお試しいただくか、15分ほど待ってからもう一度"
    "お試しください。パスワードが分からない場合は、事務局に再設定用リンクを依頼してください。"
)


def _email() -> str:
    return request.form.get("email", "")


def _account_key() -> str:
    return "account:" + users.normalise_email(_email())


def _browser() -> str | None:
    """This browser's id when it has signed in to the account being tried before."""
    if "known_browser" not in g:
        g.known_browser = sign_in_trust.known_browser(request, _email())
    return g.known_browser


def _browser_key() -> str:
    return f"browser:{_browser()}"


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
    ACCOUNT_LIMIT,
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    exempt_when=lambda: _browser() is not None,
    error_message=ACCOUNT_LOCKED_MESSAGE,
)
@limiter.limit(
    LOGIN_LIMIT,
    methods=["POST"],
    key_func=_browser_key,
    deduct_when=_failed,
    exempt_when=lambda: _browser() is None,
    error_message=LOCKED_MESSAGE,
)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            logout_user()
            login_user(user)
            return _signed_in(redirect(_safe_next(form.next.data) or url_for("core.home")), user)
        g.login_failed = True
        form.password.errors.append("メールアドレスまたはパスワードが正しくありません。")
    return render_template("accounts/auth/login.html", form=form), 401 if g.get(
        "login_failed"
    ) else 200


def _signed_in(response, user):
    """The response after a sign-in with the account's password: this browser is known to the
    account from now on (sign_in_trust.py), and no stranger's failures can lock it out."""
    sign_in_trust.remember(request, response, user.email)
    return response


@bp.post("/logout")
def logout():
    # CSRFProtect has checked the token: a link on another site cannot sign anyone out.
    logout_user()
    flash("ログアウトしました。", "info")
    # The invitation page sends people on to sign in as the invited account (same site only).
    return redirect(_safe_next(request.form.get("next")) or url_for("core.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            passwords.change_password(
                db.session, current_user, form.current_password.data, form.new_password.data
            )
        except DomainError as error:
            show_error(form, error)
        else:
            # The session id includes the password version: sign in again with the new one.
            login_user(current_user._get_current_object())
            flash("パスワードを変更しました。", "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/auth/change_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(TOKEN_LINK_LIMIT)
def reset_password(token: str):
    try:
        reset = passwords.valid_reset_token(db.session, token)
    except InvalidToken as error:
        return render_template("accounts/auth/reset_invalid.html", message=error.message), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = passwords.reset_password(
                db.session, token=token, new_password=required(form.new_password.data)
            )
        except DomainError as error:
            show_error(form, error)
        else:
            logout_user()
            login_user(user)
            flash("パスワードを設定しました。", "success")
            return _signed_in(redirect(url_for("core.home")), user)
    return render_template("accounts/auth/reset_password.html", form=form, user=reset.user)


# --- invitation links (trainer/accounts/invitations.py explains why roles come only this way) ---


# The pages reached with a token in their URL are never cached (core/headers.py, no-store).


def _invitation_invalid():
    return render_template(
        "accounts/auth/reset_invalid.html", message=invitations.INVALID_LINK
    ), 404


def _signed_in_as(user) -> bool:
    return bool(
        current_user.is_authenticated
        and getattr(current_user, "is_staff", False)
        and current_user.id == user.id
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(TOKEN_LINK_LIMIT)
def invitation(token: str):
    """What the invited person sees. An account without a password chooses one here (POST),
    which accepts; one with a password must be signed in as itself, then accepts with a button."""
    try:
        invited = invitations.by_token(db.session, token)
    except InvalidToken:
        return _invitation_invalid()
    user = invited.user
    answer = InvitationAnswerForm()
    if user.password_hash is None:
        form = ResetPasswordForm()
        if form.validate_on_submit():
            try:
                user = invitations.accept_with_new_password(
                    db.session, token=token, new_password=required(form.new_password.data)
                )
            except InvalidToken:
                return _invitation_invalid()
            except Conflict as error:
                # Chosen meanwhile through another link: signing in is the way now.
                flash(error.message, "error")
                return redirect(url_for("auth.invitation", token=token))
            except DomainError as error:
                show_error(form, error)
            else:
                logout_user()
                login_user(user)
                return _signed_in(_joined(invited), user)
        return render_template(
            "accounts/invitations/set_password.html",
            invitation=invited,
            token=token,
            form=form,
            answer=answer,
        )
    if not _signed_in_as(user):
        here = url_for("auth.invitation", token=token)
        return render_template(
            "accounts/invitations/sign_in.html",
            invitation=invited,
            login_url=url_for("auth.login", next=here),
        )
    return render_template(
        "accounts/invitations/accept.html", invitation=invited, token=token, answer=answer
    )


@bp.post("/invite/<token>/accept")
@limiter.limit(TOKEN_LINK_LIMIT)
def invitation_accept(token: str):
    try:
        invited = invitations.by_token(db.session, token)
    except InvalidToken:
        return _invitation_invalid()
    if not _signed_in_as(invited.user):
        # Signed out (or in as someone else) since the page was shown: the page says what to do.
        return redirect(url_for("auth.invitation", token=token))
    try:
        invitations.accept(db.session, token=token, user=current_user)
    except InvalidToken:
        return _invitation_invalid()
    return _joined(invited)


@bp.post("/invite/<token>/decline")
@limiter.limit(TOKEN_LINK_LIMIT)
def invitation_decline(token: str):
    try:
        invited = invitations.by_token(db.session, token)
    except InvalidToken:
        return _invitation_invalid()
    user = current_user if _signed_in_as(invited.user) else None
    try:
        invitations.decline(db.session, token=token, user=user)
    except InvalidToken:
        return _invitation_invalid()
    except DomainError:
        return redirect(url_for("auth.invitation", token=token))
    flash(f"「{invited.network.name}」への招待を断りました。", "info")
    return redirect(url_for("core.home"))


def _joined(invited):
    flash(f"「{invited.network.name}」の{invited.role_label}になりました。", "success")
    return redirect(url_for("network.dashboard", network_id=invited.network_id))
