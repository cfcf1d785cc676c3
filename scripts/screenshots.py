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

    .venv/bin/python scripts/screenshots.py

Needs Debian's chromium (/usr/bin/chromium), zbar-tools (zbarimg) and a Japanese font package.
Prints one line per screenshot; pages wider than the viewport are marked "OVERFLOW".
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from trainer.content.quizzes import load_bank  # reads the quiz files only: the post-quiz's answers

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

    def watch(self, page: Page) -> Page:
        def on_response(response) -> None:
            request = response.request
            if request.is_navigation_request() and request.frame == page.main_frame:
                self.status[id(page)] = response.status

        page.on("response", on_response)
        return page

    def shoot(self, page: Page, number: int, name: str) -> Path:
        page.wait_for_load_state("load")
        path = OUT / f"{number:02d}-{name}-{self.width}.png"
        page.screenshot(path=str(path), full_page=True)
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


def take_pre_quiz(page: Page, s: Shooter, base: str) -> None:
    """The pre-quiz through the real forms: attributes, questions, review, result. At the second
    width it has been taken already, so only the start and result pages are shown."""
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
        # The first option of every group: some answers are wrong, which is fine here.
        for group in page.locator("main fieldset.choices").all():
            group.locator("input").first.check()
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


def post_quiz_answers(page: Page, questions: list) -> None:
    """Answer the question on the page correctly, found by its text in the quiz files (choices
    are keyed "a", "b", … and cases "1", "2", … in file order, whatever order they are shown in)."""
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
        page.locator("main fieldset.choices input").first.check()


def earn_certificate(page: Page, s: Shooter, base: str) -> Issued:
    """Read every module ("読みました" on each), pass the post-quiz through the real forms, open the
    certificate, its /verify page, and an unknown token's /verify page. At the second width the
    first certificate has been revoked, so passing again issues a new one."""
    banks = [load_bank(QUIZZES / f"{name}.yaml") for name in ("basic-post", "attitude")]
    questions = [q for bank in banks for q in bank.questions]

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

    page.goto(f"{base}/learn/{COURSE}/quiz/post")
    start = page.locator("main form[action*='/start'] button[type=submit]")
    if not start.count():
        raise SystemExit(f"the post-quiz cannot be started: {_squash(page.inner_text('main'))}")
    with page.expect_navigation():
        start.click()
    for _ in range(100):
        if "/review" in page.url or "/result" in page.url:
            break
        post_quiz_answers(page, questions)
        submit(page, "main form.quiz-form button[type=submit]")
    else:
        raise SystemExit(f"the post-quiz did not reach its review page ({page.url})")
    submit(page, "main form button[type=submit]")
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


# --- the QR code ------------------------------------------------------------------------------


def check_qr(page: Page, s: Shooter) -> None:
    """The QR code on a member's personal-link page against the URL in #personal-url."""
    png = OUT / f"qr-{s.width}.png"
    try:
        page.locator("svg.qr").screenshot(path=str(png))
        check_qr_image(png, page.input_value("#personal-url"), s, "personal link")
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


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("[0-9][0-9]-*-*.png"):
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
                for width, _, _ in VIEWPORTS:
                    s = Shooter(width)
                    signed_out(browser, s, demo)
                    secretariat(browser, s, demo)
                    trainer_and_admin(browser, s, demo)
                    learner(browser, s, demo)
                    problems += s.problems
            finally:
                browser.close()
    count = len(list(OUT.glob("[0-9][0-9]-*-*.png")))
    print(f"{count} screenshots in {OUT.relative_to(ROOT)}/")
    for problem in problems:
        print("PROBLEM", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
