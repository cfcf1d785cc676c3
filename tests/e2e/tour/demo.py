"""The demo network the tour runs on, and the devices it opens pages on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Browser, Page

from tests.e2e.driver.browser import device, new_context
from tests.e2e.tour.shooter import VIEWPORTS, Shooter
from tests.live_server import LiveServer


@dataclass
class Demo:
    base: str
    logins: dict[str, tuple[str, str]]  # role label (事務局, 講師, 管理者) -> (email, password)
    learner_link: str  # 佐藤 恵子's personal link


def load_demo(live: LiveServer) -> Demo:
    """`trainer demo load` in the server's database, as a person types it (through the app's own
    command line, run in this process): the logins it prints are the ones the tour signs in
    with. The logins file it writes is in the server's instance folder, not the developer's."""
    with live.app_context() as app:
        done = app.test_cli_runner().invoke(args=["demo", "load"])
    if done.exit_code != 0:
        raise SystemExit(f"trainer demo load failed:\n{done.output}")
    logins = {
        role: (email, password)
        for role, email, password in re.findall(
            r"^(事務局|講師|管理者):\s+(\S+@\S+) / (\S+)$", done.output, re.MULTILINE
        )
    }
    link = re.search(r"個人用リンク: (\S+)", done.output)
    if len(logins) != 3 or link is None:
        raise SystemExit(f"could not read the demo logins from:\n{done.output}")
    return Demo(base=live.base_url, logins=logins, learner_link=link.group(1))


def open_page(browser: Browser, s: Shooter, size: tuple[int, int, int] | None = None) -> Page:
    """A page on a new device (its own cookies) whose responses `s` watches: the width of `s`
    as in VIEWPORTS, or `size` (width, height, device scale factor). Close it with
    page.context.close()."""
    width, height, scale = size or next(v for v in VIEWPORTS if v[0] == s.width)
    return s.watch(new_context(browser, device(width, height, scale)).new_page())
