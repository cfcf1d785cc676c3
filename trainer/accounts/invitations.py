"""Staff invitations: the only way the web gives anyone a role in a network.

Why invitations. Without mail, nobody can prove that they own an e-mail address: whoever holds a
link is who it reaches (with mail, links go to the address only: link_mail.py). Before invitations,
adding an address that already had an account granted the role at once, with two consequences:

* Pre-hijack. Network B adds sec-c@city-c.example.jp as its own staff, opens the setup link
  itself and chooses the password. Later the platform admin makes that address the secretariat of
  network C (or another network adds it): the existing account silently got the role, and B,
  signing in with the password it chose, had secretariat rights in C.
* Disclosure. The answer told B whether the address had an account (「役割を付与しました」
  and no link), and B's staff list then showed the account's real name from another network.

So no role without its holder's say:

* Adding staff (a network's secretariat) and creating a network with its first secretariat (the
  platform admin) create a StaffInvitation, never a role. The inviter gets one link,
  /invite/<token>, and exactly the same page whether or not the address had an account. A new
  address gets an account without a password, named as the inviter typed it.
* The link accepts the invitation for the invited account only. If the account has no password
  yet, the link's holder chooses it (the link is the only proof there is, as for a setup link).
  If it has one, the holder must be signed in as that account and press 「承諾する」. A network
  that chose the password of an address it pre-registered can sign in as it, but it never sees
  another network's link, so it never gets that network's role. The real owner, who cannot sign
  in, asks the platform admin for a reset link: using it replaces the password and ends every
  session of the account (passwords.reset_password bumps session_version).
* A network never sees anything about an account that has not joined it: the invitation list
  shows the name the inviter typed and the address the inviter typed; the account's creation is
  audited outside the network's log; errors about existing accounts are not reachable from here
  (only 「すでにこのネットワークの職員です」, which is about this network's own staff).

What remains: whoever holds an invitation link (the inviter too, if they open it) can tell from
its page whether the account already has a password, because a new person must be able to choose
one without any mail to prove who they are. The page never shows the account's name or networks.

The operator's command line and the demo still grant roles directly (users.operator_*): they run
on the server, by the operator, and no view calls them (tests/accounts/test_invitations.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from trainer.accounts import passwords, users
from trainer.accounts.models import (
    Network,
    PasswordResetToken,
    Role,
    StaffInvitation,
    User,
)
from trainer.audit import service as audit
from trainer.database import Session, rows_changed
from trainer.errors import Conflict, DomainError, InvalidToken, NotFound
from trainer.security import hash_password, new_token, token_digest
from trainer.text import clean_text
from trainer.timeutil import utcnow

INVALID_LINK = (
    "この招待リンクは使えません（承諾済み・取り消し済み・期限切れ・または誤り）。"
    "招待した人に新しいリンクを依頼してください。"
)
# Shown in the inviting network's audit log for a decline: the account has not joined that
# network, so its own name must not appear there.
DECLINED_BY = "招待された人（招待リンクから）"


@dataclass(frozen=True)
class InvitationLink:
    """An invitation and its token, which exists only here: the database keeps its SHA-256."""

    invitation: StaffInvitation
    token: str


def _hours() -> int:
    return int(current_app.config.get("PASSWORD_RESET_HOURS", 72))


def _open_clause():
    return StaffInvitation.accepted_at.is_(None) & StaffInvitation.cancelled_at.is_(None)


def _checked_input(email: str, name: str, field_prefix: str) -> tuple[str, str]:
    email, name = users.normalise_email(email), clean_text(name)
    if not email or "@" not in email:
        raise DomainError("メールアドレスを正しく入力してください。", field_prefix + "email")
    if not name:
        raise DomainError("氏名を入力してください。", field_prefix + "name")
    if len(name) > 100:
        raise DomainError("氏名は100文字以内で入力してください。", field_prefix + "name")
    return email, name


def _invite(
    session: Session,
    *,
    network: Network,
    email: str,
    name: str,
    role: Role,
    actor: User | None,
    field_prefix: str = "",
) -> InvitationLink:
    email, name = _checked_input(email, name, field_prefix)
    user = _invitee(session, network=network, email=email, name=name, actor=actor)
    if user is None:
        raise Conflict(
            "この人はすでにこのネットワークの職員です。役割は一覧から変更できます。",
            field_prefix + "email",
        )
    now = utcnow()
    # One open invitation per person and network: only the latest handed-over link works.
    session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.user_id == user.id,
            StaffInvitation.network_id == network.id,
            _open_clause(),
        )
        .values(cancelled_at=now)
    )
    token = new_token()
    invitation = StaffInvitation(
        network_id=network.id,
        user_id=user.id,
        role=role.value,
        token_hash=token_digest(token),
        name_given=name,
        invited_by_id=actor.id if actor else None,
        created_at=now,
        expires_at=now + timedelta(hours=_hours()),
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="invitation.create",
        target_type="invitation",
        target_id=invitation.id,
        target_label=email,
        network_id=network.id,
        details={"role": role.value, "name": name},
    )
    return InvitationLink(invitation=invitation, token=token)


def _invitee(
    session: Session, *, network: Network, email: str, name: str, actor: User | None
) -> User | None:
    """The account the address belongs to, made if there is none; None if it is already staff
    of the network."""
    user = users.user_by_email(session, email)
    if user is None:
        # No password: the account can only be entered through a link. Its creation is audited
        # without the network, so the network's log does not say whether the address was new.
        user = User(email=email, name=name, password_hash=None)
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.create",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
        )
    elif user.role_in(network.id) is not None:
        return None
    return user


def _committed(session: Session, make: Callable[[], InvitationLink]) -> InvitationLink:
    """Run `make` and commit; once more if a concurrent request created the same new account
    first (the e-mail is unique), which the second run then finds like any existing one."""
    for last_try in (False, True):
        try:
            link = make()
            session.commit()
            return link
        except DomainError:
            session.rollback()
            raise
        except IntegrityError:
            session.rollback()
            if last_try:
                raise
    raise AssertionError("unreachable")


def invite(
    session: Session,
    *,
    network_id: int,
    email: str,
    name: str,
    role: Role,
    actor: User,
) -> InvitationLink:
    """Invite an address to a role in this network. The same result whether it had an account."""

    def make() -> InvitationLink:
        network = users.get_network(session, network_id)
        return _invite(session, network=network, email=email, name=name, role=role, actor=actor)

    return _committed(session, make)


def create_network(
    session: Session,
    *,
    name: str,
    prefecture: str,
    municipality: str,
    secretariat_email: str,
    secretariat_name: str,
    actor: User,
) -> InvitationLink:
    """A network and an invitation for its first secretariat, together or not at all (the
    platform admin's page). Nobody has a role in the network until the invitation is accepted."""

    def make() -> InvitationLink:
        network = users.create_network_row(
            session, name=name, prefecture=prefecture, municipality=municipality, actor=actor
        )
        return _invite(
            session,
            network=network,
            email=secretariat_email,
            name=secretariat_name,
            role=Role.SECRETARIAT,
            actor=actor,
            field_prefix="secretariat_",
        )

    return _committed(session, make)


# --- the inviter's side ------------------------------------------------------------------------


def open_invitations(session: Session, network_id: int) -> list[StaffInvitation]:
    """This network's invitations that are neither accepted nor cancelled, newest first."""
    return list(
        session.scalars(
            select(StaffInvitation)
            .where(StaffInvitation.network_id == network_id, _open_clause())
            .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id.desc())
        )
    )


