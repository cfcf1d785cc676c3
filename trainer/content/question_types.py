"""Question types: everything that differs between a single choice, a multiple choice, true/false
cases and a Likert item, one class per type, looked up with question_type(name).

A type knows how its part of a bank file is read and checked, how a submitted form becomes the
stored answer and whether a page holds a whole one, how an answer is graded, how it becomes the
small number of the result codes and back, how the statistics count it, how an export puts it in
words, and how the question_fields macro (templates/_macros.html) draws its inputs. Elsewhere a
question's type is only ever passed to question_type(); adding a type means adding a class here
(and, for new inputs, a branch of the macro).

Pure (no Flask, no database): content is the lowest package, so the bank reader, the quizzes,
the statistics and the exports all reach the same registry. Grading lives here, not in a module
of trainer.quizzes: a type's grading is part of the type, and the exports and the statistics
need it from below the quizzes too. Only the per-type number of a result code is here; the
fixed-width string the statistics read stays in trainer.quizzes.result_codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from trainer.content import placeholders
from trainer.content.quizzes import LIKERT_SCALES, MAX_ITEMS, Case, Choice, Question
from trainer.parsing import parse_int

Report = Callable[[int, str], None]  # a problem in a bank file: (line, message)
CHOICE_KEYS = {"text", "correct"}
CASE_KEYS = {"text", "answer"}
CHOOSE_ONE = "選択肢から1つ選んでください。"
EVERY_CASE = "すべての事例に「はい」か「いいえ」で答えてください。"


class Form(Protocol):
    """The submitted fields of one question (a request's form, or one question's part of it)."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def getlist(self, name: str) -> list[Any]: ...


@dataclass(frozen=True)
class Source:
    """One question's mapping as read from its bank file, and the lines its parts are on."""

    raw: Mapping[str, Any]
    lines: Mapping[str, int]  # each key's line
    items: Mapping[str, list[int]]  # each list item's line, per key holding a list
    start: int  # the question's first line: where a missing key is reported

    def line(self, key: str) -> int:
        return self.lines.get(key, self.start)


@dataclass(frozen=True)
class Body:
    """What a type's own keys add to a question: its choices, its cases or its scale."""

    choices: tuple[Choice, ...] = ()
    cases: tuple[Case, ...] = ()
    scale: str | None = None


@dataclass(frozen=True)
class Grade:
    score: float  # 0.0 … 1.0
    parts_right: int
    parts_total: int

    @property
    def fully_right(self) -> bool:
        return self.parts_total > 0 and self.parts_right == self.parts_total


class InvalidAnswer(ValueError):
    """An answer that does not fit the question (a forged choice, a missing case); the message
    is the learner's."""


class QuestionType:
    """The base of the types: the attributes every type sets, and what most types share.

    Answers are in their stored form: a choice's key ("a"), the keys ticked (["a", "c"]), each
    case's はい/いいえ ({"1": True, "2": False}), a scale's point (1 … 5)."""

    name: str
    # Counts towards the score: graded right or wrong, explained after the quiz, its bank entry
    # must have an explanation.
    scored: bool
    # How the before/after statistics count it: "rate", the share right per question; "scale",
    # the learners per point of the scale.
    statistics: Literal["rate", "scale"]
    # The report's chart per item, or None: "choices", how many chose each option; "cases", the
    # share right per case.
    distribution: Literal["choices", "cases"] | None = None
    # The macro of templates/_macros.html that draws the inputs, and which inputs it draws
    # (also how the result page shows the answer): "radio", "checkbox", "cases" or "scale".
    macro = "question_fields"
    widget: str

    def read_body(self, source: Source, error: Report) -> Body:
        """This type's keys of a bank entry, each problem reported (what is kept of an entry
        with problems does not matter: the bank is refused)."""
        raise NotImplementedError

    def parse(self, question: Question, form: Form) -> object:
        """The submitted fields as the answer to store; InvalidAnswer when they cannot be one."""
        raise NotImplementedError

    def answered(self, question: Question, form: Form) -> bool:
        """Whether the fields hold a whole answer (a half-answered set of cases is not one)."""
        raise NotImplementedError

    def grade(self, question: Question, answer: object) -> Grade:
        """Every scored question is worth 1 point; partial credit is the share of parts answered
        right, so partial knowledge shows in the statistics. InvalidAnswer if it does not fit."""
        raise NotImplementedError

    def encode(self, body: Mapping[str, Any], answer: Any) -> int:
        """The stored answer as a number below 2**11, for the result codes, given the stored
        version of the question (QuizQuestion.body): positions are in its order."""
        raise NotImplementedError

    def decode(self, body: Mapping[str, Any], number: int) -> Any:
        """The stored answer back from its number: decode(body, encode(body, a)) == a."""
        raise NotImplementedError

    def describe(self, question: Question, answer: object) -> str:
        """The answer as the learner saw it, for an export: the option's text, not its key.
        Something that is not an answer of this type is shown as it is."""
        return "" if answer is None else str(answer)

    def scale_labels(self, question: Question) -> tuple[str, ...]:
        """The labels of the points 1 … 5, for a type answered on a scale."""
        return ()


