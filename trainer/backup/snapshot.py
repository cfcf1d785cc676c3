"""What a finished backup holds, and the error that stops one (nothing is then left at PATH)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from trainer.errors import DomainError

# The tables whose row counts tell an operator at a glance that the backup holds their data.
KEY_TABLES = {
    "network": "ネットワーク",
    "member": "構成員",
    "attempt": "テストの受験",
    "certificate": "修了証",
}


class BackupError(DomainError):
    """The backup was not made; nothing was left at PATH."""


@dataclass(frozen=True)
class Snapshot:
    """What a finished backup file holds, read from the copy (SQLite) or the dumped snapshot."""

    row_counts: dict[str, int | None]  # None: the table does not exist in this schema version
    schema_revision: str | None
    check: str  # what was checked on the copy, for the operator


def sync_file(path: Path) -> None:
    """Write the file's data to the disk before it is renamed into place."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
