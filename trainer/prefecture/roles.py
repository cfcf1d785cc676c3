"""Granting and revoking the prefecture / national role (the platform admin only).

The role is given to a staff account by its e-mail address. An address with no account yet gets
one (no password) and the admin is handed a password-setting link for the person, as with a
reset link: the network invitations (accounts/invitations.py) belong to one network each, and
this role belongs to none. Each grant and revocation is an audit event of the admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from trainer.accounts import passwords, users
from trainer.accounts.models import Network, User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import DomainError, NotFound
from trainer.prefecture.models import NATIONAL, AreaRole
from trainer.text import clean_text

NATIONAL_WORDS = ("全国", NATIONAL)


def area_role_of(session: Session, user: object) -> AreaRole | None:
    """The signed-in principal's area role, if it is a staff account that has one."""
    user_id = getattr(user, "id", None)
    if user_id is None or not getattr(user, "is_staff", False):
        return None
    return session.scalar(select(AreaRole).where(AreaRole.user_id == user_id))


def all_area_roles(session: Session) -> list[AreaRole]:
    return list(session.scalars(select(AreaRole).order_by(AreaRole.prefecture, AreaRole.id)))


def prefectures(session: Session) -> list[str]:
    """The prefectures that networks are in, as typed on the networks."""
    return list(session.scalars(select(Network.prefecture).distinct().order_by(Network.prefecture)))


@dataclass(frozen=True)
class Granted:
    role: AreaRole
    reset_token: str | None  # a first-password link for an account made just now


def grant(session: Session, *, email: str, name: str, area: str, actor: User) -> Granted:
    """Give the account (made if need be) the view of one prefecture, or 全国; replaces the
    account's previous area role."""
    area = clean_text(area)
    if not area:
        raise DomainError("都道府県名（または「全国」）を入力してください。", "area")
    prefecture = NATIONAL if area in NATIONAL_WORDS else area
    user = users.user_by_email(session, email)
    created = user is None
    if user is None:
        user = users.create_user(session, email=email, name=name or email, actor=actor)
    role = session.scalar(select(AreaRole).where(AreaRole.user_id == user.id))
    previous = role.label if role else ""
    if role is None:
        role = AreaRole(user_id=user.id, prefecture=prefecture, granted_by_id=actor.id)
        session.add(role)
    else:
        role.prefecture, role.granted_by_id = prefecture, actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="area_role.grant",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        details={"area": role.label, "previous_area": previous},
    )
    session.commit()
    token = passwords.issue_password_reset(session, user=user, issuer=actor) if created else None
    return Granted(role=role, reset_token=token)


def revoke(session: Session, *, user_id: int, actor: User) -> str:
    """Take the role away; returns what it was (「東京都」, 「全国」)."""
    role = session.scalar(select(AreaRole).where(AreaRole.user_id == user_id))
    if role is None:
        raise NotFound("この職員には都道府県・全国の閲覧権限がありません。")
    label = role.label
    audit.record(
        session,
        actor=actor,
        action="area_role.revoke",
        target_type="user",
        target_id=user_id,
        target_label=role.user.email,
        details={"area": label},
    )
    session.delete(role)
    session.commit()
    return label
