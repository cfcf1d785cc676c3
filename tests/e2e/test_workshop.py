"""A small workshop in one Chromium: the trainer's control page and projector (1280 px) and three
participants' phones (360 px), each in its own browser context.

What people see is what is checked: the projector and the phones follow the trainer without
anyone reloading them (the projector fetches its live part every 2 s, the phones poll the phase
every 3 s and load themselves again), the tests are answered through the real radio buttons,
one participant passes the post-test with the answers from quizzes/basic-post.yaml and opens the
certificate and its /verify page, everyone sends the survey, and the trainer closes the workshop.

Typing a name proves nothing, so the trainer confirms the people in the room on the control page
(one 確認 button per row, or all at once after a roll call). A second phone that types the name
of someone already seated waits for the trainer and sees nothing of the seat: approved, it moves
to the workshop page by itself; rejected, it says so. A walk-in (not on the roster) who passes
gets a certificate that /verify shows as 確認中 until the secretariat confirms them as a member.

The projector and the control page show the wording the room answers: 問1 on the wall is 問1 on
most of the phones, in the pre-test and in the post-test (half the room is on the parallel form,
and a line says so). Someone who failed reads the explanations on their phone from アンケート
on; the control page stops offering the join code once the workshop has ended.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from tests.e2e.axe import check_page
from tests.e2e.conftest import Pages
from tests.e2e.driver.actions import card, sign_in, squash, submit
from tests.e2e.driver.browser import PHONE
from tests.e2e.driver.quiz import QUESTION_TEXT, asked_keys, post_questions
from tests.e2e.driver.seed import Seeded, add_member, add_staff
from tests.e2e.driver.workshop import (
    LIVE_MS,
    TEST_ITEMS,
    answer_test_by_position,
    answer_test_right,
    fill_join_form,
    fill_workshop_form,
    next_phase,
    send_survey,
    submit_test,
    wait_phase,
)
from tests.live_server import LiveServer
from trainer.accounts.models import Role
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.timeutil import today_jst


@dataclass
class Phone:
    page: Page
    name: str  # as typed when joining
    kana: str
    shown_as: str  # the name the page greets them with (the roster's spelling when matched)


@dataclass
class Room:
    """The workshop under way: who is in it and the devices they hold."""

    live: LiveServer
    seeded: Seeded
    pages: Pages
    screenshot: Callable[[Page, str], Path]
    trainer: Page
    projector: Page
    code: str
    phones: list[Phone]
    pre_wording: list[str] = field(default_factory=list)  # each phone's 問1 in the pre-test

    @property
    def passer(self) -> Phone:  # on the roster; confirmed by the trainer, passes first
        return self.phones[0]

    @property
    def walk_in(self) -> Phone:  # not on the roster; passes, 確認中 until the secretariat decides
        return self.phones[1]

    @property
    def other(self) -> Phone:  # not on the roster either; does not pass
        return self.phones[2]


# --- the trainer ----------------------------------------------------------------------------------


def create_workshop(
    page: Page,
    server: LiveServer,
    room: Seeded,
    title: str,
    screenshot: Callable[[Page, str], Path] | None = None,
) -> str:
    """Through the form at /n/<id>/workshops/new; returns the join code (without its space).
    The form's example is the network's own workshop, and its date starts at today."""
    page.goto(server.url(f"/n/{room.network_id}/workshops/new"))
    expect(page.get_by_text(f"例：{room.network_name}研修会")).to_be_visible()
    expect(page.get_by_label("開催日")).to_have_value(today_jst().isoformat())
    if screenshot:
        shoot_widths(page, screenshot, "workshop-new")
    fill_workshop_form(page, title, today_jst(), "みどり市役所 大会議室", invite=room.organisation)
    submit(page, page.get_by_role("button", name="作成する"))
    expect(page).to_have_url(re.compile(rf"/n/{room.network_id}/workshops/\d+$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    spaced = page.locator(".join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{3} [A-Z0-9]{3}", spaced), spaced
    expect(page.get_by_text(f"参加コード {spaced}")).to_be_visible()
    return spaced.replace(" ", "")


def bar_labels(projector: Page) -> list[str]:
    """The aria-labels of the projector's per-question bars, read in one go (the live part is
    replaced every 2 s)."""
    return projector.locator(".pj-bars svg[role=img]").evaluate_all(
        "svgs => svgs.map(s => s.getAttribute('aria-label'))"
    )


def expect_bars(projector: Page, pattern: str) -> None:
    """Wait until the first bar matches, then every bar must."""
    expect(projector.locator(".pj-bars svg[role=img]").first).to_have_attribute(
        "aria-label", re.compile(pattern), timeout=LIVE_MS
    )
    labels = bar_labels(projector)
    assert len(labels) == len(asked_keys({})), labels  # the network has no local facts set
    assert all(re.search(pattern, label) for label in labels), labels


def question_1(phone: Phone) -> str:
    """問1 of the test as this phone shows it."""
    item = phone.page.locator(f"{TEST_ITEMS}#item-1")
    return squash(item.locator(QUESTION_TEXT).first.inner_text())


def wall_shows_the_rooms_wording(room: Room, test: str) -> list[str]:
    """問1 on the projector and on the control page is 問1 as most of the phones show it (the
    bars pool the parallel forms; the text is the form most of the room got). With phones on
    both forms, one line says the others have a parallel question. Returns each phone's 問1."""
    shown = [question_1(phone) for phone in room.phones]
    ((majority, most),) = Counter(shown).most_common(1)
    others = len(shown) - most
    start = re.compile("^" + re.escape(majority[:40]))  # a long text ends in … on the wall
    for other in set(shown) - {majority}:
        assert not start.match(other), "the parallel forms' 問1 begin differently"
    expect(room.projector.locator(".pj-bars .qbar-text").first).to_have_text(start, timeout=LIVE_MS)
    forms = room.projector.locator(".pj-forms")
    expect(forms).to_contain_text(f"{test}の問題文は、テスト", timeout=LIVE_MS)
    expect(forms).to_contain_text(f"（{most}人）のものです。")
    if others:
        expect(forms).to_contain_text(f"ほかの{others}人には、同じ内容の別の問題")
    else:
        expect(forms).not_to_contain_text("ほかの")
    room.trainer.reload()
    expect(room.trainer.locator(".qbars .qbar-text").first).to_have_text(start)
    expect(room.trainer.locator(".bars-wording")).to_have_text(forms.inner_text())
    return shown


