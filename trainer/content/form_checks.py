"""Warnings on a course's two test forms, for what a reviewer should not have to catch by eye.

None of these stops a course from loading: each is a sign that an item may measure something
else than the course's rules (a key found by its length, a sentence remembered from a module),
that the before/after comparison cannot pair it, or that a learner or a network will not be
served it. docs/content-format.md lists them for trainers.

For a bank alone: the keys that are the longest option, and the items withheld until a network
sets its local facts. For a course: also, in its pre_quiz and post_quiz banks, the items without
「わからない」 or without a variant, verbatim overlap with the modules, and the pairing by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from trainer.content import placeholders
from trainer.content.banks import check_bank, load_bank
from trainer.content.problems import ContentError, Problem, display_path
from trainer.content.question_types import TYPES
from trainer.content.quizzes import DONT_KNOW, Question, QuestionBank
from trainer.content.text_overlap import OverlapFinder, read_module
from trainer.content.yaml_lines import children, compose_mapping, key_lines

if TYPE_CHECKING:
    from trainer.content.courses import CourseFile

# Above this share of single-choice versions whose key is the longest option, length gives the
# answer away: with four real options the longest is the key one time in four by chance, and
# a third leaves room for the items whose right answer needs more words.
LONGEST_KEY_LIMIT = Fraction(1, 3)
# A retake serves a version the learner has not seen, so each scored item needs two at least.
MIN_VERSIONS = 2


@dataclass(frozen=True)
class Lines:
    """Where one version of a question is in its bank file."""

    start: int
    text: int
    choices: tuple[int, ...]
    cases: tuple[int, ...]


@dataclass(frozen=True)
class Form:
    """A bank that reads without errors, with the lines of each question's versions."""

    shown: str
    bank: QuestionBank
    questions_line: int
    lines: dict[tuple[str, int], Lines]  # (question id, variant) → lines

    def at(self, question: Question) -> Lines:
        return self.lines[(question.id, question.variant)]

    def warning(self, line: int, message: str) -> Problem:
        return Problem(self.shown, line, message, warning=True)


def read_form(path: Path) -> Form | None:
    """The bank with its lines, or None when it has errors (check_bank reports them)."""
    try:
        bank = load_bank(path)
    except ContentError:
        return None
    _, node = compose_mapping(path.read_text(encoding="utf-8"))
    nodes = children(node).get("questions")
    items = nodes.value if isinstance(nodes, yaml.SequenceNode) else []
    lines: dict[tuple[str, int], Lines] = {}
    for question, item in zip(bank.questions, items, strict=True):
        variants = children(item).get("variants")
        version_nodes = [item, *(variants.value if isinstance(variants, yaml.SequenceNode) else [])]
        for version, version_node in zip(question.versions, version_nodes, strict=True):
            lines[(question.id, version.variant)] = _lines(version_node)
    return Form(display_path(path), bank, key_lines(node).get("questions", 1), lines)


def _lines(node: yaml.Node) -> Lines:
    start = node.start_mark.line + 1
    kids = children(node)

    def items(key: str) -> tuple[int, ...]:
        value = kids.get(key)
        if not isinstance(value, yaml.SequenceNode):
            return ()
        return tuple(item.start_mark.line + 1 for item in value.value)

    return Lines(start, key_lines(node).get("text", start), items("choices"), items("cases"))


def bank_warnings(path: Path) -> list[Problem]:
    """What makes sense to warn of in any bank, part of a course or not."""
    form = read_form(path)
    if form is None:
        return []
    return longest_keys(form) + local_facts(form)


def course_warnings(course_dir: Path, course: CourseFile, quizzes_root: Path) -> list[Problem]:
    """The course's banks checked (their own problems, so that checking a course folder checks
    what it serves), then the warnings on its forms."""
    problems: list[Problem] = []
    forms: dict[str, Form | None] = {}
    for key in ("pre_quiz", "post_quiz", "survey"):
        slug = getattr(course, key)
        if slug is None:
            continue
        path = quizzes_root / f"{slug}.yaml"
        if not path.is_file():
            continue
        problems += check_bank(path)
        forms[key] = read_form(path)
    pre, post = forms.get("pre_quiz"), forms.get("post_quiz")
    survey = forms.get("survey")
    finder = OverlapFinder([read_module(course_dir / f"{m.slug}.md") for m in course.modules])
    for form in (pre, post):
        if form is not None:
            problems += longest_keys(form) + local_facts(form) + dont_know(form)
            problems += verbatim(form, finder)
    if survey is not None:
        problems += local_facts(survey)
    retaken = [post, pre] if course.counterbalance else [post]
    for form in retaken:
        if form is not None:
            problems += too_few_versions(form)
    if pre is not None and post is not None:
        problems += pairing(pre, post)
    return problems


def _visible_length(text: str) -> int:
    """What a learner reads: a placeholder counts as the phrase shown while it is unset."""
    return len(placeholders.fill_text(text, {}))


def longest_keys(form: Form) -> list[Problem]:
    """The share of single-choice versions whose key is longer than every other option."""
    singles = [v for q in form.bank.questions if q.type == "single" for v in q.versions]
    longest = []
    for version in singles:
        options = [c for c in version.choices if c.text != DONT_KNOW]
        keys = [c for c in options if c.correct]
        others = [_visible_length(c.text) for c in options if not c.correct]
        if keys and others and _visible_length(keys[0].text) > max(others):
            longest.append(version)
    if not singles or Fraction(len(longest), len(singles)) <= LONGEST_KEY_LIMIT:
        return []
    share = round(100 * len(longest) / len(singles))
    listed = "、".join(
        f"{v.id}{f'（版{v.variant}）' if v.variant > 1 else ''}（{form.at(v).start}行）"
        for v in longest
    )
    return [
        form.warning(
            form.questions_line,
            f"単一選択（single）の {len(singles)} 版のうち {len(longest)} 版（{share}%）で、"
            f"正解がいちばん長い選択肢です（目安は3分の1まで）。"
            f"長さで答えがわからないよう、正解を短くするか他の選択肢を書き足してください: {listed}",
        )
    ]


