"""Live workshop load run (prints figures, not a pass/fail test).

A workshop with 300 simulated phones against the app under gunicorn on 127.0.0.1 (2 workers ×
4 threads, a throwaway SQLite database, the real course content: the basic course's pre-test of
13 scored questions plus the 8-item attitude survey, 21 questions on one page):

1. join: the phones arrive spread over --join-window seconds (0: all at once); each opens
   /join/<code> (GET, the form's CSRF token) and joins with organisation and name (POST → 302).
   Half of the names are on the roster, half are new (kept for the secretariat's review).
2. the trainer moves the workshop from 受付 to 事前テスト (the control page, POST .../phase).
3. submit: each phone sees the new phase on its next /state poll, loads the test page (GET
   /join/<code>/me, which starts the attempt), answers every question (random but valid
   choices), waits a think time drawn from [0, --answer-window] s and submits the whole page
   (POST /join/<code>/answers/pre, action=submit, X-Requested-With: fetch → JSON status
   "submitted"), then loads /me again as the browser would after the redirect. With
   --autosaves K a phone also sends K intermediate saves during its think time, as live.js does
   400 ms after every change (the real phone: at least one per question). A phone loads the
   test page a random 0..S s after it sees the phase change, as live.js does with the spread_ms
   that /state returns (20 ms per participant, at most 8 s: 6 s for 300); --reload-spread
   overrides S.
Throughout, the trainer's projector page fetches its live part every 2 s through the projector
link (/projector/<id>/<token>/live, the page's data-live-url; a tick is skipped while a fetch is
still running, like live.js), and every joined phone polls /join/<code>/state every 3 s, also
while answering (live.js polls on every page).

Latency is measured per request in the client: from just before the request is sent on a fresh
connection to the last byte of the response, so it includes connecting and any wait in the
server's accept queue but not waiting in the load generator for a free thread (each phone has its
own thread and sends when its schedule says). The generator shares the 2 cores with the server;
its CPU time is printed. Afterwards the SQLite file is checked directly: 300 participants, 300
submitted attempts and every answer of every attempt.

    .venv/bin/python bench/workshop_load.py [--participants 300] [--join-window 8]
        [--answer-window 20] [--autosaves 0] [--reload-spread S] [--workers 2] [--threads 4]
Exit code 1 if the run broke or data was lost; missed latency targets only print MISS.
"""

from __future__ import annotations

import argparse
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
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
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
PROJECTOR_P99_TARGET = 0.200

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TEST_FORM = re.compile(r"<form[^>]*workshop-test.*?</form>", re.S)
ANSWER_INPUT = re.compile(r'<input type="(radio|checkbox)" name="(q(\d+)-[\w-]+)" value="([^"]*)"')
LIVE_URL = re.compile(r'data-live-url="([^"]+)"')
SUBMITTED = re.compile(r'<span class="pj-big">(\d+)</span> / (\d+)人 提出')


# --- setup: database, content, network, trainer, workshop ----------------------------------------


@dataclass
class Setup:
    env: dict[str, str]
    db_path: Path
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


