"""Staff users and their roles per network (passwords and reset links: passwords.py).

Roles reach people from the web only through invitations (trainer/accounts/invitations.py, which
explains why). The operator_* functions here grant directly: they are for the operator's command
line and the demo, which run on the server, and no view may call them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from trainer.accounts import passwords
from trainer.accounts.models import (
    Network,
    NetworkRole,
    Role,
    User,
)
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.security import (
    burn_password_check,
    hash_password,
    password_matches,
)
from trainer.text import clean_text
from trainer.timeutil import utcnow


def normalise_email(email: str) -> str:
    return clean_text(email).lower()


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def _create_user(
    session: Session, *, email: str, name: str, password: str | None, is_platform_admin: bool
) -> User:
    email = normalise_email(email)
    name = clean_text(name)
    if not email or "@" not in email:
        raise DomainError("メールアドレスを正しく入力してください。", "email")
    if not name:
        raise DomainError("氏名を入力してください。", "name")
    if user_by_email(session, email) is not None:
        raise Conflict("このメールアドレスはすでに登録されています。", "email")
    if password is not None:
        passwords.check_password_policy(password, email=email)
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password) if password else None,
        is_platform_admin=is_platform_admin,
    )
    session.add(user)
    session.flush()
    return user


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str | None = None,
    is_platform_admin: bool = False,
    actor: User | None = None,
) -> User:
    """Create a staff account; without a password it can only be used via a reset link."""
    user = _create_user(
        session, email=email, name=name, password=password, is_platform_admin=is_platform_admin
    )
    audit.record(
        session,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        details={"platform_admin": is_platform_admin},
    )
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Takes the same time either way."""
    user = user_by_email(session, email)
    if user is None or user.disabled:
        burn_password_check(password)
        return None
    if not password_matches(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    session.commit()
    return user


# --- roles -----------------------------------------------------------------------------------


def get_network(session: Session, network_id: int) -> Network:
    network = session.get(Network, network_id)
    if network is None:
        raise NotFound("ネットワークが見つかりません。")
    return network


def create_network_row(
    session: Session, *, name: str, prefecture: str, municipality: str, actor: User | None
) -> Network:
    """A new network, audited, in the caller's transaction (flush only; the caller commits)."""
    name, prefecture, municipality = (clean_text(v) for v in (name, prefecture, municipality))
    if not name:
        raise DomainError("ネットワーク名を入力してください。", "name")
    if not prefecture:
        raise DomainError("都道府県を入力してください。", "prefecture")
    if not municipality:
        raise DomainError("市区町村を入力してください。", "municipality")
    network = Network(name=name, prefecture=prefecture, municipality=municipality)
    session.add(network)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="network.create",
        target_type="network",
        target_id=network.id,
        target_label=name,
        network_id=network.id,
    )
    return network


@dataclass(frozen=True)
class NewNetwork:
    network: Network
    secretariat: User
    setup_link_token: str | None  # set when the secretariat's account is new


def operator_create_network(
    session: Session,
    *,
    name: str,
    prefecture: str,
    municipality: str,
    secretariat_email: str,
    secretariat_name: str,
) -> NewNetwork:
    """The operator's command line only: a network and its first secretariat, who gets the role
    at once (with a setup link if the account is new). The web invites instead
    (invitations.create_network): a role granted to an existing account without its holder's
    say is what let one network pre-register another's secretariat."""
    try:
        network = create_network_row(
            session, name=name, prefecture=prefecture, municipality=municipality, actor=None
        )
        added = _operator_add_staff(
            session,
            network_id=network.id,
            email=secretariat_email,
            name=secretariat_name,
            role=Role.SECRETARIAT,
            field_prefix="secretariat_",
        )
    except DomainError:
        session.rollback()
        raise
    session.commit()
    return NewNetwork(
        network=network, secretariat=added.user, setup_link_token=added.setup_link_token
    )


