"""deploy/gunicorn.conf.py: its settings from the environment, and the production command
itself, `gunicorn -c deploy/gunicorn.conf.py 'trainer:create_app()'`, started for real."""

from __future__ import annotations

import json
import logging
import os
import re
import runpy
import socket
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from tests.live_server import BIN, ROOT, LiveServer, stop, wait_until_up
from tests.production.conftest import (
    ACCESS_LINE,
    CONF,
    WORKERS,
    new_live_server,
    production_env,
)

SETTINGS = (
    "GUNICORN_WORKERS",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_BIND",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "FORWARDED_ALLOW_IPS",
    "TRAINER_PROXY_COUNT",
    "REDIS_URL",
)


def read_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    """The file's settings as gunicorn reads them (it runs the file), under exactly `env`."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_defaults_follow_the_cpus_and_stay_on_this_host(monkeypatch):
    conf = read_conf(monkeypatch)
    assert conf["workers"] == max(2, len(os.sched_getaffinity(0)))
    assert (conf["threads"], conf["worker_class"]) == (4, "gthread")
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (60, 30, 5)
    assert (conf["accesslog"], conf["errorlog"]) == ("-", "-")  # stdout, stderr
    assert conf["forwarded_allow_ips"] == ""  # TRAINER_PROXY_COUNT unset: no proxy trusted
    assert conf["control_socket_disable"] is True
    assert conf["wsgi_app"] == "trainer:create_app()"


def test_the_environment_overrides_each_setting(monkeypatch):
    conf = read_conf(monkeypatch, WEB_CONCURRENCY="7")
    assert conf["workers"] == 7
    conf = read_conf(
        monkeypatch,
        WEB_CONCURRENCY="7",
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="1",
        GUNICORN_BIND="10.0.0.5:8000, unix:/run/mimamori.sock",
        GUNICORN_TIMEOUT="120",
        GUNICORN_GRACEFUL_TIMEOUT="10",
        GUNICORN_KEEPALIVE="65",
    )
    assert conf["workers"] == 3  # GUNICORN_WORKERS wins over the platform's WEB_CONCURRENCY
    assert (conf["threads"], conf["worker_class"]) == (1, "sync")
    assert conf["bind"] == ["10.0.0.5:8000", "unix:/run/mimamori.sock"]
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (120, 10, 65)


@pytest.mark.parametrize("value", ["four", "0", "-2", "2.5"])
def test_a_bad_number_is_refused_with_the_variables_name(monkeypatch, value):
    with pytest.raises(ValueError, match=f"GUNICORN_WORKERS は1以上の整数にしてください.*{value}"):
        read_conf(monkeypatch, GUNICORN_WORKERS=value)


def test_forwarded_headers_are_trusted_by_gunicorn_exactly_when_the_app_trusts_a_proxy(
    monkeypatch,
):
    cases = [
        ({}, []),
        ({"FORWARDED_ALLOW_IPS": "10.0.0.5"}, []),  # the app trusts no proxy: neither does this
        ({"TRAINER_PROXY_COUNT": "1"}, ["127.0.0.1", "::1"]),  # nginx on this host
        ({"TRAINER_PROXY_COUNT": "1", "FORWARDED_ALLOW_IPS": "10.0.0.5"}, ["10.0.0.5"]),
    ]
    for env, trusted in cases:
        conf = read_conf(monkeypatch, **env)
        parsed = Config()
        parsed.set("forwarded_allow_ips", conf["forwarded_allow_ips"])  # gunicorn's own parsing
        assert parsed.forwarded_allow_ips == trusted, env


def test_the_access_log_hides_the_tokens_of_personal_reset_invitation_and_projector_links(
    monkeypatch,
):
    logger_class = read_conf(monkeypatch)["logger_class"]
    logger = logger_class(Config())
    token = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/m/{token}?from=qr",
        "PATH_INFO": f"/m/{token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://mimamori.example.jp/reset/{token}",
    }
    response = SimpleNamespace(status="302 FOUND", sent=199, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"https://mimamori.example.jp/reset/{token}")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))
    assert atoms["r"] == "GET /m/***?from=qr HTTP/1.1"
    assert atoms["U"] == "/m/***"
    assert atoms["f"] == atoms["{referer}i"] == "https://mimamori.example.jp/reset/***"
    assert token not in repr(atoms)
    environ.update(RAW_URI=f"/projector/12/{token}/live", PATH_INFO=f"/projector/12/{token}/live")
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    assert atoms["r"] == "GET /projector/12/***/live HTTP/1.1"
    assert token not in atoms["U"]
    # Invitation links, and the sign-in page that leads back to one.
    environ.update(RAW_URI=f"/login?next=/invite/{token}", PATH_INFO="/login")
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    assert atoms["r"] == "GET /login?next=/invite/*** HTTP/1.1"
    environ.update(RAW_URI=f"/invite/{token}/accept", PATH_INFO=f"/invite/{token}/accept")
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    assert atoms["r"] == "GET /invite/***/accept HTTP/1.1" and token not in repr(atoms)


# --- the production command, for real ------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid`, from /proc (field 4 of /proc/<pid>/stat)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for_workers(master: int, count: int, seconds: float = 30) -> list[int]:
    """The master's children once there are `count` of them (or whatever there are after
    `seconds`: the caller's assertion then shows them)."""
    deadline = time.monotonic() + seconds
    while len(workers := children_of(master)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return workers


def test_the_production_command_serves_with_three_worker_processes(tmp_path):
    database = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    live = new_live_server(tmp_path, database, scheme="http")  # TLS ends at nginx in front
    live.log_path = tmp_path / "stderr.log"
    access_log = tmp_path / "stdout.log"
    env = production_env(live, database, TRAINER_BASE_URL="https://mimamori.example.jp")
    with access_log.open("w") as stdout, live.log_path.open("w") as stderr:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(CONF), "trainer:create_app()"],
            env=env, cwd=ROOT, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(server, live)
            workers = wait_for_workers(server.pid, WORKERS)
            assert len(workers) == WORKERS, workers
            with urllib.request.urlopen(live.url("/healthz"), timeout=10) as health:
                assert json.loads(health.read()) == {"status": "ok", "database": "ok"}
                assert "max-age=" in health.headers["Strict-Transport-Security"]
            with urllib.request.urlopen(live.url("/login"), timeout=10) as login:
                session = login.headers["Set-Cookie"]
            assert session.startswith("session=")
            assert {"secure", "httponly"} <= {p.strip().lower() for p in session.split(";")}
            served = wait_for_access_line(access_log, "GET /healthz HTTP/1.1")
        finally:
            stop(server)
    assert int(served["pid"]) in workers  # a worker answered, and the log says which
    errors = live.log_path.read_text()
    assert errors.count("Booting worker with pid") == WORKERS
    assert "REDIS_URL が設定されていません" in errors  # 3 workers, limits counted in each
    assert "Booting worker" not in access_log.read_text()  # stdout holds requests only


