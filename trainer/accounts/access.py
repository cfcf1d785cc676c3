"""Network isolation, enforced in one place.

Every staff page that belongs to a network is served by a blueprint made with network_blueprint():
its URLs start with /n/<network_id>/, and before any view runs, the signed-in user's role in that
network is checked. A user without a role there gets 404 (the network's existence is not
revealed); a trainer on a secretariat-only page gets 403. Records inside the network are then
looked up by the services with the network id (get_member(session, network_id, id) and friends),
so an id from another network is 'not found' too. tests/test_isolation.py walks the URL map to
prove that no route escapes this.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_login import current_user

from trainer.accounts.models import Network, Role
from trainer.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")

ALLOWED_ROLES_ATTR = "_network_roles"


def allow(*roles: Role) -> Callable[[F], F]:
    """Let these roles use a view of a network blueprint (the default is secretariat only)."""

    def mark(view: F) -> F:
        setattr(view, ALLOWED_ROLES_ATTR, frozenset(roles))
        return view

    return mark


def network_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix=f"/n/<int:network_id>{url_prefix}")

    @bp.url_value_preprocessor
    def _pull_network_id(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.network_id = (values or {}).pop("network_id", None)

    @bp.url_defaults
    def _add_network_id(_endpoint: str, values: dict[str, Any]) -> None:
        if "network_id" not in values and getattr(g, "network", None) is not None:
            values["network_id"] = g.network.id

    bp.before_request(_enforce_network_role)
    return bp


def _enforce_network_role() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not getattr(current_user, "is_staff", False):
        abort(404)
    network_id = g.get("network_id")
    role = current_user.role_in(network_id) if network_id is not None else None
    if role is None:
        abort(404)
    network = db.session.get(Network, network_id)
    if network is None:
        abort(404)
    view = current_app.view_functions.get(request.endpoint or "")
    allowed = getattr(view, ALLOWED_ROLES_ATTR, frozenset({Role.SECRETARIAT}))
    if not any(role.includes(r) for r in allowed):
        abort(403)
    g.network = network
    g.role = role
    return None


def staff_required(view: Callable[P, Any]) -> Callable[P, Any]:
    """For staff pages outside any network (own account)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not getattr(current_user, "is_staff", False):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view: Callable[P, Any]) -> Callable[P, Any]:
    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not getattr(current_user, "is_platform_admin", False):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


class MembershipEnded(Exception):
    """Raised by learner_required for a member whose membership has ended. The learning pages
    answer it with the ended page (learning/views/learner.py registers the handler), so that no
    learner page, whichever package it is in, can forget it."""

    def __init__(self, member: Any) -> None:
        super().__init__("membership ended")
        self.member = member


def learner_required(view: Callable[P, Any]) -> Callable[P, Any]:
    """A learner's page: signed in with a personal link, and a member whose membership has not
    ended. From the end date on every learner page (courses, modules, quizzes, their own
    certificates) is the ended page instead."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
        if not current_user.is_authenticated:
            return render_template("learning/signed_out.html"), 401
        if getattr(current_user, "is_staff", True):
            abort(403)
        if current_user.membership_ended:
            raise MembershipEnded(current_user)
        return view(*args, **kwargs)

    return wrapped
