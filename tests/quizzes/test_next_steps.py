"""What a learner on their own is told to do next, through the pages: the home page's main button
leads to the pre-test first and then on through the course, the post-test waits for the
pre-test, a failed result offers the retake right under the score, scores are whole questions,
and the review page after 提出する says 提出済み. A small course of its own (one single-choice
question and one 〇× question with two cases per form), so that the repository's banks can
change freely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.content.helpers import COURSE_YAML, write_course
from tests.quizzes.helpers import answer_all, page_fields, read_all_modules, start, submit, take
from trainer.courses.loading import load_courses
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.attempts import PRE_TEST_FIRST
from trainer.quizzes.models import Attempt, QuizQuestion
from trainer.quizzes.score_summary import score_summary

SLUG = "steps"


def bank(form: str) -> str:
    return (
        f"title: 理解度テスト {form}\nshuffle: false\nquestions:\n"
        f"  - id: where-188\n    type: single\n    topic: hotline-188\n"
        f"    text: {form}188はどこにつながりますか\n"
        "    choices:\n"
        '      - text: "消費生活センター"\n        correct: true\n'
        '      - text: "警察"\n'
        "      - text: わからない\n"
        "    explanation: 188の解説です。\n"
        f"  - id: centre-cases\n    type: truefalse\n    topic: consumer-centre\n"
        f"    text: {form}センターが受け付ける相談には「はい」と答えてください\n"
        "    cases:\n"
        "      - text: 通販で買った品物が説明と違う\n        answer: はい\n"
        "      - text: 隣の家の音がうるさい\n        answer: いいえ\n"
        "    explanation: センターの解説です。\n"
    )


def load(root: Path, extra: str) -> Course:
    write_course(root / "courses", SLUG, course_yaml=COURSE_YAML + extra)
    quizzes = root / "quizzes"
    quizzes.mkdir(exist_ok=True)
    for name in ("form-a", "form-b"):
        (quizzes / f"{name}.yaml").write_text(bank(name[-1].upper()), encoding="utf-8")
    load_courses(db.session, root / "courses", quizzes)
    return db.session.scalar(select(Course).where(Course.slug == SLUG))


@pytest.fixture
def course(app, tmp_path) -> Course:
    return load(tmp_path, "pre_quiz: form-a\npost_quiz: form-b\n")


@pytest.fixture
def learner(client, make_network, make_member, course):
    member = make_member(make_network(), name="佐藤 恵子")
    client.get(f"/m/{member.link_token}")
    return member


def text(response) -> str:
    """The page's text without tags, white space squashed."""
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def main_button(client) -> tuple[str, str]:
    """The home page's main button for the course: its words and where it leads."""
    html = client.get("/learn").get_data(as_text=True)
    buttons = re.findall(r'<a class="button" href="([^"]+)">([^<]+)</a>', html)
    assert len(buttons) == 1, buttons
    href, words = buttons[0]
    return words, href


def attempts_of(phase: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.phase == phase)
    )


# --- the pre-test first (home, course page, the post-test's start) ------------------------------


def test_the_home_button_leads_to_the_pre_test_then_on_through_the_course(client, learner):
    assert main_button(client) == ("事前テストを受ける", f"/learn/{SLUG}/quiz/pre")
    assert PRE_TEST_FIRST in text(client.get("/learn"))

    pre = start(client, SLUG, "pre")
    answer_all(client, pre, right=False)
    submit(client, pre)
    assert main_button(client) == ("研修を読み始める", f"/learn/{SLUG}/01-first")
    assert PRE_TEST_FIRST not in text(client.get("/learn"))
    client.post(f"/learn/{SLUG}/01-first/read")
    assert main_button(client) == ("続きから読む", f"/learn/{SLUG}/02-second")
    client.post(f"/learn/{SLUG}/02-second/read")
    assert main_button(client) == ("事後テストを受ける", f"/learn/{SLUG}/quiz/post")

    post = start(client, SLUG, "post")
    answer_all(client, post, right=False)
    submit(client, post)
    assert main_button(client) == ("事後テストをもう一度受ける", f"/learn/{SLUG}/quiz/post")
    retake = start(client, SLUG, "post")
    answer_all(client, retake, right=True)
    submit(client, retake)
    html = client.get("/learn").get_data(as_text=True)
    assert "修了" in html and 'class="button"' not in html  # nothing left to do