def local_facts(form: Form) -> list[Problem]:
    """Each question whose choices or cases name a local fact: withheld where it is unset."""
    found = []
    for question in form.bank.questions:
        needed: set[str] = set()
        for version in question.versions:
            needed |= placeholders.facts_in_options(_options(version))
        if needed:
            labels = "・".join(f.label for f in placeholders.unset_facts(needed, {}))
            found.append(
                form.warning(
                    form.at(question).start,
                    f"問題「{question.id}」の選択肢・事例に地域の窓口情報（{labels}）が入っています。"
                    "これが未設定のネットワークでは、設定されるまでこの問題は出題されず、採点もされません",
                )
            )
    return found


def _options(version: Question) -> dict[str, list[dict[str, str]]]:
    """A version's choices and cases in the shape placeholders.facts_in_options reads."""
    return {
        "choices": [{"text": c.text} for c in version.choices],
        "cases": [{"text": c.text} for c in version.cases],
    }


def dont_know(form: Form) -> list[Problem]:
    """Single-choice versions of a course form without a 「わからない」 choice, or with it right."""
    found = []
    for question in form.bank.questions:
        if question.type != "single":
            continue
        for version in question.versions:
            label = _label(version)
            texts = {c.text: c for c in version.choices}
            if DONT_KNOW not in texts:
                message = (
                    f"{label}に「{DONT_KNOW}」の選択肢がありません。知らない人が当て推量で"
                    f"答えないよう、最後の選択肢を「- text: {DONT_KNOW}」にしてください"
                )
                found.append(form.warning(form.at(version).text, message))
            elif texts[DONT_KNOW].correct:
                message = (
                    f"{label}で「{DONT_KNOW}」が正解になっています（誤答として数えるものです）"
                )
                found.append(form.warning(form.at(version).text, message))
    return found


def _label(version: Question) -> str:
    suffix = f"の版{version.variant}" if version.variant > 1 else ""
    return f"問題「{version.id}」{suffix}"


def too_few_versions(form: Form) -> list[Problem]:
    """Scored questions of a form a learner may retake that have no variant."""
    return [
        form.warning(
            form.at(question).start,
            f"問題「{question.id}」の版が{len(question.versions)}つだけです。"
            "再受験でまだ見ていない版を出せるよう、variants に別の版を1つ以上書いてください",
        )
        for question in form.bank.questions
        if TYPES[question.type].scored and len(question.versions) < MIN_VERSIONS
    ]


def verbatim(form: Form, finder: OverlapFinder) -> list[Problem]:
    """Question texts, choices and cases that share a run of characters with a module."""
    found = []
    for question in form.bank.questions:
        for version in question.versions:
            at = form.at(version)
            parts = [("問題文", at.text, version.text)]
            parts += [
                ("選択肢", line, c.text)
                for line, c in zip(at.choices, version.choices, strict=True)
            ]
            parts += [
                ("事例", line, c.text) for line, c in zip(at.cases, version.cases, strict=True)
            ]
            for part, line, text in parts:
                overlap = finder.longest(text)
                if overlap is None:
                    continue
                where = f"{display_path(overlap.module.path)}:{overlap.line}"
                found.append(
                    form.warning(
                        line,
                        f"{_label(version)}の{part}が、モジュール {where} と"
                        f"{len(overlap.common)}文字同じです（「{overlap.shown}」）。"
                        "文をそのまま覚えているかではなく、使えるかを確かめる書き方にしてください",
                    )
                )
    return found


def pairing(pre: Form, post: Form) -> list[Problem]:
    """The before/after report pairs the two forms by question id: every id in both, with the
    same topic, type and number of choices or cases (in every version)."""
    found = []
    for this, other in ((pre, post), (post, pre)):
        for question in this.bank.questions:
            if other.bank.question(question.id) is None:
                found.append(
                    this.warning(
                        this.at(question).start,
                        f"問題「{question.id}」が {other.shown} にありません。"
                        "前後の比較は id で組むため、この問題は比較されません",
                    )
                )
    for question in post.bank.questions:
        paired = pre.bank.question(question.id)
        if paired is not None:
            found += _pair_differences(pre, post, paired, question)
    return found


def _pair_differences(pre: Form, post: Form, before: Question, after: Question) -> list[Problem]:
    found = []
    for key, label in (("topic", "topic"), ("type", "type")):
        if getattr(before, key) != getattr(after, key):
            found.append(
                post.warning(
                    post.at(after).start,
                    f"問題「{after.id}」の{label}が {pre.shown} と違います"
                    f"（{getattr(before, key)} と {getattr(after, key)}）",
                )
            )
    expected = _size(before)
    for form, question in ((pre, before), (post, after)):
        for version in question.versions:
            if _size(version) != expected:
                found.append(
                    form.warning(
                        form.at(version).text,
                        f"{_label(version)}の選択肢・事例の数（{_size(version)}）が、"
                        f"{pre.shown} の「{before.id}」（{expected}）と違います",
                    )
                )
    return found


def _size(version: Question) -> int:
    return len(version.choices) + len(version.cases)
