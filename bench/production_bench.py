"""Production benchmark (prints figures, not a pass/fail test).

gunicorn serves on 127.0.0.1 and wrk loads it, with the same gunicorn settings, connections and
duration for four targets, on SQLite and on PostgreSQL:

  (a) a bare Flask endpoint returning "ok"           GET  /ok       (bench/bare_app.py)
  (b) a bare insert of one row                        POST /insert   (bench/bare_app.py)
  (c) the app's quiz-answer save, one answer a request, by learners already signed in
      POST /learn/attempts/<id>/<n> (the per-answer save that phones send 21 times per quiz)
  (d) the workshop projector's refresh, as the projector page in the trainer's browser sends it
      (with the trainer's cookies), for a workshop of a few hundred participants with submitted
      answers: GET /projector/<id>/<token>/live, the page's data-live-url

and prints (c)/(b) and (d)/(a) from the same run against the targets: the app's save at least
half the bare insert's throughput, the projector refresh at least a third of the bare endpoint's.

Both servers run side by side and each target is loaded in --rounds slices in ABBA order
(a b c d, d c b a, ...), so that the other load on a shared machine, which drifts over minutes,
weighs on all four alike and the ratios compare like with like. Latency percentiles are the
slices' percentiles averaged, weighted by their responses.

Every response is checked in wrk (status and content: "ok", a 302 to the next question, the
projector showing the workshop's participants) and req/s counts only responses that passed, so a
run that answered 403 or a sign-in page cannot look fast. Rows are counted afterwards: inserted
rows and stored answers must equal the responses that said so.

Learners and the trainer are seeded in-process with the app factory on the server's database and
signed in through the app's own routes (personal link, /login) with Flask's test client, which
gives the same signed cookies and CSRF tokens the server accepts: the personal link is rate
limited to 60 sign-ins per 15 minutes per address, and every simulated phone comes from
127.0.0.1, while the measured server keeps its rate limits as in production.

wrk (Debian: apt-get install -y wrk) is required rather than a Python load generator: the load
generator shares the two cores with the server, and wrk sends thousands of requests a second on a
fraction of one core, where Python would need a core or more of its own for the bare endpoint and
so hold back (a) more than (d), flattering the ratio.

    .venv/bin/python bench/production_bench.py [--duration 10] [--rounds 2] [--connections 32]
        [--databases sqlite,postgresql] [--warmup 2] [--participants 300] [--learners N]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Exit code 1 if a check failed (unexpected responses, rows not matching, tracebacks in a server
log); targets missed only print MISS.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from string import Template
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DEPLOY_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
FALLBACK_SETTINGS = ["--workers", "2", "--threads", "4"]
# One User-Agent for the sign-in and for wrk: Flask-Login's session protection compares it.
USER_AGENT = "production-bench"
PASSWORD = "bench-password-" + secrets.token_urlsafe(8)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SAVE_TARGET = 0.5  # (c)/(b)
PROJECTOR_TARGET = 1 / 3  # (d)/(a)
# Learners are planned for this multiple of the bare insert's warm-up rate, so that every save
# stores a new answer (a save is hardly faster than the bare insert of one row; the machine's
# other load may change between the warm-up and the rounds).
HEADROOM = 2.0

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ANSWER_INPUT = re.compile(r'<input type="(?:radio|checkbox)" name="([\w-]+)" value="([^"]*)"')
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="(?!csrf_token)([\w-]+)" value="([^"]*)"')
LIVE_URL = re.compile(r'data-live-url="([^"]+)"')
PROJECTOR_SUBMITTED = re.compile(
    r'<span class="pj-big">(\d+)</span> / (\d+)人 提出(?:（回答中 (\d+)人）)?'
)


# --- wrk -----------------------------------------------------------------------------------------

LUA = Template(r"""-- Generated by bench/production_bench.py for one wrk run.
local expect_status = $status
local expect_text = $expect_text
local in_location = $in_location
$request

good = 0
bad = {}