def wait_for_access_line(path: Path, request: str, seconds: float = 10) -> re.Match[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for line in path.read_text().splitlines():
            if (found := ACCESS_LINE.search(line)) and found["request"] == request:
                return found
        time.sleep(0.05)
    raise AssertionError(f"no access log line for {request}:\n{path.read_text()}")


def test_the_production_command_refuses_to_start_without_a_base_url(tmp_path):
    database = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    live: LiveServer = new_live_server(tmp_path, database, scheme="http")
    env = production_env(live, database)
    del env["TRAINER_BASE_URL"]
    done = subprocess.run(
        [str(BIN / "gunicorn"), "-c", str(CONF), "trainer:create_app()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "TRAINER_BASE_URL が設定されていません。" in done.stderr
    assert "Worker failed to boot" in done.stderr


def test_percent_encoded_paths_and_gunicorns_own_messages_hide_tokens_too(monkeypatch):
    conf = read_conf(monkeypatch)
    logger = conf["logger_class"](Config())
    token = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/login?next=%2Finvite%2F{token}%2Faccept",
        "PATH_INFO": "/login",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(0))
    assert atoms["r"] == "GET /login?next=%2Finvite%2F***%2Faccept HTTP/1.1"
    # Not secrets: printed on badges and certificates, and on the projector for the room.
    assert conf["redact"]("/verify/AbCdEf123 /join/KXM4PR") == "/verify/AbCdEf123 /join/KXM4PR"
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.error_log.addHandler(handler)
    logger.warning(
        "Invalid request from ip=%s: %s", "192.0.2.1", f"Invalid request line: 'GET /m/{token}'"
    )
    logger.error("Error handling request /reset/%s", token)
    logger.debug("GET /projector/12/%s/live", token)  # below the level: not emitted, no error
    logger.info("100% of %s", "/m/")  # a message that does not format: kept, side by side
    assert seen[0] == "Invalid request from ip=192.0.2.1: Invalid request line: 'GET /m/***'"
    assert seen[1] == "Error handling request /reset/***"
    assert token not in repr(seen)


def test_gunicorns_error_page_is_japanese_with_the_apps_headers(monkeypatch):
    japanese_error = read_conf(monkeypatch)["japanese_error"]
    ours, theirs = socket.socketpair()
    with ours, theirs:
        japanese_error(ours, 414, "URI Too Long", "Request Line is too large: GET /m/secret")
        ours.close()
        answer = theirs.recv(65536).decode()
    head, body = answer.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 414 URI Too Long\r\n")
    for header in (
        "Content-Type: text/html; charset=utf-8",
        "X-Content-Type-Options: nosniff",
        "X-Frame-Options: DENY",
        "Referrer-Policy: same-origin",
        "Cache-Control: no-store",
        "Content-Security-Policy: default-src 'self'",
    ):
        assert header in head, header
    assert f"Content-Length: {len(body.encode())}" in head
    assert '<html lang="ja">' in body and "アドレスが長すぎます" in body
    assert "secret" not in body


def raw_request(port: int, data: bytes) -> tuple[str, str]:
    """What gunicorn answers to these bytes: (head, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body.decode()


def test_requests_gunicorn_refuses_get_the_japanese_page(tmp_path):
    database = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    live = new_live_server(tmp_path, database, scheme="http")
    env = production_env(
        live, database, TRAINER_BASE_URL="https://mimamori.example.jp", GUNICORN_WORKERS="1"
    )
    token = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp"
    with live.log_path.open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(CONF), "trainer:create_app()"],
            env=env, cwd=ROOT, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(server, live)
            port = int(live.base_url.rsplit(":", 1)[1])
            cases = {
                400: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n",
                414: b"GET /m/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                431: b"GET / HTTP/1.1\r\nHost: x\r\n"
                + b"".join(b"X-N%d: 1\r\n" % n for n in range(120))
                + b"\r\n",
            }
            for status, data in cases.items():
                head, body = raw_request(port, data)
                assert head.startswith(f"HTTP/1.1 {status} "), (status, head)
                assert "Content-Security-Policy: default-src 'self'" in head, status
                assert "X-Content-Type-Options: nosniff" in head, status
                assert '<html lang="ja">' in body and "エラー番号：" in body, status
                assert "aaaa" not in body and "garbage" not in body, status
            raw_request(port, f"GET /m/{token} HTTP/1.1 extra\r\nHost: x\r\n\r\n".encode())
        finally:
            stop(server)
    log_text = live.log_path.read_text()
    assert "Invalid request" in log_text  # gunicorn said what it refused…
    assert token not in log_text  # …without the token


def test_make_run_logs_through_the_same_settings():
    """`make run` serves with this file too (its own bind and workers on the command line), so
    the development log hides the same tokens as the production one."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    gunicorn = recipe[recipe.index("$(BIN)/gunicorn") :]
    assert "-c deploy/gunicorn.conf.py" in gunicorn
    assert "--access-logfile" not in gunicorn  # the file's accesslog and RedactingLogger