def test_the_post_test_sends_the_learner_to_the_pre_test_first(client, learner):
    read_all_modules(client, SLUG)
    course_page = text(client.get(f"/learn/{SLUG}"))
    assert f"3. 事後テスト {PRE_TEST_FIRST} 事前テストへ" in course_page

    sent = client.get(f"/learn/{SLUG}/quiz/post")
    assert sent.status_code == 302 and sent.headers["Location"] == f"/learn/{SLUG}/quiz/pre"
    pre_page = text(client.get(sent.headers["Location"]))
    assert PRE_TEST_FIRST in pre_page and "事前テスト（テスト研修）" in pre_page

    # Starting it directly (an old tab, a crafted request) starts nothing either.
    started = client.post(f"/learn/{SLUG}/quiz/post/start", data={"key": "x"})
    assert started.headers["Location"] == f"/learn/{SLUG}/quiz/pre"
    assert attempts_of("post") == 0

    start(client, SLUG, "pre")  # begun, not submitted: still the pre-test first
    assert client.get(f"/learn/{SLUG}/quiz/post").status_code == 302


def test_a_member_with_a_post_test_attempt_is_not_sent_back(client, learner, course):
    # A workshop's post-test, or one taken before the pre-test came first: a pre-test now
    # would not measure what they knew before.
    take(learner, course, "post", right=set())
    assert client.get(f"/learn/{SLUG}/quiz/post").status_code == 200
    assert main_button(client) == ("事後テストをもう一度受ける", f"/learn/{SLUG}/quiz/post")
    assert PRE_TEST_FIRST not in text(client.get(f"/learn/{SLUG}"))


def test_a_course_without_a_pre_test_goes_straight_to_the_modules(
    app, client, tmp_path, make_network, make_member
):
    load(tmp_path, "post_quiz: form-b\n")
    member = make_member(make_network())
    client.get(f"/m/{member.link_token}")
    assert main_button(client) == ("研修を読み始める", f"/learn/{SLUG}/01-first")
    read_all_modules(client, SLUG)
    assert client.get(f"/learn/{SLUG}/quiz/post").status_code == 200
    assert start(client, SLUG, "post")


# --- the result: whole questions, the retake first when failed ----------------------------------


def answer_half_of_the_cases(client, attempt_id: int) -> None:
    """The single-choice question right, the 〇× question with one case of two right."""
    attempt = db.session.get(Attempt, attempt_id)
    for n, question_id in enumerate(attempt.question_ids, start=1):
        question = db.session.get(QuizQuestion, question_id)
        if question.type == "single":
            form = {"choice": "a"}
        else:  # both answered はい: the first case right, the second wrong
            form = {f"case-{c['key']}": "yes" for c in question.body["cases"]}
        client.post(f"/learn/attempts/{attempt_id}/{n}", data={**form, **page_fields(attempt, n)})