function response(status, headers, body)
  local seen = body or ""
  if in_location then seen = headers["Location"] or headers["location"] or "" end
  if status == expect_status and string.find(seen, expect_text, 1, true) then
    good = good + 1
    return
  end
  local key = tostring(status)
  if in_location and seen ~= "" then key = key .. " -> " .. string.sub(seen, 1, 60) end
  bad[key] = (bad[key] or 0) + 1
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local good_total, bad_total = 0, {}
  for _, thread in ipairs(threads) do
    good_total = good_total + thread:get("good")
    for key, n in pairs(thread:get("bad")) do bad_total[key] = (bad_total[key] or 0) + n end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests %.0f\n", summary.requests))
  io.write(string.format("BENCH duration_us %.0f\n", summary.duration))
  io.write(string.format("BENCH good %.0f\n", good_total))
  io.write(string.format("BENCH socket_errors %.0f\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("BENCH non_2xx_3xx %.0f\n", e.status))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("BENCH p%d_us %.0f\n", p, latency:percentile(p)))
  end
  for key, n in pairs(bad_total) do io.write(string.format("BENCH bad %.0f %s\n", n, key)) end
end
""")

STATIC_REQUEST = Template(r"""wrk.method = $method
wrk.path = $path
wrk.body = $body
wrk.headers["User-Agent"] = $user_agent
$headers""")

# Request k goes to learner k mod L, question k div L (mod Q): every learner answers question 1,
# then 2, ..., so no learner has two saves in flight while L exceeds the connections. A slice
# starts at the request number given on wrk's command line, where the previous one stopped.
SAVE_REQUEST = Template(r"""local learners = {
$learners
}
local answers = {
$answers
}
local sent = 0
function init(args)
  sent = tonumber(args[1]) or 0
end
function request()
  local count = #learners
  local learner = learners[sent % count + 1]
  local n = math.floor(sent / count) % #answers + 1
  sent = sent + 1
  return wrk.format("POST", "/learn/attempts/" .. learner[3] .. "/" .. n, {
    ["Cookie"] = learner[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["User-Agent"] = $user_agent,
  }, "csrf_token=" .. learner[2] .. "&" .. answers[n])
end""")


def lua_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@dataclass(frozen=True)
class Expect:
    """What a good response looks like: its status, and a text in its body or Location."""

    status: int
    text: str
    in_location: bool = False


@dataclass(frozen=True)
class Load:
    """One target's load: the Lua that sends its requests, and what a good response is."""

    request_lua: str
    expect: Expect

    def script(self) -> str:
        return LUA.substitute(
            status=self.expect.status,
            expect_text=lua_string(self.expect.text),
            in_location="true" if self.expect.in_location else "false",
            request=self.request_lua,
        )


def static_request(method: str, path: str, body: str = "", **headers: str) -> str:
    extra = "\n".join(
        f'wrk.headers["{name.replace("_", "-")}"] = {lua_string(value)}'
        for name, value in headers.items()
    )
    return STATIC_REQUEST.substitute(
        method=lua_string(method),
        path=lua_string(path),
        body=lua_string(body) if body else "nil",
        user_agent=lua_string(USER_AGENT),
        headers=extra,
    )


@dataclass
class Figures:
    """One target's figures, summed over its slices."""

    target: str
    database: str
    requests: int = 0
    seconds: float = 0.0
    good: int = 0
    socket_errors: int = 0
    non_2xx_3xx: int = 0
    bad: dict[str, int] = field(default_factory=dict)
    wrk_cpu: float = 0.0
    slices: list[tuple[int, float, float, float]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, raw: dict[str, object]) -> None:
        requests = int(raw["requests"])
        self.requests += requests
        self.seconds += int(raw["duration_us"]) / 1e6
        self.good += int(raw["good"])
        self.socket_errors += int(raw["socket_errors"])
        self.non_2xx_3xx += int(raw["non_2xx_3xx"])
        for key, n in dict(raw["bad"]).items():
            self.bad[key] = self.bad.get(key, 0) + n
        self.wrk_cpu += float(raw["cpu"])
        self.slices.append((requests, *(int(raw[f"p{p}_us"]) / 1000 for p in (50, 95, 99))))

    @property
    def rate(self) -> float:
        """Good responses per second: a refused request never counts as throughput."""
        return self.good / self.seconds if self.seconds else 0.0

    def percentile(self, which: int) -> float:
        """p50, p95 or p99 in ms (which = 1, 2, 3): the slices' values weighted by responses."""
        weight = sum(s[0] for s in self.slices)
        return sum(s[0] * s[which] for s in self.slices) / weight if weight else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + sum(self.bad.values())


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit(
            "wrk が見つかりません。このベンチマークは負荷をかけるのに wrk を使います。\n"
            "Debian / Ubuntu: sudo apt-get update && sudo apt-get install -y wrk"
        )
    return found


def run_wrk(
    wrk: str, port: int, load: Load, seconds: int, connections: int, tmp: Path, *script_args: str
) -> dict[str, object]:
    """One wrk run; returns what the script's done() printed. One wrk thread: it keeps up with
    the bare endpoint on a fraction of a core, and every core it leaves is the server's."""
    path = tmp / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    path.write_text(load.script(), encoding="utf-8")
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run(
            [wrk, "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
             "-s", str(path), f"http://{HOST}:{port}/", "--", *script_args],
            capture_output=True, text=True, timeout=seconds + 90, check=False,
        )  # fmt: skip
    finally:
        path.unlink(missing_ok=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:500]}")
    result: dict[str, object] = {"bad": {}}
    for line in done.stdout.splitlines():
        if not line.startswith("BENCH "):
            continue
        _, name, rest = line.split(" ", 2)
        if name == "bad":
            count, key = rest.split(" ", 1)
            result["bad"][key] = int(count)
        else:
            result[name] = int(rest)
    if "requests" not in result:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout[-1000:]}{done.stderr[-500:]}")
    result["cpu"] = (usage.ru_utime - usage_before.ru_utime) + (
        usage.ru_stime - usage_before.ru_stime
    )
    return result


@dataclass
class Target:
    """A load on one server, measured slice by slice."""

    figures: Figures
    port: int
    load: Load
    # The save: each slice goes on with the answers after the last slice's (see SAVE_REQUEST).
    continues: bool = False
    next_request: int = 0

    def run(self, wrk: str, seconds: int, connections: int, tmp: Path) -> dict[str, object]:
        start = (str(self.next_request),) if self.continues else ()
        raw = run_wrk(wrk, self.port, self.load, seconds, connections, tmp, *start)
        # Requests still in flight when wrk stopped were sent but not counted: skip past them.
        self.next_request += int(raw["requests"]) + connections
        return raw


# --- gunicorn ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gunicorn_settings() -> tuple[list[str], str]:
    """The deployment's gunicorn settings if deploy/gunicorn.conf.py exists, else the fallback;
    the same for all four targets. Bind and control socket are always set here (command-line
    settings override the file's)."""
    if DEPLOY_CONFIG.exists():
        return ["--config", str(DEPLOY_CONFIG)], "deploy/gunicorn.conf.py"
    return FALLBACK_SETTINGS, " ".join(FALLBACK_SETTINGS) + " (deploy/gunicorn.conf.py not found)"


def resolved_settings(settings: list[str], env: dict[str, str]) -> str:
    """workers / threads / worker class as gunicorn resolves them from these settings."""
    done = subprocess.run(
        [str(BIN / "gunicorn"), *settings, "--no-control-socket", "--bind", f"{HOST}:0",
         "--print-config", "bare_app:create_app()"],
        cwd=BENCH, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    found = dict(
        re.findall(r"^(workers|threads|worker_class|keepalive)\s*=\s*(.+)$", done.stdout, re.M)
    )
    if not found:
        return f"(gunicorn --print-config failed: {done.stderr.strip()[-300:]})"
    return ", ".join(f"{k} {v.strip()}" for k, v in sorted(found.items()))


class Server:
    """gunicorn on 127.0.0.1 in its own process group, its output in a log file."""

    def __init__(
        self, spec: str, settings: list[str], env: dict[str, str], cwd: Path, log: Path
    ) -> None:
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), *settings, "--no-control-socket",
                 "--bind", f"{HOST}:{self.port}", spec],
                cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def wait_until_up(self, path: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if get(self.port, path).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer {path} in {seconds:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def tracebacks(self) -> list[str]:
        """Each traceback in the log, cut to its last lines (the error itself)."""
        text = self.log.read_text(errors="replace")
        return [
            " | ".join(part.strip().splitlines()[-3:])
            for part in text.split("Traceback (most recent call last):")[1:]
        ]

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def serving(spec: str, settings: list[str], env: dict[str, str], cwd: Path, log: Path, ready: str):
    server = Server(spec, settings, env, cwd, log)
    try:
        server.wait_until_up(ready)
        yield server
    finally:
        server.stop()


@dataclass
class Reply:
    status: int
    location: str
    body: str


def get(port: int, path: str, cookie: str = "") -> Reply:
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return Reply(response.status, response.getheader("Location", ""), body)
    finally:
        conn.close()


def server_env(database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment without the developer's own database, Redis or secrets (as the e2e
    fixtures do), plus the run's own settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "SECRET_KEY")
        and not key.startswith("TRAINER_")
    }
    return env | {"DATABASE_URL": database_url} | extra


# --- databases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Databases:
    kind: str
    bare_url: str
    app_url: str


@contextmanager
def sqlite_databases(tmp: Path) -> Iterator[Databases]:
    folder = tmp / "sqlite"
    folder.mkdir()
    try:
        yield Databases(
            "sqlite", f"sqlite:///{folder / 'bare.sqlite3'}", f"sqlite:///{folder / 'app.sqlite3'}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_databases(admin_url: str) -> Iterator[Databases]:
    """Two throwaway databases on the local server, dropped afterwards whatever happened."""
    import psycopg

    url = make_url(admin_url)
    if url.host != HOST:
        sys.exit(f"--postgres-url は {HOST} のサーバーを指定してください（指定: {url.host}）。")
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    stem = f"mimamori_bench_{secrets.token_hex(4)}"
    names = [f"{stem}_bare", f"{stem}_app"]
    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        sys.exit(f"PostgreSQL に接続できません（{url.host}:{url.port}）: {error}")
    created: list[str] = []
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
            created.append(name)
        driver = url.set(drivername="postgresql+psycopg")
        yield Databases(
            "postgresql",
            *(driver.set(database=n).render_as_string(hide_password=False) for n in names),
        )
    finally:
        for name in created:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def count_rows(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


# --- (c) and (d): the app, seeded in-process -----------------------------------------------------


@dataclass(frozen=True)
class Learner:
    cookie: str
    csrf: str
    attempt_id: int


@dataclass
class Projector:
    path: str
    cookie: str
    participants: int
    pre_submitted: int
    post_submitted: int
    post_answering: int


def app_config(dbs: Databases, tmp: Path, base_url: str, secret: str) -> dict[str, object]:
    """The in-process app on the server's database. Rate limits are off here only: this app
    signs in hundreds of learners from one address (see the module's docstring)."""
    return {
        "SQLALCHEMY_DATABASE_URI": dbs.app_url,
        "SECRET_KEY": secret,
        "TRAINER_BASE_URL": base_url,
        "INSTANCE_PATH": str(tmp / f"instance-{dbs.kind}"),
        "RATELIMIT_ENABLED": False,
    }


def app_spec(instance: str) -> str:
    return f"trainer:create_app({{'INSTANCE_PATH': {instance!r}}})"


def init_database(env: dict[str, str], instance: str, tmp: Path) -> None:
    """The schema by the migrations and the real course content, as an operator sets them up."""
    for command in (["init-db"], ["content", "load"]):
        done = subprocess.run(
            [str(BIN / "flask"), "--app", app_spec(instance), *command],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"trainer {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def new_members(network_id: int, organisation_id: int, prefix: str, count: int) -> list:
    """Members on the roster with their attributes answered (asked once before the first quiz),
    each with a personal link as the roster makes them."""
    from trainer.accounts import roster
    from trainer.accounts.models import AgeBand, Gender, JobType, Member
    from trainer.text import name_key
    from trainer.timeutil import utcnow

    members = []
    for i in range(count):
        selector, verifier = roster._new_link()
        name = f"{prefix} 太郎{i}"
        members.append(
            Member(
                network_id=network_id,
                organisation_id=organisation_id,
                name=name,
                name_key=name_key(name),
                membership_start=date(2024, 4, 1),
                link_selector=selector,
                link_verifier=verifier,
                age_band=list(AgeBand)[i % len(AgeBand)].value,
                gender=list(Gender)[i % len(Gender)].value,
                job_type=list(JobType)[i % len(JobType)].value,
                attributes_answered_at=utcnow(),
            )
        )
    return members


def seed_network(label: str, kind: str = "care_management") -> tuple[int, int]:
    from trainer.accounts import roster
    from trainer.accounts.models import Network
    from trainer.extensions import db

    network = Network(
        name=f"{label} 見守りネットワーク", prefecture="さくら県", municipality="負荷市"
    )
    db.session.add(network)
    db.session.commit()
    org = roster.create_organisation(
        db.session, network_id=network.id, kind=kind, name=f"{label} 団体", actor=None
    )
    return network.id, org.id


def quiz_length() -> int:
    """Questions in the basic course's pre-quiz attempt: its bank and the attitude survey."""
    from trainer.extensions import db
    from trainer.learning.models import Course
    from trainer.quizzes import questions as quizzes

    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    banks = [quizzes.bank_of(db.session, slug) for slug in (course.pre_quiz, course.survey)]
    return sum(len(bank.question_ids) for bank in banks if bank is not None)


def seed_learners(app: Flask, pools: list[int]) -> tuple[list[list[Learner]], list[str]]:
    """Learners with an open pre-quiz attempt (opened by the app's service), signed in with
    their personal link; each pool of learners for one wrk run. Also the answer fields of every
    question, read from the question pages as a browser would submit them."""
    from trainer.extensions import db
    from trainer.learning.models import Course
    from trainer.quizzes import attempts as quizzes

    # Test-client requests must run outside any app context: inside one, Flask reuses it, and
    # its g (the signed-in user) and session would leak from one learner's request to the next.
    with app.app_context():
        network_id, org_id = seed_network("回答ベンチ")
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        members = new_members(network_id, org_id, "回答", sum(pools))
        db.session.add_all(members)
        db.session.commit()
        opened = []
        for member in members:
            attempt = quizzes.start_attempt(
                db.session,
                member=member,
                course=course,
                phase="pre",
                key=quizzes.new_idempotency_key(),
            )
            opened.append((member.link_token, attempt.id, len(attempt.question_ids)))
        db.session.remove()

    learners = [sign_in_learner(app, token, attempt_id) for token, attempt_id, _ in opened]
    answers = answer_fields(app, opened[0][0], opened[0][1], opened[0][2])
    split, start = [], 0
    for size in pools:
        split.append(learners[start : start + size])
        start += size
    return split, answers


def cookie_header(client: FlaskClient, app: Flask) -> str:
    names = (
        app.config["SESSION_COOKIE_NAME"],
        app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
    )
    cookies = [client.get_cookie(name) for name in names]
    return "; ".join(f"{c.key}={c.value}" for c in cookies if c is not None)


def sign_in_learner(app: Flask, token: str, attempt_id: int) -> Learner:
    client = app.test_client()
    headers = {"User-Agent": USER_AGENT}
    signed_in = client.get(f"/m/{token}", headers=headers)
    if signed_in.status_code != 302:
        raise RuntimeError(f"personal link: HTTP {signed_in.status_code}")
    page = client.get(f"/learn/attempts/{attempt_id}/1", headers=headers)
    found = CSRF.search(page.get_data(as_text=True))
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"question page: HTTP {page.status_code}, csrf token: {bool(found)}")
    return Learner(cookie_header(client, app), found.group(1), attempt_id)


def answer_fields(app: Flask, token: str, attempt_id: int, questions: int) -> list[str]:
    """Each question's answer as the form posts it: the first choice of every group of radio
    buttons (or of the check boxes) and the page's hidden fields (the question version it
    shows), read from the page itself."""
    client = app.test_client()
    client.get(f"/m/{token}", headers={"User-Agent": USER_AGENT})
    fields = []
    for n in range(1, questions + 1):
        page = client.get(f"/learn/attempts/{attempt_id}/{n}", headers={"User-Agent": USER_AGENT})
        html = page.get_data(as_text=True)
        chosen: dict[str, str] = {}
        for name, value in ANSWER_INPUT.findall(html):
            chosen.setdefault(name, value)
        if page.status_code != 200 or not chosen:
            raise RuntimeError(f"question {n}: HTTP {page.status_code}, no answer inputs")
        chosen.update(HIDDEN_INPUT.findall(html))
        fields.append(urlencode(chosen))
    return fields


def random_answers(rows: list, rng: random.Random) -> MultiDict:
    """A one-page test's form (names like q12-choice) with a random valid answer to each."""
    form = MultiDict()
    for row in rows:
        body, prefix = row.body, f"q{row.id}-"
        keys = [c["key"] for c in body.get("choices", [])]
        if row.type == "single":
            form.add(prefix + "choice", rng.choice(keys))
        elif row.type == "multi":
            for key in rng.sample(keys, rng.randint(1, len(keys))):
                form.add(prefix + "choice", key)
        elif row.type == "truefalse":
            for case in body["cases"]:
                form.add(f"{prefix}case-{case['key']}", rng.choice(["yes", "no"]))
        else:
            form.add(prefix + "value", str(rng.randint(1, 5)))
    return form


def seed_workshop(app: Flask, participants: int) -> Projector:
    """A workshop in 事後テスト: everyone joined and submitted the pre-test, two thirds submitted
    the post-test and a sixth are answering it, all through the workshop's services."""
    from trainer.accounts.models import NetworkRole, User
    from trainer.extensions import db
    from trainer.learning.models import Course
    from trainer.quizzes import questions as quizzes
    from trainer.security import hash_password
    from trainer.timeutil import today_jst
    from trainer.workshops import answering, creating, phases, seats
    from trainer.workshops.models import Phase

    with app.app_context():  # the trainer signs in after it is closed (see seed_learners)
        rng = random.Random(8)
        network_id, org_id = seed_network("研修会ベンチ")
        email = f"trainer-{secrets.token_hex(4)}@bench.example.jp"
        trainer = User(email=email, name="講師 ベンチ", password_hash=hash_password(PASSWORD))
        db.session.add(trainer)
        db.session.flush()
        db.session.add(NetworkRole(user_id=trainer.id, network_id=network_id, role="trainer"))
        members = new_members(network_id, org_id, "参加", participants)
        db.session.add_all(members)
        db.session.commit()
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        workshop = creating.create_workshop(
            db.session,
            network_id=network_id,
            data=creating.WorkshopInput(
                course_id=course.id,
                title="ベンチ研修会",
                held_on=today_jst(),
                organisation_ids=(org_id,),
            ),
            actor=trainer,
        )
        joined = [
            seats.join_as_member(
                db.session, workshop=workshop, member=m, secret=secrets.token_urlsafe(32)
            )
            for m in members
        ]

        def move(frm: Phase, to: Phase) -> None:
            phases.move_phase(
                db.session,
                workshop=workshop,
                from_phase=frm.value,
                to_phase=to.value,
                actor=trainer,
            )

        def answer_all(people, phase: str, submit: bool) -> None:
            for participant in people:
                attempt = answering.workshop_attempt(db.session, participant, phase)
                rows = quizzes.attempt_questions(db.session, attempt)
                form = random_answers(rows, rng)
                answering.answer(
                    db.session, participant=participant, quiz_phase=phase, form=form, submit=submit
                )

        move(Phase.RECEPTION, Phase.PRE)
        answer_all(joined, "pre", submit=True)
        move(Phase.PRE, Phase.TRAINING)
        move(Phase.TRAINING, Phase.POST)
        done, answering = participants * 2 // 3, participants // 6
        answer_all(joined[:done], "post", submit=True)
        answer_all(joined[done : done + answering], "post", submit=False)
        page = f"/n/{network_id}/workshops/{workshop.id}/projector"
        db.session.remove()
    cookie = sign_in_trainer(app, email)
    return Projector(
        projector_live_url(app, page, cookie), cookie, participants, participants, done, answering
    )


def projector_live_url(app: Flask, page: str, cookie: str) -> str:
    """What the projector page fetches every 2 seconds: its data-live-url (the projector link)."""
    client = app.test_client(use_cookies=False)
    html = client.get(page, headers={"User-Agent": USER_AGENT, "Cookie": cookie})
    found = LIVE_URL.search(html.get_data(as_text=True))
    if html.status_code != 200 or found is None:
        raise RuntimeError(f"projector page: HTTP {html.status_code}, live URL: {bool(found)}")
    return found.group(1)


def sign_in_trainer(app: Flask, email: str) -> str:
    client = app.test_client()
    headers = {"User-Agent": USER_AGENT}
    page = client.get("/login", headers=headers)
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    done = client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD, "next": ""},
        headers=headers,
    )
    if done.status_code != 302:
        raise RuntimeError(f"trainer sign-in: HTTP {done.status_code}")
    return cookie_header(client, app)


def save_request(learners: list[Learner], answers: list[str]) -> str:
    rows = ",\n".join(
        f"  {{{lua_string(le.cookie)}, {lua_string(urlencode({'t': le.csrf})[2:])}, "
        f"{le.attempt_id}}}"
        for le in learners
    )
    return SAVE_REQUEST.substitute(
        learners=rows,
        answers=",\n".join(f"  {lua_string(a)}" for a in answers),
        user_agent=lua_string(USER_AGENT),
    )


# --- one database: both servers, warm-up, the rounds, the checks ---------------------------------

FORM = "application/x-www-form-urlencoded"


def settled(count: Callable[[], int], seconds: float = 15) -> int:
    """The count once it stops changing: when wrk stops, the server still finishes the requests
    that were in flight (up to one per connection), and they write after wrk has gone."""
    deadline = time.monotonic() + seconds
    last = count()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = count()
        if now == last:
            return now
        last = now
    return last


def check_stored(figures: Figures, stored: int, what: str, slack: int) -> None:
    """Rows written must match the responses that reported them, plus at most one request per
    connection and slice that was still in flight when wrk stopped counting."""
    late = stored - figures.good
    line = f"{what} {stored:,} = {figures.good:,} responses that said so"
    if late:
        line += f" + {late:,} answered after wrk stopped"
    if 0 <= late <= slack:
        figures.checks.append(line + " ✓")
    else:
        figures.checks.append(line + " ✗")
        figures.failed.append(f"{what} {stored:,} for {figures.good:,} good responses")


def bare_server(stack: ExitStack, dbs: Databases, settings: list[str], tmp: Path) -> Server:
    from bare_app import DATABASE_URL_VARIABLE, create_app, db

    app = create_app(dbs.bare_url)
    with app.app_context():  # the table exists before the workers start: no race to create it
        db.create_all()
        db.engine.dispose()
    env = server_env(dbs.bare_url, {DATABASE_URL_VARIABLE: dbs.bare_url})
    log = tmp / f"gunicorn-bare-{dbs.kind}.log"
    return stack.enter_context(serving("bare_app:create_app()", settings, env, BENCH, log, "/ok"))


@dataclass
class SeededApp:
    app: Flask  # in-process, on the server's database
    env: dict[str, str]
    instance: str
    warm_pool: list[Learner]
    main_pool: list[Learner]
    answers: list[str]
    projector: Projector


def seed_app(dbs: Databases, args: argparse.Namespace, tmp: Path, insert_rate: float) -> SeededApp:
    from trainer import create_app
    from trainer.extensions import db

    # Production settings as docs/operations.md (導入) has them, except what wrk cannot do: it
    # speaks plain http to gunicorn (TLS and nginx are not measured). The base URL only builds
    # links and QR codes; production requires it to be https.
    base_url, secret = f"https://{HOST}", "bench-" + secrets.token_urlsafe(40)
    config = app_config(dbs, tmp, base_url, secret)
    instance = str(config["INSTANCE_PATH"])
    production = {"SECRET_KEY": secret, "TRAINER_BASE_URL": base_url, "TRAINER_ENV": "production"}
    if dbs.kind == "sqlite":
        production["TRAINER_ALLOW_SQLITE"] = "1"  # the one-office choice, made explicitly
    env = server_env(dbs.app_url, production)
    began = time.monotonic()
    init_database(env, instance, tmp)
    app = create_app(config)
    with app.app_context():
        pools = pool_sizes(args, insert_rate, quiz_length())
        db.session.remove()
    (warm_pool, main_pool), answers = seed_learners(app, pools)
    projector = seed_workshop(app, args.participants)
    print(
        f"  seeded in {time.monotonic() - began:.0f} s: {len(warm_pool) + len(main_pool):,} "
        f"learners signed in ({len(warm_pool)} for the warm-up, {len(main_pool)} measured), "
        f"{len(answers)} questions each; a workshop of {projector.participants} in 事後テスト",
        flush=True,
    )
    return SeededApp(app, env, instance, warm_pool, main_pool, answers, projector)


def pool_sizes(args: argparse.Namespace, insert_rate: float, questions: int) -> list[int]:
    """Learners for the warm-up and the rounds: enough that each save stores a new answer
    (HEADROOM × the bare insert's rate, plus the requests skipped between slices)."""
    rate = max(insert_rate * HEADROOM, 100.0)
    warm = max(args.connections, math.ceil(rate * args.warmup / questions))
    skipped = args.connections * args.rounds
    planned = math.ceil((rate * args.duration + skipped) / questions)
    return [warm, args.learners or max(args.connections * 2, planned)]


def stored_answers(app: Flask, learners: list[Learner]) -> int:
    from trainer.extensions import db
    from trainer.quizzes.models import Answer

    with app.app_context():
        try:
            return db.session.scalar(
                select(func.count())
                .select_from(Answer)
                .where(Answer.attempt_id.in_([le.attempt_id for le in learners]))
            )
        finally:
            db.session.remove()


def dispose(app: Flask) -> None:
    from trainer.extensions import db

    with app.app_context():
        db.engine.dispose()


def check_projector(port: int, projector: Projector, figures: Figures) -> None:
    """Every response showed the workshop's participant count (checked in wrk); one more shows
    the submitted and answering counts as seeded."""
    page = get(port, projector.path, projector.cookie)
    found = PROJECTOR_SUBMITTED.search(page.body)
    shown = (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)) if found else None
    seeded = (projector.post_submitted, projector.participants, projector.post_answering)
    shown_by_all = "every" if figures.good == figures.requests else "NOT every"
    line = (
        f"{shown_by_all} response showed {projector.participants} 参加; one more shows "
        f"提出/参加/回答中 {shown} as seeded {seeded}"
    )
    figures.checks.append(line + (" ✓" if shown == seeded else " ✗"))
    if shown != seeded:
        figures.failed.append(f"projector shows {shown}, seeded {seeded}")


