"""The app served by a real gunicorn on a free port of 127.0.0.1, for the tests that need real
server processes (tests/e2e, tests/production).

Every wait is bounded: the server must answer /healthz within 30 s, a `trainer` command gets
120 s, and stopping the server waits at most 10 s before killing it (and 10 s more after).
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from trainer import create_app
from trainer.extensions import db

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the virtualenv running pytest: gunicorn and flask are there

# The developer's or CI's own settings that would change what a test server does.
_OWN_SETTINGS = (
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "WEB_CONCURRENCY",
    "FORWARDED_ALLOW_IPS",
    "GUNICORN_CMD_ARGS",
)


@dataclass
class LiveServer:
    base_url: str
    db_url: str
    instance_path: Path
    secret_key: str
    log_path: Path
    # For an https server: a client context that trusts its self-signed certificate.
    ssl_context: ssl.SSLContext | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def config(self) -> dict[str, object]:
        """The server's settings, for an in-process app on the same database."""
        return {
            "SQLALCHEMY_DATABASE_URI": self.db_url,
            "SECRET_KEY": self.secret_key,
            "TRAINER_BASE_URL": self.base_url,
            "INSTANCE_PATH": str(self.instance_path),
            "RATELIMIT_STORAGE_URI": "memory://",
        }

    @contextmanager
    def app_context(self) -> Iterator[Flask]:
        """An app context on the server's database, for seeding and reading rows directly. Its
        connections are closed afterwards, so the SQLite file is not held open."""
        app = create_app(self.config())
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_spec(instance: Path) -> str:
    """The app factory with its own instance folder (the browser tests and the screenshot tour
    use it too): the `trainer` command always uses the repository's instance/, which must be left
    alone."""
    return f"trainer:create_app({{'INSTANCE_PATH': {str(instance)!r}}})"


def clean_env() -> dict[str, str]:
    """This process's environment without the settings of the developer or CI (no database,
    no Redis, no TRAINER_* or GUNICORN_* variables): each test server gets exactly its own."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in _OWN_SETTINGS
        and not key.startswith("TRAINER_")
        and not key.startswith("GUNICORN_")
    }


def run_cli(env: dict[str, str], instance: Path, *args: str) -> None:
    """`trainer init-db`, `trainer content load` ... against the throwaway instance."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", app_spec(instance), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"trainer {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def wait_until_up(server: subprocess.Popen, live: LiveServer, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with code {server.returncode}:\n{live.log_tail()}")
        try:
            with urllib.request.urlopen(
                live.url("/healthz"), timeout=2, context=live.ssl_context
            ) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"no answer from {live.url('/healthz')} in {seconds:.0f} s:\n{live.log_tail()}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