def prepare(tmp: Path, port: int, participants: int) -> Setup:
    db_path = tmp / "load.sqlite3"
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TRAINER_BASE_URL": f"http://{HOST}:{port}",
            "TRAINER_SIGNING_KEY_FILE": str(tmp / "issuer_ed25519.pem"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
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
            db_path=db_path,
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
    def __init__(self, env: dict[str, str], port: int, workers: int, threads: int, log: Path):
        self.log = log
        self.port = port
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--no-control-socket",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
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
    def __init__(self, port: int, recorder: Recorder) -> None:
        self.port, self.recorder = port, recorder
        self.cookies: dict[str, str] = {}

    def request(
        self, name: str, method: str, path: str, form: dict | list | None = None, **headers: str
    ) -> Response:
        body = urlencode(form, doseq=True).encode() if form is not None else None
        send = {"Connection": "close", "User-Agent": "workshop-load"}
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        send.update({k.replace("_", "-"): v for k, v in headers.items()})
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        sent_at = time.monotonic()
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=send)
            raw = conn.getresponse()
            data = raw.read()
        except OSError as error:
            self.recorder.error(f"{name}: {type(error).__name__}: {error}")
            raise Failed(name) from error
        finally:
            conn.close()
        self.recorder.add(name, sent_at, time.perf_counter() - started)
        for header in raw.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        return Response(raw.status, raw.headers, data)


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
    client = Client(run.port, rec)
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
        run.joined_at[i] = time.monotonic()

        # Every page the phone shows polls the phase every 3 s (live.js), also while answering.
        next_poll = time.monotonic() + rng.uniform(0, 3)

        def idle_until(moment: float, until_pre: bool = False) -> str | None:
            """Wait until `moment` polling on schedule (or, until_pre, until the test starts)."""
            nonlocal next_poll
            phase = None
            while next_poll <= moment and not run.stop.is_set():
                time.sleep(max(0.0, next_poll - time.monotonic()))
                next_poll += 3
                state = client.request("state poll (GET)", "GET", f"/join/{code}/state")
                expect(rec, "state", state.status == 200, f"phone {i}: HTTP {state.status}")
                phase = json.loads(state.body)["phase"]
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
    db = sqlite3.connect(f"file:{setup.db_path}?mode=ro", uri=True)
    try:
        participants = db.execute(
            "SELECT count(*) FROM participant WHERE workshop_id = ?", (setup.workshop_id,)
        ).fetchone()[0]
        rows = db.execute(
            "SELECT id, question_ids, status FROM attempt WHERE workshop_id = ? AND phase = 'pre'",
            (setup.workshop_id,),
        ).fetchall()
        submitted = [r for r in rows if r[2] == "submitted"]
        expected_answers = sum(len(json.loads(r[1])) for r in submitted)
        answers = db.execute(
            "SELECT count(*) FROM answer JOIN attempt ON attempt.id = answer.attempt_id "
            "WHERE attempt.workshop_id = ? AND attempt.status = 'submitted'",
            (setup.workshop_id,),
        ).fetchone()[0]
        incomplete = db.execute(
            "SELECT count(*) FROM attempt WHERE workshop_id = ? AND status = 'submitted' AND "
            "(SELECT count(*) FROM answer WHERE answer.attempt_id = attempt.id) "
            "<> json_array_length(attempt.question_ids)",
            (setup.workshop_id,),
        ).fetchone()[0]
        members_per_participant = db.execute(
            "SELECT count(DISTINCT member_id) FROM participant WHERE workshop_id = ?",
            (setup.workshop_id,),
        ).fetchone()[0]
        new_members = db.execute(
            "SELECT count(*) FROM member WHERE needs_review = 1 AND network_id = ?",
            (setup.network_id,),
        ).fetchone()[0]
    finally:
        db.close()
    per_attempt = expected_answers // len(submitted) if submitted else 0
    checks = [
        ("participants", participants, expected),
        ("distinct members among participants", members_per_participant, expected),
        ("attempts (pre) for the workshop", len(rows), expected),
        ("attempts submitted", len(submitted), expected),
        (
            f"answers of submitted attempts (= attempts × {per_attempt} questions)",
            answers,
            expected * setup.question_count,
        ),
        ("submitted attempts missing an answer", incomplete, 0),
    ]
    print("\ndatabase check (SQLite file read directly after gunicorn stopped):")
    ok = True
    for label, got, want in checks:
        good = got == want
        ok &= good
        print(f"  {'OK      ' if good else 'MISMATCH'} {label}: {got} (expected {want})")
    print(f"  (members created from unmatched names, kept for review: {new_members})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
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
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if args.reload_spread is None:  # what /state tells live.js (phases.reload_spread_ms)
        args.reload_spread = min(8.0, 0.02 * args.participants)
    n = args.participants
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    print(
        f"workshop load run: {n} phones, gunicorn {args.workers} workers × {args.threads} threads, "
        f"SQLite; {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"schedule: joins spread over {args.join_window:g} s, think time 0-{args.answer_window:g} "
        f"s, {args.autosaves} autosaves per phone, test page loaded 0-{args.reload_spread:g} s "
        "after the phone sees the phase change, /state polled every 3 s by every joined phone, "
        "projector every 2 s"
    )
    with tempfile.TemporaryDirectory(prefix="workshop-load-") as tmpdir:
        tmp = Path(tmpdir)
        port = free_port()
        setup = prepare(tmp, port, n)
        print(setup.content_note)
        print(
            f"setup (migrations, content, roster of {(n + 1) // 2}): "
            f"{time.monotonic() - began:.1f} s"
        )
        log = tmp / "gunicorn.log"
        server = Gunicorn(setup.env, port, args.workers, args.threads, log)
        recorder = Recorder()
        run = Run(setup=setup, port=port, recorder=recorder, args=args)
        threads: list[threading.Thread] = []
        final_projector = [""]
        broke = None
        t_phase = None
        join_wall = submit_wall = float("nan")
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            server.wait_ready()
            cpu_start = server.cpu_seconds()
            trainer = Client(port, recorder)
            login(trainer, setup.trainer_email)
            shown = threading.Thread(
                target=projector, args=(run, trainer, final_projector), daemon=True
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
            if run.submitted_at:
                submit_wall = max(run.submitted_at.values()) - t_phase
            else:
                submit_wall = float("nan")
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
            server.stop()
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (cpu.ru_utime - cpu_before.ru_utime) + (cpu.ru_stime - cpu_before.ru_stime)
        server_log = log.read_text(errors="replace")

        print(f"\nlatency per request (ms), measured in the client: {n} phones")
        print(f"  {'request':<30} {'n':>6} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
        order = [
            "join page (GET)",
            "join (POST)",
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
        match = SUBMITTED.search(final_projector[0])
        if match:
            print(f"projector's last refresh: {match.group(1)} / {match.group(2)}人 提出")

        submit = recorder.latency.get("submit (POST)", [float("inf")])
        shown_p = recorder.latency.get("projector refresh (GET)", [float("inf")])
        print("\ntargets (2-core machine, SQLite):")
        print(
            f"  {verdict(join_wall <= JOIN_WINDOW_TARGET)} all {n} joined within "
            f"{JOIN_WINDOW_TARGET:g} s: {join_wall:.2f} s"
        )
        print(
            f"  {verdict(submit_wall <= SUBMIT_WINDOW_TARGET)} all submitted within "
            f"{SUBMIT_WINDOW_TARGET:g} s: {submit_wall:.2f} s (think time included)"
        )
        print(
            f"  {verdict(not recorder.errors and not tracebacks)} no errors: "
            f"{len(recorder.errors) + tracebacks}"
        )
        print(
            f"  {verdict(pct(submit, 99) < SUBMIT_P99_TARGET)} submit p99 < "
            f"{SUBMIT_P99_TARGET * 1000:.0f} ms: {pct(submit, 99) * 1000:.1f} ms"
        )
        print(
            f"  {verdict(pct(shown_p, 99) < PROJECTOR_P99_TARGET)} projector refresh p99 < "
            f"{PROJECTOR_P99_TARGET * 1000:.0f} ms: {pct(shown_p, 99) * 1000:.1f} ms"
        )
        counts = sorted(set(run.question_counts))
        print(f"  questions per test page seen by the phones: {counts}")

        intact = check_database(setup, n) if broke is None else False
        print(f"  {verdict(intact)} nothing lost")
    print(f"\nrun took {time.monotonic() - began:.1f} s")
    if broke:
        print(f"RUN BROKE: {broke}")
        return 1
    return 0 if intact else 1


if __name__ == "__main__":
    sys.exit(main())
