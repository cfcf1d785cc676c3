"""Screenshots of the main pages at phone width (360 px) and desktop width (1280 px).

Starts a throwaway instance on a free port on 127.0.0.1 (its own SQLite file and its own instance
folder in a temporary directory, so the developer's instance/ and its demo-logins.txt are left
alone), loads the courses and the demo network, signs in through the real login form as each
role, and saves full-page PNGs as screenshots/<NN>-<name>-<width>.png. It also decodes the QR codes
on a member's personal-link page and on a certificate's print view with zbarimg and checks each
against the URL shown on the page.

The certificate journey: the demo learner reads every module and passes the post-quiz through the
real forms (answers from quizzes/basic-post.yaml), opens the certificate and its /verify page; the
secretariat sees the certificate list, detail, badge sheet (downloads the PDF, checks it is one)
and member page, revokes the certificate through the form, and /verify then says 取消. At the
second width the learner passes again, which issues a new certificate.

The workshop journey (screenshots 70-89): the demo trainer creates a workshop through the form
(first empty, to see the errors) and runs it from the control page (also shown at 360 px); the
projector is opened at 1280x720 and 1920x1080 and shot as the room sees it (the viewport only),
its join QR code decoded with zbarimg against the URL shown, and the corner QR code too; three
phones (360x740) join (one roster member typed with a full-width space, two new names), the
trainer confirms them (「未確認の3人を、まとめて確認済みにする」), they answer
the one-page tests by tapping answers, one passes the post-test with the answers from
quizzes/basic-post.yaml and opens the certificate, all send the survey; the projector is shot after
its script has fetched each new state. A keyboard check Tabs to the first radio button of a
phone's test, selects with Space and ArrowDown and reports whether the focus is visible. The
secretariat's review page (participants not on the roster) ends it. Projector shots also note
anything below the fold, covered by the corner box, squashed SVG text or text wider than its box;
phone shots note touch targets under 44 px.

The secretariat journey (screenshots 90-99, at 360 and 1280 px): the demo secretariat imports a
roster file made here (UTF-8 with a BOM: rows for a demo organisation and a new one, one row
with the age band 「九十代」) and sees it refused with 「5行目：…」, uploads the corrected file
(Shift_JIS), chooses the new organisation's kind and confirms; three members (personal links from
their link pages) take the pre-quiz, two of them read the modules and pass the post-quiz; then
the completion table, its 修了 list, the not-started list and its QR sheet (the PDF's first page
as 96-link-sheet.png), the dashboard, the report, its print view printed by Chromium on A4 (pages
1 and 2 as 99-report-print-p1/-p2.png) and the exports page.

    .venv/bin/python scripts/screenshots.py                      # everything (about 3.5 minutes)
    .venv/bin/python scripts/screenshots.py --only workshop      # the workshop journey (70-89)
    .venv/bin/python scripts/screenshots.py --only secretariat   # the secretariat's (90-99)
    .venv/bin/python scripts/screenshots.py --only pages         # the rest (01-69)

Needs Debian's chromium (/usr/bin/chromium), zbar-tools (zbarimg), poppler-utils (pdftoppm,
pdfinfo) and a Japanese font package.
Prints one line per screenshot; pages wider than the viewport are marked "OVERFLOW".
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from trainer.content.quizzes import load_bank  # reads the quiz files only: the post-quiz's answers
from trainer.timeutil import today_jst  # the workshop's date: today in Japan

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "screenshots"
QUIZZES = ROOT / "quizzes"  # basic-post.yaml and attitude.yaml: the course's post-quiz and survey
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
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
# (width, height, device scale factor)
VIEWPORTS = ((360, 740, 2), (1280, 900, 1))
COURSE = "mimamori-basic"
TIMEOUT_MS = 15_000

# Elements sticking out past the right edge of the viewport, outside any scrolling box.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const names = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrolls(el)) {
      const cls = typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      names.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, names};
}"""


@dataclass
class Demo:
    base: str
    logins: dict[str, tuple[str, str]]  # role label (事務局, 講師, 管理者) -> (email, password)
    learner_link: str


@dataclass
class Shooter:
    """Saves screenshots and remembers the last page load's HTTP status for the summary."""

    width: int
    status: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    shots: bool = True

    def watch(self, page: Page) -> Page:
        def on_response(response) -> None:
            request = response.request
            if request.is_navigation_request() and request.frame == page.main_frame:
                self.status[id(page)] = response.status

        page.on("response", on_response)
        return page

    def shoot(self, page: Page, number: int, name: str, full_page: bool = True) -> Path:
        page.wait_for_load_state("load")
        if not self.shots:  # a learner going through the forms for the figures only
            return OUT / "-"
        path = OUT / f"{number:02d}-{name}-{self.width}.png"
        page.screenshot(path=str(path), full_page=full_page)
        layout = page.evaluate(OVERFLOW_JS)
        height = page.evaluate("document.documentElement.scrollHeight")
        note = ""
        if layout["scrollWidth"] > layout["width"] or layout["names"]:
            names = list(dict.fromkeys(layout["names"]))[:6]
            note = f"  OVERFLOW scrollWidth={layout['scrollWidth']} {' '.join(names)}"
            self.problems.append(f"{path.name}:{note}")
        status = self.status.get(id(page), "?")
        where = f"{path.relative_to(ROOT)}  {self.width}x{height}  HTTP {status}"
        print(f"{where}  {page.title()}{note}")
        return path


# --- the throwaway instance -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_spec(instance: Path) -> str:
    """The app factory called with its own instance folder (Flask and gunicorn both accept
    literal arguments). `trainer ...` cannot be told another instance folder, and its
    `demo load` would overwrite the developer's instance/demo-logins.txt."""
    return f"trainer:create_app({{'INSTANCE_PATH': {str(instance)!r}}})"


