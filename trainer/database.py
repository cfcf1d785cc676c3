"""Engine settings per database kind, and the SQLite file's permissions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any, TypeAlias

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result, make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from trainer.sqlite_writers import LOCK_SUFFIX, TakingTurnsConnection

# What a service takes: a plain ORM session (the CLI, tests, a worker) or Flask-SQLAlchemy's
# request-scoped `db.session`, a scoped_session that proxies every Session method.
Session: TypeAlias = OrmSession | scoped_session[Any]


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed. Session.execute is typed as returning a Result;
    for those statements it is a CursorResult, which has the count."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; the busy timeout makes a second writer
    # wait instead of failing at once; foreign keys are off in SQLite unless asked for.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_registered = False


def configure_engine_events(app: Flask) -> None:
    global _registered
    if not _registered:
        event.listen(Engine, "connect", _sqlite_pragmas)
        _registered = True
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    restrict_sqlite_files(app)
    if uri.startswith("sqlite"):
        # Writers take turns through a file lock instead of SQLite's sleeping busy handler.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("factory", TakingTurnsConnection)
    if uri.startswith("postgresql"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("pool_pre_ping", True)


# SQLite names its companions after the database: the write-ahead log and its shared-memory index
# hold recent writes (names, answers, token hashes) until a checkpoint copies them over.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal", LOCK_SUFFIX)


def sqlite_file(app: Flask) -> Path | None:
    """The SQLite database file under the instance folder, or None (PostgreSQL, in memory, or a
    file kept elsewhere on purpose, whose folder the operator chose)."""
    try:
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    except Exception:  # not a URL SQLAlchemy reads: create_engine will say so
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("uri"):  # file:…?mode=… names: SQLite's own URI syntax, left as given
        return None
    instance = Path(app.instance_path).resolve()
    # Flask-SQLAlchemy reads a relative SQLite path as relative to the instance folder.
    path = (instance / url.database).resolve()
    return path if path.is_relative_to(instance) else None


def restrict_sqlite_files(app: Flask) -> None:
    """The instance folder 0700, the SQLite database and its -wal, -shm and -journal files 0600.

    The database holds every member's name and answers and the hashes that sign people in; the
    process's umask (often 022) would leave it readable by every account on the host, unlike the
    secret key and the issuer key beside it. SQLite creates -wal and -shm with the database's
    own mode, so creating the database 0600 before its first connection covers them too; files
    already there from an older version are narrowed here, at every start and at init-db.
    """
    path = sqlite_file(app)
    if path is None:
        return
    instance = Path(app.instance_path)
    try:
        instance.mkdir(parents=True, exist_ok=True)
        os.chmod(instance, 0o700)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # An empty file is an empty SQLite database; O_EXCL leaves one made meanwhile alone.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        for suffix in SQLITE_COMPANIONS:
            companion = path.with_name(path.name + suffix)
            try:
                os.chmod(companion, 0o600)
            except FileNotFoundError:  # -wal and -shm exist only while a connection is open
                continue
    except PermissionError as error:
        # Files of another account (made by root with sudo, say): the app may still be able to
        # use them, so it starts, and says what to fix.
        app.logger.warning(
            "データベースのファイルを所有者だけが読める設定 (0600、フォルダーは 0700) に"
            "できませんでした: %s。アプリを動かすユーザーの所有にしてください。",
            error.filename,
        )
