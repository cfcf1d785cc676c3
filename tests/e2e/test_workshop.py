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
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.axe import check_page
from tests.e2e.conftest import PHONE, LiveServer, Seeded
from trainer.accounts import roster
from trainer.accounts.models import NetworkRole, Organisation, Role, User
from trainer.certificates.models import Certificate
from trainer.content.quizzes import Question, load_bank
from trainer.extensions import db
from trainer.security import hash_password
from trainer.timeutil import today_jst

QUIZZES = Path(__file__).resolve().parents[2] / "quizzes"
COURSE_TITLE = "見守りネットワーク 基礎研修"
LIVE_MS = 10_000  # projector (every 2 s) and phones (every 3 s) must have caught up by then


@dataclass
class Phone:
    page: Page
    name: str  # as typed when joining
    kana: str
    shown_as: str  # the name the page greets them with (the roster's spelling when matched)


# --- the trainer ----------------------------------------------------------------------------------


def sign_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    page.goto(server.url("/login"))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def create_workshop(page: Page, server: LiveServer, room: Seeded, title: str) -> str:
    """Through the form at /n/<id>/workshops/new; returns the join code (without its space)."""
    page.goto(server.url(f"/n/{room.network_id}/workshops/new"))
    page.get_by_label("研修会の名前").fill(title)
    page.get_by_label("研修", exact=True).select_option(label=COURSE_TITLE)
    page.get_by_label("開催日").fill(today_jst().isoformat())
    page.get_by_label("会場").fill("みどり市役所 大会議室")
    page.get_by_label(room.organisation).check()
    page.get_by_role("button", name="作成する").click()
    expect(page).to_have_url(re.compile(rf"/n/{room.network_id}/workshops/\d+$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    spaced = page.locator(".join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{3} [A-Z0-9]{3}", spaced), spaced
    expect(page.get_by_text(f"参加コード {spaced}")).to_be_visible()
    return spaced.replace(" ", "")


def next_phase(page: Page, button: str, label: str) -> None:
    """Click 「次へ：…」 on the control page and see the step it moved to."""
    page.get_by_role("button", name=button).click()
    expect(page.locator(".phase-steps [aria-current=step]")).to_have_text(label)


def card(page: Page, title: str):
    return page.locator(".card", has=page.get_by_role("heading", name=title, exact=True)).locator(
        ".number"
    )


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
    assert len(labels) == 13, labels
    assert all(re.search(pattern, label) for label in labels), labels


def participant_row(page: Page, name: str):
    """The control page's row of one participant (named as the roster spells them)."""
    return page.locator("table.list tbody tr").filter(has_text=name)


def confirm_button(page: Page, name: str):
    """A row's 「確認」: its accessible name says whom it confirms."""
    return page.get_by_role("button", name=f"{name}さんを本人確認済みにする")


def confirm_everyone(page: Page) -> None:
    """「未確認のN人を、まとめて確認済みにする」, after a roll call."""
    page.get_by_role(
        "button", name=re.compile(r"^未確認の\d+人を、まとめて確認済みにする$")
    ).click()


def flashed(page: Page, text: str):
    return page.get_by_role("status").filter(has_text=text)


def waiting_device(page: Page):
    """The one phone listed under 「確認を待っている端末」 on the control page."""
    section = page.locator("section#waiting")
    expect(section.get_by_role("heading", name="確認を待っている端末（1台）")).to_be_visible()
    return section.locator(".waiting-list li")


# --- data the journey needs besides seed_network --------------------------------------------------


def add_member(server: LiveServer, room: Seeded, name: str, kana: str) -> None:
    """One more member of room.organisation on the roster."""
    with server.app_context():
        organisation = db.session.scalar(
            select(Organisation).where(
                Organisation.network_id == room.network_id,
                Organisation.name == room.organisation,
            )
        )
        roster.create_member(
            db.session,
            network_id=room.network_id,
            data=roster.MemberInput(
                organisation_id=organisation.id,
                name=name,
                kana=kana,
                membership_start=date(2025, 4, 1),
            ),
            actor=None,
        )


def add_secretariat(server: LiveServer, room: Seeded) -> tuple[str, str]:
    """A secretariat user of the room's network: (e-mail, password)."""
    password = "e2e-" + secrets.token_urlsafe(12)
    email = f"secretariat-{uuid.uuid4().hex[:10]}@example.jp"
    with server.app_context():
        user = User(email=email, name="事務局 一子", password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
        db.session.add(
            NetworkRole(user_id=user.id, network_id=room.network_id, role=Role.SECRETARIAT.value)
        )
        db.session.commit()
    return email, password


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


def fill_join_form(page: Page, room: Seeded, name: str, kana: str) -> None:
    page.get_by_label("所属").select_option(label=room.organisation)
    page.get_by_label("お名前").fill(name)
    page.get_by_label("ふりがな").fill(kana)
    page.get_by_role("button", name="参加する").click()


def join(page: Page, server: LiveServer, code: str, room: Seeded, phone: Phone) -> None:
    page.goto(server.url(f"/join/{code}"))
    fill_join_form(page, room, phone.name, phone.kana)
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
    fill_join_form(page, room, name, kana)
    expect(page).to_have_url(re.compile(rf"/join/{code}/wait$"))
    expect(page.get_by_role("heading", name="講師の確認を待っています", level=1)).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text(f"「{name}」さんは、別のスマートフォンからすでに参加しています。")
    expect(main).to_contain_text("講師に声をかけて、この画面を見せてください。")


def sees_phase(phone: Phone, label: str) -> None:
    """The phone has followed the trainer by itself (the test never reloads it)."""
    expect(phone.page.locator(".phase-now")).to_have_text(f"いま：{label}", timeout=LIVE_MS)


def answer_by_position(phone: Phone, *, last: bool = False) -> None:
    """Tap the first (or last) answer of every group: choices are shuffled per person, so this
    gives a mix of right and wrong answers."""
    groups = phone.page.locator("form.workshop-test fieldset.choices")
    assert groups.count() > 13
    for group in groups.all():
        labels = group.locator("label.choice")
        (labels.last if last else labels.first).click()


def answer_correctly(phone: Phone, questions: list[Question]) -> None:
    """Every question right, found by its text in the quiz files: the keys of choices ("a", "b",
    …) and cases ("1", "2", …) are the input values and names, whatever order they are shown in."""
    items = phone.page.locator("form.workshop-test section.test-item")
    assert items.count() > 13
    for item in items.all():
        question = _question_of(item, questions)
        if question.type == "truefalse":
            for c in question.cases:
                item.locator(
                    f"input[name$='-case-{c.key}'][value={'yes' if c.answer else 'no'}]"
                ).check()
        elif question.type in ("single", "multi"):
            for choice in question.choices:
                box = item.locator(f"input[name$='-choice'][value='{choice.key}']")
                if choice.correct:
                    box.check()
                elif question.type == "multi":
                    box.uncheck()
        else:  # likert (the attitude survey asked with the test): not scored
            item.locator("label.choice").first.click()


def _squash(text: str) -> str:
    return " ".join(text.split())


def _pattern(text: str) -> re.Pattern[str]:
    """A question's text as shown: `{{ placeholder }}`s are filled with local facts (or a neutral
    phrase), runs of white space are one space."""
    parts = [re.escape(_squash(part)) for part in re.split(r"\{\{.*?\}\}", text)]
    return re.compile(".*?".join(parts))


def _question_of(item, questions: list[Question]) -> Question:
    shown = _squash(item.locator("p.question-text, fieldset.choices > legend").first.inner_text())
    found = [q for q in questions if _pattern(q.text).match(shown)]
    assert len(found) == 1, f"{shown[:60]!r} matched {len(found)} questions in the quiz files"
    return found[0]


def submit_test(phone: Phone, done_text: str) -> None:
    page = phone.page
    # The autosave has kept the answers so far (a phone may drop out and come back).
    expect(page.locator("[data-save-status]"), "the autosave's status").to_contain_text(
        "保存しました"
    )
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_text(done_text)).to_be_visible()


def send_survey(phone: Phone, comment: str) -> None:
    page = phone.page
    form = page.locator("form.survey-form")
    form.get_by_label("とても良かった").check()
    form.locator("fieldset").nth(1).locator("label.choice").first.click()
    form.get_by_label("ご意見・ご感想").fill(comment)
    form.get_by_role("button", name="送信する").click()
    expect(
        page.get_by_text("アンケートにご協力いただき、ありがとうございました。").first
    ).to_be_visible()
    expect(page.get_by_role("button", name="送り直す")).to_be_visible()


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
    live_server: LiveServer, seed_network, pages, screenshot
) -> None:
    room = seed_network()
    latecomer = ("見守 次郎", "みまもり じろう")  # on the roster too; joins after the roll call
    add_member(live_server, room, *latecomer)
    post_bank = load_bank(QUIZZES / "basic-post.yaml").questions
    survey_bank = load_bank(QUIZZES / "attitude.yaml").questions

    # The trainer signs in, creates today's workshop and opens the projector in a second window.
    trainer = pages.desktop("trainer")
    sign_in(trainer, live_server, room.trainer_email, room.trainer_password)
    code = create_workshop(trainer, live_server, room, "みどり市 見守り研修会")
    expect(card(trainer, "参加者")).to_have_text("0人")
    check_page(trainer, "研修会の操作画面")
    with trainer.context.expect_page() as opened:
        trainer.get_by_role("link", name="プロジェクター画面を開く").click()
    projector = opened.value
    pages.watch(projector, "projector")
    expect(projector.locator(".pj-phase")).to_have_text("受付")
    expect(projector.locator(".pj-count")).to_have_text("0人 参加")
    expect(projector.locator(".pj-code")).to_have_text(f"{code[:3]} {code[3:]}")
    # Marks this very document: still there at the end means the projector was never reloaded.
    projector.evaluate("window.e2eNeverReloaded = true")
    check_page(projector, "プロジェクター（受付）")

    # Three phones join: one is on the roster (typed with a full-width space and in katakana),
    # two are walk-ins (their organisation is invited, their names are not on the roster).
    phones = [
        Phone(pages.phone("phone 1"), "見守　花子", "ミマモリ ハナコ", room.member_name),
        Phone(pages.phone("phone 2"), "相談 太郎", "そうだん たろう", "相談 太郎"),
        Phone(pages.phone("phone 3"), "生協 みどり", "せいきょう みどり", "生協 みどり"),
    ]
    passer, walk_in, other = phones
    phones[0].page.goto(live_server.url(f"/join/{code}"))
    check_page(phones[0].page, "参加受付フォーム")
    for phone in phones:
        join(phone.page, live_server, code, room, phone)
        expect(phone.page.locator(".phase-check")).to_have_text(
            "本人確認：まだです（講師が会場で確認します）"
        )
    check_page(phones[0].page, "参加者の待機画面")
    expect(projector.locator(".pj-count")).to_have_text("3人 参加", timeout=LIVE_MS)

    # Typed names are 未確認. The trainer sees 見守 花子 in the room and confirms her row.
    trainer.reload()
    expect(card(trainer, "参加者")).to_have_text("3人")
    expect(participant_row(trainer, room.member_name)).to_contain_text("名前が一致")
    expect(participant_row(trainer, walk_in.shown_as)).to_contain_text("名簿にない")
    for phone in phones:
        expect(participant_row(trainer, phone.shown_as)).to_contain_text("未確認")
    expect(
        trainer.get_by_role("button", name="未確認の3人を、まとめて確認済みにする")
    ).to_be_visible()
    confirm_button(trainer, room.member_name).click()
    expect(flashed(trainer, "さんを本人確認済みにしました。")).to_be_visible()
    expect(participant_row(trainer, room.member_name)).to_contain_text("講師が確認")
    expect(confirm_button(trainer, room.member_name)).to_have_count(0)
    expect(
        trainer.get_by_role("button", name="未確認の2人を、まとめて確認済みにする")
    ).to_be_visible()

    # 事前テスト: the phones turn to the test by themselves; answers are saved as they are chosen.
    next_phase(trainer, "次へ：事前テストを始める", "事前テスト")
    expect(projector.locator(".pj-phase")).to_have_text("事前テスト", timeout=LIVE_MS)
    for phone in phones:
        sees_phase(phone, "事前テスト")
        expect(phone.page.get_by_role("heading", name="事前テスト", exact=True)).to_be_visible()
        expect(phone.page.get_by_role("heading", name="問1", exact=True)).to_be_visible()
    expect(passer.page.locator(".phase-check")).to_have_count(0)  # confirmed by now
    expect(walk_in.page.locator(".phase-check")).to_be_visible()
    expect(projector.locator(".pj-progress")).to_contain_text("0 / 3人 提出", timeout=LIVE_MS)
    answer_by_position(phones[0], last=True)
    answer_by_position(phones[1])
    answer_by_position(phones[2])
    screenshot(phones[1].page, "workshop-phone-test-360")
    check_page(phones[1].page, "研修会の事前テスト")
    for phone in phones:
        submit_test(phone, "事前テストの回答を受け付けました")
    expect(projector.locator(".pj-progress")).to_contain_text("3 / 3人 提出", timeout=LIVE_MS)
    expect_bars(projector, r"^問\d+：事前 \d+%（3人）$")

    # 研修, then 事後テスト: 見守 花子 answers everything right and passes first.
    next_phase(trainer, "次へ：研修を始める", "研修")
    for phone in phones:
        sees_phase(phone, "研修")
        expect(phone.page.get_by_text("研修中です")).to_be_visible()
    next_phase(trainer, "次へ：事後テストを始める", "事後テスト")
    for phone in phones:
        sees_phase(phone, "事後テスト")
        expect(phone.page.get_by_role("heading", name="事後テスト", exact=True)).to_be_visible()
    answer_correctly(passer, post_bank + survey_bank)
    submit_test(passer, "合格です")
    expect(passer.page.locator(".score")).to_have_text("100%")
    expect(projector.locator(".pj-progress")).to_contain_text("1 / 3人 提出", timeout=LIVE_MS)
    expect_bars(projector, r"^問\d+：事前 \d+%（3人）、事後 100%（1人）$")
    screenshot(projector, "workshop-projector-1280")
    check_page(projector, "プロジェクター（事後テスト）")
    check_page(passer.page, "研修会の事後テストの結果")

    # The certificate, and its /verify page as anyone who reads the QR code sees it: valid,
    # because the trainer confirmed her.
    passer.page.get_by_role("link", name="修了証を開く（第00001号）").click()
    sheet = passer.page.locator("main.sheet")
    expect(sheet.locator("h1")).to_have_text("修了証")
    expect(sheet.locator(".name")).to_contain_text(room.member_name)
    check_page(passer.page, "修了証")
    verify_url = sheet.locator(".check .url").inner_text().strip()
    assert verify_url.startswith(live_server.url("/verify/")), verify_url
    verifier = pages.desktop("verifier")
    verifier.goto(verify_url)
    expect(verifier.locator(".check-result-label")).to_have_text("有効")
    expect(verifier.locator("main")).to_contain_text(room.member_name)
    check_page(verifier, "修了証の確認（/verify）")
    passer.page.get_by_role("link", name="← 戻る").click()
    expect(passer.page.get_by_text("合格です")).to_be_visible()

    # The walk-in passes too, not yet confirmed: the certificate is 確認中, with no sheet to open.
    answer_correctly(walk_in, post_bank + survey_bank)
    submit_test(walk_in, "合格です")
    pending = walk_in.page.locator(".notice-pending")
    expect(pending).to_contain_text("修了証（第00002号）は「確認中」です。")
    # Not on the roster: the trainer's check and the secretariat's registration are both needed.
    expect(pending).to_contain_text(
        "講師の確認と、事務局の名簿への登録が済むと有効になります。会場の講師に声をかけてください。"
    )
    expect(walk_in.page.get_by_role("link", name=re.compile("修了証を開く"))).to_have_count(0)
    check_page(walk_in.page, "研修会の事後テストの結果（修了証は確認中）")
    shoot_widths(walk_in.page, screenshot, "workshop-phone-pending")
    pending_url = verify_url_of(live_server, room, 2)
    verifier.goto(pending_url)
    expect_pending(verifier, walk_in.shown_as)
    check_page(verifier, "修了証の確認（/verify、確認中）")
    shoot_widths(verifier, screenshot, "workshop-verify-pending")

    answer_by_position(other)
    submit_test(other, "事後テスト：")
    expect(projector.locator(".pj-progress")).to_contain_text("3 / 3人 提出", timeout=LIVE_MS)
    expect_bars(projector, r"^問\d+：事前 \d+%（3人）、事後 \d+%（3人）$")

    # 見守 花子 picks up a second phone and types her name again: it waits, and shows nothing
    # of her seat, neither on the page nor at the seat's own addresses.
    second = pages.phone("phone 1, second device")
    claim_seat(second, live_server, code, room, room.member_name, room.member_kana)
    main = second.locator("main")
    for hers in ("100%", "合格", "修了証", "事後テスト", "事前テスト", "第00001号"):
        expect(main).not_to_contain_text(hers)
    for path in ("me", "certificate", "certificate.pdf", "state"):
        response = second.request.get(live_server.url(f"/join/{code}/{path}"))
        assert response.status == 404, (path, response.status)
        assert "100%" not in response.text() and "合格" not in response.text(), path
    check_page(second, "講師の確認を待つ画面")
    shoot_widths(second, screenshot, "workshop-wait")

    # The control page lists the phone; the walk-ins are still 未確認, with their 確認 buttons.
    trainer.reload()
    device = waiting_device(trainer)
    expect(device).to_contain_text(f"{room.member_name}（{room.member_kana}）")
    expect(device).to_contain_text(f"先に参加している{passer.shown_as}さんの席を求めています。")
    for phone in (walk_in, other):
        expect(participant_row(trainer, phone.shown_as)).to_contain_text("未確認")
        expect(confirm_button(trainer, phone.shown_as)).to_be_visible()
    expect(participant_row(trainer, walk_in.shown_as)).to_contain_text("第00002号 確認中")
    check_page(trainer, "研修会の操作画面（確認を待つ端末あり）")
    shoot_widths(trainer, screenshot, "workshop-control-waiting")

    # Approved: the second phone moves to her workshop page by itself (its 3 s poll).
    device.get_by_role("button", name="同じ方です（この端末も使う）").click()
    expect(flashed(trainer, "同じ方として、この端末での参加を認めました。")).to_be_visible()
    expect(trainer.locator("section#waiting")).to_have_count(0)
    expect(participant_row(trainer, room.member_name)).to_contain_text("端末 2台")
    expect(second).to_have_url(re.compile(rf"/join/{code}/me$"), timeout=LIVE_MS)
    expect(second.locator(".phase-who")).to_contain_text(
        f"{room.member_name}さん（{room.organisation}）"
    )
    expect(second.get_by_text("合格です")).to_be_visible()
    expect(second.get_by_role("link", name="修了証を開く（第00001号）")).to_be_visible()

    # A third phone types her name: this time it is not her, and the trainer says no.
    third = pages.phone("phone 4")
    claim_seat(third, live_server, code, room, "見守 花子", "")
    trainer.reload()
    waiting_device(trainer).get_by_role("button", name="認めない").click()
    expect(flashed(trainer, "この端末での参加を断りました。")).to_be_visible()
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
    shoot_widths(third, screenshot, "workshop-rejected")

    # The roll call: the trainer confirms everyone left. The walk-in's certificate stays 確認中
    # (not on the roster: the secretariat decides); the phone says so after 更新.
    trainer.reload()
    confirm_everyone(trainer)
    expect(flashed(trainer, "2人を本人確認済みにしました。")).to_be_visible()
    expect(participant_row(trainer, walk_in.shown_as)).to_contain_text("講師が確認")
    expect(participant_row(trainer, walk_in.shown_as)).to_contain_text("第00002号 確認中")
    expect(trainer.get_by_text("「名簿にない」方の修了証は、講師が確認しても")).to_be_visible()
    walk_in.page.get_by_role("button", name="更新").click()
    expect(walk_in.page.locator(".phase-check")).to_have_count(0)
    expect(pending).to_contain_text("事務局が名簿に登録すると有効になります。")
    expect(walk_in.page.get_by_role("link", name=re.compile("修了証を開く"))).to_have_count(0)
    verifier.reload()
    expect_pending(verifier, walk_in.shown_as)

    # The person on the rejected phone joins under their own name, after the roll call: a
    # roster match nobody has confirmed (the secretariat's review lists it).
    third.get_by_role("link", name="参加の画面に戻る").click()
    fill_join_form(third, room, *latecomer)
    expect(third).to_have_url(re.compile(rf"/join/{code}/me$"))
    expect(third.locator(".phase-who")).to_contain_text(
        f"{latecomer[0]}さん（{room.organisation}）"
    )

    # アンケート on every phone, counted on the control page.
    next_phase(trainer, "次へ：アンケートを始める", "アンケート")
    for n, phone in enumerate(phones, start=1):
        sees_phase(phone, "アンケート")
        expect(phone.page.get_by_role("heading", name="アンケート", exact=True)).to_be_visible()
        if n == 1:
            check_page(phone.page, "研修会のアンケート")
        send_survey(phone, f"具体的な事例が分かりやすかったです（{n}）")
    expect(projector.locator(".pj-dists")).to_contain_text("（3人", timeout=LIVE_MS)
    trainer.reload()
    expect(card(trainer, "アンケート")).to_have_text("3人")
    expect(card(trainer, "事前テスト提出")).to_have_text("3人")
    expect(card(trainer, "事後テスト提出")).to_have_text("3人")

    # 終了: the phones say so by themselves; the projector still is the same document.
    next_phase(trainer, "次へ：終了にする", "終了")
    for phone in phones:
        sees_phase(phone, "終了")
        expect(phone.page.get_by_text("研修会は終了しました")).to_be_visible()
    expect(passer.page.get_by_role("link", name="修了証を開く（第00001号）")).to_be_visible()
    check_page(passer.page, "研修会の終了画面")
    expect(projector.locator(".pj-phase")).to_have_text("終了", timeout=LIVE_MS)
    assert projector.evaluate("window.e2eNeverReloaded") is True

    # The secretariat's review: the two walk-ins, and the latecomer nobody confirmed.
    office = pages.desktop("secretariat")
    sign_in(office, live_server, *add_secretariat(live_server, room))
    office.goto(live_server.url(f"/n/{room.network_id}/workshops/review"))
    expect(office.get_by_role("heading", name="研修会参加者の確認", level=1)).to_be_visible()
    expect(
        office.get_by_role("heading", name="名簿で見つからなかった参加者（2人）")
    ).to_be_visible()
    expect(
        office.get_by_role("heading", name="名前が名簿と一致した、本人確認がまだの参加者（1人）")
    ).to_be_visible()
    expect(office.get_by_role("heading", name=re.compile(f"^{latecomer[0]}"))).to_be_visible()
    check_page(office, "研修会参加者の確認（事務局）")
    shoot_widths(office, screenshot, "workshop-review")
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

    # Now /verify says 有効, and the walk-in's phone opens the certificate.
    verifier.reload()
    expect(verifier.locator(".check-result-label")).to_have_text("有効")
    expect(verifier.locator(".check-result-mark")).to_have_text("✓")
    expect(verifier.locator(".check-result-text")).to_have_text(
        f"この方は、{room.network_name}の構成員で、研修を修了しています。"
    )
    expect(verifier.locator(".verify-name")).to_have_text(walk_in.shown_as)
    walk_in.page.get_by_role("button", name="更新").click()
    expect(walk_in.page.locator(".notice-pending")).to_have_count(0)
    expect(walk_in.page.get_by_role("link", name="修了証を開く（第00002号）")).to_be_visible()