def cli(env: dict[str, str], instance: Path, *args: str) -> str:
    """The trainer's own commands (`trainer init-db` ...) run against the throwaway instance."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", app_spec(instance), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode != 0:
        raise SystemExit(f"trainer {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def parse_demo(output: str, base: str) -> Demo:
    logins = {
        role: (email, password)
        for role, email, password in re.findall(
            r"^(事務局|講師|管理者):\s+(\S+@\S+) / (\S+)$", output, re.MULTILINE
        )
    }
    link = re.search(r"個人用リンク: (\S+)", output)
    if len(logins) != 3 or link is None:
        raise SystemExit(f"could not read the demo logins from:\n{output}")
    return Demo(base=base, logins=logins, learner_link=link.group(1))


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer {base}/healthz within {seconds:.0f} s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=5)


@contextmanager
def throwaway_instance(tmp: Path) -> Iterator[Demo]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    instance = tmp / "instance"
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{tmp}/s.sqlite3",
        SECRET_KEY="screenshots-only-" + "x" * 32,
        TRAINER_BASE_URL=base,
        TRAINER_ENV="development",
    )
    cli(env, instance, "init-db")
    cli(env, instance, "content", "load")
    demo = parse_demo(cli(env, instance, "demo", "load"), base)
    print(f"throwaway instance: {instance} (demo-logins.txt written there, not in instance/)")
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", app_spec(instance)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_up(base, server)
        yield demo
    finally:
        stop(server)
        log.close()


# --- the pages --------------------------------------------------------------------------------


def new_page(browser: Browser, shooter: Shooter) -> tuple[BrowserContext, Page]:
    width, height, scale = next(v for v in VIEWPORTS if v[0] == shooter.width)
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        is_mobile=width < 600,
        has_touch=width < 600,
        locale="ja-JP",
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context, shooter.watch(context.new_page())


def submit(page: Page, selector: str = "main form.stack button[type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


def fill_login(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    submit(page)


def signed_out(browser: Browser, s: Shooter, demo: Demo) -> None:
    context, page = new_page(browser, s)
    page.goto(demo.base + "/")
    s.shoot(page, 1, "home")
    page.click("main a[href='/login']")
    page.wait_for_url("**/login")
    s.shoot(page, 2, "login")
    page.fill("#email", demo.logins["事務局"][0])
    page.fill("#password", "wrong-password-123")
    submit(page)
    if not page.locator("main p.error").count():
        s.problems.append(f"login-failed-{s.width}: no error message shown")
    s.shoot(page, 3, "login-failed")
    page.goto(demo.base + "/no-such-page")
    s.shoot(page, 17, "not-found")
    context.close()


def secretariat(browser: Browser, s: Shooter, demo: Demo) -> None:
    context, page = new_page(browser, s)
    fill_login(page, demo.base, *demo.logins["事務局"])
    found = re.search(r"/n/(\d+)/", page.url)
    if found is None:
        raise SystemExit(f"the secretariat landed on {page.url}, not a network dashboard")
    s.shoot(page, 4, "dashboard")
    n = f"{demo.base}/n/{found.group(1)}"

    page.goto(n + "/organisations")
    s.shoot(page, 5, "organisations")
    page.goto(n + "/members")
    s.shoot(page, 6, "members")

    page.fill("#q", "さとう")
    submit(page, "main form.filters button[type=submit]")
    s.shoot(page, 7, "members-search")

    with page.expect_navigation():
        page.locator("main table.list a").first.click()
    s.shoot(page, 8, "member")
    member_url = page.url

    with page.expect_navigation():
        page.get_by_role("link", name="個人用リンク・QRコード").click()
    s.shoot(page, 9, "member-link")
    check_qr(page, s)

    page.goto(n + "/members/new")
    submit(page)
    if not page.locator("main p.error").count():
        s.problems.append(f"member-new-errors-{s.width}: no validation errors shown")
    s.shoot(page, 10, "member-new-errors")

    page.goto(member_url)
    with page.expect_navigation():
        page.get_by_role("link", name="退会を記録する").click()
    s.shoot(page, 11, "member-end")

    page.goto(n + "/staff/")
    s.shoot(page, 12, "staff")
    page.goto(n + "/audit/")
    s.shoot(page, 13, "audit-log")

    # Beyond the main list: the local contact points and the courses as staff see them.
    page.goto(n + "/settings/")
    s.shoot(page, 30, "local-facts")
    page.goto(n + "/courses/")
    s.shoot(page, 31, "courses")
    page.goto(f"{n}/courses/{COURSE}/02-consumer-centre-188")
    s.shoot(page, 32, "module-preview")
    context.close()


def trainer_and_admin(browser: Browser, s: Shooter, demo: Demo) -> None:
    context, page = new_page(browser, s)
    fill_login(page, demo.base, *demo.logins["講師"])
    s.shoot(page, 14, "trainer-dashboard")
    context.close()

    context, page = new_page(browser, s)
    fill_login(page, demo.base, *demo.logins["管理者"])
    page.goto(demo.base + "/admin/")
    s.shoot(page, 15, "admin")
    context.close()


def learner(browser: Browser, s: Shooter, demo: Demo) -> None:
    context, page = new_page(browser, s)
    page.goto(demo.learner_link)
    page.wait_for_url("**/learn")
    s.shoot(page, 16, "learner-home")
    page.goto(f"{demo.base}/learn/{COURSE}")
    s.shoot(page, 40, "learner-course")
    page.goto(f"{demo.base}/learn/{COURSE}/03-cooling-off")
    s.shoot(page, 41, "learner-module-cooling-off")
    page.goto(f"{demo.base}/learn/{COURSE}/05-connect")
    s.shoot(page, 42, "learner-module-connect")
    take_pre_quiz(page, s, demo.base)
    issued = earn_certificate(page, s, demo.base)
    context.close()
    secretariat_certificates(browser, s, demo, issued)


def take_pre_quiz(page: Page, s: Shooter | None, base: str, pick: int = 0) -> None:
    """The pre-quiz through the real forms: attributes, questions, review, result. At the second
    width it has been taken already, so only the start and result pages are shown. Without a
    Shooter (other learners, for the secretariat's figures) nothing is shot; `pick` chooses the
    option of every group (the first by default), so that learners answer differently."""
    s = s or Shooter(0, shots=False)
    page.goto(f"{base}/learn/{COURSE}/quiz/pre")
    if page.locator("input[name=age_band]").count():
        s.shoot(page, 43, "quiz-attributes")
        # Keep what the roster says (the form starts with it); pick the first option otherwise.
        for name in ("age_band", "gender", "job_type"):
            if not page.locator(f"input[name={name}]:checked").count():
                page.locator(f"input[name={name}]").first.check()
        submit(page)
    s.shoot(page, 44, "quiz-start")
    start = page.locator("main form[action*='/start'] button[type=submit]")
    if not start.count():
        with page.expect_navigation():
            page.locator("main a[href*='/result']").first.click()
        s.shoot(page, 48, "quiz-result")
        return
    with page.expect_navigation():
        start.click()
    for n in range(1, 100):
        if "/review" in page.url or "/result" in page.url:
            break
        # The same option of every group: some answers are wrong, which is fine here.
        for group in page.locator("main fieldset.choices").all():
            options = group.locator("input")
            options.nth(pick % options.count()).check()
        if n <= 2:
            s.shoot(page, 44 + n, f"quiz-question-{n}")
        submit(page, "main form.quiz-form button[type=submit]")
    else:
        raise SystemExit(f"the quiz did not reach its review page ({page.url})")
    s.shoot(page, 47, "quiz-review")
    submit(page, "main form button[type=submit]")
    s.shoot(page, 48, "quiz-result")


# --- the certificate journey ------------------------------------------------------------------


@dataclass
class Issued:
    """The certificate the demo learner earned, as the print view shows it."""

    serial: str
    print_url: str
    verify_url: str


def _text_pattern(text: str) -> re.Pattern[str]:
    """A question's text as the page shows it: `{{ placeholder }}`s are filled with local facts
    (any text here), runs of white space are one space."""
    parts = [re.escape(" ".join(part.split())) for part in re.split(r"\{\{.*?\}\}", text)]
    return re.compile(".+?".join(parts))


def _squash(text: str) -> str:
    return " ".join(text.split())


def post_quiz_answers(page: Page, questions: list, likert: int = 0) -> None:
    """Answer the question on the page correctly, found by its text in the quiz files (choices
    are keyed "a", "b", … and cases "1", "2", … in file order, whatever order they are shown in).
    A likert question (not scored) gets its option number `likert` (the first by default)."""
    text_box = page.locator("main p.question-text, main fieldset.choices > legend").first
    shown = _squash(text_box.inner_text())
    found = [q for q in questions if _text_pattern(q.text).match(shown)]
    if len(found) != 1:
        raise SystemExit(f"the post-quiz question {shown[:60]!r} matched {len(found)} questions")
    question = found[0]
    if question.type == "truefalse":
        for case in question.cases:
            value = "yes" if case.answer else "no"
            page.locator(f"input[name='case-{case.key}'][value={value}]").check()
    elif question.type in ("single", "multi"):
        for choice in question.choices:
            box = page.locator(f"main fieldset.choices input[value='{choice.key}']")
            if choice.correct:
                box.check()
            elif question.type == "multi":
                box.uncheck()
    else:  # likert: not scored
        options = page.locator("main fieldset.choices input")
        options.nth(likert % options.count()).check()


def post_quiz_questions() -> list:
    banks = [load_bank(QUIZZES / f"{name}.yaml") for name in ("basic-post", "attitude")]
    return [q for bank in banks for q in bank.questions]


def read_modules(page: Page, base: str) -> None:
    """Press "読みました" on every module of the course, from the first one to the course page."""
    page.goto(f"{base}/learn/{COURSE}")
    first = page.locator("main ol.module-list a").first.get_attribute("href")
    page.goto(base + first)
    for _ in range(50):
        with page.expect_navigation():
            page.click("main form.read-form button[type=submit]")
        if "/learn/" + COURSE + "?" in page.url or page.url.endswith("/learn/" + COURSE):
            break
    else:
        raise SystemExit(f"reading the modules did not end on the course page ({page.url})")


def pass_post_quiz(page: Page, base: str, likert: int = 0) -> None:
    """The post-quiz with every answer right (from the quiz files), up to its result page; the
    attitude (likert) questions with their option number `likert`."""
    questions = post_quiz_questions()
    page.goto(f"{base}/learn/{COURSE}/quiz/post")
    start = page.locator("main form[action*='/start'] button[type=submit]")
    if not start.count():
        raise SystemExit(f"the post-quiz cannot be started: {_squash(page.inner_text('main'))}")
    with page.expect_navigation():
        start.click()
    for _ in range(100):
        if "/review" in page.url or "/result" in page.url:
            break
        post_quiz_answers(page, questions, likert)
        submit(page, "main form.quiz-form button[type=submit]")
    else:
        raise SystemExit(f"the post-quiz did not reach its review page ({page.url})")
    submit(page, "main form button[type=submit]")


def earn_certificate(page: Page, s: Shooter, base: str) -> Issued:
    """Read every module ("読みました" on each), pass the post-quiz through the real forms, open the
    certificate, its /verify page, and an unknown token's /verify page. At the second width the
    first certificate has been revoked, so passing again issues a new one."""
    read_modules(page, base)
    pass_post_quiz(page, base)
    open_link = page.locator("main a[href*='/learn/certificates/']", has_text="修了証を開く")
    if not open_link.count():
        s.problems.append(f"quiz-post-result-{s.width}: no 修了証を開く link ({page.url})")
    s.shoot(page, 50, "quiz-post-result")
    if not open_link.count():
        raise SystemExit("the post-quiz was not passed or gave no certificate")

    page.goto(f"{base}/learn/certificates/")
    s.shoot(page, 51, "my-certificates")
    with page.expect_navigation():
        page.locator("main a", has_text="修了証を開く").first.click()
    shot = s.shoot(page, 52, "certificate-print")
    issued = Issued(
        serial=page.inner_text("main.sheet .serial").strip(),
        print_url=page.url,
        verify_url=page.inner_text("main.sheet .check .url").strip(),
    )
    check_qr_image(shot, issued.verify_url, s, "certificate print view")

    page.goto(issued.verify_url)
    expect_label(page, s, "verify", "有効")
    s.shoot(page, 53, "verify")
    page.goto(f"{base}/verify/no-such-token-{s.width}")
    expect_label(page, s, "verify-unknown", "確認できません")
    s.shoot(page, 54, "verify-unknown")
    return issued


def expect_label(page: Page, s: Shooter, name: str, label: str) -> None:
    shown = page.locator("main .check-result-label")
    text = shown.inner_text().strip() if shown.count() else "(none)"
    if text != label:
        s.problems.append(f"{name}-{s.width}: the check says {text!r}, not {label!r}")


def secretariat_certificates(browser: Browser, s: Shooter, demo: Demo, issued: Issued) -> None:
    """The secretariat's certificate list, detail, badge sheet and member page, then a revocation
    through the form (first empty, to see the error) and the /verify page saying 取消."""
    context, page = new_page(browser, s)
    fill_login(page, demo.base, *demo.logins["事務局"])
    found = re.search(r"/n/(\d+)/", page.url)
    if found is None:
        raise SystemExit(f"the secretariat landed on {page.url}, not a network dashboard")
    n = f"{demo.base}/n/{found.group(1)}"

    page.goto(n + "/certificates/")
    s.shoot(page, 55, "certificates")
    with page.expect_navigation():
        page.locator("main table.list a", has_text=issued.serial).first.click()
    s.shoot(page, 56, "certificate-detail")
    detail_url = page.url

    page.goto(n + "/certificates/badges")
    s.shoot(page, 57, "certificate-badges")
    download_button = page.locator("main form[method=post] button[type=submit]")
    if download_button.count():
        with page.expect_download(timeout=TIMEOUT_MS) as info:
            download_button.click()
        pdf = OUT / f"badges-{s.width}.pdf"
        info.value.save_as(pdf)
        head = pdf.read_bytes()[:5]
        print(f"badge sheet ({s.width} px): {info.value.suggested_filename}, starts {head!r}")
        if head != b"%PDF-":
            s.problems.append(f"badges-{s.width}: the download is not a PDF")
        pdf.unlink()
    else:
        s.problems.append(f"badges-{s.width}: no download button")

    page.goto(detail_url)
    with page.expect_navigation():
        page.locator("main dl.facts a").first.click()
    s.shoot(page, 58, "member-certificates")

    page.goto(detail_url)
    submit(page)
    if not page.locator("main p.error").count():
        s.problems.append(f"certificate-revoke-errors-{s.width}: no error for an empty reason")
    s.shoot(page, 59, "certificate-revoke-errors")
    page.fill("main textarea[name=reason]", "紛失した構成員証の再発行のため（画面確認用）")
    submit(page)
    s.shoot(page, 60, "certificate-revoked")

    page.goto(issued.verify_url)
    expect_label(page, s, "verify-revoked", "取消")
    s.shoot(page, 61, "verify-revoked")
    context.close()


# --- the workshop journey ---------------------------------------------------------------------

PHONE = (360, 740, 2)  # a participant's phone
PROJECTORS = ((1280, 720), (1920, 1080))  # an older projector and a full-HD one
LIVE_MS = 12_000  # the projector fetches its live part every 2 s, phones poll the phase every 3 s
COURSE_TITLE = "見守りネットワーク 基礎研修"

# What a page shows on a projector: nothing may be below the fold (nobody scrolls a projector),
# the corner box (途中参加) must not cover anything, text inside an SVG stretched with
# preserveAspectRatio="none" must not be squashed, and the figures, the join code and the phase
# must fit their boxes. Also: the lines cut short with "…" and the smallest text on the screen.
SCREEN_JS = """() => {
  const out = {below: Math.max(0, document.documentElement.scrollHeight - innerHeight),
               covered: [], squashed: [], truncated: [], clipped: [], smallest: 999};
  const corner = document.querySelector('.pj-corner');
  if (corner) {
    const c = corner.getBoundingClientRect();
    const parts = '.qbar, .pj-progress, .dist, .pj-legend, .pj-head';
    for (const el of document.querySelectorAll(parts)) {
      const b = el.getBoundingClientRect();
      if (b.width && b.right > c.left && b.left < c.right && b.bottom > c.top && b.top < c.bottom)
        out.covered.push(el.className.baseVal ?? el.className);
    }
  }
  for (const svg of document.querySelectorAll('svg[preserveAspectRatio="none"]')) {
    if (!svg.querySelector('text') || !svg.viewBox.baseVal) continue;
    const v = svg.viewBox.baseVal, b = svg.getBoundingClientRect();
    const ratio = (b.width / v.width) / (b.height / v.height);
    if (Math.abs(ratio - 1) > 0.1) out.squashed.push(ratio.toFixed(2));
  }
  const boxed = '.qbar-value, .pj-code, .pj-corner strong, .pj-phase';
  for (const el of document.querySelectorAll(boxed)) {
    if (el.scrollWidth > el.clientWidth + 1) out.clipped.push(el.textContent.trim().slice(0, 20));
  }
  for (const el of document.querySelectorAll('body *')) {
    const s = getComputedStyle(el);
    if (s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
      out.truncated.push(el.textContent.trim().slice(0, 20));
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && el.getClientRects().length)
      out.smallest = Math.min(out.smallest, parseFloat(s.fontSize));
  }
  return out;
}"""

# Touch targets on a phone smaller than 44 x 44 CSS px (links inside running text excepted).
TARGETS_JS = """() => {
  const small = [];
  const sel = 'a, button, select, textarea, summary, label.choice, input:not([type=hidden])';
  for (const el of document.querySelectorAll('main ' + sel.split(', ').join(', main '))) {
    if (el.matches('label.choice input, label.check input')) continue;
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') continue;
    const b = el.getBoundingClientRect();
    if (!b.width) continue;
    if (b.height < 44 || b.width < 44)
      small.push(`${el.tagName.toLowerCase()} ${Math.round(b.width)}x${Math.round(b.height)} `
                 + (el.textContent || el.name || '').trim().slice(0, 12));
  }
  return small;
}"""


def context_for(browser: Browser, width: int, height: int, scale: int = 1) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        is_mobile=width < 600,
        has_touch=width < 600,
        locale="ja-JP",
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def shoot_screen(s: Shooter, page: Page, number: int, name: str) -> Path:
    """A projector page as the room sees it: the viewport only, with what does not fit noted."""
    path = s.shoot(page, number, name, full_page=False)
    seen = page.evaluate(SCREEN_JS)
    notes = []
    if seen["below"]:
        notes.append(f"BELOW THE FOLD by {seen['below']} px")
    if seen["covered"]:
        notes.append(f"CORNER BOX COVERS {' '.join(dict.fromkeys(seen['covered']))}")
    if seen["clipped"]:
        notes.append(f"TEXT WIDER THAN ITS BOX {' / '.join(seen['clipped'][:3])}")
    if seen["squashed"]:
        notes.append(f"SQUASHED SVG TEXT (x/y scale {', '.join(seen['squashed'][:3])})")
    for note in notes:
        s.problems.append(f"{path.name}: {note}")
    cut = f", {len(seen['truncated'])} lines cut with …" if seen["truncated"] else ""
    print(
        f"    smallest text {seen['smallest']:.0f} px{cut}{'; ' if notes else ''}{'; '.join(notes)}"
    )
    return path


def shoot_page(s: Shooter, page: Page, number: int, name: str, full_page: bool = True) -> Path:
    """A page of the app: squashed SVG text anywhere, and on a phone touch targets under 44 px."""
    path = s.shoot(page, number, name, full_page=full_page)
    squashed = page.evaluate(SCREEN_JS)["squashed"]
    if squashed:
        s.problems.append(f"{path.name}: SQUASHED SVG TEXT (x/y scale {', '.join(squashed[:3])})")
    small = page.evaluate(TARGETS_JS) if s.width < 600 else []
    if small:
        s.problems.append(f"{path.name}: SMALL TOUCH TARGETS {'; '.join(small[:5])}")
    return path


def wait_phase(page: Page, label: str) -> None:
    """A phone follows the trainer by itself (it polls every 3 s and loads itself again)."""
    expect(page.locator(".phase-now")).to_have_text(f"いま：{label}", timeout=LIVE_MS)
    page.wait_for_load_state("load")


def wait_projector(page: Page, selector: str, text: str) -> None:
    """Until the projector's script has fetched the live part with `text` in `selector`."""
    expect(page.locator(selector).first).to_contain_text(text, timeout=LIVE_MS)
    page.wait_for_timeout(300)


def next_phase(page: Page, button: str, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    expect(page.locator(".phase-steps [aria-current=step]")).to_have_text(label)


def answer_any(page: Page) -> None:
    """Tap the first answer of every group (choices are shuffled per person: a mix of right and
    wrong answers)."""
    for group in page.locator("form.workshop-test fieldset.choices").all():
        group.locator("label.choice").first.click()


def answer_correctly(page: Page, questions: list) -> None:
    """Every question of the one-page test right, found by its text in the quiz files. Field names
    carry the question (q12-choice, q12-case-3, q12-value); the values are the keys of choices
    ("a", "b", … in file order) and yes/no for cases, whatever order they are shown in."""
    for item in page.locator("form.workshop-test section.test-item").all():
        shown = _squash(
            item.locator("p.question-text, fieldset.choices > legend").first.inner_text()
        )
        found = [q for q in questions if _text_pattern(q.text).match(shown)]
        if len(found) != 1:
            raise SystemExit(f"the workshop question {shown[:60]!r} matched {len(found)} questions")
        question = found[0]
        if question.type == "truefalse":
            for case in question.cases:
                value = "yes" if case.answer else "no"
                item.locator(f"input[name$='-case-{case.key}'][value={value}]").check()
        elif question.type in ("single", "multi"):
            for choice in question.choices:
                box = item.locator(f"input[name$='-choice'][value='{choice.key}']")
                if choice.correct:
                    box.check()
                elif question.type == "multi":
                    box.uncheck()
        else:  # likert (the attitude questions asked with the test): not scored
            item.locator("label.choice").first.click()


def failed_save(response, s: Shooter) -> None:
    """An autosave (fetch) the server refused: noted with the start of its answer."""
    request = response.request
    if request.method == "POST" and "/answers/" in request.url and response.status >= 400:
        try:
            body = _squash(response.text())[:300]
        except Exception:  # the body may be gone with a reloaded page
            body = "?"
        s.problems.append(f"autosave {request.url} answered {response.status}: {body}")
        print(f"    autosave answered {response.status}: {body}")


def failed_request(request, s: Shooter) -> None:
    """A request that got no answer at all (an autosave shows 通信が切れています then)."""
    if "/answers/" in request.url:
        s.problems.append(f"autosave {request.url} failed: {request.failure}")
        print(f"    autosave failed: {request.failure}")


def submit_test(page: Page, done: str, s: Shooter) -> None:
    """提出する, once the autosave has said something (a failed autosave is noted: the form
    sends every answer again anyway)."""
    status = page.locator("[data-save-status]")
    expect(status).not_to_have_text(re.compile(r"^\s*$"), timeout=LIVE_MS)
    if "保存しました" not in status.inner_text():
        s.problems.append(f"autosave on {page.url}: {status.inner_text()!r}")
    with page.expect_navigation():
        page.get_by_role("button", name="提出する").click()
    expect(page.get_by_text(done).first).to_be_visible()


def keyboard_check(page: Page, s: Shooter) -> None:
    """Tab from the top of a phone's test page to the first radio button, select it with Space,
    move with the arrow key; the focus must be visible (:focus-visible with an outline)."""
    page.evaluate("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    tabs, info = 0, {"type": ""}
    while info["type"] != "radio":
        if tabs == 30:
            s.problems.append(f"keyboard: no radio button within 30 Tabs (last: {info})")
            return
        page.keyboard.press("Tab")
        tabs += 1
        info = page.evaluate(
            """() => { const el = document.activeElement;
              return {tag: el.tagName, type: el.type || '', name: el.name || '',
                      text: (el.textContent || '').trim().slice(0, 20)}; }"""
        )
    focus = page.evaluate(
        """() => { const el = document.activeElement, st = getComputedStyle(el);
          const label = el.closest('label'), ls = label && getComputedStyle(label);
          const line = (x) => `${x.outlineStyle} ${x.outlineWidth} ${x.outlineColor}`;
          return {visible: el.matches(':focus-visible'), outline: line(st),
                  label: ls ? `${line(ls)} / shadow ${ls.boxShadow}` : ''}; }"""
    )
    radio = page.locator("input:focus")
    name = radio.get_attribute("name")
    page.keyboard.press("Space")
    space = page.evaluate("document.activeElement.checked")
    page.keyboard.press("ArrowDown")
    after = page.evaluate(
        """() => { const el = document.activeElement;
          const group = [...document.querySelectorAll(`input[name="${el.name}"]`)];
          return {name: el.name, index: group.indexOf(el), checked: el.checked,
                  visible: el.matches(':focus-visible')}; }"""
    )
    box = page.locator("input:focus").locator("xpath=ancestor::fieldset[1]")
    box.scroll_into_view_if_needed()
    shot = OUT / f"75-phone-test-keyboard-{s.width}.png"
    box.screenshot(path=str(shot))
    print(
        f"keyboard ({s.width} px): {tabs} Tab(s) to the first radio ({name}); :focus-visible "
        f"{focus['visible']}, outline {focus['outline']}; label {focus['label'] or '-'}; "
        f"Space checked it: {space}; ArrowDown moved to option {after['index'] + 1} of the same "
        f"group ({after['name'] == name}), checked {after['checked']}, focus visible "
        f"{after['visible']}  -> {shot.relative_to(ROOT)}"
    )
    if not (
        focus["visible"] and focus["outline"].split()[0] != "none" and space and after["checked"]
    ):
        s.problems.append(f"keyboard: focus or selection by keyboard failed ({focus}, {after})")


def workshop(browser: Browser, demo: Demo) -> list[str]:
    """The live workshop: the trainer creates it through the form and runs it from the control
    page, the projector (1280x720 and 1920x1080) follows by itself, three phones (360 px) join,
    answer both tests, one passes and opens the certificate, all send the survey; the secretariat
    reviews the participants not found on the roster. Screenshots 70-89."""
    desk, phone, wall = Shooter(1280), Shooter(360), {w: Shooter(w) for w, _ in PROJECTORS}
    narrow = Shooter(360)  # the trainer's control page on a phone
    banks = [load_bank(QUIZZES / f"{name}.yaml") for name in ("basic-post", "attitude")]
    questions = [q for bank in banks for q in bank.questions]

    trainer_context = context_for(browser, 1280, 900)
    trainer = desk.watch(trainer_context.new_page())
    fill_login(trainer, demo.base, *demo.logins["講師"])
    found = re.search(r"/n/(\d+)/", trainer.url)
    if found is None:
        raise SystemExit(f"the trainer landed on {trainer.url}, not a network page")
    n = f"{demo.base}/n/{found.group(1)}"

    # The form, first sent empty (the errors), then filled in.
    trainer.goto(n + "/workshops/new")
    submit(trainer)
    if not trainer.locator("main p.error").count():
        desk.problems.append("workshop-new: no validation errors for an empty form")
    shoot_page(desk, trainer, 70, "workshop-new-errors")
    trainer.fill("#title", "みどり市見守りネットワーク 令和8年度 第1回研修会")
    trainer.select_option("#course_id", label=COURSE_TITLE)
    trainer.fill("#held_on", today_jst().isoformat())
    trainer.fill("#place", "みどり市役所 本庁舎3階 大会議室")
    shoot_page(desk, trainer, 70, "workshop-new")
    submit(trainer)
    if not re.search(r"/workshops/\d+$", trainer.url):
        raise SystemExit(f"creating the workshop ended on {trainer.url}")
    control_url = trainer.url
    shoot_page(desk, trainer, 71, "workshop-control")
    spaced = trainer.inner_text("main .join-code").strip()
    join_url = trainer.inner_text("main .join-box .url-box").strip()
    print(f"workshop: join code {spaced}, join URL {join_url}")

    small_context = context_for(browser, *PHONE)
    small = narrow.watch(small_context.new_page())
    fill_login(small, demo.base, *demo.logins["講師"])
    small.goto(control_url)
    shoot_page(narrow, small, 71, "workshop-control")
    small.goto(n + "/workshops/")
    shoot_page(narrow, small, 70, "workshops")
    trainer.goto(n + "/workshops/")
    shoot_page(desk, trainer, 70, "workshops")
    trainer.goto(control_url)

    # The projector in its own windows (same sign-in), at two real projector sizes.
    projectors: dict[int, Page] = {}
    for width, height in PROJECTORS:
        page = wall[width].watch(trainer_context.new_page())
        page.set_viewport_size({"width": width, "height": height})
        page.goto(control_url + "/projector")
        projectors[width] = page
        shot = shoot_screen(wall[width], page, 72, "projector-reception")
        shown = page.inner_text(".pj-url").strip()
        if shown != join_url:
            wall[width].problems.append(f"projector shows {shown!r}, the control page {join_url!r}")
        check_qr_image(shot, join_url, wall[width], "projector join code (whole screen)")
        code_box = page.locator(".pj-code").bounding_box()
        qr_box = page.locator(".pj-qr svg").bounding_box()
        print(
            f"    join code {page.inner_text('.pj-code')!r} {code_box['height']:.0f} px high, "
            f"QR {qr_box['width']:.0f} px square on a {width}x{height} screen"
        )

    # Three phones join: one on the roster (typed with a full-width space), two new names. Not the
    # demo learner (佐藤 恵子): the learner journey has her take the course's quizzes already, and
    # a member who has taken a test gets no workshop test ("すでに回答済みです").
    people = [
        ("みどり市消費生活センター", "高橋　真理", "たかはし まり"),
        ("みどり市地域包括支援センター", "相談 太郎", "そうだん たろう"),
        ("生活協同組合コープみどり 宅配センター", "生協 みどり", "せいきょう みどり"),
    ]
    phones: list[Page] = []
    for i, (organisation, name, kana) in enumerate(people):
        context = context_for(browser, *PHONE)
        page = phone.watch(context.new_page())
        page.on("response", lambda r, s=phone: failed_save(r, s))
        page.on("requestfailed", lambda r, s=phone: failed_request(r, s))
        page.goto(join_url)
        if i == 0:
            shoot_page(phone, page, 73, "join-form")
            submit(page)  # empty: the errors
            shoot_page(phone, page, 73, "join-form-errors")
        page.select_option("#organisation_id", label=organisation)
        page.fill("#name", name)
        page.fill("#kana", kana)
        submit(page)
        expect(page.get_by_text("受付が完了しました")).to_be_visible()
        phones.append(page)
    greeting = _squash(phones[0].inner_text(".phase-who"))
    print(f"    phone 1 (typed 高橋　真理) is greeted as: {greeting}")
    if not greeting.startswith("高橋 真理さん"):
        phone.problems.append(f"the roster member was not matched: {greeting!r}")
    shoot_page(phone, phones[0], 74, "join-waiting")
    shoot_page(phone, phones[2], 74, "join-waiting-long-name")
    for width, page in projectors.items():
        wait_projector(page, ".pj-count", "3人 参加")
        shoot_screen(wall[width], page, 72, "projector-reception-joined")

    # A typed name is 未確認 (its certificate would be 確認中): after a roll call the trainer
    # confirms the people in the room on the control page.
    trainer.reload()
    if trainer.locator("main table.list .badge", has_text="未確認").count() != 3:
        desk.problems.append("workshop-control: the three typed names are not all 未確認")
    shoot_page(desk, trainer, 71, "workshop-control-joined")
    with trainer.expect_navigation():
        trainer.get_by_role("button", name="未確認の3人を、まとめて確認済みにする").click()
    if trainer.locator("main table.list .badge", has_text="未確認").count():
        desk.problems.append("workshop-control: someone is still 未確認 after the roll call")

    # 事前テスト: the phones turn to the test by themselves.
    next_phase(trainer, "次へ：事前テストを始める", "事前テスト")
    for page in phones:
        wait_phase(page, "事前テスト")
    keyboard_check(phones[1], phone)
    phones[1].reload()
    shoot_page(phone, phones[0], 75, "phone-test-top", full_page=False)
    answer_any(phones[0])
    shoot_page(phone, phones[0], 76, "phone-test-full")
    answer_any(phones[1])
    for width, page in projectors.items():
        wait_projector(page, ".pj-progress", "回答中")
        shoot_screen(wall[width], page, 77, "projector-pre-answering")
    submit_test(phones[0], "事前テストの回答を受け付けました", phone)
    shoot_page(phone, phones[0], 78, "phone-test-submitted")
    submit_test(phones[1], "事前テストの回答を受け付けました", phone)
    answer_any(phones[2])
    submit_test(phones[2], "事前テストの回答を受け付けました", phone)
    for width, page in projectors.items():
        wait_projector(page, ".pj-progress", "3 / 3人 提出")
        page.wait_for_timeout(2_500)  # one more refresh: the bars as well
        shoot_screen(wall[width], page, 77, "projector-pre")
        check_qr_element(page.locator(".pj-corner-qr svg"), join_url, wall[width], "corner")
    trainer.reload()
    shoot_page(desk, trainer, 71, "workshop-control-pre")

    # 研修, then 事後テスト: phone 1 (on the roster) answers everything right and passes.
    next_phase(trainer, "次へ：研修を始める", "研修")
    for page in phones:
        wait_phase(page, "研修")
    shoot_page(phone, phones[0], 79, "phone-training")
    for width, page in projectors.items():
        wait_projector(page, ".pj-phase", "研修")
        shoot_screen(wall[width], page, 79, "projector-training")
    next_phase(trainer, "次へ：事後テストを始める", "事後テスト")
    for page in phones:
        wait_phase(page, "事後テスト")
    answer_correctly(phones[0], questions)
    submit_test(phones[0], "合格です", phone)
    if not phones[0].locator("main a", has_text="修了証を開く").count():
        phone.problems.append("the passing phone has no 修了証を開く link")
    shoot_page(phone, phones[0], 80, "phone-result")
    with phones[0].expect_navigation():
        phones[0].locator("main a", has_text="修了証を開く").first.click()
    shoot_page(phone, phones[0], 81, "phone-certificate")
    phones[0].go_back()
    for page in phones[1:]:
        answer_any(page)
        submit_test(page, "事後テスト：", phone)
    shoot_page(phone, phones[1], 80, "phone-result-failed")
    for width, page in projectors.items():
        wait_projector(page, ".pj-progress", "3 / 3人 提出")
        page.wait_for_timeout(2_500)
        shoot_screen(wall[width], page, 82, "projector-post")

    # アンケート on every phone.
    next_phase(trainer, "次へ：アンケートを始める", "アンケート")
    comments = [
        "具体的な事例が分かりやすかったです。クーリング・オフの日数の数え方を、職場でも共有します。",
        "",
        "文字が大きくて読みやすかったです。",
    ]
    for i, page in enumerate(phones):
        wait_phase(page, "アンケート")
        if i == 0:
            shoot_page(phone, page, 83, "phone-survey")
        form = page.locator("form.survey-form")
        for group in form.locator("fieldset.choices").all():
            group.locator("label.choice").nth(i % 2).click()
        form.locator("textarea[name=comment]").fill(comments[i])
        with page.expect_navigation():
            form.get_by_role("button", name="送信する").click()
    shoot_page(phone, phones[0], 84, "phone-survey-sent")
    for width, page in projectors.items():
        wait_projector(page, ".pj-dists", "（3人")
        shoot_screen(wall[width], page, 85, "projector-survey")

    # 終了.
    next_phase(trainer, "次へ：終了にする", "終了")
    for page in phones:
        wait_phase(page, "終了")
    shoot_page(phone, phones[0], 86, "phone-closed")
    for width, page in projectors.items():
        wait_projector(page, ".pj-phase", "終了")
        shoot_screen(wall[width], page, 87, "projector-closed")
    shoot_page(desk, trainer, 88, "workshop-control-closed")
    small.goto(control_url)
    shoot_page(narrow, small, 88, "workshop-control-closed")
    for page in phones:
        page.context.close()
    small_context.close()
    trainer_context.close()

    # The secretariat: the participants no roster member matched.
    for s, size in ((desk, (1280, 900)), (narrow, PHONE)):
        context = context_for(browser, *size)
        page = s.watch(context.new_page())
        fill_login(page, demo.base, *demo.logins["事務局"])
        page.goto(n + "/workshops/review")
        for name in ("相談 太郎", "生協 みどり"):
            if not page.get_by_text(name).count():
                s.problems.append(f"workshop-review: {name} is not on the review page")
        shoot_page(s, page, 89, "workshop-review")
        context.close()
    return [p for s in (desk, narrow, phone, *wall.values()) for p in s.problems]


# --- the secretariat journey ------------------------------------------------------------------

# The roster file: rows for a demo organisation (one unchanged, one updated, one new) and for an
# organisation not on the roster yet, whose first row has an age band no one can use.
IMPORT_HEADER = ("構成団体", "氏名", "ふりがな", "職種", "年代", "加入日")
BANK = "みどり信用金庫 本店営業部"
NEW_ORGANISATION = "NPO法人 みどり暮らしを守る会"
IMPORT_ROWS = [
    (BANK, "林 大輔", "はやし だいすけ", "内勤", "30代", "2024/4/1"),  # as on the roster
    (BANK, "森 あゆみ", "もり あゆみ", "窓口", "30代", "2025/4/1"),  # 20代以下 → 30代
    (BANK, "西村 玲奈", "にしむら れな", "内勤", "20代", "2026/4/1"),
    (NEW_ORGANISATION, "坂本 登", "さかもと のぼる", "その他", "九十代", "令和8年4月1日"),
    (NEW_ORGANISATION, "斎藤 京子", "さいとう きょうこ", "相談", "60代以上", "令和8年4月1日"),
]
BAD_LINE = 5  # the header is line 1: 坂本 登's row
# Learners who make the completion table and the report: all take the pre-quiz, the first two read
# the modules and pass the post-quiz. Not 佐藤 恵子 (the learner journey) nor the workshop's
# 高橋 真理, so the journeys can run in any order.
LEARNERS = ("渡辺 由美", "小林 健一", "林 大輔")
PASSING = 2
PRE_PICKS = (2, 3, 1)  # the option each learner takes in every group of the pre-quiz


def roster_csv(rows: list[tuple[str, ...]], encoding: str) -> bytes:
    """A CSV as Excel saves it: CRLF line ends; "utf-8-sig" starts with a BOM."""
    lines = [",".join(IMPORT_HEADER), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def counts_shown(page: Page) -> dict[str, str]:
    """The count cards as a person reads them: {"新規": "3人", ...}."""
    cards = page.locator("main .import-counts .card").all()
    return {
        card.locator("h2").inner_text().strip(): _squash(card.locator(".number").inner_text())
        for card in cards
    }


def expect_counts(page: Page, s: Shooter, name: str, wanted: dict[str, str]) -> None:
    shown = counts_shown(page)
    wrong = {k: (shown.get(k), v) for k, v in wanted.items() if shown.get(k) != v}
    summary = "、".join(f"{k} {v}" for k, v in shown.items())
    print(f"    {name}: {summary}")
    if wrong:
        s.problems.append(f"{name}: counts shown {shown}, wanted {wanted}")


def upload_roster(page: Page, n: str, filename: str, data: bytes, mime: str) -> None:
    page.goto(n + "/roster/import/")
    page.set_input_files("#file", files=[{"name": filename, "mimeType": mime, "buffer": data}])
    submit(page, "main form.import-upload button[type=submit]")
    if not re.search(r"/roster/import/\d+$", page.url):
        main = _squash(page.inner_text("main"))[:200]
        raise SystemExit(f"uploading {filename} ended on {page.url}: {main}")


def roster_import(desk: Page, phone: Page, shooters: dict[int, Shooter], n: str) -> None:
    """Upload a file with a bad row (UTF-8 with BOM), then the corrected file (Shift_JIS),
    choose the new organisation's kind and confirm. Done at 1280 px; each page is opened again
    at 360 px (the drafts stay on their own URLs)."""
    s, narrow = shooters[1280], shooters[360]
    upload_roster(desk, n, "meibo.csv", roster_csv(IMPORT_ROWS, "utf-8-sig"), "text/csv")
    expect_counts(desk, s, "import-rejected", {"新規": "2人", "更新": "1人", "取り込めない": "1行"})
    reasons = [_squash(t) for t in desk.locator("main .import-rejected li").all_inner_texts()]
    print(f"    rejected: {' / '.join(reasons)}")
    if not any(r.startswith(f"{BAD_LINE}行目：年代「九十代」") for r in reasons):
        s.problems.append(f"import-rejected: no 「{BAD_LINE}行目：年代「九十代」…」 ({reasons})")
    if desk.locator("main button", has_text="取り込む").count():
        s.problems.append("import-rejected: 取り込む is offered although a row is rejected")
    rejected_url = desk.url
    shoot_page(s, desk, 90, "import-rejected")
    phone.goto(rejected_url)
    shoot_page(narrow, phone, 90, "import-rejected")

    fixed = [(*row[:4], "60代以上", *row[5:]) if row[4] == "九十代" else row for row in IMPORT_ROWS]
    upload_roster(desk, n, "meibo_修正.csv", roster_csv(fixed, "cp932"), "text/csv")
    expect_counts(
        desk,
        s,
        "import-preview",
        {"新規": "3人", "更新": "1人", "変更なし": "1人", "取り込めない": "0行"},
    )
    kind = desk.locator("main select[name^=kind-]")
    if kind.count() != 1:
        s.problems.append(f"import-preview: {kind.count()} kind selects, wanted 1 (the new one)")
    print(f"    {NEW_ORGANISATION}: kind guessed {kind.first.input_value()!r}, choosing 消費者団体")
    kind.first.select_option(label="消費者団体")
    preview_url = desk.url
    shoot_page(s, desk, 91, "import-preview")
    phone.goto(preview_url)
    shoot_page(narrow, phone, 91, "import-preview")

    submit(desk, "main .import-confirm button[type=submit]")
    expect_counts(desk, s, "import-result", {"新規": "3人", "更新": "1人", "構成団体の登録": "1件"})
    flash = (
        _squash(desk.locator(".flash").first.inner_text()) if desk.locator(".flash").count() else ""
    )
    print(f"    result: {flash or '(no message)'}")
    shoot_page(s, desk, 92, "import-result")
    phone.goto(desk.url)
    shoot_page(narrow, phone, 92, "import-result")
    desk.goto(n + "/organisations")
    row = desk.locator("main tr", has_text=NEW_ORGANISATION)
    if not row.count() or "消費者団体" not in row.first.inner_text():
        s.problems.append(f"import: {NEW_ORGANISATION} is not listed as 消費者団体")


def personal_link(page: Page, n: str, name: str) -> str:
    """A member's personal link, as the secretariat finds it: search, member page, link page."""
    page.goto(f"{n}/members?q={urllib.parse.quote(name)}")
    with page.expect_navigation():
        page.locator("main table.list a", has_text=name).first.click()
    with page.expect_navigation():
        page.get_by_role("link", name="個人用リンク・QRコード").click()
    return page.input_value("#personal-url")


def learners_take_quizzes(browser: Browser, desk: Page, n: str, base: str) -> None:
    """Figures for the completion table and the report, through the learners' real forms."""
    started = time.monotonic()
    links = {name: personal_link(desk, n, name) for name in LEARNERS}
    for i, (name, link) in enumerate(links.items()):
        context = context_for(browser, 1280, 900)
        page = context.new_page()
        page.goto(link)
        page.wait_for_url("**/learn")
        # Different answers per learner (the pre-quiz's likert questions included); after the
        # course, one more step towards 「とても…」 than before.
        take_pre_quiz(page, None, base, pick=PRE_PICKS[i])
        if i < PASSING:
            read_modules(page, base)
            pass_post_quiz(page, base, likert=max(PRE_PICKS[i] - 1, 0))
            if not page.locator("main a", has_text="修了証を開く").count():
                raise SystemExit(f"{name} did not pass the post-quiz ({page.url})")
        context.close()
    print(
        f"    learners: {len(LEARNERS)} took the pre-quiz, {PASSING} passed the post-quiz "
        f"({time.monotonic() - started:.0f} s)"
    )


def pdf_page_png(pdf: Path, page_number: int, png: Path, dpi: int) -> None:
    """One page of a PDF as a PNG (pdftoppm -singlefile: exactly `png`, no page suffix)."""
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", str(page_number), "-l", str(page_number),
         "-singlefile", str(pdf), str(png.with_suffix(""))],
        check=True, timeout=60,
    )  # fmt: skip
    print(f"{png.relative_to(ROOT)}  page {page_number} of {pdf.name} at {dpi} dpi")


def pdf_pages(pdf: Path) -> int:
    done = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=30)
    found = re.search(r"^Pages:\s+(\d+)", done.stdout, re.MULTILINE)
    return int(found.group(1)) if found else 0


def completed(page: Page, n: str) -> int:
    """修了 N人 as the completion page's first line says it."""
    page.goto(n + "/completion/")
    lead = _squash(page.inner_text("main .completion-lead"))
    found = re.search(r"修了 (\d+)人", lead)
    if found is None:
        raise SystemExit(f"the completion page says no 修了 N人: {lead!r}")
    return int(found.group(1))


def completion_pages(
    page: Page, s: Shooter, n: str, tmp: Path, wanted: int, downloads: bool
) -> None:
    """The completion table (`wanted` people 修了), a drill-down (修了 in the 合計 row), the
    not-started list and, once, its QR sheet downloaded through the form."""
    page.goto(n + "/completion/")
    lead = _squash(page.inner_text("main .completion-lead"))
    print(f"    completion: {lead}")
    if f"修了 {wanted}人" not in lead:
        s.problems.append(f"completion-{s.width}: wanted 修了 {wanted}人 in {lead!r}")
    shoot_page(s, page, 93, "completion")
    with page.expect_navigation():
        page.locator("main table.completion tfoot td.total-col a").first.click()
    shown = page.locator("main table.completion-members tbody tr").count()
    if shown != wanted:
        s.problems.append(f"completion-members-{s.width}: {shown} rows, wanted {wanted}")
    shoot_page(s, page, 94, "completion-members")

    page.goto(n + "/completion/")
    with page.expect_navigation():
        page.get_by_role("link", name="未受講の人とQRシート").click()
    print(f"    not started: {_squash(page.locator('main p[role=status]').inner_text())}")
    shoot_page(s, page, 95, "not-started")
    if not downloads:
        return
    button = page.locator("main form.sheet-form button[type=submit]")
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        button.click()
    pdf = tmp / "personal-links.pdf"
    info.value.save_as(pdf)
    head = pdf.read_bytes()[:5]
    print(
        f"link sheet: {info.value.suggested_filename}, starts {head!r}, {pdf_pages(pdf)} page(s) "
        f"({_squash(button.inner_text())})"
    )
    if head != b"%PDF-":
        s.problems.append("link-sheet: the download is not a PDF")
        return
    pdf_page_png(pdf, 1, OUT / "96-link-sheet.png", 50)


def report_print(page: Page, n: str, tmp: Path) -> None:
    """The report's print view as Chromium prints it on A4; its first two pages as PNGs."""
    page.goto(n + "/report/print")
    page.wait_for_load_state("load")
    pdf = tmp / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    pages = pdf_pages(pdf)
    print(f"report print view: {pages} A4 page(s)")
    for number in (1, 2):
        if number <= pages:
            pdf_page_png(pdf, number, OUT / f"99-report-print-p{number}.png", 80)


def secretariat_journey(browser: Browser, demo: Demo, tmp: Path) -> list[str]:
    """The secretariat's year: the roster imported from a file (a bad row first, then the fixed
    file), some learners take the quizzes, then the completion table, the not-started list and
    its QR sheet, the dashboard, the report (and its print view on A4) and the exports page.
    Screenshots 90-99."""
    shooters = {width: Shooter(width) for width, _, _ in VIEWPORTS}
    pages: dict[int, Page] = {}
    contexts = []
    for width, height, scale in VIEWPORTS:
        context = context_for(browser, width, height, scale)
        contexts.append(context)
        pages[width] = shooters[width].watch(context.new_page())
        fill_login(pages[width], demo.base, *demo.logins["事務局"])
    found = re.search(r"/n/(\d+)/", pages[1280].url)
    if found is None:
        raise SystemExit(f"the secretariat landed on {pages[1280].url}, not a network dashboard")
    n = f"{demo.base}/n/{found.group(1)}"

    roster_import(pages[1280], pages[360], shooters, n)
    before = completed(pages[1280], n)  # the other journeys' learners, when they ran first
    learners_take_quizzes(browser, pages[1280], n, demo.base)
    for width, page in pages.items():
        s = shooters[width]
        completion_pages(page, s, n, tmp, before + PASSING, downloads=width == 1280)
        page.goto(n + "/")
        shoot_page(s, page, 97, "dashboard")
        page.goto(n + "/report/")
        shoot_page(s, page, 98, "report")
        page.goto(n + "/exports/")
        shoot_page(s, page, 99, "exports")
    report_print(pages[1280], n, tmp)
    for context in contexts:
        context.close()
    return [p for s in shooters.values() for p in s.problems]


# --- the QR code ------------------------------------------------------------------------------


def check_qr(page: Page, s: Shooter) -> None:
    """The QR code on a member's personal-link page against the URL in #personal-url."""
    png = OUT / f"qr-{s.width}.png"
    try:
        page.locator("svg.qr").screenshot(path=str(png))
        check_qr_image(png, page.input_value("#personal-url"), s, "personal link")
    finally:
        png.unlink(missing_ok=True)


def check_qr_element(element, shown: str, s: Shooter, what: str) -> None:
    """A QR code on the page (an element screenshot) against the URL it should carry."""
    png = OUT / f"qr-{what}-{s.width}.png"
    try:
        element.screenshot(path=str(png))
        check_qr_image(png, shown, s, what)
    finally:
        png.unlink(missing_ok=True)


def check_qr_image(png: Path, shown: str, s: Shooter, what: str) -> None:
    """Decode the one QR code in a PNG with zbarimg and compare it with the URL on the page."""
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, timeout=30
    )
    decoded = done.stdout.strip()
    if done.returncode == 0 and decoded == shown:
        print(f"QR {what} ({s.width} px): decodes to the URL shown on the page: {decoded}")
    else:
        problem = (
            f"QR {what} ({s.width} px): decoded {decoded!r} from {png.name} "
            f"(zbarimg exit {done.returncode}), but the page shows {shown!r}"
        )
        print(problem)
        s.problems.append(problem)


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--only",
        choices=("pages", "workshop", "secretariat"),
        help="only the main pages (screenshots 01-69), the workshop journey (70-89) or the "
        "secretariat's journey (90-99)",
    )
    only = parser.parse_args(argv).only
    OUT.mkdir(exist_ok=True)
    pattern = {
        "pages": "[0-6][0-9]-*-*.png",
        "workshop": "[78][0-9]-*-*.png",
        "secretariat": "9[0-9]-*-*.png",
    }.get(only, "[0-9][0-9]-*-*.png")
    for old in OUT.glob(pattern):
        old.unlink()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="trainer-shots-") as name:
        tmp = Path(name)
        browser_env = dict(
            os.environ,
            XDG_CONFIG_HOME=str(tmp / "xdg-config"),
            XDG_CACHE_HOME=str(tmp / "xdg-cache"),
        )
        with throwaway_instance(tmp) as demo, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=browser_env, timeout=60_000
            )
            try:
                if only in (None, "pages"):
                    for width, _, _ in VIEWPORTS:
                        s = Shooter(width)
                        signed_out(browser, s, demo)
                        secretariat(browser, s, demo)
                        trainer_and_admin(browser, s, demo)
                        learner(browser, s, demo)
                        problems += s.problems
                if only in (None, "workshop"):
                    problems += workshop(browser, demo)
                if only in (None, "secretariat"):
                    problems += secretariat_journey(browser, demo, tmp)
            finally:
                browser.close()
    count = len(list(OUT.glob(pattern)))
    print(f"{count} screenshots in {OUT.relative_to(ROOT)}/")
    for problem in problems:
        print("PROBLEM", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