def bare_targets(
    stack: ExitStack,
    wrk: str,
    dbs: Databases,
    settings: list[str],
    args: argparse.Namespace,
    tmp: Path,
) -> tuple[Server, Target, Target, float]:
    """(a) and (b) on the bare app's server, warmed up; also the insert rate of the warm-up."""
    bare = bare_server(stack, dbs, settings, tmp)
    ok = Target(
        Figures("(a) bare GET /ok", dbs.kind),
        bare.port,
        Load(static_request("GET", "/ok"), Expect(200, "ok")),
    )
    insert = Target(
        Figures("(b) bare POST /insert", dbs.kind),
        bare.port,
        Load(
            static_request("POST", "/insert", "note=bench", Content_Type=FORM),
            Expect(201, "created"),
        ),
    )
    ok.run(wrk, args.warmup, args.connections, tmp)
    warm = insert.run(wrk, args.warmup, args.connections, tmp)
    return bare, ok, insert, int(warm["good"]) / args.warmup


def app_targets(
    stack: ExitStack,
    wrk: str,
    dbs: Databases,
    settings: list[str],
    args: argparse.Namespace,
    tmp: Path,
    rate: float,
) -> tuple[Server, SeededApp, Target, Target]:
    """(c) and (d) on the app's server, seeded and warmed up (the save with its own learners)."""
    seeded = seed_app(dbs, args, tmp, rate)
    stack.callback(dispose, seeded.app)
    log = tmp / f"gunicorn-app-{dbs.kind}.log"
    spec = app_spec(seeded.instance)
    server = stack.enter_context(serving(spec, settings, seeded.env, tmp, log, "/healthz"))
    first = seeded.main_pool[0]
    page = get(server.port, f"/learn/attempts/{first.attempt_id}/1", first.cookie)
    if page.status != 200 or CSRF.search(page.body) is None:
        raise RuntimeError(f"a learner's cookie does not work on the server: {page.status}")

    # A save answers with a redirect to the next question (or the review after the last); a
    # sign-in page or an error is anything else.
    saved = Expect(302, "/learn/attempts/", in_location=True)
    warm_save = Load(save_request(seeded.warm_pool, seeded.answers), saved)
    Target(Figures("warm-up", dbs.kind), server.port, warm_save, continues=True).run(
        wrk, args.warmup, args.connections, tmp
    )
    save = Target(
        Figures("(c) app answer save (POST)", dbs.kind),
        server.port,
        Load(save_request(seeded.main_pool, seeded.answers), saved),
        continues=True,
    )
    projector = seeded.projector
    refresh = Target(
        Figures("(d) app projector refresh (GET)", dbs.kind),
        server.port,
        Load(
            static_request("GET", projector.path, Cookie=projector.cookie),
            Expect(200, f'<span class="pj-big">{projector.participants}</span>人 参加'),
        ),
    )
    refresh.run(wrk, args.warmup, args.connections, tmp)
    return server, seeded, save, refresh


