"""The PostgreSQL backup: `pg_dump -Fc`, which reads everything in one transaction. It imports a
snapshot exported by our own connection, so the row counts reported come from the very state it
dumped; the archive is then read back with `pg_restore --list`."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from psycopg.conninfo import make_conninfo
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from trainer.backup.snapshot import KEY_TABLES, BackupError, Snapshot, sync_file

# pg_dump waits at most this long for a table lock (a migration running), then fails.
PG_LOCK_WAIT = "60s"
# Debian installs the PostgreSQL client programs per major version here.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def find_pg_tool(name: str) -> str | None:
    """`pg_dump` / `pg_restore` on PATH, else the newest under /usr/lib/postgresql/*/bin (where
    Debian installs each major version; a newer pg_dump can dump an older server, not the other
    way round)."""
    found = shutil.which(name)
    if found:
        return found

    def major(candidate: str) -> int:
        version = Path(candidate).parent.parent.name
        return int(version) if version.isdigit() else 0

    candidates = sorted(glob.glob(f"{PG_BIN_GLOB}/{name}"), key=major)
    return candidates[-1] if candidates else None


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """The connection as a libpq string for pg_dump's --dbname, and the environment for it.

    The password goes only into PGPASSWORD: a command line is readable by every user of the
    machine (`ps`), a process's environment only by its owner."""
    params: dict[str, str | int] = {
        key: value
        for key, value in url.translate_connect_args(username="user", database="dbname").items()
        if value not in (None, "")
    }
    for key, value in url.query.items():
        params[key] = value[-1] if isinstance(value, tuple) else value
    password = params.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env


def _pg_counts(connection: Connection) -> tuple[dict[str, int | None], str | None]:
    def exists(table: str) -> bool:
        return connection.scalar(text("SELECT to_regclass(:t)"), {"t": table}) is not None

    counts = {
        table: connection.scalar(text(f'SELECT count(*) FROM "{table}"')) if exists(table) else None
        for table in KEY_TABLES
    }
    revision = None
    if exists("alembic_version"):
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return counts, revision


def back_up_postgresql(engine: Engine, tmp: Path) -> Snapshot:
    pg_dump = find_pg_tool("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump が見つかりません。PostgreSQL のクライアント（Debian: postgresql-client、"
            "サーバーと同じかそれより新しい版）を入れてください。PATH と "
            "/usr/lib/postgresql/*/bin/ を探しました。"
        )
    conninfo, env = libpq_connection(engine.url)
    try:
        with engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        ) as connection:
            # pg_dump reads in this transaction's snapshot, so the counts describe the dump.
            snapshot_id = connection.scalar(text("SELECT pg_export_snapshot()"))
            _run_pg_dump(pg_dump, conninfo, env, str(snapshot_id), tmp)
            counts, revision = _pg_counts(connection)
            connection.rollback()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise BackupError(f"データベースに接続できません: {reason}") from error
    sync_file(tmp)
    return Snapshot(counts, revision, _pg_restore_list(pg_dump, tmp))


def _run_pg_dump(
    pg_dump: str, conninfo: str, env: dict[str, str], snapshot: str, tmp: Path
) -> None:
    done = subprocess.run(
        [
            pg_dump,
            "--format=custom",
            f"--file={tmp}",
            f"--snapshot={snapshot}",
            f"--lock-wait-timeout={PG_LOCK_WAIT}",
            "--no-password",  # never wait for a prompt (cron has no terminal)
            f"--dbname={conninfo}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(
            f"pg_dump が失敗しました（終了コード {done.returncode}）:\n{done.stderr.strip()}"
        )


def _pg_restore_list(pg_dump: str, dump: Path) -> str:
    """Reads the archive's table of contents back: a truncated or damaged file fails here."""
    pg_restore = str(Path(pg_dump).with_name("pg_restore"))
    if not Path(pg_restore).exists():
        pg_restore = find_pg_tool("pg_restore") or ""
    if not pg_restore:
        return "pg_restore がないため、読み戻しの確認はしていません"
    listed = subprocess.run(
        [pg_restore, "--list", str(dump)], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        raise BackupError(f"作成したダンプを読み戻せません:\n{listed.stderr.strip()}")
    entries = sum(1 for line in listed.stdout.splitlines() if line and not line.startswith(";"))
    return f"pg_restore --list: {entries} 項目を読み戻せました"
