"""Live workshop load run (prints figures, not a pass/fail test).

A workshop of simulated phones (--sizes 300,1000,2000: one run each, then a summary table)
against the app under gunicorn on 127.0.0.1 with the production settings (deploy/gunicorn.conf.py:
a worker a CPU (at least 2) × 4 threads, its access log and logger; --workers/--threads
override), a throwaway database (SQLite, or with --database postgresql a database of its own on
the local PostgreSQL server, dropped afterwards; --redis puts the rate limits in Redis as
production does), and the real course content: the basic course's pre-test plus the attitude
survey on one page.

1. join: the phones arrive spread over --join-window seconds (0: all at once); each opens
   /join/<code> (GET, the form's CSRF token), joins with organisation and name (POST → 302) and
   follows the redirect to its page (GET /join/<code>/me), whose poll URL carries its seat token.
   Half of the names are on the roster, half are new (kept for the secretariat's review).
2. the trainer moves the workshop from 受付 to 事前テスト (the control page, POST .../phase).
3. submit: each phone sees the new phase on its next poll, loads the test page (GET
   /join/<code>/me, which starts the attempt), answers every question (random but valid
   choices), waits a think time drawn from [0, --answer-window] s and submits the whole page
   (POST /join/<code>/answers/pre, action=submit, X-Requested-With: fetch → JSON status
   "submitted"), then loads /me again as the browser would after the redirect. With
   --autosaves K a phone also sends K intermediate saves during its think time, as live.js does
   400 ms after every change (the real phone: at least one per question). A phone loads the
   test page a random 0..S s after it sees the phase change, as live.js does with the spread_ms
   that the poll returns (20 ms per participant, at most 8 s); --reload-spread overrides S.
Throughout, the trainer's projector page fetches its live part every 2 s through the projector
link (/projector/<id>/<token>/live, the page's data-live-url; a tick is skipped while a fetch is
still running, like live.js), and every joined phone polls its page's data-phase-url every 3 s
with If-None-Match, as the browser does (304 until the phase changes), also while answering.

Each phone keeps its connection alive between requests, as a browser does with a site it polls
every 3 s (--fresh-connections: a new connection for every request, the earlier, harsher method).
Latency is measured per request in the client: from just before the request is sent to the last
byte of the response, so it includes any wait in the server's queue (and connecting, when a new
connection is needed) but not waiting in the load generator for a free thread (each phone has
its own thread and sends when its schedule says). The generator shares the 2 cores with the server;
its CPU time is printed, and so is each worker's resident memory at the end. Afterwards the
database is checked directly: every participant, every attempt submitted and every answer of
every attempt.

    .venv/bin/python bench/workshop_load.py [--sizes 300,1000,2000] [--database postgresql]
        [--redis] [--join-window 8] [--answer-window 20] [--autosaves 0] [--reload-spread S]
        [--workers N] [--threads N] [--fresh-connections]
Exit code 1 if a run broke or data was lost; missed latency targets only print MISS.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import math
import os
import platform
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PASSWORD = "load-test-password-1"
HOST = "127.0.0.1"

# Targets (2-core machine, SQLite).
JOIN_WINDOW_TARGET = 10.0
SUBMIT_WINDOW_TARGET = 30.0
SUBMIT_P99_TARGET = 0.300
PROJECTOR_P99_TARGET = 0.300
STATE_P99_TARGET = 0.100

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TEST_FORM = re.compile(r"<form[^>]*workshop-test.*?</form>", re.S)
ANSWER_INPUT = re.compile(r'<input type="(radio|checkbox)" name="(q(\d+)-[\w-]+)" value="([^"]*)"')
LIVE_URL = re.compile(r'data-live-url="([^"]+)"')
POLL_URL = re.compile(r'data-phase-url="([^"]+)"')
SUBMITTED = re.compile(r'<span class="pj-big">(\d+)</span> / (\d+)人 提出')


# --- setup: database, content, network, trainer, workshop ----------------------------------------


@dataclass
class Setup:
    env: dict[str, str]
    database_url: str
    network_id: int
    workshop_id: int
    code: str
    organisation_ids: list[int]
    trainer_email: str
    question_count: int
    content_note: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def participant_name(i: int) -> str:
    return f"負荷 太郎{i}"


def prepare(tmp: Path, port: int, participants: int, database_url: str, redis_url: str) -> Setup:
    db_path = tmp / "load.sqlite3"
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url or f"sqlite:///{db_path}",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TRAINER_BASE_URL": f"http://{HOST}:{port}",
            "TRAINER_SIGNING_KEY_FILE": str(tmp / "issuer_ed25519.pem"),
        }
    )
    env.pop("REDIS_URL", None)
    if redis_url:  # rate limits (and the worker's queue) shared by every worker, as in production
        env["REDIS_URL"] = redis_url
    env.pop("TRAINER_ENV", None)
    for command in (["init-db"], ["content", "load"]):
        subprocess.run(
            [str(BIN / "trainer"), *command],
            env=env,
            cwd=tmp,
            check=True,
            capture_output=True,
            timeout=120,
        )
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "TRAINER_BASE_URL")})
    os.environ.pop("REDIS_URL", None)

    from sqlalchemy import select

    from trainer import create_app
    from trainer.accounts import roster
    from trainer.accounts.models import Member, Network, NetworkRole, User
    from trainer.extensions import db
    from trainer.learning.models import Course
    from trainer.quizzes.questions import bank_of
    from trainer.security import hash_password
    from trainer.text import name_key
    from trainer.timeutil import today_jst
    from trainer.workshops import creating

    app = create_app({"INSTANCE_PATH": str(tmp / "instance")})
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        pre, survey = bank_of(db.session, course.pre_quiz), bank_of(db.session, course.survey)
        questions = len(pre.question_ids) + (len(survey.question_ids) if survey else 0)
        note = (
            f"real course content: {course.slug} pre-test bank {pre.slug!r} "
            f"({len(pre.question_ids)} scored) + survey {survey.slug if survey else '-'!r} "
            f"({len(survey.question_ids) if survey else 0} Likert) = {questions} questions "
            "on one page"
        )
        network = Network(
            name="負荷試験 見守りネットワーク", prefecture="さくら県", municipality="負荷市"
        )
        db.session.add(network)
        db.session.flush()
        kinds = ["community_support", "care_management", "financial", "coop_delivery", "police"]
        orgs = [
            roster.create_organisation(
                db.session, network_id=network.id, kind=kind, name=f"負荷試験 団体{n}", actor=None
            )
            for n, kind in enumerate(kinds, start=1)
        ]
        email = "trainer@load.example.jp"
        user = User(email=email, name="講師 負荷", password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(NetworkRole(user_id=user.id, network_id=network.id, role="trainer"))
        # Every second participant is on the roster (matched by organisation and name).
        for i in range(0, participants, 2):
            selector, verifier = roster._new_link()
            name = participant_name(i)
            db.session.add(
                Member(
                    network_id=network.id,
                    organisation_id=orgs[i % len(orgs)].id,
                    name=name,
                    name_key=name_key(name),
                    membership_start=date(2024, 4, 1),
                    link_selector=selector,
                    link_verifier=verifier,
                )
            )
        db.session.commit()
        workshop = creating.create_workshop(
            db.session,
            network_id=network.id,
            data=creating.WorkshopInput(course_id=course.id, title="負荷試験", held_on=today_jst()),
            actor=user,
        )
        result = Setup(
            env=env,
            database_url=env["DATABASE_URL"],
            network_id=network.id,
            workshop_id=workshop.id,
            code=workshop.join_code,
            organisation_ids=[o.id for o in orgs],
            trainer_email=email,
            question_count=questions,
            content_note=note,
        )
        db.session.remove()
        db.engine.dispose()
    return result


class Gunicorn:
    """gunicorn with the production settings (deploy/gunicorn.conf.py: its logger and access
    log, keep-alive, timeouts), on its own port; --workers/--threads override its defaults."""

    def __init__(
        self, env: dict[str, str], port: int, workers: int | None, threads: int | None, log: Path
    ):
        self.log = log
        self.port = port
        sizing = [*(["--workers", str(workers)] if workers else [])]
        sizing += ["--threads", str(threads)] if threads else []
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"{HOST}:{port}",
                *sizing,
                "trainer:create_app()",
            ],
            env=env,
            cwd=str(log.parent),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the gunicorn master and its workers so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            if pid == self.proc.pid or int(fields[1]) == self.proc.pid:
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process now (MB)."""
        sizes = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            if fields.get("PPid", "").strip() == str(self.proc.pid) and "VmRSS" in fields:
                sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
        return sorted(sizes)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


