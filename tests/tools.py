"""External tools and servers the tests use as real parts: zbar, poppler and librsvg from Debian,
and throwaway databases on the PostgreSQL server named by TEST_DATABASE_URL."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

PACKAGES = {
    "zbarimg": "zbar-tools",
    "rsvg-convert": "librsvg2-bin",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
}


def need(tool: str) -> str:
    """The tool's path. Missing: the test is skipped on a laptop and fails under CI, which
    installs it (.ci/run), so a missing install step can never pass silently."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run installs it")
        pytest.skip(f"{tool} not installed (Debian: {PACKAGES.get(tool, tool)})")
    return path


def postgresql_server() -> str:
    """TEST_DATABASE_URL with the psycopg driver named, or "" when no server is given."""
    server = os.environ.get("TEST_DATABASE_URL", "").strip()
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", server)


@contextmanager
def throwaway_postgresql(server: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped afterwards (also when the test
    fails; WITH (FORCE) closes connections a failed test left open)."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
