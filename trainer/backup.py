"""`trainer backup PATH`: a consistent snapshot of the database while the app runs and writes.

SQLite: Python's sqlite3 online backup API copies every page inside one read transaction, so
the copy is the database as of one moment even while gunicorn workers go on writing (WAL lets
them). PostgreSQL: `pg_dump -Fc`, which reads everything in one transaction; it imports a snapshot
exported by our own connection, so the row counts printed come from the very state it dumped.

A backup is written to a hidden temporary file beside PATH, checked, and only then renamed to
PATH: a half-written or unreadable backup never sits under the name an office will restore from.
The issuer's signing key is copied beside it (PATH + ".issuer_ed25519.pem", mode 0600) because
the signed credentials (/verify/<token>.json) can only ever be checked against that one key.
Pure apart from the database and the files: no Flask here.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg.conninfo import make_conninfo
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import DomainError
from trainer.timeutil import JST

# The tables whose row counts tell an operator at a glance that the backup holds their data.
KEY_TABLES = {
    "network": "ネットワーク",
    "member": "構成員",
    "attempt": "テストの受験",
    "certificate": "修了証",
}
KEY_SUFFIX = ".issuer_ed25519.pem"
# A writer holding the SQLite database longer than this makes the backup give up, not hang.
SQLITE_BUSY_SECONDS = 30
# pg_dump waits at most this long for a table lock (a migration running), then fails.
PG_LOCK_WAIT = "60s"
# Debian installs the PostgreSQL client programs per major version here.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"

Kind = Literal["sqlite", "postgresql"]


class BackupError(DomainError):
    """The backup was not made; nothing was left at PATH."""


@dataclass(frozen=True)
class Snapshot:
    """What a finished backup file holds, read from the copy (SQLite) or the dumped snapshot."""

    row_counts: dict[str, int | None]  # None: the table does not exist in this schema version
    schema_revision: str | None
    check: str  # what was checked on the copy, for the operator


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: Kind
    size: int
    snapshot: Snapshot
    signing_key_copy: Path | None
    notes: list[str] = field(default_factory=list)


# --- where it goes --------------------------------------------------------------------------------


def backup_kind(url: URL) -> Kind:
    if url.get_backend_name() == "sqlite":
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    raise BackupError(
        f"このデータベース（{url.get_backend_name()}）のバックアップには対応していません。"
    )


def target_path(path: Path, kind: Kind, now: datetime | None = None) -> Path:
    """PATH itself, or inside a folder a name with the date and time, so cron needs no date
    arithmetic (and no `%`, which crontab treats specially)."""
    if not path.is_dir():
        return path
    stamp = (now or datetime.now(JST)).strftime("%Y%m%d-%H%M%S")
    return path / f"mimamori-{stamp}{'.sqlite3' if kind == 'sqlite' else '.dump'}"


def key_copy_path(backup_path: Path) -> Path:
    return backup_path.with_name(backup_path.name + KEY_SUFFIX)


def _check_target(target: Path, *, force: bool) -> None:
    folder = target.parent
    if not folder.exists():
        raise BackupError(f"保存先のフォルダがありません: {folder}")
    if not folder.is_dir():
        raise BackupError(f"保存先の {folder} はフォルダではありません。")
    if target.is_dir():
        raise BackupError(f"{target} はフォルダです。ファイル名を指定してください。")
    if target.exists() and not force:
        raise BackupError(f"{target} はすでにあります。上書きするときは --force を付けてください。")


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A new, empty, mode-0600 file in PATH's folder (a rename within one file system is atomic).
    Removed with SQLite's side files unless it was renamed into place."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise BackupError(
            f"保存先 {target.parent} に書き込めません（{error.strerror}）。"
        ) from error
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def _sync(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _publish(tmp: Path, target: Path, *, force: bool) -> None:
    # Checked again right before the rename: the backup may have taken minutes. (A second backup
    # to the very same name in the same instant is not guarded against; hard links, which would
    # close that gap, are missing on some network shares that offices back up to.)
    if target.exists() and not force:
        raise BackupError(f"{target} はすでにあります。上書きするときは --force を付けてください。")
    os.replace(tmp, target)
    with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- SQLite ---------------------------------------------------------------------------------------


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


def _back_up_sqlite(url: URL, tmp: Path) -> Snapshot:
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
    _sync(tmp)
    return _sqlite_snapshot(tmp)


# --- PostgreSQL -----------------------------------------------------------------------------------


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
    params: dict[str, object] = {
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
    return make_conninfo(**params), env


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


def _back_up_postgresql(engine: Engine, tmp: Path) -> Snapshot:
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
    _sync(tmp)
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


# --- the signing key ------------------------------------------------------------------------------


def _read_signing_key(key_file: Path) -> bytes:
    try:
        pem = key_file.read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
    except (OSError, ValueError, TypeError) as error:
        raise BackupError(
            f"署名鍵 {key_file} を読めません（{error}）。鍵を直すか、データベースだけを"
            "バックアップするときは --without-signing-key を付けてください。"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise BackupError(f"署名鍵 {key_file} は Ed25519 の秘密鍵ではありません。")
    return pem


# --- the whole backup -----------------------------------------------------------------------------


def create_backup(
    engine: Engine, path: Path, *, signing_key_file: Path | None, force: bool = False
) -> BackupResult:
    """Write a consistent backup of the engine's database to PATH (or a new name inside the
    folder PATH), and the signing key beside it unless `signing_key_file` is None. Either both
    are in place afterwards, or neither is (BackupError)."""
    kind = backup_kind(engine.url)
    target = target_path(path.absolute(), kind)
    _check_target(target, force=force)
    if kind == "sqlite" and Path(engine.url.database or "").resolve() == target.resolve():
        raise BackupError(
            "バックアップ先が動いているデータベースそのものです。別の名前にしてください。"
        )

    notes: list[str] = []
    key_pem: bytes | None = None
    key_target = key_copy_path(target)
    if signing_key_file is not None:
        if signing_key_file.exists():
            key_pem = _read_signing_key(signing_key_file)
            _check_target(key_target, force=force)
        else:
            notes.append(
                f"署名鍵 {signing_key_file} はまだありません（修了証の署名に初めて使うときに"
                "作られます）。作られたあとのバックアップで一緒にコピーされます。"
            )

    try:
        with _temporary_beside(target) as tmp:
            if kind == "sqlite":
                snapshot = _back_up_sqlite(engine.url, tmp)
            else:
                snapshot = _back_up_postgresql(engine, tmp)
            size = tmp.stat().st_size
            if key_pem is None:
                _publish(tmp, target, force=force)
                return BackupResult(target, kind, size, snapshot, None, notes)
            _publish_with_key(tmp, target, key_pem, key_target, force=force)
            return BackupResult(target, kind, size, snapshot, key_target, notes)
    except OSError as error:  # a full disk, a share gone away: nothing is left at PATH
        raise BackupError(
            f"バックアップを書き込めませんでした（{error.strerror or error}）: {target}"
        ) from error


def _publish_with_key(
    tmp: Path, target: Path, key_pem: bytes, key_target: Path, *, force: bool
) -> None:
    with _temporary_beside(key_target) as key_tmp:
        key_tmp.write_bytes(key_pem)
        key_tmp.chmod(0o600)
        _sync(key_tmp)
        _publish(tmp, target, force=force)
        try:
            _publish(key_tmp, key_target, force=force)
        except BaseException:
            target.unlink(missing_ok=True)  # both or neither
            raise


def _size_label(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}（{size:,} バイト）"
    return f"{size:,} バイト"


def summary_lines(result: BackupResult) -> list[str]:
    """What the operator (or cron's mail) reads after a backup."""
    kind = "SQLite（オンラインバックアップ）" if result.kind == "sqlite" else "pg_dump（-Fc）"
    lines = [
        f"バックアップを作成しました: {result.path}",
        f"  形式: {kind}",
        f"  大きさ: {_size_label(result.size)}",
        f"  確認: {result.snapshot.check}",
        f"  スキーマの版: {result.snapshot.schema_revision or '（不明）'}",
    ]
    for table, label in KEY_TABLES.items():
        count = result.snapshot.row_counts.get(table)
        lines.append(f"  {label} ({table}): {'（表なし）' if count is None else f'{count:,} 件'}")
    if result.signing_key_copy is not None:
        lines.append(f"署名鍵をコピーしました（権限 0600）: {result.signing_key_copy}")
    lines.extend(result.notes)
    return lines


def record(session: Session, result: BackupResult) -> None:
    """One audit event for the whole installation (no network: a backup holds every network's
    data and is made by the server's operator, not by a network's staff)."""
    audit.record(
        session,
        actor=None,
        action="database.backup",
        target_type="database",
        target_id=None,
        target_label=str(result.path),
        details={
            "format": "SQLite" if result.kind == "sqlite" else "pg_dump -Fc",
            "size": result.size,
            "signing_key": result.signing_key_copy is not None,
        },
    )
    session.commit()