# --- the client: one cookie jar per phone, a fresh connection per request ----------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.sent: list[tuple[float, str, float]] = []  # (sent at, request, seconds)
        self.errors: list[str] = []

    def add(self, name: str, sent_at: float, seconds: float) -> None:
        with self.lock:
            self.latency[name].append(seconds)
            self.sent.append((sent_at, name, seconds))

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path


class Client:
    """One phone's browser: its cookie jar and, unless fresh_connections, one kept-alive
    connection, as a browser keeps one to the site it polls every 3 s (gunicorn keeps an idle
    connection 5 s). A request on a connection the server has just closed is sent again on a new
    one, as browsers do; the time measured includes that."""

    def __init__(self, port: int, recorder: Recorder, fresh_connections: bool = False) -> None:
        self.port, self.recorder = port, recorder
        self.fresh = fresh_connections
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _send(
        self, method: str, path: str, body: bytes | None, send: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=send)
                raw = self.conn.getresponse()
                data = raw.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt == 2 or self.fresh:
                    raise
                continue
            if self.fresh or raw.will_close:
                self.conn.close()
                self.conn = None
            return raw, data
        raise AssertionError("unreachable")

    def request(
        self, name: str, method: str, path: str, form: dict | list | None = None, **headers: str
    ) -> Response:
        body = urlencode(form, doseq=True).encode() if form is not None else None
        send = {"User-Agent": "workshop-load"}
        if self.fresh:
            send["Connection"] = "close"
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        send.update({k.replace("_", "-"): v for k, v in headers.items()})
        sent_at = time.monotonic()
        started = time.perf_counter()
        try:
            raw, data = self._send(method, path, body, send)
        except (OSError, http.client.HTTPException) as error:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            self.recorder.error(f"{name}: {type(error).__name__}: {error}")
            raise Failed(name) from error
        self.recorder.add(name, sent_at, time.perf_counter() - started)
        for header in raw.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        return Response(raw.status, raw.headers, data)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Failed(Exception):
    pass


