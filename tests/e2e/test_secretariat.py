"""The secretariat's week in one Chromium (1280 px), with a phone (360 px) for the public check.

The secretariat signs in with a password and imports the roster twice through 構成員 → 名簿を
取り込む: first the office's UTF-8 CSV (with a BOM, as Excel's 「CSV UTF-8」 writes it), then
next month's Shift_JIS file (Excel's plain 「CSV」, cp932) with one change, two new people whose
names need cp932's extra characters (髙, 﨑) and one person left out. Each preview is read as a
person reads it (the 新規 / 更新 / 変更なし counts, the row they look for, the change old → new)
before 取り込む. Then 受講状況 (counts per organisation), 書き出し (the members CSV), 修了証 →
構成員証を印刷する (the badge PDF), and the revocation of the one certificate, checked on a phone's
/verify page before and after. Then June's file, with a line pasted twice (merged, with a notice)
and two bad rows, imported without them through 「問題のない行だけ取り込む」; the end of one
membership, through its confirmation page (and 「戻って直す」 once); and the staff menu on a
phone, folded behind 「メニュー」.

Only what people see is asserted; the files people download are opened as they would open them.
axe-core checks every page visited (tests/e2e/axe.py).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from tests.e2e.axe import Finding, check_page
from tests.e2e.conftest import Pages
from tests.e2e.driver.actions import card, download, fill_sign_in
from tests.e2e.driver.files import pdf_text
from tests.e2e.driver.roster import choose_roster_file, roster_csv
from tests.e2e.driver.seed import Seeded, new_staff
from tests.live_server import LiveServer
from tests.quizzes.helpers import take
from tests.tools import need
from trainer.accounts.models import Member, Role
from trainer.certificates import service as certificates
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import QuizQuestion

NEWSPAPER = "みどり新聞販売所"  # not on the roster yet: its kind cannot be guessed from the name
NEWSPAPER_KIND = "生協・宅配事業者"  # what the secretariat chooses for it
SHOP = "ひまわり商店"  # named only by a row that cannot be imported: never registered
END_REASON = "異動のため（本店の営業部へ）"
REVOKE_REASON = "構成員証を紛失したため（再発行の手続き中）"


@dataclass
class Office:
    """The seeded network (see seed_network) with its secretariat, and who passed the course."""

    room: Seeded
    email: str
    password: str
    passer: str  # the seeded member, who passed the post-quiz through the services


@pytest.fixture
def office(live_server: LiveServer, seed_network) -> Office:
    """seed_network's network plus a secretariat user who signs in with a password, and its
    one member (見守 花子) passed through the quiz services, so that 修了 is not zero and there
    is a certificate to print and revoke."""
    room = seed_network()
    with live_server.app_context():
        email, password = new_staff(room.network_id, "事務局 一子", Role.SECRETARIAT, "secretariat")
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        member = db.session.scalar(
            select(Member).where(
                Member.network_id == room.network_id, Member.name == room.member_name
            )
        )
        everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
        take(member, course, "pre", right=set())
        take(member, course, "post", right=everything)
        assert certificates.latest_for(db.session, member, course) is not None
    return Office(room=room, email=email, password=password, passer=room.member_name)


@dataclass
class Desk:
    """The secretariat at work: the office, its devices, the folder for files, and the
    accessibility checks made so far."""

    live: LiveServer
    office: Office
    pages: Pages
    screenshot: Callable[[Page, str], Path]
    folder: Path
    findings: list[Finding] = field(default_factory=list)
    checks: int = 0

    @property
    def room(self) -> Seeded:
        return self.office.room

    def check(self, page: Page, label: str) -> None:
        """axe-core on the page as it is now, under a label."""
        self.checks += 1
        self.findings.extend(check_page(page, label))

    def shoot(self, page: Page, name: str) -> None:
        """The page at 1280 px and at a phone's 360 px (the same page, resized), then back. The
        width the page was not opened at gets its own axe check: the layouts differ (tables
        become stacked cards at 360 px)."""
        size = page.viewport_size
        for width, height in ((1280, 900), (360, 740)):
            page.set_viewport_size({"width": width, "height": height})
            if width != size["width"]:
                self.check(page, f"{name} at {width} px")
            self.screenshot(page, f"secretariat-{name}-{width}")
        page.set_viewport_size(size)


# --- files the office has -------------------------------------------------------------------------


def roster_file(folder: Path, name: str, rows: list[tuple[str, ...]], encoding: str) -> Path:
    """A roster as Excel saves it (driver.roster.roster_csv), kept as a file in the folder."""
    path = folder / name
    path.write_bytes(roster_csv(rows, encoding))
    return path


def april_roster(room: Seeded, folder: Path) -> Path:
    """Four new people (one in a new organisation) and the member already on the roster."""
    return roster_file(
        folder,
        "名簿_4月.csv",
        [
            (room.organisation, room.member_name, room.member_kana, "", "", "2025/4/1"),
            (room.organisation, "介護 一美", "かいご かずみ", "ケアマネ", "40代", "2026/4/1"),
            (room.other_organisation, "桜井 次郎", "さくらい じろう", "窓口", "40代", "2026/4/1"),
            (room.other_organisation, "金子 三恵", "かねこ みえ", "外勤", "30代", "令和8年4月1日"),
            (NEWSPAPER, "配達 四郎", "はいたつ しろう", "配達", "60代", "2026/4/1"),
        ],
        "utf-8-sig",
    )


def may_roster(room: Seeded, folder: Path) -> Path:
    """Next month's file: 桜井 次郎 is now in his fifties, two new people have names only cp932
    (not plain Shift_JIS) can write, and 金子 三恵 is missing from it."""
    path = roster_file(
        folder,
        "名簿_5月.csv",
        [
            (room.organisation, room.member_name, room.member_kana, "", "", "2025/4/1"),
            (room.organisation, "介護 一美", "かいご かずみ", "ケアマネ", "40代", "2026/4/1"),
            (room.other_organisation, "桜井 次郎", "さくらい じろう", "窓口", "50代", "2026/4/1"),
            (room.other_organisation, "髙橋 美﨑", "たかはし みさき", "外勤", "20代", "2026/5/1"),
            (NEWSPAPER, "配達 四郎", "はいたつ しろう", "配達", "60代", "2026/4/1"),
            (NEWSPAPER, "山﨑 五郎", "やまさき ごろう", "配達", "50代", "2026/5/1"),
        ],
        "cp932",
    )
    # The point of this file: it is not UTF-8, so the app must find out it is cp932.
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    return path


# --- what the secretariat does --------------------------------------------------------------------


def signs_in(page: Page, desk: Desk) -> None:
    page.goto(desk.live.url("/login"))
    expect(page.get_by_role("heading", name="職員ログイン")).to_be_visible()
    desk.check(page, "login")
    fill_sign_in(page, desk.office.email, desk.office.password)
    # One network: straight to its dashboard, named after the municipality.
    expect(page.get_by_role("heading", name="みどり市の見守りネットワーク")).to_be_visible()
    expect(page.get_by_text("事務局 一子（事務局）")).to_be_visible()
    desk.check(page, "dashboard")


def open_menu(page: Page, item: str, heading: str) -> None:
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name=item, exact=True
    ).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


def expect_cards(page: Page, counts: dict[str, str]) -> None:
    for title, text in counts.items():
        expect(card(page, title), title).to_have_text(text)


def upload(page: Page, path: Path, desk: Desk) -> None:
    """構成員 → 名簿を取り込む → choose the file → 内容を確認する: the preview."""
    open_menu(page, "構成員", "構成員")
    desk.check(page, "members")
    page.get_by_role("link", name="名簿を取り込む（CSV・Excel）").click()
    expect(page.get_by_role("heading", name="名簿の取り込み", level=1)).to_be_visible()
    desk.check(page, "import upload")
    choose_roster_file(page, path.name, path.read_bytes())
    expect(page.get_by_role("heading", name="名簿の取り込み：内容の確認")).to_be_visible()
    expect(page.get_by_text(f"ファイル：{path.name}")).to_be_visible()
    expect(page.get_by_text("まだ名簿は変わっていません。")).to_be_visible()


def confirm(page: Page, message: str) -> None:
    page.get_by_role("button", name="取り込む").click()
    expect(page.get_by_role("heading", name="名簿の取り込み：結果")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=message)).to_be_visible()


def row_of(where: Page | Locator, text: str) -> Locator:
    """The one table row (on the page, or in one of its tables) that names this person or
    organisation."""
    row = where.get_by_role("row").filter(has_text=text)
    expect(row).to_have_count(1)
    return row


def completion_counts(page: Page, organisation: str) -> dict[str, str]:
    """One organisation's line of the 受講状況 table, as {column header: the count shown}."""
    table = page.locator("table.completion")
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()][1:]
    row = table.locator("tr").filter(
        has=page.get_by_role("rowheader", name=re.compile(f"^{re.escape(organisation)}"))
    )
    # Each cell shows the count (a link to the people behind it, or a grey 0) and a rate.
    cells = [c.locator("a, .zero").first.inner_text() for c in row.locator("td").all()]
    return dict(zip(headers, cells, strict=True))


