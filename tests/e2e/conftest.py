"""Fixtures for real-browser tests: the app served by gunicorn on a free port of 127.0.0.1, data
seeded into its database in-process, and Debian's Chromium driven by Playwright (all through the
driver, tests/e2e/driver, which the screenshot tour uses too).

These tests always run on their own SQLite file, also when the rest of the suite runs on
PostgreSQL (TEST_DATABASE_URL): see tests/e2e/driver/server.py. Every wait is bounded (the
server's start and stop there, each Playwright step in tests/e2e/driver/browser.py).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.driver.browser import DESKTOP, PHONE, chromium, new_context
from tests.e2e.driver.seed import Seeded, seed_network
from tests.e2e.driver.server import serve
from tests.live_server import ROOT, LiveServer
from tests.tools import need

# Pictures for people, never asserted on: screenshots/ (gitignored), or E2E_SCREENSHOTS when set
# (a folder to review one change's pages in).
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or ROOT / "screenshots")


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
    """The app with the courses loaded and nothing else (tests/e2e/driver/server.py). Tests
    share it, so each seeds its own network (see `seed_network`)."""
    with serve(tmp_path_factory.mktemp("live-server")) as live:
        yield live


# --- data ---------------------------------------------------------------------------------------

_networks = itertools.count(1)


@pytest.fixture(name="seed_network")
def seed_network_fixture(live_server: LiveServer) -> Callable[[], Seeded]:
    """Makes a fresh network in the live server's database each time it is called (unique
    names and e-mail addresses, so tests sharing the server never see each other's rows)."""
    return lambda: seed_network(live_server, next(_networks))


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium, headless, with a fresh profile (one browser per test module). Missing:
    skipped on a laptop, a failure under CI (which installs it, .ci/run)."""
    executable = need("chromium")
    with chromium(executable, tmp_path_factory.mktemp("chromium")) as launched:
        yield launched


@dataclass
class Pages:
    """Opens pages, each in its own browser context (its own cookies: one person's device), and
    remembers script errors on any of them."""

    browser: object
    contexts: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, who: str, screen: dict) -> object:
        """A page on a new device with the `screen` of driver.browser.device()."""
        context = new_context(self.browser, screen)
        self.contexts.append(context)
        page = context.new_page()
        self.watch(page, who)
        return page

    def watch(self, page, who: str) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"{who} {page.url}: {error}"))

    def desktop(self, who: str = "desktop"):
        """A page at 1280 × 900 in a new context."""
        return self.open(who, DESKTOP)

    def phone(self, who: str = "phone"):
        """A page at 360 × 740 (a phone) in a new context."""
        return self.open(who, PHONE)

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
