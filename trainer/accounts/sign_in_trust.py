"""Browsers known to an account: the ones that have signed in to it with its password before.

Why: a lock on an account (10 wrong passwords lock it for everyone) lets anyone who knows a
staff e-mail address keep that person out. Sign-in failures are therefore counted three ways
(accounts/views/auth.py, login): per address, per account for unknown browsers, and per known
stranger can fill the first two, but the owner's own browser, known to the account, is counted
in its own bucket and still signs in. Known browsers are remembered here in a signed cookie, so
nothing of it is stored on the server and it cannot be forged without SECRET_KEY.

The cookie names no address: each account is a keyed digest of its normalised e-mail address,
so a shared office PC does not show whose accounts were used on it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from trainer.accounts.users import normalise_email

COOKIE = "known_browser"
SALT = "known-browser"
# As long as a learner's remember-me cookie: a member of staff signs in a few times a year.
LIFETIME = timedelta(days=180)
# A shared office PC may be known to several accounts; the most recent ones are kept.
MAX_ACCOUNTS = 8


def _serializer() -> URLSafeTimedSerializer:
    key = current_app.secret_key
    if key is None:  # the configuration refuses to start without one
        raise RuntimeError("SECRET_KEY is not set")
    return URLSafeTimedSerializer(key, salt=SALT)


def _account(email: str) -> str:
    key = str(current_app.secret_key).encode()
    digest = hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def _read(request: Request) -> tuple[str, list[str]] | None:
    """(browser id, account digests) from a valid cookie, else None."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    browser, accounts = data.get("b"), data.get("a")
    if not isinstance(browser, str) or not isinstance(accounts, list):
        return None
    return browser, [a for a in accounts if isinstance(a, str)]


def known_browser(request: Request, email: str) -> str | None:
    """This browser's id when it has signed in to the account of `email` before, else None."""
    found = _read(request)
    if found is None or not email.strip():
        return None
    browser, accounts = found
    return browser if _account(email) in accounts else None


def remember(request: Request, response: Response, email: str) -> None:
    """After a sign-in with the account's password (or a new password set through a one-time
    link): this browser is known to the account from now on."""
    found = _read(request)
    browser, accounts = found if found else (secrets.token_urlsafe(16), [])
    account = _account(email)
    others = [a for a in accounts if a != account][-(MAX_ACCOUNTS - 1) :]
    response.set_cookie(
        COOKIE,
        _serializer().dumps({"b": browser, "a": [*others, account]}),
        max_age=int(LIFETIME.total_seconds()),
        # Only the sign-in form reads it; scripts never see it.
        path="/login",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