def expect(recorder: Recorder, what: str, ok: bool, detail: str) -> None:
    if not ok:
        recorder.error(f"{what}: {detail}")
        raise Failed(what)


# --- the people in the room ----------------------------------------------------------------------


@dataclass
class Run:
    setup: Setup
    port: int
    recorder: Recorder
    args: argparse.Namespace
    stop: threading.Event = field(default_factory=threading.Event)
    joined_at: dict[int, float] = field(default_factory=dict)
    submitted_at: dict[int, float] = field(default_factory=dict)
    question_counts: list[int] = field(default_factory=list)
    poll_answers: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    last_projector: list[str] = field(default_factory=lambda: [""])


def answers_for(page: str, rng: random.Random) -> dict[str, list[str]]:
    """Every question of the test page answered with a random valid choice."""
    match = TEST_FORM.search(page)
    if match is None:
        return {}
    groups: dict[str, tuple[str, list[str]]] = {}
    for kind, name, _qid, value in ANSWER_INPUT.findall(match.group(0)):
        groups.setdefault(name, (kind, []))[1].append(value)
    chosen = {}
    for name, (kind, values) in groups.items():
        if kind == "radio":
            chosen[name] = [rng.choice(values)]
        else:
            chosen[name] = sorted(rng.sample(values, rng.randint(1, len(values))))
    return chosen


