"""Screenshots 90-99, at 360 and 1280 px: the secretariat's year.

The demo secretariat imports a roster file made here (UTF-8 with a BOM: rows for a demo
organisation and a new one, one row with the age band 「九十代」) and sees it refused with
「5行目：…」, uploads the corrected file (Shift_JIS), chooses the new organisation's kind and
confirms; three members (personal links from their link pages) take the pre-quiz, two of them
read the modules and pass the post-quiz; then the completion table, its 修了 list, the
not-started list and its QR sheet (the PDF's first page as 96-link-sheet.png), the dashboard,
the report, its print view printed by Chromium on A4 (pages 1 and 2 as 99-report-print-p1/-p2.png)
and the exports page.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.e2e.driver.actions import download, network_url, sign_in, squash, submit
from tests.e2e.driver.files import pdf_page_png, pdf_pages
from tests.e2e.driver.quiz import pass_post_quiz, read_modules
from tests.e2e.driver.roster import choose_roster_file, roster_csv
from tests.e2e.tour.demo import Demo, open_page
from tests.e2e.tour.pages import take_pre_quiz
from tests.e2e.tour.shooter import VIEWPORTS, Shooter, shoot_page, shown_path

# The roster file: rows for a demo organisation (one unchanged, one updated, one new) and for an
# organisation not on the roster yet, whose first row has an age band no one can use.
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


def secretariat_journey(browser: Browser, demo: Demo, out: Path, tmp: Path) -> list[str]:
    """The roster imported from a file (a bad row first, then the fixed file), some learners take
    the quizzes, then the completion table, the not-started list and its QR sheet, the
    dashboard, the report (and its print view on A4) and the exports page. Returns the problems
    seen."""
    shooters = {width: Shooter(width, out) for width, _, _ in VIEWPORTS}
    pages: dict[int, Page] = {}
    for width, s in shooters.items():
        pages[width] = open_page(browser, s)
        sign_in(pages[width], demo.base, *demo.logins["事務局"])
    n = network_url(pages[1280])

    roster_import(pages[1280], pages[360], shooters, n)
    before = completed(pages[1280], n)  # the other journeys' learners, when they ran first
    learners_take_quizzes(browser, pages[1280], n, demo.base, out)
    for width, page in pages.items():
        s = shooters[width]
        completion_pages(page, s, n, tmp, before + PASSING, downloads=width == 1280)
        page.goto(n + "/")
        shoot_page(s, page, 97, "dashboard")
        page.goto(n + "/report/")
        shoot_page(s, page, 98, "report")
        page.goto(n + "/exports/")
        shoot_page(s, page, 99, "exports")
    report_print(pages[1280], n, tmp, out)
    for page in pages.values():
        page.context.close()
    return [p for s in shooters.values() for p in s.problems]


def counts_shown(page: Page) -> dict[str, str]:
    """The count cards as a person reads them: {"新規": "3人", ...}."""
    cards = page.locator("main .import-counts .card").all()
    return {
        card.locator("h2").inner_text().strip(): squash(card.locator(".number").inner_text())
        for card in cards
    }


def expect_counts(page: Page, s: Shooter, name: str, wanted: dict[str, str]) -> None:
    shown = counts_shown(page)
    wrong = {k: (shown.get(k), v) for k, v in wanted.items() if shown.get(k) != v}
    summary = "、".join(f"{k} {v}" for k, v in shown.items())
    print(f"    {name}: {summary}")
    if wrong:
        s.problems.append(f"{name}: counts shown {shown}, wanted {wanted}")


def upload_roster(page: Page, n: str, filename: str, data: bytes) -> None:
    page.goto(n + "/roster/import/")
    choose_roster_file(page, filename, data)
    if not re.search(r"/roster/import/\d+$", page.url):
        main = squash(page.inner_text("main"))[:200]
        raise SystemExit(f"uploading {filename} ended on {page.url}: {main}")


def roster_import(desk: Page, phone: Page, shooters: dict[int, Shooter], n: str) -> None:
    """Upload a file with a bad row (UTF-8 with BOM), then the corrected file (Shift_JIS),
    choose the new organisation's kind and confirm. Done at 1280 px; each page is opened again
    at 360 px (the drafts stay on their own URLs)."""
    s = shooters[1280]
    upload_roster(desk, n, "meibo.csv", roster_csv(IMPORT_ROWS, "utf-8-sig"))
    expect_counts(desk, s, "import-rejected", {"新規": "2人", "更新": "1人", "取り込めない": "1行"})
    reasons = [squash(t) for t in desk.locator("main .import-rejected li").all_inner_texts()]
    print(f"    rejected: {' / '.join(reasons)}")
    if not any(r.startswith(f"{BAD_LINE}行目：年代「九十代」") for r in reasons):
        s.problems.append(f"import-rejected: no 「{BAD_LINE}行目：年代「九十代」…」 ({reasons})")
    if desk.locator("main button", has_text="取り込む").count():
        s.problems.append("import-rejected: 取り込む is offered although a row is rejected")
    shoot_both(desk, phone, shooters, 90, "import-rejected")

    fixed = [(*row[:4], "60代以上", *row[5:]) if row[4] == "九十代" else row for row in IMPORT_ROWS]
    upload_roster(desk, n, "meibo_修正.csv", roster_csv(fixed, "cp932"))
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
    shoot_both(desk, phone, shooters, 91, "import-preview")

    submit(desk, "main .import-confirm button[type=submit]")
    expect_counts(desk, s, "import-result", {"新規": "3人", "更新": "1人", "構成団体の登録": "1件"})
    flash = (
        squash(desk.locator(".flash").first.inner_text()) if desk.locator(".flash").count() else ""
    )
    print(f"    result: {flash or '(no message)'}")
    shoot_both(desk, phone, shooters, 92, "import-result")
    desk.goto(n + "/organisations")
    row = desk.locator("main tr", has_text=NEW_ORGANISATION)
    if not row.count() or "消費者団体" not in row.first.inner_text():
        s.problems.append(f"import: {NEW_ORGANISATION} is not listed as 消費者団体")


def shoot_both(
    desk: Page, phone: Page, shooters: dict[int, Shooter], number: int, name: str
) -> None:
    """The page at 1280 px, then the same address opened on the phone."""
    shoot_page(shooters[1280], desk, number, name)
    phone.goto(desk.url)
    shoot_page(shooters[360], phone, number, name)


def personal_link(page: Page, n: str, name: str) -> str:
    """A member's personal link, as the secretariat finds it: search, member page, link page."""
    page.goto(f"{n}/members?q={urllib.parse.quote(name)}")
    submit(page, page.locator("main table.list a", has_text=name).first)
    submit(page, page.get_by_role("link", name="個人用リンク・QRコード"))
    return page.input_value("#personal-url")


