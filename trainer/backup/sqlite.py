"""The SQLite backup: Python's sqlite3 online backup API copies every page inside one read
transaction, so the copy is the database as of one moment while the app goes on writing (WAL lets
it); the copy is then checked with PRAGMA integrity_check."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL

from trainer.backup.snapshot import KEY_TABLES, BackupError, Snapshot, sync_file

# A writer holding the SQLite database longer than this makes the backup give up, not hang.
SQLITE_BUSY_SECONDS = 30


def _sqlite_snapshot(copy: Path) -> Snapshot:
    connection = sqlite3.connect(f"file:{quote(str(copy))}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError("バックアップの整合性検査に失敗しました: " + "; ".join(problems[:5]))
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        counts = {
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if table in tables
            else None
            for table in KEY_TABLES
        }
        revision = None
        if "alembic_version" in tables:
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return Snapshot(counts, revision[0] if revision else None, "PRAGMA integrity_check: ok")
    finally:
        connection.close()


def back_up_sqlite(url: URL, tmp: Path) -> Snapshot:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupError(
            f"バックアップできる SQLite のファイルではありません: {database or '（メモリ）'}"
        )
    source_file = Path(database)
    if not source_file.is_file():
        raise BackupError(f"データベースのファイルがありません: {source_file}")
    # mode=rw: a mistyped path must fail, not create an empty database to back up.
    source = sqlite3.connect(
        f"file:{quote(str(source_file))}?mode=rw", uri=True, timeout=SQLITE_BUSY_SECONDS
    )
    target = sqlite3.connect(tmp)
    try:
        # pages=-1: every page in one step, inside one read transaction, so writers committing
        # meanwhile (WAL) are not in the copy and cannot make the copy start over.
        source.backup(target, pages=-1)
        # The copy inherits WAL mode; a backup should be one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"SQLite のバックアップに失敗しました: {error}") from error
    finally:
        target.close()
        source.close()
    sync_file(tmp)
    return _sqlite_snapshot(tmp)