def grant_role(
    session: Session, user: User, network_id: int, role: Role, actor: User | None
) -> None:
    """Give or change a role in the caller's transaction (flush only; the caller commits).
    Callers decide whether the holder has agreed: an accepted invitation, a change to someone
    who is already staff here, or the operator."""
    existing = session.scalar(
        select(NetworkRole).where(
            NetworkRole.user_id == user.id, NetworkRole.network_id == network_id
        )
    )
    if existing is not None and existing.role == role.value:
        return
    action = "role.change" if existing else "role.grant"
    details = {"role": role.value}
    if existing:
        details["previous"] = existing.role
        existing.role = role.value
    else:
        session.add(NetworkRole(user_id=user.id, network_id=network_id, role=role.value))
    session.flush()
    session.expire(user, ["roles"])
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        network_id=network_id,
        details=details,
    )


def operator_grant_role(session: Session, *, user: User, network_id: int, role: Role) -> None:
    """The operator's command line (`trainer user grant`) and the demo only: a role at once."""
    get_network(session, network_id)
    grant_role(session, user, network_id, role, None)
    session.commit()


@dataclass(frozen=True)
class _StaffAdded:
    user: User
    setup_link_token: str | None  # set when the account is new and needs a first password


def _operator_add_staff(
    session: Session,
    *,
    network_id: int,
    email: str,
    name: str,
    role: Role,
    field_prefix: str = "",
) -> _StaffAdded:
    user = user_by_email(session, email)
    token = None
    if user is None:
        try:
            user = _create_user(
                session, email=email, name=name, password=None, is_platform_admin=False
            )
        except DomainError as error:
            if error.field:
                error.field = field_prefix + error.field
            raise
        audit.record(
            session,
            actor=None,
            action="user.create",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
            network_id=network_id,
        )
        token = passwords.add_reset_token(session, user=user, issuer=None, network_id=network_id)
    grant_role(session, user, network_id, role, None)
    return _StaffAdded(user=user, setup_link_token=token)


def revoke_role(session: Session, *, user: User, network_id: int, actor: User) -> None:
    role = session.scalar(
        select(NetworkRole).where(
            NetworkRole.user_id == user.id, NetworkRole.network_id == network_id
        )
    )
    if role is None:
        raise NotFound("この職員はこのネットワークに登録されていません。")
    if role.role == Role.SECRETARIAT.value and _secretariat_count(session, network_id) <= 1:
        raise Conflict("事務局が一人もいなくなるため、この役割は削除できません。")
    session.delete(role)
    session.flush()
    session.expire(user, ["roles"])
    audit.record(
        session,
        actor=actor,
        action="role.revoke",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        network_id=network_id,
        details={"role": role.role},
    )
    session.commit()


def change_role(session: Session, *, user: User, network_id: int, role: Role, actor: User) -> None:
    current = user.role_in(network_id)
    if current is None:
        raise NotFound("この職員はこのネットワークに登録されていません。")
    if (
        current is Role.SECRETARIAT
        and role is not Role.SECRETARIAT
        and _secretariat_count(session, network_id) <= 1
    ):
        raise Conflict("事務局が一人もいなくなるため、役割を変更できません。", "role")
    grant_role(session, user, network_id, role, actor)
    session.commit()


def _secretariat_count(session: Session, network_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(NetworkRole)
            .where(NetworkRole.network_id == network_id, NetworkRole.role == Role.SECRETARIAT.value)
        )
        or 0
    )


def staff_of_network(session: Session, network_id: int) -> list[tuple[User, NetworkRole]]:
    rows = session.execute(
        select(User, NetworkRole)
        .join(NetworkRole, NetworkRole.user_id == User.id)
        .where(NetworkRole.network_id == network_id)
        .order_by(NetworkRole.role, User.name)
    ).all()
    return [(u, r) for u, r in rows]


def staff_member(session: Session, network_id: int, user_id: int) -> User:
    """A user who has a role in this network; anyone else is 'not found' from here."""
    user = session.scalar(
        select(User)
        .join(NetworkRole, NetworkRole.user_id == User.id)
        .where(User.id == user_id, NetworkRole.network_id == network_id)
    )
    if user is None:
        raise NotFound("職員が見つかりません。")
    return user


def networks_of(user: User) -> list[tuple[Network, Role]]:
    return sorted(((r.network, Role(r.role)) for r in user.roles), key=lambda p: p[0].id)


def all_networks(session: Session) -> list[Network]:
    return list(session.scalars(select(Network).order_by(Network.id)))


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))
