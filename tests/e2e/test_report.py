"""The 比較レポート as the secretariat uses it for a council paper: open the report, read the
まとめ at its top, switch the after-test to the best attempt, and print the まとめ alone, which
Chromium must lay out on exactly one A4 page (rendered with pdftoppm for people to look at).

Five learners took both tests, one only the pre-test:

    three   pre all wrong → post all right
    one     pre all right → post all right
    one     pre all wrong → post all wrong, then a retake all right (counted only as the best)
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from tests.e2e.axe import check_page, with_axe
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.driver.actions import sign_in
from tests.e2e.driver.seed import new_staff
from tests.quizzes.helpers import set_local_facts, take
from tests.tools import need
from trainer.accounts import roster
from trainer.accounts.models import Network, Organisation, Role
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import QuizQuestion

A4_MM = (210, 297)


def seed_answers(live_server, network_id: int) -> tuple[str, str]:
    """The learners and their attempts (module docstring); a secretariat user to sign in."""
    with live_server.app_context():
        network = db.session.get(Network, network_id)
        set_local_facts(network)  # no question withheld
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
        org = db.session.scalar(select(Organisation).where(Organisation.network_id == network_id))
        learners = [
            roster.create_member(
                db.session,
                network_id=network_id,
                data=roster.MemberInput(
                    organisation_id=org.id,
                    name=f"受講 {n}郎",
                    kana="じゅこう",
                    membership_start=date(2025, 4, 1),
                ),
                actor=None,
            )
            for n in range(6)
        ]
        for member in learners[:3]:
            take(member, course, "pre", right=set())
            take(member, course, "post", right=everything)
        take(learners[3], course, "pre", right=everything)
        take(learners[3], course, "post", right=everything)
        take(learners[4], course, "pre", right=set())
        take(learners[4], course, "post", right=set())
        take(learners[4], course, "post", right=everything)  # the retake
        take(learners[5], course, "pre", right=set())
        return new_staff(network_id, "事務局 春子", Role.SECRETARIAT, "report")


def test_the_secretariat_reads_the_summary_and_prints_it_on_one_a4_page(
    live_server, seed_network, pages
):
    seeded = seed_network()
    email, password = seed_answers(live_server, seeded.network_id)
    report_url = live_server.url(f"/n/{seeded.network_id}/report/")
    page = with_axe(pages.desktop("secretariat"))
    sign_in(page, live_server.base_url, email, password)

    # The report opens with the まとめ, in sentences, before the statistics.
    page.goto(report_url)
    summary = page.locator(".report-summary")
    expect(summary).to_contain_text("事後テストは「最初の受験」の回で比べています。")
    expect(summary).to_contain_text("事前テストと事後テストの両方を受けた 5人 の結果です。")
    expect(summary).to_contain_text("研修前の 20% から、研修後は 80% になりました（60ポイント")
    expect(summary).to_contain_text("上がった人 3人、変わらなかった人 2人、下がった人 0人")
    expect(summary).to_contain_text("分野ごとに伸びたかどうかはまだ言えません")
    check_page(page, "report")
    shoot(page, "report-desktop")
    page.locator("table.paired").first.screenshot(
        path=str(SCREENSHOTS / "e2e-report-paired-table-desktop.png")
    )  # the first screen: the whole report is 20 screens of charts

    # The best attempt: the retake now counts after the training.
    page.get_by_label("事後テストで数える回").select_option(label="最も良い受験")
    page.locator("form.report-filters").screenshot(
        path=str(SCREENSHOTS / "e2e-report-filters-desktop.png")
    )
    page.get_by_role("button", name="この条件で表示").click()
    expect(summary).to_contain_text("事後テストは「最も良い受験」の回で比べています。")
    expect(summary).to_contain_text("研修前の 20% から、研修後は 100% になりました（80ポイント")
    expect(summary).to_contain_text("上がった人 4人、変わらなかった人 1人、下がった人 0人")
    expect(page.locator(".filter-line").first).to_contain_text("事後テスト 最も良い受験")

    # The まとめ alone, to print: the same filters, one A4 page.
    page.get_by_role("link", name="まとめを印刷する（A4・1枚）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("研修の成果のまとめ")
    expect(page.locator(".report-summary")).to_contain_text("研修後は 100% になりました")
    check_page(page, "report summary")
    shoot(page, "report-summary-desktop", full_page=True)
    pdf = SCREENSHOTS / "e2e-report-summary.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == A4_MM
    text = reader.pages[0].extract_text()
    assert "研修の成果のまとめ" in text and "最も良い受験" in text
    render(pdf)  # a PNG beside it, for people to look at

    # The whole report's print view passes axe too (its tools sit in a landmark now).
    page.goto(live_server.url(f"/n/{seeded.network_id}/report/print"))
    check_page(page, "report print")
    shoot(page, "report-print-desktop")

    # On a phone: the report and the まとめ, read without sideways scrolling.
    phone = with_axe(pages.phone("secretariat phone"))
    sign_in(phone, live_server.base_url, email, password)
    for path, name in (("", "report-phone"), ("summary", "report-summary-phone")):
        phone.goto(report_url + path)
        expect(phone.locator(".report-summary")).to_contain_text("5人 の結果です。")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        summary_box = phone.locator(".report-summary").bounding_box()
        shoot(phone, name, clip_to=summary_box)


def shoot(page, name: str, *, full_page: bool = False, clip_to: dict | None = None) -> Path:
    """A PNG for people (never compared), in conftest's SCREENSHOTS folder: the first screen, the
    full page, or down to the end of an element (the まとめ) — a full-page picture of the whole
    report takes longer than a Playwright step may on a busy machine."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"e2e-{name}.png"
    clip = None
    if clip_to is not None:
        width = page.viewport_size["width"]
        clip = {"x": 0, "y": 0, "width": width, "height": clip_to["y"] + clip_to["height"] + 16}
    page.screenshot(path=str(path), full_page=full_page or clip is not None, clip=clip)
    return path


def render(pdf: Path) -> Path:
    """The PDF's page as a PNG at 100 dpi (pdftoppm), beside the PDF."""
    stem = pdf.with_suffix("")
    subprocess.run(
        [need("pdftoppm"), "-r", "100", "-png", "-singlefile", str(pdf), str(stem)],
        check=True,
        timeout=60,
    )
    return stem.with_suffix(".png")
