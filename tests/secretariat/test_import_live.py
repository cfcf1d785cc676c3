"""Eight hostile roster uploads at once against the app under gunicorn, with the production
settings (deploy/gunicorn.conf.py: gthread workers, 4 threads each), while /healthz and a page are
asked for all along: the uploads are refused within seconds and the server keeps answering.

Before the limits of trainer/secretariat/roster_import/xlsx_reader.py, each of these files held a
worker thread for between half a minute and twelve minutes, and eight of them left no thread to
answer /healthz for every network. The server runs on its own SQLite file, over http, as
tests/e2e's does."""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade

from tests.live_server import (
    BIN,
    ROOT,
    LiveServer,
    app_spec,
    clean_env,
    free_port,
    stop,
    wait_until_up,
)
from tests.production.browser import Browser, at_once, form_on
from tests.secretariat.fixtures import hostile_files as hostile
from trainer.accounts.models import Network, NetworkRole, Role, User
from trainer.extensions import db
from trainer.security import hash_password

WORKERS = 2
PASSWORD = "import-live-" + secrets.token_urlsafe(12)
ANSWER_WITHIN = 3.0  # seconds, for every /healthz and page asked for during the uploads


@pytest.fixture
def live(tmp_path) -> Iterator[LiveServer]:
    port = free_port()
    server = LiveServer(
        base_url=f"http://127.0.0.1:{port}",
        db_url=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        instance_path=tmp_path / "instance",
        secret_key="import-live-" + secrets.token_urlsafe(32),
        log_path=tmp_path / "gunicorn.log",
    )
    server.instance_path.mkdir()
    with server.app_context():
        upgrade()
    env = clean_env() | {
        "DATABASE_URL": server.db_url,
        "SECRET_KEY": server.secret_key,
        "TRAINER_BASE_URL": server.base_url,
        "TRAINER_ENV": "development",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
    }
    with server.log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             app_spec(server.instance_path)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(process, server)
            yield server
        finally:
            stop(process)


def secretariat_of_a_new_network(live: LiveServer) -> tuple[int, str]:
    email = f"secretariat-{uuid.uuid4().hex[:10]}@example.jp"
    with live.app_context():
        network = Network(
            name="みどり市見守りネットワーク", prefecture="さくら県", municipality="みどり市"
        )
        user = User(email=email, name="事務局 花子", password_hash=hash_password(PASSWORD))
        db.session.add_all([network, user])
        db.session.flush()
        db.session.add(
            NetworkRole(user_id=user.id, network_id=network.id, role=Role.SECRETARIAT.value)
        )
        db.session.commit()
        return network.id, email


class Poller:
    """Asks for /healthz and the login page in turn until stopped; keeps how long each took."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.answers: list[tuple[str, int, float]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        paths = ["/healthz", "/login"]
        n = 0
        while not self._stop.is_set():
            path = paths[n % 2]
            n += 1
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.live.url(path), timeout=20) as response:
                    response.read()
                    status = response.status
            except OSError as error:
                self.failures.append(f"{path}: {error!r}")
                continue
            self.answers.append((path, status, time.perf_counter() - started))
            time.sleep(0.05)


def test_eight_hostile_uploads_at_once_leave_the_server_answering(live):
    network_id, email = secretariat_of_a_new_network(live)
    device = Browser(live, "secretariat")
    login = device.get("/login")
    signed_in = device.submit(login, form_on(login, "/login").fill(email=email, password=PASSWORD))
    assert signed_in.status == 302, signed_in.text[:2000]
    page = device.get(f"/n/{network_id}/roster/import/")
    form = form_on(page, "/roster/import/")
    files = [
        ("範囲A1:XFD1048576.xlsx", hostile.huge_dimension(), "使われている範囲がA1:XFD1048576"),
        ("空行500万.xlsx", hostile.empty_rows(5_000_000), "ありえないほど圧縮されています"),
        ("展開200MB.xlsx", hostile.deflate_bomb(200), "シートを展開すると200MB"),
    ]
    chosen = [files[n % len(files)] for n in range(8)]
    uploads = [
        device.prepare_submit(page, form, files={"file": (name, data, "application/octet-stream")})
        for name, data, _ in chosen
    ]

    with Poller(live) as poller:
        time.sleep(0.3)  # the poller's first answers, before the storm
        started = time.perf_counter()
        responses = at_once(uploads, timeout=30)
        elapsed = time.perf_counter() - started
        time.sleep(0.3)

    for (name, _, message), response in zip(chosen, responses, strict=True):
        assert response.status == 422, f"{name}: {response.status}"
        assert message in response.text, name
    assert elapsed < 10, f"the eight uploads took {elapsed:.1f} s"
    assert not poller.failures, poller.failures
    assert {path for path, _, _ in poller.answers} == {"/healthz", "/login"}
    assert all(status == 200 for _, status, _ in poller.answers)
    slowest = max(seconds for _, _, seconds in poller.answers)
    assert slowest < ANSWER_WITHIN, f"an answer took {slowest:.1f} s"
    assert "Traceback" not in live.log_path.read_text(errors="replace")
