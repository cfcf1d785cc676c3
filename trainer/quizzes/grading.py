"""How each question type is scored: a registry of pure functions, free of Flask and the database.

To change how a type is scored, change its function here; nothing else needs to change. Each
function takes the question and the learner's answer in its stored form and returns a Grade.
Every scored question is worth 1 point; partial credit is the share of parts answered right, so
partial knowledge shows in the statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from trainer.content.quizzes import Question


@dataclass(frozen=True)
class Grade:
    score: float  # 0.0 … 1.0
    parts_right: int
    parts_total: int

    @property
    def fully_right(self) -> bool:
        return self.parts_total > 0 and self.parts_right == self.parts_total


class InvalidAnswer(ValueError):
    """An answer that does not fit the question (a forged choice, a missing case)."""


Answer = object
Grader = Callable[[Question, Answer], Grade]


def grade_single(question: Question, answer: Answer) -> Grade:
    """answer: the key of the chosen choice ("a")."""
    keys = {c.key: c for c in question.choices}
    if not isinstance(answer, str) or answer not in keys:
        raise InvalidAnswer("選択肢から1つ選んでください。")
    right = int(keys[answer].correct)
    return Grade(score=float(right), parts_right=right, parts_total=1)


def grade_multi(question: Question, answer: Answer) -> Grade:
    """answer: the keys ticked. Each option counts: ticked if correct, left blank if not."""
    if not isinstance(answer, list | tuple | set | frozenset):
        raise InvalidAnswer("当てはまるものをすべて選んでください。")
    ticked = set(answer)
    if not ticked <= {c.key for c in question.choices}:
        raise InvalidAnswer("選択肢にない答えが送られました。")
    right = sum((c.key in ticked) == c.correct for c in question.choices)
    total = len(question.choices)
    return Grade(score=right / total, parts_right=right, parts_total=total)


def grade_truefalse(question: Question, answer: Answer) -> Grade:
    """answer: {case key: True (はい) / False (いいえ)} for every case."""
    if not isinstance(answer, Mapping) or set(answer) != {c.key for c in question.cases}:
        raise InvalidAnswer("すべての事例に「はい」か「いいえ」で答えてください。")
    if not all(isinstance(v, bool) for v in answer.values()):
        raise InvalidAnswer("「はい」か「いいえ」で答えてください。")
    right = sum(answer[c.key] == c.answer for c in question.cases)
    total = len(question.cases)
    return Grade(score=right / total, parts_right=right, parts_total=total)


def grade_likert(question: Question, answer: Answer) -> Grade:
    """answer: 1 … 5. Opinions are not scored; the value is only checked."""
    if not isinstance(answer, int) or isinstance(answer, bool) or not 1 <= answer <= 5:
        raise InvalidAnswer("1つ選んでください。")
    return Grade(score=0.0, parts_right=0, parts_total=0)


GRADERS: dict[str, Grader] = {
    "single": grade_single,
    "multi": grade_multi,
    "truefalse": grade_truefalse,
    "likert": grade_likert,
}


def grade(question: Question, answer: Answer) -> Grade:
    return GRADERS[question.type](question, answer)