# --- choices -----------------------------------------------------------------------------------


class _Choices(QuestionType):
    scored = True
    statistics = "rate"

    def read_body(self, source: Source, error: Report) -> Body:
        missing = "choices に選択肢を2つ以上書いてください"
        listed = _item_list(source, "choices", 2, missing, "選択肢", error)
        if listed is None:
            return Body()
        choices = []
        for index, line, item in listed:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                error(line, "選択肢は「- text: …」の形で書いてください")
                continue
            for key in item:
                if key not in CHOICE_KEYS:
                    error(line, f"選択肢に知らないキー「{key}」があります")
            if not isinstance(item.get("correct", False), bool):
                error(line, "correct は true か false にしてください")
            placeholders.report_unknown(item["text"], line, error)
            key, correct = chr(ord("a") + index), bool(item.get("correct", False))
            choices.append(Choice(key=key, text=item["text"].strip(), correct=correct))
        self.check_right(sum(c.correct for c in choices), source.lines["choices"], error)
        return Body(choices=tuple(choices))

    def check_right(self, right: int, line: int, error: Report) -> None:
        """The number of right options this type allows."""
        raise NotImplementedError


class SingleChoice(_Choices):
    name = "single"
    distribution = "choices"
    widget = "radio"

    def check_right(self, right: int, line: int, error: Report) -> None:
        if right != 1:
            error(
                line,
                f"single の問題は正解（correct: true）を1つだけにしてください（今は{right}個）",
            )

    def parse(self, question: Question, form: Form) -> object:
        return form.get("choice")

    def answered(self, question: Question, form: Form) -> bool:
        return bool(form.get("choice"))

    def grade(self, question: Question, answer: object) -> Grade:
        keys = {c.key: c for c in question.choices}
        if not isinstance(answer, str) or answer not in keys:
            raise InvalidAnswer(CHOOSE_ONE)
        right = int(keys[answer].correct)
        return Grade(score=float(right), parts_right=right, parts_total=1)

    def encode(self, body: Mapping[str, Any], answer: Any) -> int:
        return [c["key"] for c in body["choices"]].index(answer)

    def decode(self, body: Mapping[str, Any], number: int) -> Any:
        return body["choices"][number]["key"]

    def describe(self, question: Question, answer: object) -> str:
        texts = {c.key: c.text for c in question.choices}
        return texts.get(str(answer), str(answer))


class MultipleChoice(_Choices):
    """Each option counts: ticked if it is right, left blank if it is not."""

    name = "multi"
    widget = "checkbox"

    def check_right(self, right: int, line: int, error: Report) -> None:
        if right < 1:
            error(line, "multi の問題には正解（correct: true）を1つ以上入れてください")

    def parse(self, question: Question, form: Form) -> object:
        return sorted(form.getlist("choice"))

    def answered(self, question: Question, form: Form) -> bool:
        return bool(form.getlist("choice"))

    def grade(self, question: Question, answer: object) -> Grade:
        if not isinstance(answer, list | tuple | set | frozenset):
            raise InvalidAnswer("当てはまるものをすべて選んでください。")
        ticked = set(answer)
        if not ticked <= {c.key for c in question.choices}:
            raise InvalidAnswer("選択肢にない答えが送られました。")
        right = sum((c.key in ticked) == c.correct for c in question.choices)
        total = len(question.choices)
        return Grade(score=right / total, parts_right=right, parts_total=total)

    def encode(self, body: Mapping[str, Any], answer: Any) -> int:
        return sum(1 << i for i, c in enumerate(body["choices"]) if c["key"] in answer)

    def decode(self, body: Mapping[str, Any], number: int) -> Any:
        return [c["key"] for i, c in enumerate(body["choices"]) if number >> i & 1]

    def describe(self, question: Question, answer: object) -> str:
        if not isinstance(answer, list):
            return super().describe(question, answer)
        # In the order the options are in the file, so equal answers read the same.
        return "／".join(c.text for c in question.choices if c.key in answer)


# --- cases and scales ---------------------------------------------------------------------------