def run_rounds(wrk: str, targets: list[Target], args: argparse.Namespace, tmp: Path) -> None:
    """Each target in --rounds slices, in ABBA order: a b c d, d c b a, a b c d, ..."""
    seconds = max(1, args.duration // args.rounds)
    for r in range(args.rounds):
        rates = []
        for target in targets if r % 2 == 0 else targets[::-1]:
            raw = target.run(wrk, seconds, args.connections, tmp)
            target.figures.add(raw)
            rate = int(raw["good"]) / (int(raw["duration_us"]) / 1e6)
            rates.append(f"{target.figures.target[:3]} {rate:,.0f}/s")
        print(f"  round {r + 1}/{args.rounds}: " + "  ".join(rates), flush=True)


def run_database(
    wrk: str, dbs: Databases, settings: list[str], args: argparse.Namespace, tmp: Path
) -> tuple[list[Figures], list[str]]:
    """The four targets on one kind of database; returns their figures and what failed."""
    slack = args.connections * args.rounds  # requests in flight when a slice ends
    count_sql = "SELECT count(*) FROM bench_row"
    with ExitStack() as stack:
        bare, ok, insert, rate = bare_targets(stack, wrk, dbs, settings, args, tmp)
        server, seeded, save, refresh = app_targets(stack, wrk, dbs, settings, args, tmp, rate)
        rows_before = settled(lambda: count_rows(dbs.bare_url, count_sql))
        targets = [ok, insert, save, refresh]
        run_rounds(wrk, targets, args, tmp)

        rows = settled(lambda: count_rows(dbs.bare_url, count_sql)) - rows_before
        check_stored(insert.figures, rows, "rows inserted", slack)
        answers = settled(lambda: stored_answers(seeded.app, seeded.main_pool))
        check_stored(save.figures, answers, "answers stored", slack)
        if save.next_request - args.connections > len(seeded.main_pool) * len(seeded.answers):
            save.figures.checks.append("learners may have run out: raise --learners")
        check_projector(server.port, seeded.projector, refresh.figures)
        failed = [
            f"{dbs.kind} {t.figures.target}: {text}" for t in targets for text in t.figures.failed
        ]
        for name, found in (("bare", bare.tracebacks()), ("app", server.tracebacks())):
            if found:
                failed.append(
                    f"{dbs.kind}: {len(found)} tracebacks in the {name} server's log, the first: "
                    f"{found[0]}"
                )
    return [t.figures for t in targets], failed


# --- report --------------------------------------------------------------------------------------

HEADER = (
    f"  {'database':<11}{'target':<34}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    f"{'errors':>8}{'wrk cpu':>9}"
)


def table_line(f: Figures) -> str:
    return (
        f"  {f.database:<11}{f.target:<34}{f.rate:>8,.0f}{f.percentile(1):>9.1f}"
        f"{f.percentile(2):>9.1f}{f.percentile(3):>9.1f}{f.errors:>8,}{f.wrk_cpu:>8.1f}s"
    )


def report(figures: Figures) -> None:
    detail = f"{figures.good:,} good of {figures.requests:,} responses in {figures.seconds:.1f} s"
    if figures.non_2xx_3xx:
        detail += f", {figures.non_2xx_3xx:,} non-2xx/3xx"
    if figures.bad:
        detail += ", failed: " + ", ".join(f"{n:,}× {k}" for k, n in sorted(figures.bad.items()))
    print(table_line(figures))
    print(f"  {'':<11}  {'; '.join([detail, *figures.checks])}", flush=True)


def ratio_line(database: str, name: str, top: Figures, bottom: Figures, target: float) -> str:
    ratio = top.rate / bottom.rate if bottom.rate else 0.0
    verdict = "PASS" if ratio >= target else "MISS"
    return (
        f"  {database:<11}{name} = {top.rate:,.0f} / {bottom.rate:,.0f} = {ratio:.2f}"
        f"   target ≥ {target:.2f}   {verdict}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per target in all")
    parser.add_argument(
        "--rounds", type=int, default=2, help="slices per target, in ABBA order (see above)"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load per target first"
    )
    parser.add_argument("--participants", type=int, default=300, help="workshop size for (d)")
    parser.add_argument(
        "--learners", type=int, default=0, help="learners for (c) (default: planned from (b))"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - {"sqlite", "postgresql"}
    if unknown or not args.databases:
        parser.error(
            f"--databases は sqlite と postgresql から選んでください（指定: {sorted(unknown)}）"
        )
    if not (1 <= args.rounds <= args.duration and args.warmup >= 1 and args.connections >= 1):
        parser.error(
            "--rounds は1以上 --duration 以下、--warmup と --connections は1以上の整数に"
            "してください（秒数は整数です。wrk は小数の秒を受け付けません）"
        )
    if args.participants < 6:
        parser.error("--participants は6以上にしてください")
    return args


def main() -> int:
    args = parse_args()
    wrk = require_wrk()
    sys.path.insert(0, str(BENCH))  # bare_app, also when run from another folder
    settings, settings_note = gunicorn_settings()
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    slice_seconds = max(1, args.duration // args.rounds)
    with tempfile.TemporaryDirectory(prefix="production-bench-") as tmpdir:
        tmp = Path(tmpdir)
        resolved = resolved_settings(
            settings,
            server_env("sqlite://", {"BENCH_BARE_DATABASE_URL": f"sqlite:///{tmp / 'x.db'}"}),
        )
        print(
            f"production benchmark: {version.stdout.split(' [')[0].strip() or 'wrk'}, 1 thread, "
            f"{args.connections} connections; per target {args.warmup} s warm-up, then "
            f"{args.rounds} × {slice_seconds} s in ABBA order; "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} CPUs"
        )
        print(f"gunicorn: {settings_note} → {resolved}; rate limits in memory (no REDIS_URL)")
        print("req/s counts only responses that passed the check; latency is over all responses")
        results: dict[str, list[Figures]] = {}
        failures: list[str] = []
        for kind in args.databases:
            print(f"\n{kind}: load average {os.getloadavg()[0]:.2f} before", flush=True)
            opened = (
                sqlite_databases(tmp) if kind == "sqlite" else postgres_databases(args.postgres_url)
            )
            with opened as dbs:
                results[kind], failed = run_database(wrk, dbs, settings, args, tmp)
            failures += failed
            print(HEADER)
            for figures in results[kind]:
                report(figures)
        print("\nsummary (same run):")
        print(HEADER)
        for figures in (f for run in results.values() for f in run):
            print(table_line(figures))
        print("ratios (same run):")
        for kind, (a, b, c, d) in results.items():
            print(ratio_line(kind, "(c)/(b) save / insert   ", c, b, SAVE_TARGET))
            print(ratio_line(kind, "(d)/(a) projector / ok  ", d, a, PROJECTOR_TARGET))
        if failures:
            print("\nCHECKS FAILED:\n  " + "\n  ".join(failures))
            return 1
        print("\nchecks: every response checked, rows and answers counted, no tracebacks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
