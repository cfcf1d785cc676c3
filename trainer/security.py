"""Tokens and password hashing shared by the feature packages."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

# Hashing a throwaway password once lets sign-in spend the same time whether or not the
# email exists, so response times do not reveal which staff accounts there are.
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)


def burn_password_check(password: str) -> None:
    """Spend the time of one password check (for unknown accounts)."""
    check_password_hash(_DUMMY_HASH, password)


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token; 32 bytes = 256 bits."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
