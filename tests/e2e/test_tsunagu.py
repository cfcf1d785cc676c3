"""つなぐ, from the badge to the member reading the secretariat's answer, in one Chromium.

The secretariat (1280 px) prints the member badges; the back of the card is rendered at 300 dpi
and read by zbar, as a phone's camera would: two codes, the /verify check and the report form.
A phone (360 px) opens the report code without signing in: choosing 今まさに起きている shows the
110 box at once (before anything is sent), then the member settles on 早めの対応が必要そう, ticks
what they noticed, says consent could not be confirmed and why, and sends; the thanks page gives
the 受付番号 and whom to call. The secretariat finds the report in 気づき報告, reads the consent
record, and sends an instruction from the templates. The member, on their personal page (the
personal link, as handed over), sees 「事務局から返事があります」, reads it and presses
了解しました; the secretariat's page then says 了解済み.

Only what people see is asserted; axe-core checks every page visited (tests/e2e/axe.py).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.axe import Finding, check_page
from tests.e2e.conftest import Pages
from tests.e2e.driver import screens
from tests.e2e.driver.actions import download, network_url, sign_in, submit
from tests.e2e.driver.files import pdf_page_png
from tests.e2e.driver.seed import new_staff
from tests.live_server import LiveServer
from tests.quizzes.helpers import take
from tests.tools import need
from trainer.accounts.models import Member, Network, Role
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import QuizQuestion

CONSENT_REASON = "電話中で、話しかけられなかった"
AREA = "みどり町3丁目の商店街"


def decode_all(png: Path) -> list[str]:
    """Every QR code zbar finds in the picture, one per line."""
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, timeout=30
    )
    return [line for line in done.stdout.splitlines() if line.strip()]


def shoot_both(page: Page, screenshot: Callable[[Page, str], Path], name: str) -> list[Finding]:
    return screens.shoot_both(page, screenshot, name, prefix="tsunagu")


@pytest.fixture
def office(live_server: LiveServer, seed_network) -> dict[str, object]:
    """A network with its local facts set, a secretariat, and one member who passed the course
    (so that there is a badge to print)."""
    room = seed_network()
    with live_server.app_context():
        email, password = new_staff(room.network_id, "事務局 一子", Role.SECRETARIAT, "secretariat")
        network = db.session.get(Network, room.network_id)
        network.consumer_centre_name = "みどり市消費生活センター"
        network.consumer_centre_phone = "0120-000-188"
        network.community_support_name = "みどり地域包括支援センター"
        network.community_support_phone = "0120-000-555"
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        member = db.session.scalar(
            select(Member).where(
                Member.network_id == room.network_id, Member.name == room.member_name
            )
        )
        everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
        take(member, course, "pre", right=set())
        take(member, course, "post", right=everything)
        db.session.commit()
        link = live_server.url(f"/m/{member.link_token}")
    return {"room": room, "email": email, "password": password, "personal_link": link}


def test_a_badge_report_reaches_the_secretariat_and_its_answer_the_member(
    live_server: LiveServer,
    office: dict[str, object],
    pages: Pages,
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    need("zbarimg")
    need("pdftoppm")
    findings: list[Finding] = []

    # The secretariat prints the badges; the back of the card carries two codes.
    desk = pages.desktop("secretariat")
    sign_in(desk, live_server.base_url, str(office["email"]), str(office["password"]))
    network = network_url(desk)
    desk.goto(f"{network}/certificates/badges")
    pdf = tmp_path / "badges.pdf"
    download(desk, desk.get_by_role("button", name="PDFをダウンロード"), pdf)
    back = tmp_path / "back.png"
    pdf_page_png(pdf, 2, back, dpi=300)
    codes = decode_all(back)
    assert len(codes) == 2, codes
    verify = [c for c in codes if "/verify/" in c]
    report_links = [c for c in codes if re.search(r"/r/[A-Za-z0-9_-]+$", c)]
    assert verify and report_links, codes
    report_link = report_links[0]
    assert report_link.startswith(live_server.base_url), report_link

    # A phone opens the report code: the form, not a sign-in.
    phone = pages.phone("member-badge")
    phone.goto(report_link)
    expect(phone.get_by_role("heading", name="気づいたことを事務局へ知らせる")).to_be_visible()
    call_box = phone.locator(".call-110")
    expect(call_box).to_be_hidden()
    findings += check_page(phone, "report form")
    # 今まさに起きている: the 110 box appears before anything is sent.
    phone.get_by_label("今まさに起きている").check()
    expect(call_box).to_be_visible()
    expect(call_box.get_by_role("link", name="110番に電話する")).to_have_attribute(
        "href", "tel:110"
    )
    findings += check_page(phone, "report form, urgent")
    findings += shoot_both(phone, screenshot, "form-urgent")
    phone.get_by_label("早めの対応が必要そう").check()
    expect(call_box).to_be_hidden()
    phone.get_by_label("見慣れない業者が出入りしている").check()
    phone.get_by_label("高額な契約や、くり返しの工事がある").check()
    phone.get_by_label("どのあたりですか").fill(AREA)
    phone.get_by_label("確認できなかった", exact=True).check()
    phone.locator("textarea[name=consent_reason]").fill(CONSENT_REASON)
    submit(phone, phone.get_by_role("button", name="事務局へ送る"))
    expect(phone.get_by_text("受付番号", exact=True)).to_be_visible()
    sent = phone.locator("main").inner_text()
    assert "00001" in sent, sent
    assert "0120-000-188" in sent and "188" in sent, sent
    findings += check_page(phone, "report sent")
    findings += shoot_both(phone, screenshot, "sent")
    # The code opened the form and nothing else: the phone is not signed in.
    response = phone.goto(f"{live_server.base_url}/me/reports/")
    assert response is not None and response.status == 401

    # The secretariat finds it in 気づき報告 and answers with a template.
    desk.goto(network + "/")
    desk.get_by_role("link", name="気づき報告").first.click()
    row = desk.locator("tr", has=desk.get_by_role("link", name="00001"))
    expect(row).to_contain_text("新規")
    findings += check_page(desk, "inbox")
    findings += shoot_both(desk, screenshot, "inbox")
    desk.get_by_role("link", name="00001").click()
    facts = desk.locator(".concern-facts")
    expect(facts).to_contain_text("確認できなかった")
    expect(facts).to_contain_text(CONSENT_REASON)
    expect(facts).to_contain_text(AREA)
    findings += check_page(desk, "report")
    desk.get_by_label(re.compile("センターへの相談を勧める")).check()
    submit(desk, desk.get_by_role("button", name="指示を送る"))
    expect(desk.locator(".concern-status-line")).to_contain_text("指示済み")
    expect(desk.locator("#thread")).to_contain_text("未了解")
    findings += shoot_both(desk, screenshot, "report")

    # The member, on their own page, reads the answer and acknowledges it.
    member = pages.phone("member")
    member.goto(str(office["personal_link"]))
    notice = member.locator(".concern-notice")
    expect(notice).to_contain_text("事務局から返事があります（受付番号 00001）")
    findings += check_page(member, "learner home with an answer")
    findings += shoot_both(member, screenshot, "home-answer")
    notice.get_by_role("link", name="返事を読む").click()
    expect(member.locator("main")).to_contain_text("消費生活センターへの相談をすすめてください")
    findings += check_page(member, "member's report")
    submit(member, member.get_by_role("button", name="了解しました"))
    expect(member.get_by_text(re.compile("✔ 了解しました"))).to_be_visible()
    findings += shoot_both(member, screenshot, "acknowledged")

    desk.reload()
    expect(desk.locator("#thread")).to_contain_text("了解済み")
    # check_page() has failed the test on any serious or critical finding; the rest are listed
    # after the run.
    assert all(f.impact not in ("serious", "critical") for f in findings)