def phone(run: Run, i: int, start_at: float) -> None:
    """One participant's phone, from scanning the QR code to the submitted pre-test."""
    code, rec = run.setup.code, run.recorder
    rng = random.Random(i)
    client = Client(run.port, rec, run.args.fresh_connections)
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        page = client.request("join page (GET)", "GET", f"/join/{code}")
        expect(rec, "join page", page.status == 200, f"phone {i}: HTTP {page.status}")
        token = CSRF.search(page.text)
        expect(rec, "join page", token is not None, f"phone {i}: no csrf_token")
        orgs = run.setup.organisation_ids
        joined = client.request(
            "join (POST)",
            "POST",
            f"/join/{code}",
            {
                "csrf_token": token.group(1),
                "organisation_id": orgs[i % len(orgs)],
                "name": participant_name(i),
                "kana": "",
            },
        )
        ok = joined.status == 302 and joined.location == f"/join/{code}/me"
        expect(rec, "join", ok, f"phone {i}: HTTP {joined.status} → {joined.location!r}")
        # The browser follows the redirect: the waiting page, whose poll URL has the seat token.
        waiting = client.request("page after join (GET /me)", "GET", f"/join/{code}/me")
        expect(rec, "page after join", waiting.status == 200, f"phone {i}: {waiting.status}")
        found = POLL_URL.search(waiting.text)
        expect(rec, "page after join", found is not None, f"phone {i}: no data-phase-url")
        poll_url = html.unescape(found.group(1))
        run.joined_at[i] = time.monotonic()
        etag = ""  # the browser revalidates its copy (fetch cache "no-cache"): 304 until changed

        # Every page the phone shows polls the phase every 3 s (live.js), also while answering.
        next_poll = time.monotonic() + rng.uniform(0, 3)

        def idle_until(moment: float, until_pre: bool = False) -> str | None:
            """Wait until `moment` polling on schedule (or, until_pre, until the test starts)."""
            nonlocal next_poll, etag
            phase = None
            while next_poll <= moment and not run.stop.is_set():
                time.sleep(max(0.0, next_poll - time.monotonic()))
                next_poll += 3
                sent = {"If_None_Match": etag} if etag else {}
                state = client.request("state poll (GET)", "GET", poll_url, **sent)
                ok = state.status in (200, 304)
                expect(rec, "state", ok, f"phone {i}: HTTP {state.status}")
                if state.status == 200:
                    etag = state.headers.get("ETag", "")
                    phase = json.loads(state.body)["phase"]
                    with rec.lock:
                        run.poll_answers[200] += 1
                else:
                    with rec.lock:
                        run.poll_answers[304] += 1
                if until_pre and phase == "pre":
                    return phase
            if not run.stop.is_set():
                time.sleep(max(0.0, moment - time.monotonic()))
            return phase

        while idle_until(next_poll, until_pre=True) != "pre":
            if run.stop.is_set():
                return

        if run.args.reload_spread:  # live.js reloads after a random delay
            idle_until(time.monotonic() + rng.uniform(0, run.args.reload_spread))
        test = client.request("test page (GET /me)", "GET", f"/join/{code}/me")
        next_poll = time.monotonic() + 3  # the page was loaded again: its timer starts again
        expect(rec, "test page", test.status == 200, f"phone {i}: HTTP {test.status}")
        chosen = answers_for(test.text, rng)
        qids = {re.match(r"q(\d+)-", name).group(1) for name in chosen}
        with rec.lock:
            run.question_counts.append(len(qids))
        expect(rec, "test page", bool(chosen), f"phone {i}: no test form on /me")
        token = CSRF.search(test.text).group(1)
        action = f"/join/{code}/answers/pre"

        think = rng.uniform(0, run.args.answer_window)
        begun = time.monotonic()
        names = list(chosen)
        for k in range(1, run.args.autosaves + 1):
            idle_until(begun + think * k / (run.args.autosaves + 1))
            # Only what changed since the last save, as live.js sends it.
            done = round(len(names) * (k - 1) / run.args.autosaves)
            upto = round(len(names) * k / run.args.autosaves)
            part = {n: chosen[n] for n in names[done:upto]}
            saved = client.request(
                "autosave (POST)",
                "POST",
                action,
                {"csrf_token": token, **part, "action": "save"},
                X_Requested_With="fetch",
            )
            expect(rec, "autosave", saved.status == 200, f"phone {i}: HTTP {saved.status}")
        idle_until(begun + think)
        sent = client.request(
            "submit (POST)",
            "POST",
            action,
            {"csrf_token": token, **chosen, "action": "submit"},
            X_Requested_With="fetch",
        )
        reply = json.loads(sent.body) if sent.status == 200 else {"error": sent.text[:200]}
        ok = sent.status == 200 and reply.get("status") == "submitted"
        expect(rec, "submit", ok, f"phone {i}: HTTP {sent.status} {reply}")
        run.submitted_at[i] = time.monotonic()
        after = client.request("page after submit (GET /me)", "GET", f"/join/{code}/me")
        next_poll = time.monotonic() + 3
        expect(rec, "after submit", after.status == 200, f"phone {i}: HTTP {after.status}")
        expect(rec, "after submit", TEST_FORM.search(after.text) is None, f"phone {i}: test")

        # Still in the room: the phone keeps polling until the end of the run.
        while not run.stop.is_set():
            idle_until(next_poll)
    except Failed:
        return
    except (ValueError, KeyError, AttributeError) as error:
        rec.error(f"phone {i}: {type(error).__name__}: {error}")
    finally:
        client.close()


def projector(run: Run, trainer: Client, seen: list[str]) -> None:
    """The projector's live box: the trainer opens the projector page once, then its live part
    (data-live-url, the projector link) every 2 s, a tick skipped while the last fetch still
    runs."""
    page_path = f"/n/{run.setup.network_id}/workshops/{run.setup.workshop_id}/projector"
    try:
        page = trainer.request("projector page (GET)", "GET", page_path)
    except Failed:
        return
    found = LIVE_URL.search(page.text)
    if page.status != 200 or found is None:
        run.recorder.error(f"projector page: HTTP {page.status}, live URL: {bool(found)}")
        return
    path = found.group(1)
    tick = time.monotonic()
    while not run.stop.is_set():
        try:
            page = trainer.request("projector refresh (GET)", "GET", path)
            if page.status != 200:
                run.recorder.error(f"projector: HTTP {page.status}")
            else:
                seen[0] = page.text
        except Failed:
            pass
        tick += 2
        while tick < time.monotonic():
            tick += 2
        run.stop.wait(tick - time.monotonic())


