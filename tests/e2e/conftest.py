"""Fixtures for real-browser tests: the app served by gunicorn on a free port of 127.0.0.1, data
seeded into its database in-process, and Debian's Chromium driven by Playwright.

These tests always run on their own SQLite file, also when the rest of the suite runs on
PostgreSQL (TEST_DATABASE_URL): what they check is the pages and their scripts, which do not
depend on the database, and a throwaway SQLite file needs no server.

Every wait is bounded: the server must answer /healthz within 30 s, Playwright gives up on any
step after TIMEOUT_MS, and stopping the server waits at most 10 s before killing it.
"""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

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
from tests.tools import need
from trainer.accounts import roster
from trainer.accounts.models import Network, NetworkRole, Role, User
from trainer.extensions import db
from trainer.security import hash_password

# Pictures for people, never asserted on: screenshots/ (gitignored), or E2E_SCREENSHOTS when set
# (a folder to review one change's pages in).
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or ROOT / "screenshots")

TIMEOUT_MS = 15_000  # any one Playwright step (click, navigation, expect) on any page
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}


# --- the server ---------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test that used the live server gets the end of the server's log in its report."""
    report = yield
    live = getattr(item, "funcargs", {}).get("live_server")
    if isinstance(live, LiveServer) and report.failed and call.when == "call":
        report.sections.append(("live server log (last lines)", live.log_tail(60)))
    return report


def pytest_terminal_summary(terminalreporter) -> None:
    """The accessibility checks' non-blocking findings (minor, moderate), listed after the run."""
    from tests.e2e.axe import CHECKED, FINDINGS

    if not CHECKED:
        return
    terminalreporter.section("axe-core (accessibility)")
    terminalreporter.write_line(
        f"{len(CHECKED)} page checks (serious or critical violations fail their test); "
        f"{len(FINDINGS)} minor or moderate finding(s):"
    )
    for finding in sorted(set(FINDINGS), key=str):
        terminalreporter.write_line(f"  {finding}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app under gunicorn (1 worker, 4 threads, as `make run` serves it) on a free port, with
    its own SQLite file, instance folder and secret key, after `trainer init-db` and
    `trainer content load`. Tests share it, so each seeds its own network (see `seed_network`)."""
    tmp = tmp_path_factory.mktemp("live-server")
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


# --- data ---------------------------------------------------------------------------------------


@dataclass
class Seeded:
    """A network with two organisations, a trainer who signs in with a password, and one member
    on the roster (見守 花子 of みどり居宅介護支援事業所)."""

    network_id: int
    network_name: str
    organisation: str
    other_organisation: str
    trainer_email: str
    trainer_password: str
    member_name: str
    member_kana: str


_networks = itertools.count(1)


@pytest.fixture
def seed_network(live_server: LiveServer) -> Callable[[], Seeded]:
    """Makes a fresh network in the live server's database each time it is called (unique
    names and e-mail addresses, so tests sharing the server never see each other's rows)."""

    def seed() -> Seeded:
        n = next(_networks)
        password = "e2e-" + secrets.token_urlsafe(12)
        seeded = Seeded(
            network_id=0,
            network_name=f"ブラウザ試験協議会{n}",
            organisation="みどり居宅介護支援事業所",
            other_organisation="さくら信用金庫",
            trainer_email=f"trainer-{uuid.uuid4().hex[:10]}@example.jp",
            trainer_password=password,
            member_name="見守 花子",
            member_kana="みまもり はなこ",
        )
        with live_server.app_context():
            network = Network(
                name=seeded.network_name, prefecture="さくら県", municipality="みどり市"
            )
            db.session.add(network)
            db.session.commit()
            seeded.network_id = network.id
            org = roster.create_organisation(
                db.session,
                network_id=network.id,
                kind="care_management",
                name=seeded.organisation,
                actor=None,
            )
            roster.create_organisation(
                db.session,
                network_id=network.id,
                kind="financial",
                name=seeded.other_organisation,
                actor=None,
            )
            user = User(
                email=seeded.trainer_email,
                name="講師 一郎",
                password_hash=hash_password(password),
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                NetworkRole(user_id=user.id, network_id=network.id, role=Role.TRAINER.value)
            )
            db.session.commit()
            roster.create_member(
                db.session,
                network_id=network.id,
                data=roster.MemberInput(
                    organisation_id=org.id,
                    name=seeded.member_name,
                    kana=seeded.member_kana,
                    membership_start=date(2025, 4, 1),
                ),
                actor=None,
            )
        return seeded

    return seed


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium, headless, with a fresh profile (one browser per test module). Missing:
    skipped on a laptop, a failure under CI (which installs it, .ci/run)."""
    chromium = need("chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # expect()'s own default is 5 s

    tmp = tmp_path_factory.mktemp("chromium")
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp / "config"), XDG_CACHE_HOME=str(tmp / "cache"))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS, env=env, timeout=60_000
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Pages:
    """Opens pages, each in its own browser context (its own cookies: one person's device), and
    remembers script errors on any of them."""

    browser: object
    contexts: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def _open(self, who: str, options: dict) -> object:
        context = self.browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        self.watch(page, who)
        return page

    def watch(self, page, who: str) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"{who} {page.url}: {error}"))

    def desktop(self, who: str = "desktop"):
        """A page at 1280 × 900 in a new context."""
        return self._open(who, DESKTOP)

    def phone(self, who: str = "phone"):
        """A page at 360 × 740 (a phone) in a new context."""
        return self._open(who, PHONE)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def pages(browser) -> Iterator[Pages]:
    """`pages.desktop()` and `pages.phone()`: new devices in the module's browser, closed after the
    test. A script error on any page fails the test."""
    opened = Pages(browser)
    try:
        yield opened
    finally:
        opened.close()
    if opened.errors:
        pytest.fail("script errors in the pages:\n" + "\n".join(opened.errors))


@pytest.fixture
def screenshot() -> Callable[[object, str], Path]:
    """Saves a full-page PNG as screenshots/e2e-<name>.png, or in E2E_SCREENSHOTS when set (for
    people; never compared)."""

    def shoot(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"e2e-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
