"""A live workshop: the trainer's form and phases on the control page, a phone joining with the
code, its one-page tests and the survey.

The phones and the projector follow the trainer by themselves: the projector fetches its live
part every 2 s, a phone polls the phase every 3 s and loads itself again. LIVE_MS bounds how long
a journey waits for them.
"""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page, expect

from tests.e2e.driver.actions import submit
from tests.e2e.driver.quiz import answer_by_position, answer_right, question_of
from trainer.content.quizzes import Question

LIVE_MS = 12_000
COURSE_TITLE = "見守りネットワーク 基礎研修"
TEST_ITEMS = "form.workshop-test section.test-item"


def fill_workshop_form(page: Page, title: str, day: date, place: str, invite: str = "") -> None:
    """The new workshop's form (not sent): the basic course, on `day`; `invite` ticks one
    organisation whose members are expected."""
    page.get_by_label("研修会の名前").fill(title)
    page.get_by_label("研修", exact=True).select_option(label=COURSE_TITLE)
    page.get_by_label("開催日").fill(day.isoformat())
    page.get_by_label("会場").fill(place)
    if invite:
        page.get_by_label(invite).check()


def next_phase(page: Page, button: str, label: str) -> None:
    """Click 「次へ：…」 on the control page and see the step it moved to."""
    submit(page, page.get_by_role("button", name=button))
    expect(page.locator(".phase-steps [aria-current=step]")).to_have_text(label)


def fill_join_form(page: Page, organisation: str, name: str, kana: str) -> None:
    """The join form a phone opens from the code: 所属, お名前, ふりがな, 参加する."""
    page.get_by_label("所属").select_option(label=organisation)
    page.get_by_label("お名前").fill(name)
    page.get_by_label("ふりがな").fill(kana)
    submit(page, page.get_by_role("button", name="参加する"))


def wait_phase(page: Page, label: str) -> None:
    """The phone has followed the trainer by itself (nobody reloads it)."""
    expect(page.locator(".phase-now")).to_have_text(f"いま：{label}", timeout=LIVE_MS)
    page.wait_for_load_state("load")


def answer_test_right(page: Page, questions: list[Question]) -> None:
    """Every question of the one-page test right, found by its text in the quiz files."""
    items = page.locator(TEST_ITEMS)
    assert items.count() > 13, "the test shows the 13 scored questions and the survey"
    for item in items.all():
        answer_right(item, question_of(item, questions))


def answer_test_by_position(page: Page, *, last: bool = False) -> None:
    """Tap the first (or last) answer of every group of the one-page test."""
    groups = answer_by_position(page.locator("form.workshop-test"), -1 if last else 0)
    assert groups > 13, "the test shows the 13 scored questions and the survey"


def submit_test(page: Page, done_text: str) -> None:
    """提出する, once the autosave has kept the answers so far (a phone may drop out and come
    back); the page then says `done_text`."""
    status = page.locator("[data-save-status]")
    expect(status, "the autosave's status").to_contain_text("保存しました")
    submit(page, page.get_by_role("button", name="提出する"))
    expect(page.get_by_text(done_text)).to_be_visible()


def send_survey(page: Page, comment: str, pick: int = 0) -> None:
    """The survey: option number `pick` of each question (0: the first shown, 「とても…」) and a
    comment, 送信する; the page thanks them and offers to send it again."""
    form = page.locator("form.survey-form")
    answer_by_position(form, pick)
    form.get_by_label("ご意見・ご感想").fill(comment)
    submit(page, form.get_by_role("button", name="送信する"))
    expect(
        page.get_by_text("アンケートにご協力いただき、ありがとうございました。").first
    ).to_be_visible()
    expect(page.get_by_role("button", name="送り直す")).to_be_visible()
