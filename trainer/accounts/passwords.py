"""Staff passwords: the policy a new one must meet, changing one, and one-time reset links.

A reset link is mailed to the account's own address when mail is set up (link_mail.py), else
handed over in person; only a hash of its token is stored. Who may issue one for whom is
can_issue_reset's rule.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import object_session

from trainer.accounts.models import PasswordResetToken, Role, StaffInvitation, User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import DomainError, InvalidToken
from trainer.security import hash_password, new_token, password_matches, token_digest
from trainer.timeutil import utcnow

DEFAULT_PASSWORD_MIN_LENGTH = 10


def _min_length() -> int:
    try:
        return int(current_app.config["PASSWORD_MIN_LENGTH"])
    except RuntimeError:  # outside an app context (a plain script)
        return DEFAULT_PASSWORD_MIN_LENGTH


def check_password_policy(password: str, *, email: str = "", field: str = "password") -> None:
    minimum = _min_length()
    if len(password) < minimum:
        raise DomainError(f"パスワードは{minimum}文字以上にしてください。", field)
    if len(password) > 200:
        raise DomainError("パスワードは200文字以内にしてください。", field)
    if email and password.lower() == email.lower():
        raise DomainError("メールアドレスと同じパスワードは使えません。", field)
    if len(set(password)) < 4:
        raise DomainError(
            "同じ文字の繰り返しが多すぎます。推測されにくいパスワードにしてください。", field
        )


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not password_matches(user.password_hash, current):
        raise DomainError("現在のパスワードが正しくありません。", "current_password")
    check_password_policy(new, email=user.email, field="new_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    audit.record(
        session,
        actor=user,
        action="user.password_change",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
    )
    session.commit()


# --- password reset links ----------------------------------------------------------------------


def can_issue_reset(issuer: User, target: User) -> bool:
    """Platform admins may reset anyone. A secretariat may reset only users whose every role is in
    networks where the issuer is secretariat: otherwise a reset link would let one network's
    secretariat take over an account that has rights in another network. An unanswered
    invitation from another network counts too: once the platform admin has reset the password
    of an address that one network pre-registered (for its real owner, invited elsewhere), that
    network must not take the account back with a reset link of its own before the owner
    accepts."""
    if issuer.is_platform_admin:
        return True
    if target.is_platform_admin or not target.roles:
        return False
    session = object_session(target)
    if session is None:  # the invitations cannot be checked: refuse rather than guess
        return False
    networks = {role.network_id for role in target.roles}
    networks |= _pending_invitation_networks(session, target.id)
    return all(issuer.role_in(network_id) is Role.SECRETARIAT for network_id in networks)


def _pending_invitation_networks(session: Session, user_id: int) -> set[int]:
    """Networks that have invited this account and still wait for its answer (unexpired)."""
    return set(
        session.scalars(
            select(StaffInvitation.network_id).where(
                StaffInvitation.user_id == user_id,
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.cancelled_at.is_(None),
                StaffInvitation.expires_at > utcnow(),
            )
        )
    )


def add_reset_token(
    session: Session, *, user: User, issuer: User | None, network_id: int | None
) -> str:
    """A new reset link's token, in the caller's transaction (the caller commits)."""
    token = new_token()
    hours = int(current_app.config.get("PASSWORD_RESET_HOURS", 72))
    # A new link replaces any earlier unused one: only the latest handed-over link works.
    for old in session.scalars(
        select(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)
        )
    ):
        old.used_at = utcnow()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_digest(token),
            issued_by_id=issuer.id if issuer else None,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    audit.record(
        session,
        actor=issuer,
        action="user.password_reset_issue",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        network_id=network_id,
    )
    return token


def issue_password_reset(
    session: Session, *, user: User, issuer: User | None, network_id: int | None = None
) -> str:
    """A one-time link token for `user` to set a new password. Shown once; stored hashed."""
    if issuer is not None and not can_issue_reset(issuer, user):
        raise DomainError(
            "この職員のパスワード再設定リンクは発行できません。管理者に依頼してください。"
        )
    token = add_reset_token(session, user=user, issuer=issuer, network_id=network_id)
    session.commit()
    return token


def valid_reset_token(session: Session, token: str) -> PasswordResetToken:
    row = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise InvalidToken(
            "このリンクは使えません（使用済み・期限切れ・または誤り）。発行した人に新しいリンクを依頼してください。"
        )
    return row


def reset_password(session: Session, *, token: str, new_password: str) -> User:
    row = valid_reset_token(session, token)
    user = row.user
    check_password_policy(new_password, email=user.email, field="new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    row.used_at = utcnow()
    audit.record(
        session,
        actor=user,
        action="user.password_reset_use",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
    )
    session.commit()
    return user
