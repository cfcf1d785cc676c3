"""Debian's Chromium driven by Playwright, and the devices pages are opened on.

Every wait is bounded: Playwright gives up on any step (click, navigation, expect) after
TIMEOUT_MS, and on starting the browser after 60 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

TIMEOUT_MS = 15_000  # any one Playwright step on any page
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Date inputs as on a Japanese phone (yyyy/mm/dd); needs Debian's chromium-l10n, else en-US.
    "--lang=ja-JP",
]


def device(width: int, height: int, scale: int = 1) -> dict:
    """A browser context's screen in CSS pixels; narrower than 600 is a phone (touch, and the
    page's viewport meta tag applies)."""
    return {
        "viewport": {"width": width, "height": height},
        "device_scale_factor": scale,
        "is_mobile": width < 600,
        "has_touch": width < 600,
    }


DESKTOP = device(1280, 900)  # an office PC
PHONE = device(360, 740)  # a small phone


@contextmanager
def chromium(executable: str, tmp: Path) -> Iterator[Browser]:
    """Chromium, headless, with a fresh profile in `tmp`."""
    expect.set_options(timeout=TIMEOUT_MS)  # expect()'s own default is 5 s
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp / "config"), XDG_CACHE_HOME=str(tmp / "cache"))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, env=env, timeout=60_000
        )
        try:
            yield launched
        finally:
            launched.close()


def new_context(browser: Browser, screen: dict) -> BrowserContext:
    """A new device (its own cookies) in Japan, with the `screen` of device()."""
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **screen)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context