def fits_the_wall(projector: Page) -> None:
    """Nothing to scroll on a 1280 × 720 projector."""
    assert projector.viewport_size == {"width": 1280, "height": 720}
    assert projector.evaluate("document.documentElement.scrollHeight <= window.innerHeight"), (
        "the projector page scrolls"
    )


def participant_row(page: Page, name: str) -> Locator:
    """The control page's row of one participant (named as the roster spells them)."""
    return page.locator("table.list tbody tr").filter(has_text=name)


def confirm_button(page: Page, name: str) -> Locator:
    """A row's 「確認」: its accessible name says whom it confirms."""
    return page.get_by_role("button", name=f"{name}さんを本人確認済みにする")


def confirm_everyone(page: Page) -> None:
    """「未確認のN人を、まとめて確認済みにする」, after a roll call."""
    page.get_by_role(
        "button", name=re.compile(r"^未確認の\d+人を、まとめて確認済みにする$")
    ).click()


def flashed(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def waiting_device(page: Page) -> Locator:
    """The one phone listed under 「確認を待っている端末」 on the control page."""
    section = page.locator("section#waiting")
    expect(section.get_by_role("heading", name="確認を待っている端末（1台）")).to_be_visible()
    return section.locator(".waiting-list li")


def verify_url_of(server: LiveServer, room: Seeded, serial: int) -> str:
    """The /verify address a certificate's QR code holds (its token is kept on the row): the
    phone of someone whose certificate is 確認中 has no sheet to read it from."""
    with server.app_context():
        token = db.session.scalar(
            select(Certificate.token).where(
                Certificate.network_id == room.network_id, Certificate.serial == serial
            )
        )
    assert token, f"no certificate No. {serial} in {room.network_name}"
    return server.url(f"/verify/{token}")


def shoot_widths(page: Page, screenshot: Callable[[Page, str], Path], name: str) -> None:
    """Full-page pictures at 360 px (a phone) and 1280 px (a PC), whatever the page's own size."""
    size = page.viewport_size
    for width, height in ((360, PHONE["viewport"]["height"]), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size(size)


# --- the participants -----------------------------------------------------------------------------


def join(page: Page, server: LiveServer, code: str, room: Seeded, phone: Phone) -> None:
    page.goto(server.url(f"/join/{code}"))
    fill_join_form(page, room.organisation, phone.name, phone.kana)
    expect(page).to_have_url(re.compile(rf"/join/{code}/me$"))
    expect(page.get_by_text("受付が完了しました")).to_be_visible()
    expect(page.locator(".phase-who")).to_contain_text(
        f"{phone.shown_as}さん（{room.organisation}）"
    )


def claim_seat(
    page: Page, server: LiveServer, code: str, room: Seeded, name: str, kana: str
) -> None:
    """Another phone types the organisation and name of someone already seated: it waits for the
    trainer, and nothing of that seat is on its page."""
    page.goto(server.url(f"/join/{code}"))
    fill_join_form(page, room.organisation, name, kana)
    expect(page).to_have_url(re.compile(rf"/join/{code}/wait$"))
    expect(page.get_by_role("heading", name="講師の確認を待っています", level=1)).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text(f"「{name}」さんは、別のスマートフォンからすでに参加しています。")
    expect(main).to_contain_text("講師に声をかけて、この画面を見せてください。")


def sees_phase(phone: Phone, label: str) -> None:
    """The phone has followed the trainer by itself (the test never reloads it)."""
    wait_phase(phone.page, label)


def expect_pending(verifier: Page, name: str) -> None:
    """/verify of a certificate nobody has confirmed yet: 確認中, never 有効, never a member."""
    result = verifier.locator(".check-result")
    expect(verifier.locator(".check-result-label")).to_have_text("確認中")
    expect(verifier.locator(".check-result-mark")).to_have_text("…")
    expect(verifier.locator(".check-result-text")).to_have_text(
        "事務局の確認が済むまで、構成員証としては有効ではありません。"
        "（研修会での本人確認、または名簿への登録を待っています）"
    )
    expect(result).not_to_contain_text("✓")
    expect(result).not_to_contain_text("研修を修了しています")
    expect(verifier.locator(".check-result-ok")).to_have_count(0)
    expect(verifier.locator(".verify-name")).to_have_text(name)


# --- the workshop ---------------------------------------------------------------------------------


def test_a_small_workshop_with_the_projector_and_three_phones(
    live_server: LiveServer, seed_network, pages: Pages, screenshot
) -> None:
    seeded = seed_network()
    latecomer = ("見守 次郎", "みまもり じろう")  # on the roster too; joins after the roll call
    add_member(live_server, seeded.network_id, seeded.organisation, *latecomer)
    room = opens_the_workshop(live_server, seeded, pages, screenshot)
    phones_join(room)
    confirms_one_by_one(room)
    pre_test(room)
    post_test(room)
    verifier = passer_opens_the_certificate(room)
    walk_in_passes_pending(room, verifier)

    answer_test_by_position(room.other.page)
    submit_test(room.other.page, "事後テスト：")
    failed_before_the_survey(room)
    expect(room.projector.locator(".pj-progress")).to_contain_text("3 / 3人 提出", timeout=LIVE_MS)
    expect_bars(room.projector, r"^問\d+：事前 \d+%（3人）、事後 \d+%（3人）$")

    second = second_phone_claims_the_seat(room)
    trainer_approves_the_second_phone(room, second)
    third = trainer_rejects_a_third_phone(room)
    roll_call(room, verifier)

    # The person on the rejected phone joins under their own name, after the roll call: a
    # roster match nobody has confirmed (the secretariat's review lists it).
    third.get_by_role("link", name="参加の画面に戻る").click()
    fill_join_form(third, seeded.organisation, *latecomer)
    expect(third).to_have_url(re.compile(rf"/join/{room.code}/me$"))
    expect(third.locator(".phase-who")).to_contain_text(
        f"{latecomer[0]}さん（{seeded.organisation}）"
    )

    survey_and_close(room)
    secretariat_reviews(room, latecomer[0], verifier)


def opens_the_workshop(
    live_server: LiveServer, seeded: Seeded, pages: Pages, screenshot: Callable
) -> Room:
    """The trainer signs in, creates today's workshop and opens the projector in a second
    window."""
    trainer = pages.desktop("trainer")
    sign_in(trainer, live_server.base_url, seeded.trainer_email, seeded.trainer_password)
    code = create_workshop(trainer, live_server, seeded, "みどり市 見守り研修会", screenshot)
    expect(card(trainer, "参加者")).to_have_text("0人")
    check_page(trainer, "研修会の操作画面")
    with trainer.context.expect_page() as opened:
        trainer.get_by_role("link", name="プロジェクター画面を開く").click()
    projector = opened.value
    projector.set_viewport_size({"width": 1280, "height": 720})  # a projector's 16:9
    pages.watch(projector, "projector")
    expect(projector.locator(".pj-phase")).to_have_text("受付")
    expect(projector.locator(".pj-count")).to_have_text("0人 参加")
    expect(projector.locator(".pj-code")).to_have_text(f"{code[:3]} {code[3:]}")
    # Marks this very document: still there at the end means the projector was never reloaded.
    projector.evaluate("window.e2eNeverReloaded = true")
    check_page(projector, "プロジェクター（受付）")
    return Room(live_server, seeded, pages, screenshot, trainer, projector, code, [])


def phones_join(room: Room) -> None:
    """Three phones join: one is on the roster (typed with a full-width space and in katakana),
    two are walk-ins (their organisation is invited, their names are not on the roster)."""
    pages, seeded = room.pages, room.seeded
    room.phones = [
        Phone(pages.phone("phone 1"), "見守　花子", "ミマモリ ハナコ", seeded.member_name),
        Phone(pages.phone("phone 2"), "相談 太郎", "そうだん たろう", "相談 太郎"),
        Phone(pages.phone("phone 3"), "生協 みどり", "せいきょう みどり", "生協 みどり"),
    ]
    room.phones[0].page.goto(room.live.url(f"/join/{room.code}"))
    check_page(room.phones[0].page, "参加受付フォーム")
    for phone in room.phones:
        join(phone.page, room.live, room.code, seeded, phone)
        expect(phone.page.locator(".phase-check")).to_have_text(
            "本人確認：まだです（講師が会場で確認します）"
        )
    check_page(room.phones[0].page, "参加者の待機画面")
    expect(room.projector.locator(".pj-count")).to_have_text("3人 参加", timeout=LIVE_MS)


def confirms_one_by_one(room: Room) -> None:
    """Typed names are 未確認. The trainer sees 見守 花子 in the room and confirms her row."""
    trainer, member = room.trainer, room.seeded.member_name
    trainer.reload()
    expect(card(trainer, "参加者")).to_have_text("3人")
    expect(participant_row(trainer, member)).to_contain_text("名前が一致")
    expect(participant_row(trainer, room.walk_in.shown_as)).to_contain_text("名簿にない")
    for phone in room.phones:
        expect(participant_row(trainer, phone.shown_as)).to_contain_text("未確認")
    expect(
        trainer.get_by_role("button", name="未確認の3人を、まとめて確認済みにする")
    ).to_be_visible()
    confirm_button(trainer, member).click()
    expect(flashed(trainer, "さんを本人確認済みにしました。")).to_be_visible()
    expect(participant_row(trainer, member)).to_contain_text("講師が確認")
    expect(confirm_button(trainer, member)).to_have_count(0)
    expect(
        trainer.get_by_role("button", name="未確認の2人を、まとめて確認済みにする")
    ).to_be_visible()


def pre_test(room: Room) -> None:
    """事前テスト: the phones turn to the test by themselves; answers are saved as they are
    chosen."""
    phones, projector = room.phones, room.projector
    next_phase(room.trainer, "次へ：事前テストを始める", "事前テスト")
    expect(projector.locator(".pj-phase")).to_have_text("事前テスト", timeout=LIVE_MS)
    for phone in phones:
        sees_phase(phone, "事前テスト")
        expect(phone.page.get_by_role("heading", name="事前テスト", exact=True)).to_be_visible()
        expect(phone.page.get_by_role("heading", name="問1", exact=True)).to_be_visible()
    expect(room.passer.page.locator(".phase-check")).to_have_count(0)  # confirmed by now
    expect(room.walk_in.page.locator(".phase-check")).to_be_visible()
    expect(projector.locator(".pj-progress")).to_contain_text("0 / 3人 提出", timeout=LIVE_MS)
    room.pre_wording = wall_shows_the_rooms_wording(room, "事前テスト")
    fits_the_wall(projector)
    room.screenshot(projector, "workshop-projector-pre-1280x720")
    shoot_widths(projector, room.screenshot, "workshop-projector-pre")
    shoot_widths(room.trainer, room.screenshot, "workshop-control-pre")
    answer_test_by_position(phones[0].page, last=True)
    answer_test_by_position(phones[1].page)
    answer_test_by_position(phones[2].page)
    room.screenshot(phones[1].page, "workshop-phone-test-360")
    check_page(phones[1].page, "研修会の事前テスト")
    for phone in phones:
        submit_test(phone.page, "事前テストの回答を受け付けました")
    expect(projector.locator(".pj-progress")).to_contain_text("3 / 3人 提出", timeout=LIVE_MS)
    expect_bars(projector, r"^問\d+：事前 \d+%（3人）$")


def post_test(room: Room) -> None:
    """研修, then 事後テスト: 見守 花子 answers everything right and passes first."""
    projector, passer = room.projector, room.passer
    next_phase(room.trainer, "次へ：研修を始める", "研修")
    for phone in room.phones:
        sees_phase(phone, "研修")
        expect(phone.page.get_by_text("研修中です")).to_be_visible()
    next_phase(room.trainer, "次へ：事後テストを始める", "事後テスト")
    for phone in room.phones:
        sees_phase(phone, "事後テスト")
        expect(phone.page.get_by_role("heading", name="事後テスト", exact=True)).to_be_visible()
    expect(projector.locator(".pj-phase")).to_have_text("事後テスト", timeout=LIVE_MS)
    post_wording = wall_shows_the_rooms_wording(room, "事後テスト")
    # Each phone has the other form after the training: 問1 reads differently.
    for before, after in zip(room.pre_wording, post_wording, strict=True):
        assert before != after
    answer_test_right(passer.page, post_questions())
    submit_test(passer.page, "合格です")
    expect(passer.page.locator(".score")).to_have_text("100%")
    expect(projector.locator(".pj-progress")).to_contain_text("1 / 3人 提出", timeout=LIVE_MS)
    expect_bars(projector, r"^問\d+：事前 \d+%（3人）、事後 100%（1人）$")
    fits_the_wall(projector)
    room.screenshot(projector, "workshop-projector-1280")
    check_page(projector, "プロジェクター（事後テスト）")
    check_page(passer.page, "研修会の事後テストの結果")


def passer_opens_the_certificate(room: Room) -> Page:
    """The certificate, and its /verify page as anyone who reads the QR code sees it: valid,
    because the trainer confirmed her. Returns the verifier's page."""
    passer, member = room.passer.page, room.seeded.member_name
    passer.get_by_role("link", name="修了証を開く（第00001号）").click()
    sheet = passer.locator("main.sheet")
    expect(sheet.locator("h1")).to_have_text("修了証")
    expect(sheet.locator(".name")).to_contain_text(member)
    check_page(passer, "修了証")
    verify_url = sheet.locator(".check .url").inner_text().strip()
    assert verify_url.startswith(room.live.url("/verify/")), verify_url
    verifier = room.pages.desktop("verifier")
    verifier.goto(verify_url)
    expect(verifier.locator(".check-result-label")).to_have_text("有効")
    expect(verifier.locator("main")).to_contain_text(member)
    check_page(verifier, "修了証の確認（/verify）")
    passer.get_by_role("link", name="← 戻る").click()
    expect(passer.get_by_text("合格です")).to_be_visible()
    return verifier


def walk_in_passes_pending(room: Room, verifier: Page) -> None:
    """The walk-in passes too, not yet confirmed: the certificate is 確認中, with no sheet to
    open."""
    walk_in = room.walk_in
    answer_test_right(walk_in.page, post_questions())
    submit_test(walk_in.page, "合格です")
    pending = walk_in.page.locator(".notice-pending")
    expect(pending).to_contain_text("修了証（第00002号）は「確認中」です。")
    # Not on the roster: the trainer's check and the secretariat's registration are both needed.
    expect(pending).to_contain_text(
        "講師の確認と、事務局の名簿への登録が済むと有効になります。会場の講師に声をかけてください。"
    )
    expect(walk_in.page.get_by_role("link", name=re.compile("修了証を開く"))).to_have_count(0)
    check_page(walk_in.page, "研修会の事後テストの結果（修了証は確認中）")
    shoot_widths(walk_in.page, room.screenshot, "workshop-phone-pending")
    pending_url = verify_url_of(room.live, room.seeded, 2)
    verifier.goto(pending_url)
    expect_pending(verifier, walk_in.shown_as)
    check_page(verifier, "修了証の確認（/verify、確認中）")
    shoot_widths(verifier, room.screenshot, "workshop-verify-pending")


def failed_before_the_survey(room: Room) -> None:
    """The third participant did not pass: the score in whole questions, and no right answers
    yet while the room may still be answering (they come with アンケート)."""
    page = room.other.page
    box = page.locator(".score-box.failed")
    asked = len(asked_keys({}))  # the network has no local facts set
    expect(box).to_contain_text(re.compile(rf"事後テスト：{asked}問中 \d+問正解（合格は80%以上）"))
    expect(box).not_to_contain_text("点（")
    expect(box).to_contain_text("今回は合格点に届きませんでした。")
    expect(box).to_contain_text(
        "問題ごとの正解と解説は、事後テストの時間が終わると（アンケートのときに）この画面に出ます。"
    )
    expect(page.locator("#explanations")).to_have_count(0)
    shoot_widths(page, room.screenshot, "workshop-phone-failed-post")


def second_phone_claims_the_seat(room: Room) -> Page:
    """見守 花子 picks up a second phone and types her name again: it waits, and shows nothing
    of her seat, neither on the page nor at the seat's own addresses."""
    seeded, code = room.seeded, room.code
    second = room.pages.phone("phone 1, second device")
    claim_seat(second, room.live, code, seeded, seeded.member_name, seeded.member_kana)
    main = second.locator("main")
    for hers in ("100%", "合格", "修了証", "事後テスト", "事前テスト", "第00001号"):
        expect(main).not_to_contain_text(hers)
    for path in ("me", "certificate", "certificate.pdf", "state"):
        response = second.request.get(room.live.url(f"/join/{code}/{path}"))
        assert response.status == 404, (path, response.status)
        assert "100%" not in response.text() and "合格" not in response.text(), path
    check_page(second, "講師の確認を待つ画面")
    shoot_widths(second, room.screenshot, "workshop-wait")
    return second


def trainer_approves_the_second_phone(room: Room, second: Page) -> None:
    """The control page lists the phone; the walk-ins are still 未確認, with their 確認 buttons.
    Approved, the second phone moves to her workshop page by itself (its 3 s poll)."""
    trainer, seeded = room.trainer, room.seeded
    trainer.reload()
    device = waiting_device(trainer)
    expect(device).to_contain_text(f"{seeded.member_name}（{seeded.member_kana}）")
    expect(device).to_contain_text(
        f"先に参加している{room.passer.shown_as}さんの席を求めています。"
    )
    for phone in (room.walk_in, room.other):
        expect(participant_row(trainer, phone.shown_as)).to_contain_text("未確認")
        expect(confirm_button(trainer, phone.shown_as)).to_be_visible()
    expect(participant_row(trainer, room.walk_in.shown_as)).to_contain_text("第00002号 確認中")
    check_page(trainer, "研修会の操作画面（確認を待つ端末あり）")
    shoot_widths(trainer, room.screenshot, "workshop-control-waiting")

    device.get_by_role("button", name="同じ方です（この端末も使う）").click()
    expect(flashed(trainer, "同じ方として、この端末での参加を認めました。")).to_be_visible()
    expect(trainer.locator("section#waiting")).to_have_count(0)
    expect(participant_row(trainer, seeded.member_name)).to_contain_text("端末 2台")
    expect(second).to_have_url(re.compile(rf"/join/{room.code}/me$"), timeout=LIVE_MS)
    expect(second.locator(".phase-who")).to_contain_text(
        f"{seeded.member_name}さん（{seeded.organisation}）"
    )
    expect(second.get_by_text("合格です")).to_be_visible()
    expect(second.get_by_role("link", name="修了証を開く（第00001号）")).to_be_visible()


def trainer_rejects_a_third_phone(room: Room) -> Page:
    """A third phone types her name: this time it is not her, and the trainer says no."""
    third = room.pages.phone("phone 4")
    claim_seat(third, room.live, room.code, room.seeded, "見守 花子", "")
    room.trainer.reload()
    waiting_device(room.trainer).get_by_role("button", name="認めない").click()
    expect(flashed(room.trainer, "この端末での参加を断りました。")).to_be_visible()
    expect(third.get_by_role("heading", name="参加を確認できませんでした", level=1)).to_be_visible(
        timeout=LIVE_MS
    )
    expect(third.get_by_role("alert")).to_have_text(
        "講師が、この端末での参加を確認できませんでした。"
        "お名前と所属をお確かめのうえ、会場の講師に声をかけてください。"
    )
    for hers in ("100%", "合格", "修了証", "第00001号"):
        expect(third.locator("main")).not_to_contain_text(hers)
    check_page(third, "参加を断られた画面")
    shoot_widths(third, room.screenshot, "workshop-rejected")
    return third


def roll_call(room: Room, verifier: Page) -> None:
    """The roll call: the trainer confirms everyone left. The walk-in's certificate stays 確認中
    (not on the roster: the secretariat decides); the phone says so after 更新."""
    trainer, walk_in = room.trainer, room.walk_in
    trainer.reload()
    confirm_everyone(trainer)
    expect(flashed(trainer, "2人を本人確認済みにしました。")).to_be_visible()
    expect(participant_row(trainer, walk_in.shown_as)).to_contain_text("講師が確認")
    expect(participant_row(trainer, walk_in.shown_as)).to_contain_text("第00002号 確認中")
    expect(trainer.get_by_text("「名簿にない」方の修了証は、講師が確認しても")).to_be_visible()
    walk_in.page.get_by_role("button", name="更新").click()
    expect(walk_in.page.locator(".phase-check")).to_have_count(0)
    pending = walk_in.page.locator(".notice-pending")
    expect(pending).to_contain_text("事務局が名簿に登録すると有効になります。")
    expect(walk_in.page.get_by_role("link", name=re.compile("修了証を開く"))).to_have_count(0)
    verifier.reload()
    expect_pending(verifier, walk_in.shown_as)


def survey_and_close(room: Room) -> None:
    """アンケート on every phone, counted on the control page; then 終了: the phones say so by
    themselves, and the projector still is the same document."""
    trainer, projector = room.trainer, room.projector
    next_phase(trainer, "次へ：アンケートを始める", "アンケート")
    for n, phone in enumerate(room.phones, start=1):
        sees_phase(phone, "アンケート")
        expect(phone.page.get_by_role("heading", name="アンケート", exact=True)).to_be_visible()
        if n == 1:
            check_page(phone.page, "研修会のアンケート")
        send_survey(phone.page, f"具体的な事例が分かりやすかったです（{n}）")
        # The first answer shown is the best one, and the page keeps what was sent.
        expect(phone.page.get_by_label("とても良かった")).to_be_checked()
    expect(projector.locator(".pj-dists")).to_contain_text("（3人", timeout=LIVE_MS)
    reads_the_explanations(room)
    trainer.reload()
    expect(card(trainer, "アンケート")).to_have_text("3人")
    expect(card(trainer, "事前テスト提出")).to_have_text("3人")
    expect(card(trainer, "事後テスト提出")).to_have_text("3人")

    next_phase(trainer, "次へ：終了にする", "終了")
    for phone in room.phones:
        sees_phase(phone, "終了")
        expect(phone.page.get_by_text("研修会は終了しました")).to_be_visible()
    expect(room.passer.page.get_by_role("link", name="修了証を開く（第00001号）")).to_be_visible()
    check_page(room.passer.page, "研修会の終了画面")
    expect(projector.locator(".pj-phase")).to_have_text("終了", timeout=LIVE_MS)
    assert projector.evaluate("window.e2eNeverReloaded") is True
    expect(projector.locator(".pj-forms")).to_have_count(0)  # the bars show no text now
    fits_the_wall(projector)
    room.screenshot(projector, "workshop-projector-closed-1280x720")
    # The control page no longer offers to join: no code, no QR, and it says why.
    expect(trainer.locator("section.control")).to_contain_text(
        "この研修会は終了しました。参加の受付も締め切っています（参加コードとQRコードは使えません）。"
    )
    expect(trainer.get_by_role("heading", name="参加のしかた")).to_have_count(0)
    expect(trainer.locator(".join-code")).to_have_count(0)
    expect(trainer.get_by_role("img", name="参加用QRコード")).to_have_count(0)
    check_page(trainer, "研修会の操作画面（終了）")
    shoot_widths(trainer, room.screenshot, "workshop-control-closed")


def reads_the_explanations(room: Room) -> None:
    """アンケート: the one who failed has the explanations open under the survey, a button in
    the result box leads there; the one who passed has them folded away."""
    page = room.other.page
    page.get_by_role("link", name="問題と解説を読む").click()
    expect(page).to_have_url(re.compile(r"/me#explanations$"))
    section = page.locator("section#explanations")
    heading = section.get_by_role("heading", name="事後テストの問題と解説", level=2)
    expect(heading).to_be_in_viewport()
    expect(section.locator(".review-item")).to_have_count(len(asked_keys({})))
    expect(section.locator(".admonition.point").first).to_contain_text("解説")
    expect(section).to_contain_text("（正解）")
    check_page(page, "研修会のアンケート（不合格：問題と解説）")
    shoot_widths(page, room.screenshot, "workshop-phone-explanations")
    passer = room.passer.page
    fold = passer.locator("details#explanations")
    expect(fold.locator("summary")).to_have_text("事後テストの問題と解説を見る")
    expect(fold.locator(".review-item").first).not_to_be_visible()
    expect(passer.get_by_role("link", name="問題と解説を読む")).to_have_count(0)
    fold.locator("summary").click()
    expect(fold.locator(".review-item")).to_have_count(len(asked_keys({})))
    expect(fold.locator(".review-item").first).to_be_visible()
    shoot_widths(passer, room.screenshot, "workshop-phone-passed-explanations")


def secretariat_reviews(room: Room, latecomer: str, verifier: Page) -> None:
    """The secretariat's review: the two walk-ins, and the latecomer nobody confirmed. Once the
    walk-in is confirmed as a member, /verify says 有効 and their phone opens the certificate."""
    walk_in, seeded = room.walk_in, room.seeded
    office = room.pages.desktop("secretariat")
    email, password = add_staff(
        room.live, seeded.network_id, "事務局 一子", Role.SECRETARIAT, "secretariat"
    )
    sign_in(office, room.live.base_url, email, password)
    office.goto(room.live.url(f"/n/{seeded.network_id}/workshops/review"))
    expect(office.get_by_role("heading", name="研修会参加者の確認", level=1)).to_be_visible()
    expect(
        office.get_by_role("heading", name="名簿で見つからなかった参加者（2人）")
    ).to_be_visible()
    expect(
        office.get_by_role("heading", name="名前が名簿と一致した、本人確認がまだの参加者（1人）")
    ).to_be_visible()
    expect(office.get_by_role("heading", name=re.compile(f"^{latecomer}"))).to_be_visible()
    check_page(office, "研修会参加者の確認（事務局）")
    shoot_widths(office, room.screenshot, "workshop-review")
    entry = office.locator(
        "section.review-entry",
        has=office.get_by_role("heading", name=f"{walk_in.shown_as}（{walk_in.kana}）"),
    )
    entry.get_by_role("button", name="新しい構成員として確認").click()
    expect(
        flashed(office, f"{walk_in.shown_as}さんを新しい構成員として確認しました。")
    ).to_be_visible()
    expect(
        office.get_by_role("heading", name="名簿で見つからなかった参加者（1人）")
    ).to_be_visible()

    verifier.reload()
    expect(verifier.locator(".check-result-label")).to_have_text("有効")
    expect(verifier.locator(".check-result-mark")).to_have_text("✓")
    expect(verifier.locator(".check-result-text")).to_have_text(
        f"この方は、{seeded.network_name}の構成員で、研修を修了しています。"
    )
    expect(verifier.locator(".verify-name")).to_have_text(walk_in.shown_as)
    walk_in.page.get_by_role("button", name="更新").click()
    expect(walk_in.page.locator(".notice-pending")).to_have_count(0)
    expect(walk_in.page.get_by_role("link", name="修了証を開く（第00002号）")).to_be_visible()
