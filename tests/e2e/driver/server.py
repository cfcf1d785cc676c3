"""The app served by gunicorn on a free port of 127.0.0.1, for the tests and the screenshot tour.

It always runs on its own SQLite file, also when the rest of the suite runs on PostgreSQL
(TEST_DATABASE_URL): what the journeys check is the pages and their scripts, which do not depend
on the database, and a throwaway SQLite file needs no server. Its own instance folder too, so the
developer's instance/ (and its demo-logins.txt) is left alone.

Every wait is bounded (tests/live_server.py): the server must answer /healthz within 30 s, and
stopping it waits at most 10 s before killing it.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live_server import (
    BIN,
    ROOT,
    LiveServer,
    app_spec,
    clean_env,
    free_port,
    run_cli,
    stop,
    wait_until_up,
)


@contextmanager
def serve(tmp: Path) -> Iterator[LiveServer]:
    """The app under gunicorn (1 worker, 4 threads, as `make run` serves it) with its database,
    instance folder, secret key and log in `tmp`, after `trainer init-db` and `trainer content
    load`: the courses are there, nothing else."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    live = LiveServer(
        base_url=f"http://127.0.0.1:{port}",
        db_url=f"sqlite:///{tmp / 'e2e.sqlite3'}",
        instance_path=tmp / "instance",
        secret_key="e2e-" + secrets.token_urlsafe(32),
        log_path=tmp / "gunicorn.log",
    )
    # Nothing of the developer's or CI's own settings: no Redis for rate limits, no database.
    env = clean_env() | {
        "DATABASE_URL": live.db_url,
        "SECRET_KEY": live.secret_key,
        "TRAINER_BASE_URL": live.base_url,
        "TRAINER_ENV": "development",
    }
    run_cli(env, live.instance_path, "init-db")
    run_cli(env, live.instance_path, "content", "load")
    with live.log_path.open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", "--access-logfile", "-",
             app_spec(live.instance_path)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(server, live)
            yield live
        finally:
            stop(server)
