"""Scoring each question type, by hand-checked cases."""

from __future__ import annotations

import pytest

from trainer.content.question_types import InvalidAnswer, grade, question_type
from trainer.content.quizzes import Case, Choice, Question

SINGLE = Question(
    id="q1", type="single", topic="hotline-188", text="188は？", explanation="…",
    choices=(Choice("a", "警察", False), Choice("b", "近くの消費生活センター", True),
             Choice("c", "国", False)),
)  # fmt: skip
MULTI = Question(
    id="q2", type="multi", topic="cooling-off", text="できるものは？", explanation="…",
    choices=(Choice("a", "訪問販売", True), Choice("b", "通信販売", False),
             Choice("c", "電話勧誘販売", True), Choice("d", "店で買った", False)),
)  # fmt: skip
TRUEFALSE = Question(
    id="q3", type="truefalse", topic="consumer-centre", text="受け付ける？", explanation="…",
    cases=(Case("1", "架空請求", True), Case("2", "隣家の木", False), Case("3", "定期購入", True)),
)  # fmt: skip
LIKERT = Question(
    id="q4",
    type="likert",
    topic="attitude",
    text="気にかけていますか",
    explanation="",
    scale="heed",
)


def test_single_choice():
    assert grade(SINGLE, "b").score == 1.0 and grade(SINGLE, "b").fully_right
    assert grade(SINGLE, "a").score == 0.0 and not grade(SINGLE, "a").fully_right


def test_multi_choice_is_scored_per_option():
    assert grade(MULTI, ["a", "c"]).score == 1.0
    half = grade(MULTI, ["a"])  # a right, b right (blank), c wrong (missed), d right (blank)
    assert (half.parts_right, half.parts_total, half.score) == (3, 4, 0.75)
    everything = grade(MULTI, ["a", "b", "c", "d"])
    assert everything.score == 0.5 and not everything.fully_right
    assert grade(MULTI, []).score == 0.5


def test_true_false_per_case():
    assert grade(TRUEFALSE, {"1": True, "2": False, "3": True}).score == 1.0
    two_of_three = grade(TRUEFALSE, {"1": True, "2": True, "3": True})
    assert (two_of_three.parts_right, two_of_three.parts_total) == (2, 3)
    assert two_of_three.score == pytest.approx(2 / 3)


def test_likert_is_not_scored():
    result = grade(LIKERT, 4)
    assert (result.score, result.parts_total) == (0.0, 0) and not question_type(LIKERT.type).scored


@pytest.mark.parametrize(
    ("question", "answer", "message"),
    [
        (SINGLE, "z", "選択肢から1つ選んでください。"),
        (SINGLE, None, "選択肢から1つ選んでください。"),
        (MULTI, ["a", "forged"], "選択肢にない答えが送られました。"),
        (MULTI, "a", "当てはまるものをすべて選んでください。"),
        (
            TRUEFALSE,
            {"1": True, "2": False},
            "すべての事例に「はい」か「いいえ」で答えてください。",
        ),
        (TRUEFALSE, {"1": True, "2": False, "3": "yes"}, "「はい」か「いいえ」で答えてください。"),
        (LIKERT, 6, "1つ選んでください。"),
        (LIKERT, True, "1つ選んでください。"),
    ],
)
def test_answers_that_do_not_fit_are_refused(question, answer, message):
    with pytest.raises(InvalidAnswer, match=message):
        grade(question, answer)


def test_a_changed_question_has_a_new_content_hash():
    from dataclasses import replace

    assert SINGLE.content_hash == replace(SINGLE, explanation="別の解説").content_hash
    assert SINGLE.content_hash != replace(SINGLE, text="188に電話すると？").content_hash
    flipped = replace(SINGLE, choices=(Choice("a", "警察", True), *SINGLE.choices[1:]))
    assert SINGLE.content_hash != flipped.content_hash
