"""Question variants (another version of an item, served on a retake) and a course's review date,
sources and counterbalanced forms: read from the files, checked, and stored by the loader."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from tests.content.helpers import COURSE_YAML, write_course
from trainer.content.banks import check_bank, load_bank
from trainer.content.courses import check_path, load_course
from trainer.courses.loading import load_courses
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import QuizBank, QuizQuestion

WITH_VARIANTS = """\
title: 理解度テスト A
questions:
  - id: where-188
    type: single
    topic: hotline-188
    text: 188に電話すると、どこにつながりますか。
    choices:
      - text: 警察署の相談窓口
      - text: 近くの消費生活センターなどの相談窓口
        correct: true
      - text: わからない
    explanation: 188は近くの消費生活センターなどにつながります。
    variants:
      - text: 近所の人に「188はどこの番号？」と聞かれました。どう答えますか。
        choices:
          - text: 近くの消費生活センターなどの相談窓口
            correct: true
          - text: 市役所の代表電話
          - text: わからない
        explanation: 188は「いやや」。近くの消費生活センターなどにつながります。
"""


def write(tmp_path: Path, text: str, name: str = "form-a.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_question_with_variants_loads_each_as_a_numbered_version(tmp_path):
    bank = load_bank(write(tmp_path, WITH_VARIANTS))
    (question,) = bank.questions
    assert [v.variant for v in question.versions] == [1, 2]
    second = question.variants[0]
    assert (second.id, second.type, second.topic) == ("where-188", "single", "hotline-188")
    assert second.text.startswith("近所の人に") and second.choices[0].correct
    assert second.content_hash != question.content_hash


def test_variant_mistakes_are_reported_with_their_lines(tmp_path):
    broken = WITH_VARIANTS.replace(
        "        explanation: 188は「いやや」。近くの消費生活センターなどにつながります。\n",
        "        topic: connect\n",
    )
    problems = [str(p) for p in check_bank(write(tmp_path, broken))]
    assert any(":20: variants に使えないキー「topic」です" in p for p in problems), problems
    assert any("explanation（解説）を書いてください" in p for p in problems), problems


def test_a_variant_that_repeats_the_question_is_refused(tmp_path):
    head, _, _ = WITH_VARIANTS.partition("    variants:\n")
    body = head.split("  - id: where-188\n", 1)[1]
    repeated = [
        line for line in body.splitlines() if not line.lstrip().startswith(("type:", "topic:"))
    ]
    variant = "\n".join(
        "    " + line if i else "      - " + line.strip() for i, line in enumerate(repeated)
    )
    problems = [
        str(p) for p in check_bank(write(tmp_path, head + "    variants:\n" + variant + "\n"))
    ]
    assert any("ほかの版とまったく同じです" in p for p in problems), problems


def test_the_loader_stores_variants_beside_the_main_version(app, tmp_path):
    courses, quizzes = tmp_path / "courses", tmp_path / "quizzes"
    quizzes.mkdir()
    write(quizzes, WITH_VARIANTS)
    write_course(courses)
    load_courses(db.session, courses, quizzes)
    bank = db.session.scalar(select(QuizBank).where(QuizBank.slug == "form-a"))
    main = db.session.get(QuizQuestion, bank.question_ids[0])
    (variant_id,) = bank.variant_ids["where-188"]
    variant = db.session.get(QuizQuestion, variant_id)
    assert (main.key, main.body["variant"]) == ("where-188", 1)
    assert (variant.key, variant.body["variant"]) == ("where-188", 2)
    assert variant.body["text"].startswith("近所の人に")


def test_review_date_sources_and_counterbalance_are_read_and_stored(app, tmp_path):
    extra = (
        "reviewed_on: 2026-11-30\n"
        "sources:\n  - 特定商取引法 第9条\n  - 消費者契約法 第4条\n"
        "counterbalance: false\n"
    )
    folder = write_course(tmp_path, course_yaml=COURSE_YAML + extra)
    course = load_course(folder)
    assert course.reviewed_on == date(2026, 11, 30)
    assert course.sources == ("特定商取引法 第9条", "消費者契約法 第4条")
    load_courses(db.session, tmp_path, None)
    stored = db.session.scalar(select(Course))
    assert stored.reviewed_on == date(2026, 11, 30) and stored.sources == list(course.sources)
    assert stored.counterbalance is False


def test_a_review_date_over_a_year_old_is_a_warning(tmp_path):
    old = (date.today() - timedelta(days=400)).isoformat()
    folder = write_course(
        tmp_path, course_yaml=COURSE_YAML + f"reviewed_on: {old}\nsources: [民法]\n"
    )
    (problem,) = check_path(folder)
    assert problem.warning and "1年以上たっています" in problem.message
    load_course(folder)  # still served


def test_bad_review_date_and_counterbalance_without_two_forms_are_errors(tmp_path):
    folder = write_course(
        tmp_path, course_yaml=COURSE_YAML + "reviewed_on: 昨日\ncounterbalance: true\n"
    )
    problems = sorted(p.message for p in check_path(folder))
    assert problems == [
        "counterbalance: true には pre_quiz と post_quiz の両方（2つの並行テスト）が必要です",
        "reviewed_on は 2026-12-03 の形の日付にしてください",
        "sources（法令の出典）を1つ以上書いてください",  # a warning
    ]


def test_the_basic_course_states_when_and_against_what_it_was_checked():
    course = load_course(Path(__file__).resolve().parents[2] / "courses" / "mimamori-basic")
    assert course.reviewed_on is not None and course.counterbalance
    assert any("特定商取引法" in s for s in course.sources)