def all_open_invitations(session: Session) -> list[StaffInvitation]:
    """Every network's open invitations (the platform admin's page)."""
    return list(
        session.scalars(
            select(StaffInvitation)
            .where(_open_clause())
            .order_by(StaffInvitation.network_id, StaffInvitation.created_at.desc())
        )
    )


def get_open_invitation(
    session: Session, invitation_id: int, *, network_id: int | None
) -> StaffInvitation:
    """An open invitation of this network (any network for network_id=None: the admin)."""
    query = select(StaffInvitation).where(StaffInvitation.id == invitation_id, _open_clause())
    if network_id is not None:
        query = query.where(StaffInvitation.network_id == network_id)
    invitation = session.scalar(query)
    if invitation is None:
        raise NotFound("招待が見つかりません。")
    return invitation


def reissue(session: Session, *, invitation: StaffInvitation, actor: User) -> InvitationLink:
    """A new link for the same invitation (with a new expiry); the old link stops working."""
    if not invitation.is_open:
        raise NotFound("招待が見つかりません。")
    token = new_token()
    invitation.token_hash = token_digest(token)
    invitation.expires_at = utcnow() + timedelta(hours=_hours())
    _record(session, invitation, "invitation.reissue", actor)
    session.commit()
    return InvitationLink(invitation=invitation, token=token)


