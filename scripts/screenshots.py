"""Screenshots of the main pages at phone width (360 px) and desktop width (1280 px).

Starts a throwaway instance (its own SQLite file and instance folder in a temporary directory) on a
free port on 127.0.0.1, loads the courses and the demo network, signs in through the real login
form as each role, and saves full-page PNGs into screenshots/. Needs Debian's chromium.

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUT = ROOT / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (360, 1280)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "trainer"), *args], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise SystemExit(f"trainer {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def wait_until_up(base: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def shoot(page: Page, name: str, width: int) -> None:
    path = OUT / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"{path.relative_to(ROOT)}  {page.title()}")


def take_quiz(page: Page, base: str, width: int) -> None:
    """The pre-quiz as a learner takes it: attributes, a question, the review, the result."""
    page.goto(base + "/learn/mimamori-basic/quiz/pre")
    if page.locator("input[name=age_band]").count():
        shoot(page, "14-quiz-attributes", width)
        for name in ("age_band", "gender", "job_type"):
            page.locator(f"input[name={name}]").first.check()
        page.click("main button[type=submit]")
    shoot(page, "15-quiz-start", width)
    if not page.locator("main form button[type=submit]").count():
        # Taken already (at the other width): show its result page at this width.
        page.click("main a[href*='/result']")
        shoot(page, "19-quiz-result", width)
        return
    page.click("main form button[type=submit]")
    first = True
    while "/review" not in page.url and "/result" not in page.url:
        # Answer the first option of every group (some answers are wrong: that is fine here).
        for group in page.locator("fieldset.choices").all():
            group.locator("input").first.check()
        if first or "問2 /" in page.content():
            shoot(page, "16-quiz-question" if first else "17-quiz-question-2", width)
            first = False
        page.click("main form.quiz-form button[type=submit]")
    shoot(page, "18-quiz-review", width)
    page.click("main form button[type=submit]")
    shoot(page, "19-quiz-result", width)


def pages_for(browser: Browser, base: str, logins: dict[str, tuple[str, str]], link: str) -> None:
    for width in WIDTHS:
        viewport = {"width": width, "height": 740 if width == 360 else 900}
        # Signed out
        ctx = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = ctx.new_page()
        page.goto(base + "/")
        shoot(page, "01-home", width)
        page.goto(base + "/login")
        page.fill("#email", "someone@example.jp")
        page.fill("#password", "wrong-password")
        page.click("main button[type=submit]")
        shoot(page, "02-login-failed", width)
        page.goto(base + "/no-such-page")
        shoot(page, "03-not-found", width)
        ctx.close()

        # Learner, through the personal link
        ctx = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = ctx.new_page()
        page.goto(link)
        shoot(page, "10-learner-home", width)
        page.goto(base + "/learn/mimamori-basic")
        shoot(page, "11-learner-course", width)
        page.goto(base + "/learn/mimamori-basic/03-cooling-off")
        shoot(page, "12-learner-module-cooling-off", width)
        page.goto(base + "/learn/mimamori-basic/05-connect")
        shoot(page, "13-learner-module-connect", width)
        take_quiz(page, base, width)
        ctx.close()

        # Secretariat
        ctx = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = ctx.new_page()
        sign_in(page, base, *logins["事務局"])
        shoot(page, "20-secretariat-dashboard", width)
        network = re.search(r"/n/(\d+)/", page.url).group(1)
        n = f"{base}/n/{network}"
        for name, path in [
            ("21-organisations", "/organisations"),
            ("22-members", "/members"),
            ("23-members-search", "/members?q=さとう"),
            ("24-member", "/members/1"),
            ("25-member-link-qr", "/members/1/link"),
            ("27-member-end", "/members/1/end"),
            ("28-staff", "/staff/"),
            ("29-audit-log", "/audit/"),
            ("30-local-facts", "/settings/"),
            ("31-courses", "/courses/"),
            ("32-module-preview", "/courses/mimamori-basic/02-consumer-centre-188"),
        ]:
            page.goto(n + path)
            shoot(page, name, width)
        page.goto(n + "/members/new")
        page.click("main button[type=submit]")
        shoot(page, "26-member-new-errors", width)
        ctx.close()

        # Trainer and admin
        for role, name in (("講師", "40-trainer-dashboard"), ("管理者", "41-admin")):
            ctx = browser.new_context(viewport=viewport, device_scale_factor=1)
            page = ctx.new_page()
            sign_in(page, base, *logins[role])
            if role == "管理者":
                page.goto(base + "/admin/")
            shoot(page, name, width)
            ctx.close()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            DATABASE_URL=f"sqlite:///{tmp}/screens.sqlite3",
            SECRET_KEY="screenshots-only-" + "x" * 32,
            TRAINER_BASE_URL=base,
            XDG_CONFIG_HOME=tmp,
            XDG_CACHE_HOME=tmp,
        )
        run(env, "init-db")
        run(env, "content", "load")
        demo = run(env, "demo", "load")
        logins = {
            role: (email, password)
            for role, email, password in re.findall(r"(事務局|講師|管理者):\s+(\S+) / (\S+)", demo)
        }
        link = re.search(r"個人用リンク: (\S+)", demo).group(1)
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", "trainer:create_app()"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(base)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                try:
                    pages_for(browser, base, logins, link)
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
