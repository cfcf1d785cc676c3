"""SQLite writers take turns through a file lock, so that a waiting writer wakes the moment the
database is free instead of sleeping in SQLite's busy handler.

SQLite lets one connection write at a time. A second writer, in another gunicorn worker or
another thread, gets SQLITE_BUSY and SQLite's busy handler sleeps and retries, 1, 2, 5, 10 …
up to 100 ms at a time, however soon the lock is let go. With a hall of phones submitting at
once, 5 workers × 4 threads of writers spent most of their time asleep: measured with 20
writers (bench in docs/benchmarks.md), a transaction's p99 was 120-230 ms and the slowest
0.4-0.8 s. Here a connection about to write first takes an exclusive flock on a file beside the
database and keeps it until its transaction ends; the kernel wakes the next writer as soon as it
is let go (p99 30-35 ms, the slowest 40-70 ms, and 1.5× the transactions a second).

Readers take no lock (WAL lets them read while one writes). A thread that already holds the
lock through another connection does not wait for itself; it is left to SQLite as before.
PostgreSQL needs none of this: its writers wait on row locks.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any

# The statements that make pysqlite open a transaction (Python 3.11's legacy transaction
# control): the write lock is taken just before them and held until commit or rollback.
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
LOCK_SUFFIX = "-writers"

_held_here = threading.local()  # this thread holds the lock through one of its connections


def lock_path(database: str) -> str | None:
    """The lock file beside a database file; None for an in-memory database or a file: URI."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + LOCK_SUFFIX


class TakingTurnsConnection(sqlite3.Connection):
    """sqlite3.connect(…, factory=TakingTurnsConnection): writes take turns (module docstring)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        path = lock_path(os.fspath(database)) if isinstance(database, str | os.PathLike) else None
        self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600) if path else None
        self._holding = False

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or TakingTurnsCursor)

    # Connection.execute makes its cursor in C, past cursor() above: go through a cursor here.
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, parameters)

    def take_turn(self, statement: str) -> None:
        if self._lock_fd is None or self._holding or self.in_transaction:
            return
        if not statement.lstrip().upper().startswith(WRITES):
            return
        if getattr(_held_here, "holding", False):
            return  # this thread's other connection holds it: waiting would be for ourselves
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._holding = _held_here.holding = True

    def end_turn(self) -> None:
        """Let the next writer in, once no transaction of this connection is open."""
        if self._holding and not self.in_transaction:
            assert self._lock_fd is not None
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._holding = _held_here.holding = False

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock_fd is not None:
                if self._holding:
                    self._holding = _held_here.holding = False
                os.close(self._lock_fd)  # closing the descriptor lets go of its lock
                self._lock_fd = None


class TakingTurnsCursor(sqlite3.Cursor):
    connection: TakingTurnsConnection

    def execute(self, sql: str, parameters: Any = (), /) -> TakingTurnsCursor:
        self.connection.take_turn(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.end_turn()  # a write outside a transaction (autocommit) is done

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> TakingTurnsCursor:
        self.connection.take_turn(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.end_turn()