def login(client: Client, email: str) -> None:
    page = client.request("login page", "GET", "/login")
    token = CSRF.search(page.text).group(1)
    done = client.request(
        "login", "POST", "/login", {"csrf_token": token, "email": email, "password": PASSWORD}
    )
    if done.status != 302:
        raise RuntimeError(f"trainer login failed: HTTP {done.status}")


def move_phase(run: Run, trainer: Client, frm: str, to: str) -> float:
    path = f"/n/{run.setup.network_id}/workshops/{run.setup.workshop_id}"
    page = trainer.request("control page (GET)", "GET", path)
    if page.status != 200:
        raise RuntimeError(f"control page: HTTP {page.status}")
    token = CSRF.search(page.text).group(1)
    started = time.monotonic()
    moved = trainer.request(
        "phase change (POST)", "POST", f"{path}/phase", {"csrf_token": token, "from": frm, "to": to}
    )
    if moved.status != 302:
        raise RuntimeError(f"phase change: HTTP {moved.status}")
    return started


# --- reporting -----------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def timeline(recorder: Recorder, origin: float, step: float = 3.0) -> None:
    """Requests by when they were sent, in steps after the phase change: where the queue forms."""
    buckets: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for sent_at, name, seconds in recorder.sent:
        if sent_at >= origin:
            buckets[int((sent_at - origin) // step)].append((name, seconds))
    print(f"\nafter the phase change, by when sent (p99 ms; n in brackets; {step:g} s steps):")
    print(
        f"  {'from s':>6} {'all req/s':>9} {'state poll':>14} {'test page':>14} "
        f"{'submit':>14} {'projector':>10}"
    )
    for k in sorted(buckets):
        rows = buckets[k]

        def cell(name: str, rows: list = rows, width: int = 14) -> str:
            values = [s for n, s in rows if n == name]
            text = f"{pct(values, 99) * 1000:.0f} ({len(values)})" if values else "-"
            return f"{text:>{width}}"

        print(
            f"  {k * step:>6.0f} {len(rows) / step:>9.0f} {cell('state poll (GET)')} "
            f"{cell('test page (GET /me)')} {cell('submit (POST)')} "
            f"{cell('projector refresh (GET)', width=10)}"
        )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def check_database(setup: Setup, expected: int) -> bool:
    """Count what was stored, straight from the database after gunicorn stopped (SQL that reads
    the same on SQLite and PostgreSQL)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(setup.database_url)
    ids = {"w": setup.workshop_id, "n": setup.network_id}

    def one(sql: str) -> int:
        return int(connection.execute(text(sql), ids).scalar_one())

    try:
        with engine.connect() as connection:
            participants = one("SELECT count(*) FROM participant WHERE workshop_id = :w")
            rows = connection.execute(
                text(
                    "SELECT status, json_array_length(question_ids) FROM attempt "
                    "WHERE workshop_id = :w AND phase = 'pre'"
                ),
                ids,
            ).all()
            submitted = [r for r in rows if r[0] == "submitted"]
            expected_answers = sum(r[1] for r in submitted)
            answers = one(
                "SELECT count(*) FROM answer JOIN attempt ON attempt.id = answer.attempt_id "
                "WHERE attempt.workshop_id = :w AND attempt.status = 'submitted'"
            )
            incomplete = one(
                "SELECT count(*) FROM attempt WHERE workshop_id = :w AND status = 'submitted' "
                "AND (SELECT count(*) FROM answer WHERE answer.attempt_id = attempt.id) "
                "<> json_array_length(attempt.question_ids)"
            )
            members_per_participant = one(
                "SELECT count(DISTINCT member_id) FROM participant WHERE workshop_id = :w"
            )
            new_members = one(
                "SELECT count(*) FROM member WHERE needs_review = true AND network_id = :n"
            )
    finally:
        engine.dispose()
    per_attempt = expected_answers // len(submitted) if submitted else 0
    checks = [
        ("participants", participants, expected),
        ("distinct members among participants", members_per_participant, expected),
        ("attempts (pre) for the workshop", len(rows), expected),
        ("attempts submitted", len(submitted), expected),
        (
            f"answers of submitted attempts (= each attempt's questions, {per_attempt} each)",
            answers,
            expected_answers,
        ),
        ("submitted attempts missing an answer", incomplete, 0),
    ]
    print(f"\ndatabase check ({engine.dialect.name}, read directly after gunicorn stopped):")
    ok = True
    for label, got, want in checks:
        good = got == want
        ok &= good
        print(f"  {'OK      ' if good else 'MISMATCH'} {label}: {got} (expected {want})")
    print(f"  (members created from unmatched names, kept for review: {new_members})")
    return ok


@dataclass
class Outcome:
    """One run's line in the summary table."""

    phones: int
    joined_s: float
    submitted_s: float
    p99: dict[str, float]
    errors: int
    lost: int | None  # None: the database could not be checked
    worker_rss_mb: list[float]
    broke: str | None


SUMMARY = [
    ("submit (POST)", "submit p99"),
    ("test page (GET /me)", "test page p99"),
    ("state poll (GET)", "state p99"),
    ("projector refresh (GET)", "projector p99"),
]


def targets_for(n: int) -> dict[str, float]:
    """The p99 targets (seconds): the issue's for up to 1,000 phones; beyond, every p99 < 1 s."""
    if n > 1000:
        return {name: 1.0 for name, _ in SUMMARY}
    return {
        "submit (POST)": SUBMIT_P99_TARGET,
        "state poll (GET)": STATE_P99_TARGET,
        "projector refresh (GET)": PROJECTOR_P99_TARGET,
    }


def throwaway_postgresql(base_url: str) -> tuple[str, Callable[[], None]]:
    """A database of its own on the PostgreSQL server, and how to drop it."""
    import psycopg

    name = f"workshop_load_{os.getpid()}_{secrets.token_hex(3)}"
    parts = urlsplit(base_url.replace("+psycopg", ""))
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return parts._replace(path=f"/{name}").geturl(), drop


def fresh_redis(url: str) -> None:
    """Empty the Redis database the run uses (its own number: --redis-url), before and after."""
    import redis

    redis.Redis.from_url(url).flushdb()


def run_once(args: argparse.Namespace, n: int) -> Outcome:
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    drop = None
    database_url = ""
    if args.database == "postgresql":
        database_url, drop = throwaway_postgresql(args.postgresql_url)
    redis_url = args.redis_url if args.redis else ""
    if redis_url:
        fresh_redis(redis_url)
    reload_spread = args.reload_spread
    if reload_spread is None:  # what /state tells live.js (phase_poll.reload_spread_ms)
        reload_spread = min(8.0, 0.02 * n)
    run_args = argparse.Namespace(**{**vars(args), "reload_spread": reload_spread})
    print(
        f"\n=== workshop load run: {n} phones, gunicorn with deploy/gunicorn.conf.py "
        f"(workers {args.workers or 'default'}, threads {args.threads or 'default'}), "
        f"{args.database}{' + Redis' if redis_url else ''}; "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(
        f"schedule: joins spread over {args.join_window:g} s, think time 0-{args.answer_window:g} "
        f"s, {args.autosaves} autosaves per phone, test page loaded 0-{reload_spread:g} s "
        "after the phone sees the phase change, /state polled every 3 s by every joined phone "
        "(If-None-Match), projector every 2 s"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="workshop-load-") as tmpdir:
            return _run_in(Path(tmpdir), run_args, n, database_url, redis_url, began, load_before)
    finally:
        if drop is not None:
            drop()
        if redis_url:
            fresh_redis(redis_url)


def _run_in(
    tmp: Path,
    args: argparse.Namespace,
    n: int,
    database_url: str,
    redis_url: str,
    began: float,
    load_before: float,
) -> Outcome:
    port = free_port()
    setup = prepare(tmp, port, n, database_url, redis_url)
    print(setup.content_note)
    took = time.monotonic() - began
    print(f"setup (migrations, content, roster of {(n + 1) // 2}): {took:.1f} s")
    log = tmp / "gunicorn.log"
    server = Gunicorn(setup.env, port, args.workers, args.threads, log)
    recorder = Recorder()
    run = Run(setup=setup, port=port, recorder=recorder, args=args)
    threads: list[threading.Thread] = []
    broke = None
    t_phase = None
    join_wall = submit_wall = float("nan")
    rss: list[float] = []
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        server.wait_ready()
        cpu_start = server.cpu_seconds()
        trainer = Client(port, recorder, args.fresh_connections)
        login(trainer, setup.trainer_email)
        # The projector is another browser tab: the same sign-in, a connection of its own.
        screen = Client(port, recorder, args.fresh_connections)
        screen.cookies = dict(trainer.cookies)
        shown = threading.Thread(
            target=projector, args=(run, screen, run.last_projector), daemon=True
        )
        shown.start()
        threads.append(shown)
        t0 = time.monotonic() + 0.5
        for i in range(n):
            at = t0 + (args.join_window * i / n if args.join_window else 0)
            t = threading.Thread(target=phone, args=(run, i, at), daemon=True)
            t.start()
            threads.append(t)
        deadline = t0 + args.join_window + 60
        while len(run.joined_at) < n and time.monotonic() < deadline:
            if all(not t.is_alive() for t in threads):
                break
            time.sleep(0.05)
        join_wall = (max(run.joined_at.values()) - t0) if run.joined_at else float("nan")
        if len(run.joined_at) < n:
            print(f"only {len(run.joined_at)} of {n} phones joined")
        print(f"all joined in {join_wall:.2f} s ({len(run.joined_at)} joins; first sent at 0)")
        cpu_joined = server.cpu_seconds()
        time.sleep(1.0)
        t_phase = move_phase(run, trainer, "reception", "pre")
        deadline = t_phase + args.answer_window + 90
        while len(run.submitted_at) < len(run.joined_at) and time.monotonic() < deadline:
            if all(not t.is_alive() for t in threads):
                break
            time.sleep(0.05)
        submit_wall = max(run.submitted_at.values()) - t_phase if run.submitted_at else float("nan")
        print(
            f"all submitted in {submit_wall:.2f} s after the phase change "
            f"({len(run.submitted_at)} submits)"
        )
        cpu_submitted = server.cpu_seconds()
        print(
            f"server CPU (gunicorn, all processes): {cpu_joined - cpu_start:.1f} s while "
            f"joining, {cpu_submitted - cpu_joined:.1f} s from then to the last submit "
            f"({(cpu_submitted - cpu_joined) / max(submit_wall + 1, 1):.2f} cores on average)"
        )
        time.sleep(2.5)  # one more projector refresh with the final counts
    except (RuntimeError, OSError, Failed) as error:
        broke = f"{type(error).__name__}: {error}"
    finally:
        run.stop.set()
        for t in threads:
            t.join(timeout=10)
        rss = server.worker_rss_mb()
        server.stop()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu.ru_utime - cpu_before.ru_utime) + (cpu.ru_stime - cpu_before.ru_stime)
    tracebacks = report(recorder, run, log, n, client_cpu, t_phase, load_before)
    print(
        f"worker resident memory after the run (MB): "
        f"{', '.join(f'{r:.0f}' for r in rss) or '-'} (each worker; target < 500)"
    )
    errors = len(recorder.errors) + tracebacks
    print_targets(recorder, n, join_wall, submit_wall, errors, run)
    lost = None
    if broke is None:
        intact = check_database(setup, n)
        lost = n - len(run.submitted_at) if intact else max(1, n - len(run.submitted_at))
        print(f"  {verdict(intact)} nothing lost")
    print(f"run took {time.monotonic() - began:.1f} s")
    if broke:
        print(f"RUN BROKE: {broke}")
    p99 = {name: pct(recorder.latency[name], 99) for name, _ in SUMMARY if recorder.latency[name]}
    return Outcome(n, join_wall, submit_wall, p99, errors, lost, rss, broke)


def report(
    recorder: Recorder,
    run: Run,
    log: Path,
    n: int,
    client_cpu: float,
    t_phase: float | None,
    load_before: float,
) -> int:
    """Print the latency table, errors and the timeline; return the tracebacks in the log."""
    server_log = log.read_text(errors="replace")
    print(f"\nlatency per request (ms), measured in the client: {n} phones")
    print(f"  {'request':<30} {'n':>6} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    order = [
        "join page (GET)",
        "join (POST)",
        "page after join (GET /me)",
        "state poll (GET)",
        "test page (GET /me)",
        "autosave (POST)",
        "submit (POST)",
        "page after submit (GET /me)",
        "projector refresh (GET)",
        "control page (GET)",
        "phase change (POST)",
    ]
    for name in order:
        values = recorder.latency.get(name)
        if values:
            print(
                f"  {name:<30} {len(values):>6} {ms(pct(values, 50))} {ms(pct(values, 90))} "
                f"{ms(pct(values, 99))} {ms(max(values))}"
            )
    total = sum(len(v) for v in recorder.latency.values())
    print(f"  ({total} requests; load generator CPU {client_cpu:.1f} s)")
    print(
        f"  state polls answered 200: {run.poll_answers[200]}, 304 Not Modified: "
        f"{run.poll_answers[304]}"
    )
    tracebacks = server_log.count("Traceback")
    print(f"\nerrors: {len(recorder.errors)} in the client, {tracebacks} tracebacks in the log")
    for line in recorder.errors[:10]:
        print(f"  {line}")
    if len(recorder.errors) > 10:
        print(f"  … and {len(recorder.errors) - 10} more")
    if tracebacks:
        print(server_log[server_log.index("Traceback") :][:1500])
    if t_phase is not None:
        timeline(recorder, t_phase)
    print(
        f"load average (1 min) before / after the run: {load_before:.2f} / "
        f"{os.getloadavg()[0]:.2f} (other work on the machine skews the figures)"
    )
    match = SUBMITTED.search(run_projector_text(run))
    if match:
        print(f"projector's last refresh: {match.group(1)} / {match.group(2)}人 提出")
    return tracebacks


def run_projector_text(run: Run) -> str:
    return run.last_projector[0] if run.last_projector else ""


def print_targets(
    recorder: Recorder, n: int, join_wall: float, submit_wall: float, errors: int, run: Run
) -> None:
    print(f"\ntargets ({n} phones, 2-core machine):")
    print(
        f"  {verdict(join_wall <= JOIN_WINDOW_TARGET)} all {n} joined within "
        f"{JOIN_WINDOW_TARGET:g} s: {join_wall:.2f} s"
    )
    print(
        f"  {verdict(submit_wall <= SUBMIT_WINDOW_TARGET)} all submitted within "
        f"{SUBMIT_WINDOW_TARGET:g} s: {submit_wall:.2f} s (think time included)"
    )
    print(f"  {verdict(not errors)} no errors: {errors}")
    for name, target in targets_for(n).items():
        values = recorder.latency.get(name) or [float("inf")]
        print(
            f"  {verdict(pct(values, 99) < target)} {name} p99 < {target * 1000:.0f} ms: "
            f"{pct(values, 99) * 1000:.1f} ms"
        )
    counts = sorted(set(run.question_counts))
    print(f"  questions per test page seen by the phones: {counts}")


def summary(outcomes: list[Outcome], label: str) -> None:
    print(f"\nsummary ({label}):")
    head = " | ".join(title for _, title in SUMMARY)
    print(f"| phones | joined | submitted | {head} | errors | lost | worker RSS max |")
    print("|" + "---|" * (6 + len(SUMMARY)))
    for o in outcomes:
        cells = " | ".join(
            f"{o.p99[name] * 1000:,.0f} ms" if name in o.p99 else "-" for name, _ in SUMMARY
        )
        lost = "?" if o.lost is None else str(o.lost)
        rss = f"{max(o.worker_rss_mb):.0f} MB" if o.worker_rss_mb else "-"
        print(
            f"| {o.phones:,} | {o.joined_s:.2f} s | {o.submitted_s:.2f} s | {cells} | "
            f"{o.errors} | {lost} | {rss} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="300", help="phones per run, comma-separated (e.g. 300,1000,2000)"
    )
    parser.add_argument("--participants", type=int, help="one run of this many phones")
    parser.add_argument(
        "--join-window", type=float, default=8.0, help="arrivals spread over s (0: all at once)"
    )
    parser.add_argument(
        "--answer-window", type=float, default=20.0, help="think time 0..s before submitting"
    )
    parser.add_argument(
        "--autosaves", type=int, default=0, help="intermediate saves per phone (live.js)"
    )
    parser.add_argument(
        "--reload-spread",
        type=float,
        default=None,
        help="a phone reloads for the test after a random 0..s delay (default: as the app "
        "tells live.js, 0.02 s per participant, at most 8)",
    )
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's (CPUs, ≥ 2)")
    parser.add_argument("--threads", type=int, help="default: deploy/gunicorn.conf.py's (4)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgresql-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="server for --database postgresql (a throwaway database is made and dropped)",
    )
    parser.add_argument("--redis", action="store_true", help="REDIS_URL for the rate limits")
    parser.add_argument(
        "--fresh-connections",
        action="store_true",
        help="a new connection for every request (Connection: close) instead of keep-alive",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/14",
        help="a Redis database of the run's own: it is emptied before and after",
    )
    args = parser.parse_args()
    sizes = [args.participants] if args.participants else [int(x) for x in args.sizes.split(",")]
    outcomes = [run_once(args, n) for n in sizes]
    label = f"{args.database}{' + Redis' if args.redis else ''}, load generator on the same cores"
    summary(outcomes, label)
    broken = any(o.broke for o in outcomes) or any(o.lost != 0 for o in outcomes)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
