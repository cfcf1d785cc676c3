"""The prefecture page in a browser: a prefecture's account signs in through the login form,
lands on its page, reads two networks side by side (one too small to show), and the page fits a
phone. Screenshots at 360 px and 1280 px for people to look at (never compared)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.axe import check_page, with_axe
from tests.e2e.driver.actions import sign_in
from tests.quizzes.helpers import set_local_facts, take
from trainer.accounts import roster
from trainer.accounts.models import Network, Organisation, User
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.prefecture.models import NATIONAL, AreaRole
from trainer.quizzes.models import QuizQuestion
from trainer.security import hash_password

PREFECTURE = "もみじ県"  # the other e2e tests' networks are in さくら県


def area_account(prefecture: str) -> tuple[str, str]:
    """An account with the area role (inside an app context): (e-mail, password)."""
    password = "e2e-" + secrets.token_urlsafe(12)
    email = f"area-{uuid.uuid4().hex[:10]}@example.jp"
    user = User(email=email, name="県 担当", password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    db.session.add(AreaRole(user_id=user.id, prefecture=prefecture))
    db.session.commit()
    return email, password


def seed_area(live_server, seed_network) -> tuple[str, str]:
    """Two networks of もみじ県 with results (8 learners; 3 in the second, hidden), and a
    prefecture account: (e-mail, password)."""
    networks = [seed_network(), seed_network()]
    with live_server.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
        for seeded, count in zip(networks, (8, 3), strict=True):
            network = db.session.get(Network, seeded.network_id)
            network.prefecture = PREFECTURE
            set_local_facts(network)
            org = db.session.scalar(
                select(Organisation).where(Organisation.network_id == network.id)
            )
            for n in range(count):
                member = roster.create_member(
                    db.session,
                    network_id=network.id,
                    data=roster.MemberInput(
                        organisation_id=org.id,
                        name=f"県内 {n}子",
                        membership_start=date(2025, 4, 1),
                    ),
                    actor=None,
                )
                take(member, course, "pre", right=set(sorted(everything)[: n % 4]))
                if n % 3:
                    take(member, course, "post", right=everything)
        return area_account(PREFECTURE)


def test_a_prefecture_reads_its_networks_side_by_side(live_server, seed_network, pages, screenshot):
    email, password = seed_area(live_server, seed_network)
    for screen, name in ((pages.desktop, "1280"), (pages.phone, "360")):
        page = with_axe(screen("prefecture"))
        sign_in(page, live_server.base_url, email, password)
        expect(page).to_have_url(live_server.url("/prefecture/"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{PREFECTURE}の集計")
        table = page.locator("table.area")
        expect(table).to_contain_text("5人未満のため非表示")
        expect(table.locator("tfoot")).to_contain_text("合計")
        expect(page.locator(".completion-lead")).to_contain_text("時点")
        assert "県内" not in page.content()  # no member's name anywhere
        assert page.evaluate("document.documentElement.scrollWidth") <= (
            360 if name == "360" else 1280
        )
        check_page(page, f"prefecture {name}")
        screenshot(page, f"prefecture-{name}")


def test_the_national_account_goes_from_prefectures_to_networks(
    live_server, seed_network, pages, screenshot
):
    seed_area(live_server, seed_network)
    with live_server.app_context():
        email, password = area_account(NATIONAL)
    page = with_axe(pages.desktop("national"))
    sign_in(page, live_server.base_url, email, password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("全国の集計")
    expect(page.locator("table.area tfoot")).to_contain_text("全国の合計")
    check_page(page, "national")
    screenshot(page, "prefecture-national-1280")
    page.get_by_role("link", name=f"{PREFECTURE}（", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{PREFECTURE}の集計")
    expect(page.get_by_role("link", name="全国の都道府県別の表に戻る")).to_be_visible()
    assert "県内" not in page.content()
