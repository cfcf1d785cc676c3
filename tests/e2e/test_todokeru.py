"""届ける, from the secretariat writing a 注意喚起 to a member reading it, in one Chromium.

The secretariat (1280 px) writes a warning for one kind of organisation (居宅介護支援事業所), with
the consumer centre's phone as a placeholder, marks it public, checks the preview and publishes
it. The member of that organisation, on a phone (360 px) from their personal link, finds it at
the top of their page marked 未読, opens it and reads the centre's number; the secretariat's page
then counts 1 of 1 opened in that organisation. The notice-board copy is downloaded as an A4 PDF
and rendered (looked at by people: screenshots/e2e-todokeru-notice.png), and the network's public
page and Atom feed show the bulletin to anyone.

Only what people see is asserted; axe-core checks every page visited (tests/e2e/axe.py).
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.axe import Finding, check_page
from tests.e2e.conftest import SCREENSHOTS, Pages
from tests.e2e.driver import screens
from tests.e2e.driver.actions import sign_in, submit
from tests.e2e.driver.files import pdf_page_png, pdf_text
from tests.e2e.driver.seed import new_member, new_staff
from tests.live_server import LiveServer
from tests.tools import need
from trainer.accounts.models import Member, Network, Role
from trainer.extensions import db

TITLE = "「屋根の無料点検」の訪問に注意"
BODY = (
    "## 点検商法がふえています\n\n"
    "「近くで工事をしている」と訪ねてきて、屋根に上がり、高額な工事を勧める手口です。\n\n"
    "!!! 注意\n"
    "    その場で契約しないよう、声をかけてください。\n\n"
    "- 家族やケアマネジャーがいるときに話を聞く\n"
    "- 困ったら {{ consumer_centre_name }}（{{ consumer_centre_phone }}）へ\n"
)


def shoot_both(page: Page, screenshot: Callable[[Page, str], Path], name: str) -> list[Finding]:
    return screens.shoot_both(page, screenshot, name, prefix="todokeru")


@pytest.fixture
def office(live_server: LiveServer, seed_network) -> dict[str, object]:
    """A network with its consumer centre set, a secretariat, a member of the care office (the
    audience) and one of the bank (not in it)."""
    room = seed_network()
    with live_server.app_context():
        email, password = new_staff(room.network_id, "事務局 一子", Role.SECRETARIAT, "secretariat")
        network = db.session.get(Network, room.network_id)
        network.consumer_centre_name = "みどり市消費生活センター"
        network.consumer_centre_phone = "0120-000-188"
        db.session.commit()
        new_member(room.network_id, room.other_organisation, "信金 太郎", "しんきん たろう")

        def link_of(name: str) -> str:
            member = db.session.scalar(
                select(Member).where(Member.network_id == room.network_id, Member.name == name)
            )
            return live_server.url(f"/m/{member.link_token}")

        links = {"carer": link_of(room.member_name), "banker": link_of("信金 太郎")}
    return {"room": room, "email": email, "password": password, "links": links}


def test_a_warning_written_by_the_secretariat_reaches_the_members_it_is_for(
    live_server: LiveServer,
    office: dict[str, object],
    pages: Pages,
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    need("pdftoppm")
    findings: list[Finding] = []
    links = office["links"]
    assert isinstance(links, dict)

    # The secretariat writes the warning for care offices only, public.
    desk = pages.desktop("secretariat")
    sign_in(desk, live_server.base_url, str(office["email"]), str(office["password"]))
    desk.get_by_role("link", name="お知らせ", exact=True).first.click()
    desk.get_by_role("link", name="お知らせを書く").first.click()
    desk.get_by_label("注意喚起（急ぎ・いちばん上に表示）").check()
    desk.get_by_label("題名").fill(TITLE)
    desk.get_by_label("本文").fill(BODY)
    desk.get_by_label("構成団体の種別を選ぶ").check()
    desk.get_by_label("居宅介護支援事業所", exact=True).check()
    desk.get_by_label(re.compile("一般にも公開する")).check()
    findings += check_page(desk, "bulletin form")
    findings += shoot_both(desk, screenshot, "form")
    submit(desk, desk.get_by_role("button", name="下書きを保存して確かめる"))

    # The preview is what the member will see, the centre's number filled in.
    expect(desk.locator(".status-line")).to_contain_text("下書き")
    preview = desk.locator(".bulletin-preview")
    expect(preview).to_contain_text("みどり市消費生活センター（0120-000-188）へ")
    expect(preview.locator(".admonition")).to_contain_text("その場で契約しないよう")
    expect(desk.locator(".facts")).to_contain_text("今日の時点で 1人")
    findings += check_page(desk, "bulletin draft")
    findings += shoot_both(desk, screenshot, "draft")
    submit(desk, desk.get_by_role("button", name="今すぐ公開する"))
    expect(desk.locator(".status-line")).to_contain_text("公開済み")
    reads = desk.locator(".bulletin-reads")
    expect(reads).to_contain_text(office["room"].organisation)
    expect(reads).to_contain_text("0 / 1人")

    # The member of the care office finds it on their page, unread, and reads it.
    carer = pages.phone("carer")
    carer.goto(str(links["carer"]))
    block = carer.locator(".bulletin-block")
    expect(block).to_contain_text("未読 1件")
    expect(block.locator(".bulletin-item").first).to_contain_text(TITLE)
    expect(block.locator(".bulletin-item").first).to_contain_text("未読")
    findings += check_page(carer, "learner home with a bulletin")
    findings += shoot_both(carer, screenshot, "home")
    block.get_by_role("link", name=re.compile(re.escape(TITLE))).click()
    expect(carer.locator("main")).to_contain_text("みどり市消費生活センター（0120-000-188）へ")
    findings += check_page(carer, "member's bulletin")
    findings += shoot_both(carer, screenshot, "read")
    carer.goto(str(links["carer"]))
    expect(carer.locator(".bulletin-block")).not_to_contain_text("未読")

    # The bank's member is not in the audience: nothing on their page.
    banker = pages.phone("banker")
    banker.goto(str(links["banker"]))
    expect(banker.locator(".bulletin-block")).not_to_contain_text(TITLE)

    # The secretariat sees who has opened it; prints the notice-board copy.
    desk.reload()
    expect(desk.locator(".bulletin-reads")).to_contain_text("1 / 1人")
    desk.get_by_role("link", name=re.compile("掲示用に印刷する")).click()
    findings += check_page(desk, "notice print choice")
    pdf = tmp_path / "notice.pdf"
    notice_link = desk.get_by_role("link", name=re.compile("掲示用を開く")).first
    href = notice_link.get_attribute("href")
    assert href is not None
    response = desk.request.get(live_server.base_url + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf.write_bytes(response.body())
    text = re.sub(r"\s+", "", pdf_text(pdf))
    assert "屋根の無料点検" in text and "掲示用" in text and "0120-000-188" in text, text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_page_png(pdf, 1, SCREENSHOTS / "e2e-todokeru-notice.png", dpi=80)

    # Anyone: the network's public page and its Atom feed.
    room = office["room"]
    public = pages.phone("resident")
    public.goto(f"{live_server.base_url}/p/{room.network_id}/bulletins")
    expect(public.locator("main")).to_contain_text(TITLE)
    findings += check_page(public, "public bulletins")
    findings += shoot_both(public, screenshot, "public")
    with urllib.request.urlopen(
        f"{live_server.base_url}/p/{room.network_id}/bulletins.atom", timeout=10
    ) as feed:
        assert feed.headers["Content-Type"].startswith("application/atom+xml")
        assert TITLE in feed.read().decode("utf-8")
    # check_page() has failed the test on any serious or critical finding.
    assert all(f.impact not in ("serious", "critical") for f in findings)
