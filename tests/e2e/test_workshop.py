"""A small workshop in one Chromium: the trainer's control page and projector (1280 px) and three
participants' phones (360 px), each in its own browser context.

What people see is what is checked: the projector and the phones follow the trainer without
anyone reloading them (the projector fetches its live part every 2 s, the phones poll the phase
every 3 s and load themselves again), the tests are answered through the real radio buttons,
one participant passes the post-test with the answers from quizzes/basic-post.yaml and opens the
certificate and its /verify page, everyone sends the survey, and the trainer closes the workshop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.axe import check_page
from tests.e2e.conftest import LiveServer, Seeded
from trainer.content.quizzes import Question, load_bank
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


def sign_in(page: Page, server: LiveServer, room: Seeded) -> None:
    page.goto(server.url("/login"))
    page.get_by_label("メールアドレス").fill(room.trainer_email)
    page.get_by_label("パスワード").fill(room.trainer_password)
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


# --- the participants -----------------------------------------------------------------------------


def join(page: Page, server: LiveServer, code: str, room: Seeded, phone: Phone) -> None:
    page.goto(server.url(f"/join/{code}"))
    page.get_by_label("所属").select_option(label=room.organisation)
    page.get_by_label("お名前").fill(phone.name)
    page.get_by_label("ふりがな").fill(phone.kana)
    page.get_by_role("button", name="参加する").click()
    expect(page).to_have_url(re.compile(rf"/join/{code}/me$"))
    expect(page.get_by_text("受付が完了しました")).to_be_visible()
    expect(page.locator(".phase-who")).to_contain_text(
        f"{phone.shown_as}さん（{room.organisation}）"
    )


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


# --- the workshop ---------------------------------------------------------------------------------


def test_a_small_workshop_with_the_projector_and_three_phones(
    live_server: LiveServer, seed_network, pages, screenshot
) -> None:
    room = seed_network()
    post_bank = load_bank(QUIZZES / "basic-post.yaml").questions
    survey_bank = load_bank(QUIZZES / "attitude.yaml").questions

    # The trainer signs in, creates today's workshop and opens the projector in a second window.
    trainer = pages.desktop("trainer")
    sign_in(trainer, live_server, room)
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

    # Three phones join: one is on the roster (typed with a full-width space and in katakana).
    phones = [
        Phone(pages.phone("phone 1"), "見守　花子", "ミマモリ ハナコ", room.member_name),
        Phone(pages.phone("phone 2"), "相談 太郎", "そうだん たろう", "相談 太郎"),
        Phone(pages.phone("phone 3"), "生協 みどり", "せいきょう みどり", "生協 みどり"),
    ]
    passer, others = phones[0], phones[1:]
    phones[0].page.goto(live_server.url(f"/join/{code}"))
    check_page(phones[0].page, "参加受付フォーム")
    for phone in phones:
        join(phone.page, live_server, code, room, phone)
    check_page(phones[0].page, "参加者の待機画面")
    expect(projector.locator(".pj-count")).to_have_text("3人 参加", timeout=LIVE_MS)

    trainer.reload()
    expect(card(trainer, "参加者")).to_have_text("3人")
    roster_column = trainer.locator("table.list tbody tr")
    expect(roster_column.filter(has_text=room.member_name)).to_contain_text("一致")
    expect(roster_column.filter(has_text="相談 太郎")).to_contain_text("未確認")

    # 事前テスト: the phones turn to the test by themselves; answers are saved as they are chosen.
    next_phase(trainer, "次へ：事前テストを始める", "事前テスト")
    expect(projector.locator(".pj-phase")).to_have_text("事前テスト", timeout=LIVE_MS)
    for phone in phones:
        sees_phase(phone, "事前テスト")
        expect(phone.page.get_by_role("heading", name="事前テスト", exact=True)).to_be_visible()
        expect(phone.page.get_by_role("heading", name="問1", exact=True)).to_be_visible()
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

    # The certificate, and its /verify page as anyone who reads the QR code sees it.
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

    for phone in others:
        answer_by_position(phone)
        submit_test(phone, "事後テスト：")
    expect(projector.locator(".pj-progress")).to_contain_text("3 / 3人 提出", timeout=LIVE_MS)
    expect_bars(projector, r"^問\d+：事前 \d+%（3人）、事後 \d+%（3人）$")

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
