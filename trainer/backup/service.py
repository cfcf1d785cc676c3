"""The whole backup: where it goes, the copy made beside it and checked, then renamed into place
together with the signing key; what the operator reads afterwards, and the audit event."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from trainer.audit import service as audit
from trainer.backup.postgresql import back_up_postgresql
from trainer.backup.snapshot import KEY_TABLES, BackupError, Snapshot, sync_file
from trainer.backup.sqlite import back_up_sqlite
from trainer.database import Session
from trainer.timeutil import JST

KEY_SUFFIX = ".issuer_ed25519.pem"

Kind = Literal["sqlite", "postgresql"]


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
                snapshot = back_up_sqlite(engine.url, tmp)
            else:
                snapshot = back_up_postgresql(engine, tmp)
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
        sync_file(key_tmp)
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
