"""The question types' registry: reading a page's fields, whether they hold a whole answer, an
answer in words for the exports, and what the statistics and the pages ask of a type."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from trainer.content.question_types import TYPES, InvalidAnswer, question_type
from trainer.content.quizzes import Case, Choice, Question

SINGLE = Question(
    id="q1", type="single", topic="hotline-188", text="188は？", explanation="…",
    choices=(Choice("a", "警察", False), Choice("b", "消費生活センター", True)),
)  # fmt: skip
MULTI = Question(
    id="q2", type="multi", topic="cooling-off", text="できるものは？", explanation="…",
    choices=(Choice("a", "訪問販売", True), Choice("b", "通信販売", False),
             Choice("c", "電話勧誘販売", True)),
)  # fmt: skip
TRUEFALSE = Question(
    id="q3", type="truefalse", topic="consumer-centre", text="相談できる？", explanation="…",
    cases=(Case("1", "架空請求", True), Case("2", "隣の木の枝", False)),
)  # fmt: skip
LIKERT = Question(
    id="q4", type="likert", topic="attitude", text="気にかけていますか", explanation="",
    scale="heed",
)  # fmt: skip


def test_the_registry_knows_four_types_and_refuses_others():
    assert list(TYPES) == ["single", "multi", "truefalse", "likert"]
    with pytest.raises(ValueError, match="unknown question type 'essay'"):
        question_type("essay")


@pytest.mark.parametrize(
    ("question", "fields", "stored", "whole"),
    [
        (SINGLE, {"choice": "b"}, "b", True),
        (SINGLE, {}, None, False),
        (MULTI, {"choice": ["c", "a"]}, ["a", "c"], True),
        (MULTI, {}, [], False),
        (TRUEFALSE, {"case-1": "yes", "case-2": "no"}, {"1": True, "2": False}, True),
        (LIKERT, {"value": "4"}, 4, True),
        (LIKERT, {"value": "x"}, "x", True),  # text: grading refuses it with its message
    ],
)
def test_a_page_s_fields_become_the_stored_answer(question, fields, stored, whole):
    form = MultiDict(fields)
    kind = question_type(question.type)
    assert kind.parse(question, form) == stored
    assert kind.answered(question, form) is whole


def test_half_answered_cases_are_neither_whole_nor_an_answer():
    form = MultiDict({"case-1": "yes"})
    kind = question_type("truefalse")
    assert not kind.answered(TRUEFALSE, form)
    with pytest.raises(InvalidAnswer, match="すべての事例に「はい」か「いいえ」で答えてください。"):
        kind.parse(TRUEFALSE, form)


@pytest.mark.parametrize(
    ("question", "answer", "words"),
    [
        (SINGLE, "b", "消費生活センター"),
        (SINGLE, "z", "z"),  # not one of its options: shown as it is
        (MULTI, ["c", "a"], "訪問販売／電話勧誘販売"),  # in the file's order
        (MULTI, "a", "a"),
        (TRUEFALSE, {"1": True, "2": False}, "事例1:はい／事例2:いいえ"),
        (TRUEFALSE, {"2": True}, "事例2:はい"),
        (LIKERT, 5, "とても気にかけている"),
        (LIKERT, 9, "9"),
        (LIKERT, None, ""),
    ],
)
def test_an_answer_in_words_is_what_the_learner_saw(question, answer, words):
    assert question_type(question.type).describe(question, answer) == words


def test_what_the_statistics_and_the_pages_ask_of_each_type():
    asked = {
        name: (kind.scored, kind.statistics, kind.distribution, kind.widget, kind.macro)
        for name, kind in TYPES.items()
    }
    assert asked == {
        "single": (True, "rate", "choices", "radio", "question_fields"),
        "multi": (True, "rate", None, "checkbox", "question_fields"),
        "truefalse": (True, "rate", "cases", "cases", "question_fields"),
        "likert": (False, "scale", None, "scale", "question_fields"),
    }
    assert question_type("likert").scale_labels(LIKERT)[0] == "全く気にかけていない"
    assert question_type("single").scale_labels(SINGLE) == ()
