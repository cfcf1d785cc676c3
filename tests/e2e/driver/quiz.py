"""The course's quizzes through their real forms: a question found by its text in the quiz files
(any version of either form: the forms are counterbalanced and a retake asks another version),
answered right or by position; the modules read one after the other.

A quiz page (form.quiz-form) shows one question, a workshop's one-page test one per
section.test-item; both name their inputs after the quiz files' keys (…choice with the values
"a", "b", … of the choices in file order, …case-<key> with yes/no), whatever order the choices
are shown in, so the right answers can be ticked without reading the shuffled labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from playwright.sync_api import Locator, Page

from tests.e2e.driver.actions import squash, submit
from trainer.content.banks import load_bank
from trainer.content.placeholders import facts_in_options, unset_facts
from trainer.content.question_types import question_type
from trainer.content.quizzes import Question
from trainer.courses.loading import question_body

ROOT = Path(__file__).resolve().parents[3]
QUIZZES = ROOT / "quizzes"
COURSE_SLUG = "mimamori-basic"
QUESTION_TEXT = "p.question-text, fieldset.choices > legend"  # the first is the question's own
QUIZ_BUTTON = "main form.quiz-form button[type=submit]"  # 答えて次へ / 答えて確認へ


def versions(*names: str) -> list[Question]:
    """Every version of every question in these quiz files: as written, then each variant."""
    banks = [load_bank(QUIZZES / f"{name}.yaml") for name in names]
    return [version for bank in banks for q in bank.questions for version in q.versions]


def post_questions() -> list[Question]:
    """Every question a post-test may ask: both forms (the course is counterbalanced, so which
    one a learner takes after depends on the learner), each with its variants (a retake asks
    another version), and the attitude survey asked with it."""
    return versions("basic-pre", "basic-post", "attitude")


def asked_keys(facts: Mapping[str, str | None]) -> list[str]:
    """The scored question keys a network with these local facts is asked (in either form): a
    question whose options need a fact not set is withheld there (trainer/quizzes/withheld.py)."""
    asked: dict[str, None] = {}
    for name in ("basic-pre", "basic-post"):
        for q in load_bank(QUIZZES / f"{name}.yaml").questions:
            needed = {f for v in q.versions for f in facts_in_options(question_body(v))}
            if question_type(q.type).scored and not unset_facts(needed, facts):
                asked[q.id] = None
    return list(asked)


def text_pattern(text: str) -> re.Pattern[str]:
    """A question's text as the page shows it: `{{ placeholder }}`s are filled with local facts
    (any text here), runs of white space are one space."""
    parts = [re.escape(squash(part)) for part in re.split(r"\{\{.*?\}\}", text)]
    return re.compile(".*?".join(parts))


def question_of(
    scope: Locator, questions: list[Question], shown: Callable[[str], str] | None = None
) -> Question:
    """The one question in `scope` (a quiz page's form, a workshop test's item), found by its
    text: as `shown` fills a question's text in (the network's local facts), or with any text
    where the quiz file has a placeholder."""
    text = squash(scope.locator(QUESTION_TEXT).first.inner_text())
    if shown is None:
        found = [q for q in questions if text_pattern(q.text).match(text)]
    else:
        found = [q for q in questions if text.startswith(shown(q.text))]
    if len({_answers(q) for q in found}) > 1:
        # Versions may share a question text and differ in their choices or cases.
        everything = squash(scope.inner_text())
        found = [q for q in found if all(_option_shown(o, everything, shown) for o in _options(q))]
    assert found and len({_answers(q) for q in found}) == 1, (
        f"{text[:60]!r} matched {len(found)} questions in the quiz files"
    )
    return found[0]


def _options(question: Question) -> list[str]:
    return [c.text for c in question.choices] + [c.text for c in question.cases]


def _option_shown(option: str, page_text: str, shown: Callable[[str], str] | None) -> bool:
    if shown is not None:
        return squash(shown(option)) in page_text
    return text_pattern(option).search(page_text) is not None


def _answers(question: Question) -> tuple[object, ...]:
    """What answering a question right ticks: questions alike in this are one to the driver."""
    return (
        question.type,
        tuple((c.key, c.correct) for c in question.choices),
        tuple((c.key, c.answer) for c in question.cases),
        tuple(_options(question)),
    )


def answer_right(scope: Locator, question: Question, likert: int = 0) -> None:
    """Tick the right answers of the question in `scope`; a likert question (not scored) gets
    its option number `likert` (0: the first shown)."""
    if question.type == "truefalse":
        for case in question.cases:
            value = "yes" if case.answer else "no"
            scope.locator(f"input[name$='case-{case.key}'][value={value}]").check()
    elif question.type in ("single", "multi"):
        for choice in question.choices:
            box = scope.locator(f"input[name$='choice'][value='{choice.key}']")
            if choice.correct:
                box.check()
            elif question.type == "multi":
                box.uncheck()
    else:
        options = scope.locator("label.choice")
        options.nth(likert % options.count()).click()


def answer_by_position(scope: Locator, pick: int = 0) -> int:
    """Tap answer number `pick` (0: the first, -1: the last) of every group in `scope`. Choices
    are shuffled per person, so this gives a mix of right and wrong answers. Returns how many
    groups were answered."""
    groups = scope.locator("fieldset.choices").all()
    for group in groups:
        labels = group.locator("label.choice")
        labels.nth(pick % labels.count()).click()
    return len(groups)


def reached_review(page: Page) -> bool:
    return "/review" in page.url or "/result" in page.url


def read_modules(page: Page, base_url: str) -> None:
    """Press 「読みました」 on every module of the course, from the first one to the course page."""
    course = f"{base_url}/learn/{COURSE_SLUG}"
    page.goto(course)
    first = page.locator("main ol.module-list a").first.get_attribute("href")
    page.goto(base_url + first)
    for _ in range(50):
        submit(page, "main form.read-form button[type=submit]")
        if page.url.startswith(course + "?") or page.url == course:
            return
    raise AssertionError(f"reading the modules did not end on the course page ({page.url})")


def pass_post_quiz(page: Page, base_url: str, likert: int = 0) -> None:
    """The post-quiz with every answer right (from the quiz files), up to its result page; the
    attitude (likert) questions with their option number `likert`."""
    questions = post_questions()
    page.goto(f"{base_url}/learn/{COURSE_SLUG}/quiz/post")
    start = page.locator("main form[action*='/start'] button[type=submit]")
    assert start.count(), f"the post-quiz cannot be started: {squash(page.inner_text('main'))}"
    submit(page, start)
    for _ in range(100):
        if reached_review(page):
            break
        form = page.locator("main form.quiz-form")
        answer_right(form, question_of(form, questions), likert)
        submit(page, QUIZ_BUTTON)
    else:
        raise AssertionError(f"the post-quiz did not reach its review page ({page.url})")
    submit(page, "main form button[type=submit]")