def without_spaces(text: str) -> str:
    """Without spaces of any width, as a person compares printed names."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# --- the journey ---------------------------------------------------------------------------------


def test_the_secretariat_imports_the_roster_follows_completion_exports_and_revokes(
    live_server: LiveServer, office: Office, pages: Pages, screenshot, tmp_path: Path
) -> None:
    need("pdftotext")
    desk = Desk(live_server, office, pages, screenshot, tmp_path)
    page = pages.desktop("secretariat")
    signs_in(page, desk)
    imports_april(page, desk)
    imports_may(page, desk)
    follows_completion(page, desk)
    serial = exports_the_members(page, desk)
    prints_the_badges(page, desk, serial)
    revokes_the_certificate(page, desk, serial)
    imports_june_without_the_bad_rows(page, desk)
    ends_a_membership(page, desk)
    uses_the_menu_on_a_phone(page, desk)

    # Minor and moderate findings (serious ones have failed the test): shown with `pytest -rP`.
    print(f"axe-core: {desk.checks} checks, {len(desk.findings)} minor or moderate findings")
    for finding in desk.findings:
        print(finding)


def imports_april(page: Page, desk: Desk) -> None:
    """April's roster, UTF-8 with a BOM: four new people and a new organisation."""
    room = desk.room
    upload(page, april_roster(room, desk.folder), desk)
    expect_cards(page, {"新規": "4人", "更新": "0人", "変更なし": "1人", "取り込めない": "0行"})
    expect(page.get_by_role("heading", name="新規（4人）")).to_be_visible()
    jiro = row_of(page, "桜井 次郎")
    expect(jiro).to_contain_text(room.other_organisation)
    expect(jiro).to_contain_text("内勤（窓口・事務）")  # 「窓口」 in the file
    expect(jiro).to_contain_text("40代")
    expect(row_of(page, "金子 三恵")).to_contain_text("2026年4月1日")  # 令和8年4月1日 in the file
    # The new organisation, whose kind the secretariat chooses.
    expect(page.get_by_role("heading", name="新しく登録する構成団体（1件）")).to_be_visible()
    new_organisations = page.locator("table", has=page.get_by_role("columnheader", name="種別"))
    expect(row_of(new_organisations, NEWSPAPER)).to_contain_text("1人")
    desk.check(page, "import preview (UTF-8)")
    page.get_by_label(f"{NEWSPAPER}の種別").select_option(label=NEWSPAPER_KIND)
    confirm(page, "新規 4人、更新 0人、退会 0人、構成団体 1件を登録しました。")
    expect_cards(page, {"新規": "4人", "更新": "0人", "退会": "0人", "構成団体の登録": "1件"})
    desk.check(page, "import result (UTF-8)")

    page.get_by_role("link", name="構成員の一覧を見る").click()
    expect(page.get_by_role("heading", name="構成員", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^5人"))
    expect(row_of(page, "配達 四郎")).to_contain_text(NEWSPAPER)
    desk.check(page, "members after April")


def imports_may(page: Page, desk: Desk) -> None:
    """May's roster, Shift_JIS (cp932): one change, two new, one left out."""
    room = desk.room
    upload(page, may_roster(room, desk.folder), desk)
    expect_cards(page, {"新規": "2人", "更新": "1人", "変更なし": "3人", "取り込めない": "0行"})
    expect(row_of(page, "髙橋 美﨑")).to_contain_text("20代以下")  # the characters survived
    expect(row_of(page, "山﨑 五郎")).to_contain_text(NEWSPAPER)
    expect(page.get_by_role("heading", name="更新（1人）")).to_be_visible()
    expect(row_of(page, "桜井 次郎")).to_contain_text("年代：40代 → 50代")
    # Left out of the file: listed, and not ticked, so nobody is ended without being chosen.
    expect(page.get_by_role("heading", name="ファイルに載っていない構成員（1人）")).to_be_visible()
    to_end = page.get_by_role("group", name="退会にする人")
    expect(to_end.get_by_role("checkbox", name=re.compile("金子 三恵"))).not_to_be_checked()
    expect(to_end.get_by_role("checkbox", name=re.compile("一覧の全員"))).not_to_be_checked()
    desk.check(page, "import preview (cp932)")
    desk.shoot(page, "import-preview")
    confirm(page, "新規 2人、更新 1人、退会 0人、構成団体 0件を登録しました。")
    expect_cards(page, {"新規": "2人", "更新": "1人", "退会": "0人", "構成団体の登録": "0件"})
    desk.check(page, "import result (cp932)")

    page.get_by_role("link", name="構成員の一覧を見る").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^7人"))
    expect(row_of(page, "髙橋 美﨑")).to_contain_text(room.other_organisation)
    expect(row_of(page, "山﨑 五郎")).to_contain_text("在籍")
    expect(row_of(page, "金子 三恵")).to_contain_text("在籍")  # left out, still a member
    desk.check(page, "members after May")
    desk.shoot(page, "members")


def follows_completion(page: Page, desk: Desk) -> None:
    """受講状況: one passed (見守 花子), the six imported people did nothing."""
    room = desk.room
    open_menu(page, "受講状況", "受講状況")
    lead = page.locator(".completion-lead")
    expect(lead).to_contain_text("在籍者 7人のうち、修了 1人（14%）・未受講 6人")
    care = completion_counts(page, room.organisation)
    assert care == {
        "未受講": "1", "事前済": "0", "学習中": "0", "確認待ち": "0", "修了": "1",
        "うち有効": "1", "うち期限近": "0", "うち失効": "0", "在籍者": "2",
    }, care  # fmt: skip
    bank = completion_counts(page, room.other_organisation)
    assert (bank["未受講"], bank["修了"], bank["在籍者"]) == ("3", "0", "3"), bank
    newspaper = completion_counts(page, NEWSPAPER)
    assert (newspaper["未受講"], newspaper["修了"], newspaper["在籍者"]) == ("2", "0", "2")
    # The kind chosen at the import is the one shown under the organisation's name.
    expect(page.get_by_role("rowheader", name=re.compile(f"^{NEWSPAPER}"))).to_contain_text(
        NEWSPAPER_KIND
    )
    total = completion_counts(page, "合計")
    assert (total["未受講"], total["修了"], total["在籍者"]) == ("6", "1", "7"), total
    desk.check(page, "completion")
    desk.shoot(page, "completion")


def exports_the_members(page: Page, desk: Desk) -> str:
    """書き出し → 構成員一覧（受講状況つき） as CSV, opened as Excel would; returns the
    certificate number it lists for the one who passed."""
    room, passer = desk.room, desk.office.passer
    open_menu(page, "書き出し", "書き出し")
    desk.check(page, "exports")
    members_box = page.get_by_role("region", name="構成員一覧（受講状況つき）")
    button = members_box.get_by_role("link", name="CSVで書き出す")
    members_csv = desk.folder / "members.csv"
    download(page, button, members_csv)
    data = members_csv.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]  # the BOM: Excel reads it as UTF-8
    exported = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    by_name = {row["氏名"]: row for row in exported}
    assert len(exported) == 7, sorted(by_name)
    assert by_name["髙橋 美﨑"]["構成団体"] == room.other_organisation
    assert by_name["髙橋 美﨑"]["状況"] == "未受講"
    assert by_name["桜井 次郎"]["年代"] == "50代"
    assert by_name[passer]["状況"] == "修了証有効"
    serial = by_name[passer]["修了証番号"]
    assert re.fullmatch(r"第\d{5}号", serial), serial
    return serial


def prints_the_badges(page: Page, desk: Desk, serial: str) -> None:
    """修了証 → 構成員証を印刷する: the badge PDF names the certified member."""
    passer = desk.office.passer
    open_menu(page, "修了証", "修了証")
    expect(row_of(page, passer)).to_contain_text("有効")
    desk.check(page, "certificates")
    page.get_by_role("link", name="構成員証を印刷する").click()
    expect(page.get_by_role("heading", name="構成員証の印刷")).to_be_visible()
    expect(page.get_by_text("対象：1人")).to_be_visible()
    expect(row_of(page, passer)).to_contain_text(serial)
    desk.check(page, "badges")
    badge_pdf = desk.folder / "badges.pdf"
    download(page, page.get_by_role("button", name="PDFをダウンロード"), badge_pdf)
    assert badge_pdf.read_bytes().startswith(b"%PDF"), badge_pdf.read_bytes()[:20]
    text = pdf_text(badge_pdf)
    assert without_spaces(passer) in without_spaces(text), text
    assert without_spaces(desk.room.organisation) in without_spaces(text), text


def revokes_the_certificate(page: Page, desk: Desk, serial: str) -> None:
    """The certificate: 有効 on a phone, revoked with a reason after a confirmation page (which
    records nothing, and whose 「戻って直す」 keeps the reason), then 取消 on the phone; and
    受講状況 follows: still 修了 (passed once), now counted as 失効 instead of 有効."""
    passer = desk.office.passer
    open_menu(page, "修了証", "修了証")
    row_of(page, passer).get_by_role("link", name=serial).click()
    expect(page.get_by_role("heading", name=f"修了証 {serial}")).to_be_visible()
    expect(page.locator("main .badge")).to_have_text("有効")
    # The address is the link's text; the slashes escaped, as Playwright hands the pattern to JS.
    verify_url = page.get_by_role("link", name=re.compile(r"\/verify\/")).get_attribute("href")
    assert verify_url and verify_url.startswith(desk.live.url("/verify/")), verify_url
    desk.check(page, "certificate (valid)")

    phone = desk.pages.phone("someone checking the badge")
    phone.goto(verify_url)
    expect(phone.get_by_role("heading", name="修了証・構成員証の確認")).to_be_visible()
    expect(phone.locator(".check-result-label")).to_have_text("有効")
    expect(phone.locator(".verify-name")).to_have_text(passer)
    desk.check(phone, "verify (valid)")
    desk.shoot(phone, "verify-valid")

    page.get_by_role("button", name="取り消す").click()  # without a reason: refused
    expect(page.get_by_text("取り消す理由を入力してください。")).to_be_visible()
    expect(page.locator("main .badge")).to_have_text("有効")
    desk.check(page, "certificate (reason missing)")
    page.get_by_label("取り消す理由").fill(REVOKE_REASON)
    page.get_by_role("button", name="取り消す").click()
    # Asked once more, with what will be recorded; nothing is recorded yet.
    expect(page.get_by_role("heading", name="修了証の取り消しの確認", level=1)).to_be_visible()
    facts = page.locator("main dl.facts")
    for fact in (passer, serial, REVOKE_REASON):
        expect(facts).to_contain_text(fact)
    desk.check(page, "certificate revocation (confirmation)")
    desk.shoot(page, "certificate-revoke-confirm")
    phone.reload()
    expect(phone.locator(".check-result-label")).to_have_text("有効")
    # 「戻って直す」 keeps what was typed.
    page.get_by_role("button", name="戻って直す").click()
    expect(page.get_by_role("heading", name=f"修了証 {serial}")).to_be_visible()
    expect(page.get_by_label("取り消す理由")).to_have_value(REVOKE_REASON)
    expect(page.locator("main .badge")).to_have_text("有効")
    page.get_by_role("button", name="取り消す").click()
    expect(page.get_by_role("heading", name="修了証の取り消しの確認", level=1)).to_be_visible()
    page.get_by_role("button", name="取り消す").click()
    expect(
        page.get_by_role("status").filter(has_text=f"修了証 {serial} を取り消しました。")
    ).to_be_visible()
    expect(page.locator("main .badge")).to_have_text("取消")
    expect(page.get_by_text(f"理由：{REVOKE_REASON}")).to_be_visible()
    expect(page.get_by_role("button", name="取り消す")).to_have_count(0)  # cannot be undone
    desk.check(page, "certificate (revoked)")
    desk.shoot(page, "certificate-revoked")
    revoked_on_the_phone(phone, desk)

    open_menu(page, "受講状況", "受講状況")
    care = completion_counts(page, desk.room.organisation)
    assert (care["修了"], care["うち有効"], care["うち失効"]) == ("1", "0", "1"), care
    desk.check(page, "completion after the revocation")


def revoked_on_the_phone(phone: Page, desk: Desk) -> None:
    phone.reload()
    expect(phone.locator(".check-result-label")).to_have_text("取消")
    expect(
        phone.get_by_text("この修了証は、発行した協議会によって取り消されています。")
    ).to_be_visible()
    expect(phone.locator("main")).not_to_contain_text(REVOKE_REASON)  # the reason stays inside
    desk.check(phone, "verify (revoked)")
    desk.shoot(phone, "verify-revoked")


def june_roster(room: Seeded, folder: Path) -> Path:
    """June's file, typed in katakana: one person unchanged, one new person whose line was
    pasted twice, a row with a job type the app does not know, and a shop named only by a row
    with an impossible age band."""
    new = (room.other_organisation, "新井 六子", "アライ ロクコ", "窓口", "30代", "2026/6/1")
    return roster_file(
        folder,
        "名簿_6月.csv",
        [
            (room.organisation, "介護 一美", "カイゴ カズミ", "ケアマネ", "40代", "2026/4/1"),
            new,
            (room.other_organisation, "誤記 七郎", "", "運転手", "", ""),
            new,
            (SHOP, "店主 八郎", "", "", "90代以下", ""),
        ],
        "utf-8-sig",
    )


def imports_june_without_the_bad_rows(page: Page, desk: Desk) -> None:
    """The duplicate line is merged with a notice; the two bad rows are left out after a page
    that lists them; the kana are stored in hiragana."""
    room = desk.room
    upload(page, june_roster(room, desk.folder), desk)
    expect_cards(page, {"新規": "1人", "更新": "0人", "変更なし": "1人", "取り込めない": "2行"})
    expect(
        page.get_by_text("5行目は3行目とまったく同じ内容です。重複のため1件にまとめました。")
    ).to_be_visible()
    rejected = page.locator(".import-rejected")
    expect(rejected).to_contain_text("4行目：職種「運転手」は使えません。")
    expect(rejected).to_contain_text("6行目：年代「90代以下」は使えません。")
    expect(page.get_by_role("button", name="取り込む")).to_have_count(0)
    # 介護 一美's katakana is her stored hiragana: unchanged; the new person shown in hiragana.
    expect(row_of(page, "新井 六子")).to_contain_text("あらい ろくこ")
    expect(page.get_by_text("新しく登録する構成団体")).to_have_count(0)  # SHOP: a rejected row only
    desk.check(page, "import preview (rejected rows)")

    page.get_by_role("link", name="問題のない行だけ取り込む").click()
    expect(page.get_by_role("heading", name="名簿の取り込み：取り込まない行の確認")).to_be_visible()
    expect(page.get_by_text("次の2行は取り込みません。")).to_be_visible()
    skipped = page.locator(".import-skipped")
    expect(row_of(skipped, "誤記 七郎")).to_contain_text("4行目")
    expect(row_of(skipped, "誤記 七郎")).to_contain_text("職種「運転手」は使えません。")
    expect(row_of(skipped, "店主 八郎")).to_contain_text(SHOP)
    desk.check(page, "import: the rows left out")
    desk.shoot(page, "import-skip")
    page.get_by_role("button", name="問題のない行だけ取り込む").click()
    expect(page.get_by_role("heading", name="名簿の取り込み：結果")).to_be_visible()
    expect(
        page.get_by_role("status").filter(
            has_text="新規 1人、更新 0人、退会 0人、構成団体 0件を登録しました。"
            "取り込めない2行は取り込んでいません。"
        )
    ).to_be_visible()
    expect(page.get_by_text("取り込めない2行は、取り込んでいません。")).to_be_visible()
    desk.check(page, "import result (rows left out)")
    desk.shoot(page, "import-result-skipped")

    page.get_by_role("link", name="構成員の一覧を見る").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^8人"))
    expect(row_of(page, "新井 六子")).to_contain_text("あらい ろくこ")
    expect(page.get_by_role("row").filter(has_text="誤記 七郎")).to_have_count(0)
    open_menu(page, "構成団体", "構成団体")
    expect(page.get_by_role("row").filter(has_text=SHOP)).to_have_count(0)


def ends_a_membership(page: Page, desk: Desk) -> None:
    """金子 三恵 has left: 退会を記録する → the confirmation page with the date and reason →
    「戻って直す」 keeps what was typed → 退会を記録する records it."""
    open_menu(page, "構成員", "構成員")
    row_of(page, "金子 三恵").get_by_role("link", name="金子 三恵").click()
    expect(page.get_by_role("heading", name="金子 三恵さん", level=1)).to_be_visible()
    page.get_by_role("link", name="退会を記録する").click()
    expect(page.get_by_role("heading", name="金子 三恵さんの退会の記録")).to_be_visible()
    page.get_by_label("退会日").fill("2026-06-30")
    page.get_by_label("理由（任意）").fill("異動のため")
    page.get_by_role("button", name="内容を確認する").click()

    expect(page.get_by_role("heading", name="金子 三恵さんの退会の確認")).to_be_visible()
    facts = page.locator("dl.confirm-facts")
    expect(facts).to_contain_text("2026年6月30日")
    expect(facts).to_contain_text("異動のため")
    expect(page.locator("main .badge")).to_have_count(0)  # not on the member's page: nothing done
    desk.check(page, "end membership: confirmation")
    page.get_by_role("button", name="戻って直す").click()
    expect(page.get_by_role("heading", name="金子 三恵さんの退会の記録")).to_be_visible()
    expect(page.get_by_label("退会日")).to_have_value("2026-06-30")
    expect(page.get_by_label("理由（任意）")).to_have_value("異動のため")
    page.get_by_label("理由（任意）").fill(END_REASON)
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.locator("dl.confirm-facts")).to_contain_text(END_REASON)
    desk.shoot(page, "member-end-confirm")

    page.get_by_role("button", name="退会を記録する").click()
    expect(page.get_by_role("heading", name="金子 三恵さん", level=1)).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text="金子 三恵さんの退会を記録しました。")
    ).to_be_visible()
    expect(page.locator("main .badge").first).to_have_text("退会")
    expect(page.locator("dl.facts")).to_contain_text(f"2026年6月30日（{END_REASON}）")
    desk.check(page, "member after the end")


def uses_the_menu_on_a_phone(page: Page, desk: Desk) -> None:
    """At 360 px the staff menu is one 「メニュー」 button and the page title is on the first
    screen; opened, it lists the pages; nothing is wider than the screen."""
    size = page.viewport_size
    open_menu(page, "構成員", "構成員")  # at 1280 px: the open menu, as before
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    folded = page.locator("details.nav-fold > nav")
    expect(folded).to_be_hidden()
    title = page.get_by_role("heading", name="構成員", level=1)
    box = title.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740, box
    expect(page.get_by_role("link", name="受講状況", exact=True)).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    desk.check(page, "members at 360 px, menu folded")
    desk.screenshot(page, "secretariat-menu-folded-360")
    page.get_by_text("メニュー", exact=True).click()
    menu = page.get_by_role("navigation", name="メインメニュー")
    expect(menu.get_by_role("link", name="受講状況", exact=True)).to_be_visible()
    desk.check(page, "members at 360 px, menu open")
    desk.screenshot(page, "secretariat-menu-open-360")
    menu.get_by_role("link", name="受講状況", exact=True).click()
    expect(page.get_by_role("heading", name="受講状況", level=1)).to_be_visible()
    expect(folded).to_be_hidden()  # folded again on the next page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size(size)
