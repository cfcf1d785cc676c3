"""Inviting staff in one Chromium: the secretariat at a PC (1280 px), the invited people on
phones (360 px).

The secretariat invites a new person and someone who already has an account (in another
network) through 職員 → 職員を追加する, and reads the link page. The new person opens the link on a
phone, chooses a password and is in; the other must sign in first, comes back to the link, and
accepts. Only what people see is asserted; axe-core checks every page (tests/e2e/axe.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.axe import Finding, check_page
from tests.e2e.conftest import Pages
from tests.e2e.driver.actions import fill_sign_in, sign_in
from tests.e2e.driver.seed import Seeded, new_staff
from tests.live_server import LiveServer
from trainer.accounts.models import Network, Role
from trainer.extensions import db


@dataclass
class Office:
    room: Seeded
    email: str
    password: str
    elsewhere_email: str  # an account with a password, staff of another network only
    elsewhere_password: str


@pytest.fixture
def office(live_server: LiveServer, seed_network) -> Office:
    room = seed_network()
    with live_server.app_context():
        other = Network(
            name="となり町見守りネットワーク", prefecture="さくら県", municipality="となり町"
        )
        db.session.add(other)
        db.session.commit()
        email, password = new_staff(room.network_id, "事務局 一子", Role.SECRETARIAT, "secretariat")
        other_email, other_password = new_staff(
            other.id, "隣町 二郎", Role.SECRETARIAT, "elsewhere"
        )
    return Office(room, email, password, other_email, other_password)


def invite(page: Page, email: str, name: str) -> str:
    """職員 → 職員を追加する → the link page; returns the link shown."""
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="職員", exact=True
    ).click()
    page.get_by_role("link", name="職員を追加する").click()
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("氏名").fill(name)
    page.get_by_label("役割").select_option(label="講師")
    page.get_by_role("button", name="招待リンクを作る").click()
    expect(page.get_by_role("heading", name="招待リンク", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="招待リンクのQRコード")).to_be_visible()
    return page.get_by_label("リンク（URL）").input_value()


def test_the_secretariat_invites_a_new_person_and_someone_with_an_account(
    live_server: LiveServer, office: Office, pages: Pages, screenshot
) -> None:
    room = office.room
    findings: list[Finding] = []

    def check(page: Page, label: str) -> None:
        findings.extend(check_page(page, label))

    desk = pages.desktop("secretariat")
    sign_in(desk, live_server.base_url, office.email, office.password)
    expect(desk.get_by_text("事務局 一子（事務局）")).to_be_visible()

    # A new person: the link page, then the person's phone.
    newcomer_email = f"new-{uuid.uuid4().hex[:10]}@example.jp"
    link = invite(desk, newcomer_email, "新人 三郎")
    expect(desk.get_by_text(f"新人 三郎さん（{newcomer_email}）を")).to_be_visible()
    check(desk, "invitation link")
    screenshot(desk, "invitation-link-1280")

    phone = pages.phone("newcomer")
    phone.goto(link)
    expect(phone.get_by_role("heading", name=f"「{room.network_name}」への招待")).to_be_visible()
    check(phone, "invitation: choose a password")
    screenshot(phone, "invitation-password-360")
    phone.get_by_label("新しいパスワード", exact=True).fill("newcomer-password-1")
    phone.get_by_label("新しいパスワード（確認）").fill("newcomer-password-1")
    phone.get_by_role("button", name="パスワードを決めて承諾する").click()
    expect(phone.get_by_role("status")).to_contain_text(
        f"「{room.network_name}」の講師になりました"
    )
    expect(phone.get_by_text("新人 三郎（講師）")).to_be_visible()

    # Someone with an account in another network: the page shows only what the secretariat typed.
    link = invite(desk, office.elsewhere_email, "隣町さん（入力）")
    expect(desk.get_by_text("隣町 二郎")).to_have_count(0)
    desk.get_by_role("link", name="戻る").click()
    invited = desk.get_by_role("row").filter(has_text=office.elsewhere_email)
    expect(invited).to_contain_text("隣町さん（入力）")
    expect(invited.get_by_role("button", name="リンクを作り直す")).to_be_visible()
    check(desk, "staff with invitations")

    phone = pages.phone("invited with an account")
    phone.goto(link)
    expect(phone.get_by_text("管理者にパスワード再設定用リンクの発行を依頼")).to_be_visible()
    check(phone, "invitation: sign in first")
    phone.get_by_role("link", name="ログインする").click()
    fill_sign_in(phone, office.elsewhere_email, office.elsewhere_password)
    # Back on the invitation, as that account.
    expect(phone.get_by_text("隣町 二郎さん")).to_be_visible()
    check(phone, "invitation: accept")
    screenshot(phone, "invitation-accept-360")
    phone.get_by_role("button", name="承諾する").click()
    expect(phone.get_by_role("status")).to_contain_text(
        f"「{room.network_name}」の講師になりました"
    )

    desk.reload()
    expect(desk.get_by_role("cell", name="隣町 二郎", exact=True)).to_be_visible()  # joined
    expect(desk.get_by_text("招待中の人はいません。")).to_be_visible()