def learners_take_quizzes(browser: Browser, desk: Page, n: str, base: str, out: Path) -> None:
    """Figures for the completion table and the report, through the learners' real forms."""
    started = time.monotonic()
    links = {name: personal_link(desk, n, name) for name in LEARNERS}
    quiet = Shooter(1280, out, shots=False)
    for i, (name, link) in enumerate(links.items()):
        page = open_page(browser, quiet, (1280, 900, 1))
        page.goto(link)
        page.wait_for_url("**/learn")
        # Different answers per learner (the pre-quiz's likert questions included); after the
        # course, one more step towards 「とても…」 than before.
        take_pre_quiz(page, quiet, base, pick=PRE_PICKS[i])
        if i < PASSING:
            read_modules(page, base)
            pass_post_quiz(page, base, likert=max(PRE_PICKS[i] - 1, 0))
            if not page.locator("main a", has_text="修了証を開く").count():
                raise SystemExit(f"{name} did not pass the post-quiz ({page.url})")
        page.context.close()
    print(
        f"    learners: {len(LEARNERS)} took the pre-quiz, {PASSING} passed the post-quiz "
        f"({time.monotonic() - started:.0f} s)"
    )


def completed(page: Page, n: str) -> int:
    """修了 N人 as the completion page's first line says it."""
    page.goto(n + "/completion/")
    lead = squash(page.inner_text("main .completion-lead"))
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
    lead = squash(page.inner_text("main .completion-lead"))
    print(f"    completion: {lead}")
    if f"修了 {wanted}人" not in lead:
        s.problems.append(f"completion-{s.width}: wanted 修了 {wanted}人 in {lead!r}")
    shoot_page(s, page, 93, "completion")
    submit(page, page.locator("main table.completion tfoot td.total-col a").first)
    shown = page.locator("main table.completion-members tbody tr").count()
    if shown != wanted:
        s.problems.append(f"completion-members-{s.width}: {shown} rows, wanted {wanted}")
    shoot_page(s, page, 94, "completion-members")

    page.goto(n + "/completion/")
    submit(page, page.get_by_role("link", name="未受講の人とQRシート"))
    print(f"    not started: {squash(page.locator('main p[role=status]').inner_text())}")
    shoot_page(s, page, 95, "not-started")
    if downloads:
        link_sheet(page, s, tmp)


def link_sheet(page: Page, s: Shooter, tmp: Path) -> None:
    """The not-started list's QR sheet, downloaded through the form; its first page kept as
    96-link-sheet.png."""
    button = page.locator("main form.sheet-form button[type=submit]")
    pdf = tmp / "personal-links.pdf"
    sent = download(page, button, pdf)
    head = pdf.read_bytes()[:5]
    print(
        f"link sheet: {sent.suggested_filename}, starts {head!r}, {pdf_pages(pdf)} page(s) "
        f"({squash(button.inner_text())})"
    )
    if head != b"%PDF-":
        s.problems.append("link-sheet: the download is not a PDF")
        return
    pdf_picture(pdf, 1, s.out / "96-link-sheet.png", 50)


def report_print(page: Page, n: str, tmp: Path, out: Path) -> None:
    """The report's print view as Chromium prints it on A4; its first two pages as PNGs."""
    page.goto(n + "/report/print")
    page.wait_for_load_state("load")
    pdf = tmp / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    pages = pdf_pages(pdf)
    print(f"report print view: {pages} A4 page(s)")
    for number in (1, 2):
        if number <= pages:
            pdf_picture(pdf, number, out / f"99-report-print-p{number}.png", 80)


def pdf_picture(pdf: Path, page_number: int, png: Path, dpi: int) -> None:
    pdf_page_png(pdf, page_number, png, dpi)
    print(f"{shown_path(png)}  page {page_number} of {pdf.name} at {dpi} dpi")