def test_a_failed_result_offers_the_retake_right_under_the_score(client, learner):
    pre = start(client, SLUG, "pre")
    answer_all(client, pre, right=False)
    submit(client, pre)
    read_all_modules(client, SLUG)
    failed = start(client, SLUG, "post")
    answer_half_of_the_cases(client, failed)
    submit(client, failed)
    assert db.session.get(Attempt, failed).percent == 75  # under the course's 80 %

    page = text(client.get(f"/learn/attempts/{failed}/result"))
    assert "75 %" in page
    assert "2問中 1問正解（合格は80%以上）" in page
    assert "一部だけ正しかった1問は、正しかった部分の割合だけ正答率（%）に入っています。" in page
    assert not re.search(r"\d点", page)  # no 「1.5点」
    order = [
        "今回は合格点に届きませんでした。",
        "もう一度受ける",
        "研修のページへ",
        "研修の前と後",
        "問題と解説",
        "188の解説です。",
    ]
    positions = [page.index(words) for words in order]
    assert positions == sorted(positions), positions

    # The button starts a real retake: a new attempt, its first question.
    html = client.get(f"/learn/attempts/{failed}/result").get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+/start)" class="inline">.*?'
                     r'name="key" value="([^"]+)"', html, re.S)  # fmt: skip
    assert form.group(1) == f"/learn/{SLUG}/quiz/post/start"
    retake = client.post(form.group(1), data={"key": form.group(2)})
    [new] = db.session.scalars(select(Attempt).where(Attempt.status == "open"))
    assert new.id != failed and new.phase == "post"
    assert retake.headers["Location"] == f"/learn/attempts/{new.id}/1"
    # While it is open, the failed result continues it rather than offering a new one.
    assert "続きから答える" in text(client.get(f"/learn/attempts/{failed}/result"))


def test_a_passed_or_pre_test_result_offers_no_retake(client, learner):
    pre = start(client, SLUG, "pre")
    answer_all(client, pre, right=True)
    submit(client, pre)
    pre_page = text(client.get(f"/learn/attempts/{pre}/result"))
    assert "2問中 2問正解" in pre_page and "合格は" not in pre_page
    assert "一部だけ" not in pre_page and "もう一度受ける" not in pre_page
    read_all_modules(client, SLUG)
    post = start(client, SLUG, "post")
    answer_all(client, post, right=True)
    submit(client, post)
    page = text(client.get(f"/learn/attempts/{post}/result"))
    assert "2問中 2問正解（合格は80%以上）" in page and "合格です。" in page
    assert "もう一度受ける" not in page


def test_score_summary_counts_whole_questions(client, learner, course):
    attempt = take(learner, course, "pre", right={"where-188"})
    summary = score_summary(db.session, attempt)
    assert (summary.questions, summary.right, summary.partly_right) == (2, 1, 0)
    assert summary.headline == "2問中 1問正解" and summary.partial_note == ""
    assert summary.percent == 50

    half = take(
        learner,
        course,
        "post",
        right={"where-188"},
        override={"centre-cases": lambda q: {f"case-{c['key']}": "yes" for c in q.body["cases"]}},
    )
    summary = score_summary(db.session, half)
    assert (summary.questions, summary.right, summary.partly_right) == (2, 1, 1)
    assert summary.percent == 75
    assert summary.partial_note.startswith("一部だけ正しかった1問は")


# --- back after 提出する -------------------------------------------------------------------------


def test_the_review_page_after_submitting_says_submitted(client, learner):
    attempt_id = start(client, SLUG, "pre")
    answer_all(client, attempt_id)
    question = client.get(f"/learn/attempts/{attempt_id}/1")
    review = client.get(f"/learn/attempts/{attempt_id}/review")
    # Never kept by the browser, so that the back button asks again.
    assert question.headers["Cache-Control"] == review.headers["Cache-Control"] == "no-store"
    assert "提出する" in text(review) and "提出済み" not in text(review)

    submit(client, attempt_id)
    again = client.get(f"/learn/attempts/{attempt_id}/review")
    assert again.status_code == 200 and again.headers["Cache-Control"] == "no-store"
    page = text(again)
    assert "提出済み" in page and "答えはもう変えられません" in page and "結果を見る" in page
    assert "提出する" not in page and "/submit" not in again.get_data(as_text=True)
    assert page.count("回答済み") == 2
    assert client.get(f"/learn/attempts/{attempt_id}/1").headers["Location"].endswith("/result")
