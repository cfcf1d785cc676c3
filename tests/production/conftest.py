"""Fixtures for the production tests: the app as it is deployed (TRAINER_ENV=production,
deploy/gunicorn.conf.py, 3 worker processes, https, rate limits in Redis) on a SQLite file and,
when TEST_DATABASE_URL is set, on a throwaway PostgreSQL database.

Everything listens on and talks to 127.0.0.1 only. Every wait is bounded (tests/live_server.py);
the server is stopped and the database dropped also when a test fails."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask_migrate import upgrade

from tests.live_server import (
    BIN,
    ROOT,
    LiveServer,
    clean_env,
    free_port,
    stop,
    wait_until_up,
)
from tests.production.tls import client_context, self_signed_certificate
from tests.tools import postgresql_server, throwaway_postgresql
from trainer.courses.loading import load_courses
from trainer.extensions import db

CONF = ROOT / "deploy" / "gunicorn.conf.py"
WORKERS = 3
REDIS_SERVER = "redis://127.0.0.1:6379"

# One line of deploy/gunicorn.conf.py's access log: … "request" status bytes "referer" "agent"
# 12ms <pid>
ACCESS_LINE = re.compile(
    r'"(?P<request>[A-Z]+ \S+ HTTP/[\d.]+)" (?P<status>\d{3}) \S+ "[^"]*" "(?P<agent>[^"]*)" '
    r"\d+ms <(?P<pid>\d+)>$"
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test that used a live server gets the end of the server's log in its report."""
    report = yield
    if report.failed and call.when == "call":
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, LiveServer):
                report.sections.append(("live server log (last lines)", value.log_tail(60)))
    return report


# --- Redis --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database of this run's own: TEST_REDIS_URL, or the highest-numbered empty one
    on 127.0.0.1:6379 (others may be in use by other people's tests). Flushed afterwards."""
    chosen = os.environ.get("TEST_REDIS_URL", "").strip()
    try:
        if not chosen:
            for number in range(15, 0, -1):
                with redis.Redis.from_url(f"{REDIS_SERVER}/{number}", socket_timeout=5) as r:
                    if r.dbsize() == 0:
                        chosen = f"{REDIS_SERVER}/{number}"
                        break
            else:
                pytest.fail(f"no empty Redis database on {REDIS_SERVER}")
        with redis.Redis.from_url(chosen, socket_timeout=5) as r:
            r.ping()
    except redis.ConnectionError as error:
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {chosen or REDIS_SERVER}: {error}")
        pytest.skip(f"Redis does not answer at {chosen or REDIS_SERVER} (needed for shared limits)")
    yield chosen
    with redis.Redis.from_url(chosen, socket_timeout=5) as r:
        r.flushdb()


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)


# --- the database -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The server's DATABASE_URL: a SQLite file, or a throwaway PostgreSQL database made on
    the TEST_DATABASE_URL server and dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'production.sqlite3'}"
        return
    server = postgresql_server()
    if not server:
        pytest.skip(
            "PostgreSQL: TEST_DATABASE_URL is not set (e.g. "
            "postgresql://postgres@127.0.0.1:5432/postgres); the same tests ran on SQLite"
        )
    with throwaway_postgresql(server, "trainer_production") as url:
        yield url


# --- the server ---------------------------------------------------------------------------------


def production_env(live: LiveServer, database_url: str, **extra: str) -> dict[str, str]:
    """What an operator sets (docs/operations.md, 導入), for this test server."""
    env = clean_env() | {
        "TRAINER_ENV": "production",
        "SECRET_KEY": live.secret_key,
        "TRAINER_BASE_URL": live.base_url,
        "DATABASE_URL": database_url,
        "TRAINER_SIGNING_KEY_FILE": str(live.instance_path / "issuer_ed25519.pem"),
        "GUNICORN_BIND": live.base_url.split("://", 1)[1],
        "GUNICORN_WORKERS": str(WORKERS),
        "GUNICORN_GRACEFUL_TIMEOUT": "5",  # stopping the test server need not wait 30 s
    }
    if database_url.startswith("sqlite"):
        env["TRAINER_ALLOW_SQLITE"] = "1"  # one small office: the explicit choice
    return env | extra


def new_live_server(tmp: Path, database_url: str, scheme: str = "https") -> LiveServer:
    port = free_port()
    live = LiveServer(
        base_url=f"{scheme}://127.0.0.1:{port}",
        db_url=re.sub(r"^postgresql://", "postgresql+psycopg://", database_url),
        instance_path=tmp / "instance",
        secret_key="production-test-" + secrets.token_urlsafe(32),
        log_path=tmp / "gunicorn.log",
    )
    live.instance_path.mkdir()
    return live


def set_up_database(live: LiveServer) -> None:
    """What `trainer init-db` and `trainer content load` do (the same functions), in this
    process: two fewer app start-ups on a shared two-core machine."""
    with live.app_context() as app:
        upgrade()
        load_courses(db.session, app.config["COURSES_DIR"], app.config["QUIZZES_DIR"])


@pytest.fixture(scope="module")
def production_server(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The production command, `gunicorn -c deploy/gunicorn.conf.py 'trainer:create_app()'`,
    with 3 workers (and their default threads), over https with a self-signed certificate for
    127.0.0.1, on a database migrated and loaded with the real courses."""
    tmp = tmp_path_factory.mktemp("production-server")
    live = new_live_server(tmp, database_url)
    cert, key = self_signed_certificate(tmp)
    live.ssl_context = client_context(cert)
    env = production_env(live, database_url, REDIS_URL=redis_url)
    set_up_database(live)
    with live.log_path.open("w") as log:
        # --reuse-port gives each worker its own listening socket, among which the kernel
        # spreads new connections evenly; on one shared socket a gthread worker that wakes
        # first may accept a whole burst by itself, and the burst would not test several
        # processes. Production keeps the shared socket (SO_REUSEPORT drops the connections
        # waiting on a worker's socket when that worker restarts).
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(CONF), "--certfile", str(cert),
             "--keyfile", str(key), "--reuse-port", "trainer:create_app()"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(server, live)
            yield live
        finally:
            stop(server)


def served_by(live: LiveServer, marker: str, expected: int, seconds: float = 10) -> list[int]:
    """The worker pids of the `expected` requests whose User-Agent carries `marker`, from the
    access log (gunicorn writes a line just after the response, so wait for all of them)."""
    deadline = time.monotonic() + seconds
    while True:
        pids = [
            int(m["pid"])
            for line in live.log_path.read_text(errors="replace").splitlines()
            if (m := ACCESS_LINE.search(line)) and marker in m["agent"]
        ]
        if len(pids) >= expected or time.monotonic() > deadline:
            assert len(pids) == expected, f"{len(pids)} access log lines for {marker}"
            return pids
        time.sleep(0.05)