class TrueFalse(QuestionType):
    """Cases, each answered はい or いいえ; each case counts."""

    name = "truefalse"
    scored = True
    statistics = "rate"
    distribution = "cases"
    widget = "cases"

    def read_body(self, source: Source, error: Report) -> Body:
        missing = "cases に「はい・いいえ」で答える事例を1つ以上書いてください"
        listed = _item_list(source, "cases", 1, missing, "事例", error)
        if listed is None:
            return Body()
        cases = []
        for index, line, item in listed:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                error(line, "事例は「- text: …」と「answer: はい/いいえ」で書いてください")
                continue
            for key in item:
                if key not in CASE_KEYS:
                    error(line, f"事例に知らないキー「{key}」があります")
            answer = item.get("answer")
            if answer not in ("はい", "いいえ"):
                error(line, "answer は「はい」か「いいえ」にしてください")
                continue
            placeholders.report_unknown(item["text"], line, error)
            cases.append(
                Case(key=str(index + 1), text=item["text"].strip(), answer=answer == "はい")
            )
        return Body(cases=tuple(cases))

    def parse(self, question: Question, form: Form) -> object:
        values = {c.key: form.get(f"case-{c.key}") for c in question.cases}
        if any(v not in ("yes", "no") for v in values.values()):
            raise InvalidAnswer(EVERY_CASE)
        return {k: v == "yes" for k, v in values.items()}

    def answered(self, question: Question, form: Form) -> bool:
        return all(form.get(f"case-{c.key}") for c in question.cases)

    def grade(self, question: Question, answer: object) -> Grade:
        if not isinstance(answer, Mapping) or set(answer) != {c.key for c in question.cases}:
            raise InvalidAnswer(EVERY_CASE)
        if not all(isinstance(v, bool) for v in answer.values()):
            raise InvalidAnswer("「はい」か「いいえ」で答えてください。")
        right = sum(answer[c.key] == c.answer for c in question.cases)
        total = len(question.cases)
        return Grade(score=right / total, parts_right=right, parts_total=total)

    def encode(self, body: Mapping[str, Any], answer: Any) -> int:
        return sum(1 << i for i, c in enumerate(body["cases"]) if answer.get(c["key"]))

    def decode(self, body: Mapping[str, Any], number: int) -> Any:
        return {c["key"]: bool(number >> i & 1) for i, c in enumerate(body["cases"])}

    def describe(self, question: Question, answer: object) -> str:
        if not isinstance(answer, dict):
            return super().describe(question, answer)
        return "／".join(
            f"事例{n}:{'はい' if answer[case.key] else 'いいえ'}"
            for n, case in enumerate(question.cases, start=1)
            if case.key in answer
        )


class Likert(QuestionType):
    """An opinion on a 5-point scale (the attitude survey): checked, never scored."""

    name = "likert"
    scored = False
    statistics = "scale"
    widget = "scale"

    def read_body(self, source: Source, error: Report) -> Body:
        scale = source.raw.get("scale")
        if scale not in LIKERT_SCALES:
            known = "、".join(LIKERT_SCALES)
            error(source.line("scale"), f"scale は {known} のどれかにしてください")
            return Body()
        return Body(scale=scale)

    def parse(self, question: Question, form: Form) -> object:
        raw = form.get("value", "")
        # A point of the scale; anything else stays text, which grade refuses with its message.
        number = parse_int(raw)
        return raw if number is None else number

    def answered(self, question: Question, form: Form) -> bool:
        return bool(form.get("value"))

    def grade(self, question: Question, answer: object) -> Grade:
        if not isinstance(answer, int) or isinstance(answer, bool) or not 1 <= answer <= 5:
            raise InvalidAnswer("1つ選んでください。")
        return Grade(score=0.0, parts_right=0, parts_total=0)

    def encode(self, body: Mapping[str, Any], answer: Any) -> int:
        return int(answer)

    def decode(self, body: Mapping[str, Any], number: int) -> Any:
        return number

    def describe(self, question: Question, answer: object) -> str:
        labels = self.scale_labels(question)
        if isinstance(answer, int) and 1 <= answer <= len(labels):
            return labels[answer - 1]
        return super().describe(question, answer)

    def scale_labels(self, question: Question) -> tuple[str, ...]:
        return LIKERT_SCALES.get(question.scale or "", ())


# --- the registry ------------------------------------------------------------------------------

# In the order the bank files' documentation lists them (docs/content-format.md).
TYPES: dict[str, QuestionType] = {
    t.name: t for t in (SingleChoice(), MultipleChoice(), TrueFalse(), Likert())
}


def question_type(name: str) -> QuestionType:
    found = TYPES.get(name)
    if found is None:
        raise ValueError(f"unknown question type {name!r}")
    return found


def grade(question: Question, answer: object) -> Grade:
    return question_type(question.type).grade(question, answer)


def _item_list(
    source: Source, key: str, at_least: int, missing: str, noun: str, error: Report
) -> list[tuple[int, int, object]] | None:
    """The items listed under `key` as (index, line, item); None, reported, when the list is
    missing, too short, or longer than a phone shows (and 11 bits of a result code hold)."""
    items = source.raw.get(key)
    if not isinstance(items, list) or len(items) < at_least:
        error(source.line(key), missing)
        return None
    if len(items) > MAX_ITEMS:
        error(source.lines[key], f"{noun}は{MAX_ITEMS}個までにしてください（今は{len(items)}個）")
        return None
    lines = source.items[key]
    return [(index, lines[index], item) for index, item in enumerate(items)]
