"""Marking a network's figures as changed in the same transaction as the change itself.

The summary (NetworkSummary) counts members, attempts, module reads and certificates. Whatever
writes one of those also inserts a row into network_figures_change for the network, on the same
connection, so that the change and its mark commit (or roll back) together:

- ORM changes (session.add, an attribute set, session.delete) are seen in after_flush;
- ORM bulk statements (session.execute(update(Attempt).where(...)), insert(Member) with a
  list of rows, update(Member) by primary key) are seen in do_orm_execute, before they run: the
  networks of the rows they will touch are found with the statement's own WHERE, in one
  INSERT … SELECT.

The marks are inserts, never updates of a shared row: the submits of a busy workshop do not wait
for one another. A statement whose networks cannot be told marks every network: a wasted
recomputation, never a wrong count. Core statements on a bare connection and raw SQL are not
seen; the application does not write these tables that way (the benchmark's loader does, and
computes everything afterwards). What time alone changes (a certificate expiring, a membership
ending on its date) is not a write: summaries are for one day (computed_for).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from trainer.accounts.models import Member, Network
from trainer.certificates.models import Certificate
from trainer.learning.models import ModuleRead
from trainer.prefecture.models import NetworkFiguresChange
from trainer.quizzes.models import Attempt

CHANGES: Table = NetworkFiguresChange.__table__  # type: ignore[assignment]

# The attributes whose change can change a count (anything of a certificate does).
_MEMBER_FIELDS = frozenset(
    {
        "network_id",
        "organisation_id",
        "membership_start",
        "membership_end",
        "needs_review",
        "rejected_at",
        "job_type",
        "age_band",
        "gender",
    }
)
_ATTEMPT_FIELDS = frozenset(
    {
        "member_id",
        "course_id",
        "phase",
        "status",
        "awaiting_confirmation",
        "score",
        "max_score",
        "passed",
        "submitted_at",
        "result_codes",
        "result_layout",
    }
)
_WATCHED = frozenset({"member", "attempt", "module_read", "certificate"})


def _changed(obj: object, fields: frozenset[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _mark(session: Session, network_ids: Iterable[int], member_ids: Iterable[int]) -> None:
    networks = sorted({n for n in network_ids if n is not None})
    members = sorted({m for m in member_ids if m is not None})
    connection = session.connection()
    if (not networks and not members) or not _has_table(connection):
        return
    if networks:
        connection.execute(insert(CHANGES), [{"network_id": n} for n in networks])
    if members:
        found = select(Member.network_id).where(Member.id.in_(members)).distinct()
        connection.execute(insert(CHANGES).from_select(["network_id"], found))


def _mark_found(
    session: Session, found: Select[Any] | None, params: dict[str, Any] | None = None
) -> None:
    """Mark the networks a SELECT of network ids finds (None: every network). `params` are the
    statement's own, for a WHERE written with bindparam() (keys it does not use are ignored)."""
    connection = session.connection()
    if not _has_table(connection):
        return
    query = select(Network.id) if found is None else found.distinct()
    connection.execute(insert(CHANGES).from_select(["network_id"], query), params or {})


# Engines whose database has the table (checked once each). A database not yet migrated to 0019
# has no summaries to keep right (the migration tests write rows through the services on older
# schemas); it is checked again on each write until it has the table.
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


def _has_table(connection: Connection) -> bool:
    engine = connection.engine
    if engine in _READY:
        return True
    if not inspect(connection).has_table(CHANGES.name):
        return False
    _READY.add(engine)
    return True


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    networks: set[int] = set()
    members: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        new, gone = obj in session.new, obj in session.deleted
        if isinstance(obj, Certificate):
            networks.add(obj.network_id)
        elif isinstance(obj, Member):
            if new or gone or _changed(obj, _MEMBER_FIELDS):
                networks.add(obj.network_id)
        elif isinstance(obj, Attempt):
            submitted = obj.status == "submitted" and (new or _changed(obj, _ATTEMPT_FIELDS))
            if gone or submitted:
                members.add(obj.member_id)
        elif isinstance(obj, ModuleRead) and (new or gone):
            members.add(obj.member_id)
    _mark(session, networks, members)


def _networks_where(table: str, where: ColumnElement[bool]) -> Select[Any]:
    """The network ids of the rows of a watched table that match a statement's WHERE."""
    if table == "member":
        return select(Member.network_id).where(where)
    if table == "certificate":
        return select(Certificate.network_id).where(where)
    model = Attempt if table == "attempt" else ModuleRead
    return select(Member.network_id).join(model, model.member_id == Member.id).where(where)


def _before_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table: Any = getattr(state.statement, "table", None)
    name = str(getattr(table, "name", ""))
    if name not in _WATCHED:
        return
    params: Any = state.parameters
    rows: list[dict[str, Any]] = params if isinstance(params, list) else [params] if params else []
    where = getattr(state.statement, "whereclause", None)
    key = "network_id" if name in ("member", "certificate") else "member_id"
    if state.is_insert and rows and all(key in row for row in rows):
        found = [row[key] for row in rows]
        _mark(
            state.session,
            found if key == "network_id" else (),
            found if key != "network_id" else (),
        )
    elif where is not None and not isinstance(params, list):
        _mark_found(state.session, _networks_where(name, where), params)
    elif rows and all("id" in row for row in rows):  # UPDATE … by primary key, many rows
        ids = [row["id"] for row in rows]
        _mark_found(state.session, _networks_where(name, table.c.id.in_(ids)))
    else:
        _mark_found(state.session, None)  # cannot tell which: every network


def install() -> None:
    """Listen on every ORM session (idempotent; called by the app factory)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _before_bulk)
