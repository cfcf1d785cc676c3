"""Flask-Login wiring: one session may hold a staff user or a member (learner), never both."""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from flask_login import LoginManager
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainer.accounts.models import Member, NetworkRole, User
from trainer.extensions import db


def load_principal(session_id: str) -> User | Member | None:
    """Resolve 'u:<id>:<version>' or 'm:<id>:<selector>'. A changed password (version) or a
    rotated link (selector) no longer matches, which signs out every older session."""
    kind, _, rest = session_id.partition(":")
    raw_id, _, check = rest.partition(":")
    if not raw_id.isdigit():
        return None
    if kind == "u":
        # With the roles and their networks in the same query: every staff page checks the
        # role (access.py), and the network then comes from the identity map, not another query.
        user = (
            db.session.scalars(
                select(User)
                .where(User.id == int(raw_id))
                .options(joinedload(User.roles).joinedload(NetworkRole.network))
            )
            .unique()
            .one_or_none()
        )
        if user is not None and str(user.session_version) == check and not user.disabled:
            return user
    elif kind == "m":
        member = db.session.get(Member, int(raw_id))
        if member is not None and member.link_selector == check:
            return member
    return None


@dataclass(frozen=True)
class SessionMember:
    """A learner as their signed session cookie names them, not read from the database."""

    id: int
    link_selector: str


def session_member() -> SessionMember | None:
    """The member this request's session is signed in as ('m:<id>:<selector>', see
    load_principal), without loading them: for the answer save, whose one statement checks the
    selector itself (quizzes/answers.py save_answer_quickly). None for anything else (staff, a
    session restored from the remember cookie only, none at all): the usual sign-in decides."""
    raw = session.get("_user_id")
    if not isinstance(raw, str):
        return None
    kind, _, rest = raw.partition(":")
    raw_id, _, selector = rest.partition(":")
    if kind != "m" or not raw_id.isdigit() or not selector:
        return None
    return SessionMember(int(raw_id), selector)


def configure(manager: LoginManager) -> None:
    manager.user_loader(load_principal)
    manager.login_view = "auth.login"
    manager.login_message = "このページを見るにはログインしてください。"
    manager.login_message_category = "info"
    manager.session_protection = "basic"
