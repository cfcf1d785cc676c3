"""SQLite writers take turns through a file lock (trainer/sqlite_writers.py): a second writer
waits for the first's transaction to end, readers never wait, and the app uses it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from trainer.extensions import db
from trainer.sqlite_writers import LOCK_SUFFIX, TakingTurnsConnection


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, factory=TakingTurnsConnection, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    # SQLite's own waiting, off: a second writer that got past the turn would fail at once.
    connection.execute("PRAGMA busy_timeout=0")
    return connection


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "turns.sqlite3"
    with connect(path) as setup:
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return path


def test_a_second_writer_waits_for_the_first_transaction_to_end(database):
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t (v) VALUES ('first')")  # opens a transaction: first's turn
    done: list[float] = []

    def write() -> None:
        # Without turns this INSERT would meet SQLite's lock and fail (busy_timeout=0).
        second.execute("INSERT INTO t (v) VALUES ('second')")
        second.commit()
        done.append(time.monotonic())

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)
    assert done == []  # still waiting for its turn
    # A reader does not wait: WAL shows it the last committed state.
    reader = connect(database)
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
    committed = time.monotonic()
    first.commit()
    writer.join(timeout=5)
    assert done and done[0] >= committed
    assert [v for (v,) in reader.execute("SELECT v FROM t ORDER BY id")] == ["first", "second"]


def test_a_rollback_or_a_closed_connection_lets_the_next_writer_in(database):
    first, second = connect(database), connect(database)
    first.execute("INSERT INTO t (v) VALUES ('undone')")
    first.rollback()
    second.execute("INSERT INTO t (v) VALUES ('kept')")
    second.commit()
    third = connect(database)
    third.execute("INSERT INTO t (v) VALUES ('left open')")
    third.close()  # the process ended mid-transaction: SQLite and the lock both let go
    second.execute("UPDATE t SET v = 'after'")
    second.commit()
    assert second.execute("SELECT v FROM t").fetchall() == [("after",)]


def test_one_thread_with_two_connections_does_not_wait_for_itself(database):
    first, second = connect(database), connect(database)
    second.execute("PRAGMA busy_timeout=200")
    first.execute("INSERT INTO t (v) VALUES ('first')")
    # The same thread's second writer goes straight to SQLite, which refuses it as before,
    # instead of waiting forever for a lock its own thread holds.
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO t (v) VALUES ('second')")
    first.commit()


def test_the_app_connects_to_sqlite_taking_turns(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers wait on row locks")
    raw = db.engine.raw_connection()
    try:
        assert isinstance(raw.driver_connection, TakingTurnsConnection)
    finally:
        raw.close()
    database = Path(db.engine.url.database or "")
    assert Path(str(database) + LOCK_SUFFIX).exists()
    assert (Path(str(database) + LOCK_SUFFIX).stat().st_mode & 0o777) == 0o600