def cancel(session: Session, *, invitation: StaffInvitation, actor: User) -> None:
    if not invitation.is_open:
        raise NotFound("招待が見つかりません。")
    invitation.cancelled_at = utcnow()
    _record(session, invitation, "invitation.cancel", actor)
    session.commit()


def _record(session: Session, invitation: StaffInvitation, action: str, actor: User) -> None:
    """The inviter's change to an open invitation, in the inviting network's log."""
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="invitation",
        target_id=invitation.id,
        target_label=invitation.user.email,
        network_id=invitation.network_id,
        details={"role": invitation.role, "name": invitation.name_given},
    )


# --- the invited person's side -----------------------------------------------------------------


def by_token(session: Session, token: str) -> StaffInvitation:
    """The open, unexpired invitation of this link. Unknown, accepted, cancelled and expired
    links, and links to a disabled account, all get the same answer."""
    invitation = session.scalar(
        select(StaffInvitation).where(StaffInvitation.token_hash == token_digest(token))
    )
    if (
        invitation is None
        or not invitation.is_open
        or invitation.is_expired
        or invitation.user.disabled
    ):
        raise InvalidToken(INVALID_LINK)
    return invitation


def _close(session: Session, invitation: StaffInvitation, **values: object) -> None:
    """Close the invitation only if it is still open: of two requests racing with the same link
    (a double tap, two tabs), exactly one gets through."""
    closed = session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.id == invitation.id, _open_clause())
        .values(**values)
    )
    if rows_changed(closed) != 1:
        session.rollback()
        raise InvalidToken(INVALID_LINK)


def _join(session: Session, invitation: StaffInvitation, user: User) -> None:
    now = utcnow()
    _close(session, invitation, accepted_at=now)
    # Any other open invitation to the same network is answered by this one.
    session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.user_id == user.id,
            StaffInvitation.network_id == invitation.network_id,
            StaffInvitation.id != invitation.id,
            _open_clause(),
        )
        .values(cancelled_at=now)
    )
    audit.record(
        session,
        actor=user,
        action="invitation.accept",
        target_type="invitation",
        target_id=invitation.id,
        target_label=user.email,
        network_id=invitation.network_id,
        details={"role": invitation.role},
    )
    # Granted in the meantime (the operator's command line): the role already given stands.
    if user.role_in(invitation.network_id) is None:
        users.grant_role(session, user, invitation.network_id, Role(invitation.role), user)


def accept_with_new_password(session: Session, *, token: str, new_password: str) -> User:
    """For an account without a password: the link's holder chooses it, and joins."""
    invitation = by_token(session, token)
    user = invitation.user
    passwords.check_password_policy(new_password, email=user.email, field="new_password")
    # Only while there is still no password: two invitations of one new account (from two
    # networks) must not both set it, the second replacing the first holder's choice.
    chosen = session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash.is_(None))
        .values(password_hash=hash_password(new_password), session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(chosen) != 1:
        session.rollback()
        raise Conflict(
            "このアカウントにはすでにパスワードがあります。ログインしてから承諾してください。"
        )
    session.refresh(user)
    # Earlier setup links of this account (e.g. from `trainer user create`) end with the choice.
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    audit.record(
        session,
        actor=user,
        action="user.password_set",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
    )
    _join(session, invitation, user)
    session.commit()
    return user


def accept(session: Session, *, token: str, user: User) -> StaffInvitation:
    """The invited account, signed in, accepts: only now does it get the role."""
    invitation = by_token(session, token)
    if invitation.user_id != user.id or user.password_hash is None:
        raise DomainError("この招待は、招待されたアカウントでログインしてから承諾してください。")
    _join(session, invitation, user)
    session.commit()
    return invitation


def decline(session: Session, *, token: str, user: User | None) -> StaffInvitation:
    """The invited person says no. For an account with a password, only when signed in as it
    (as for accepting); for one without, the link's holder (whom the link reached)."""
    invitation = by_token(session, token)
    invited = invitation.user
    if invited.password_hash is not None and (user is None or user.id != invited.id):
        raise DomainError("この招待は、招待されたアカウントでログインしてから断ってください。")
    _close(session, invitation, cancelled_at=utcnow())
    event = audit.record(
        session,
        actor=None,
        action="invitation.decline",
        target_type="invitation",
        target_id=invitation.id,
        target_label=invited.email,
        network_id=invitation.network_id,
        details={"role": invitation.role},
    )
    # Not the account's own name: it has not joined the inviting network, whose log this is.
    event.actor_label = DECLINED_BY
    session.commit()
    return invitation
