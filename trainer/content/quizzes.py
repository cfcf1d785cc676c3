"""Question banks as files: `quizzes/<id>.yaml`.

docs/content-format.md (Question banks) documents this for trainers; keep the two in step.
load_bank() returns frozen dataclasses or raises ContentError with every problem found.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trainer.content import placeholders
from trainer.content.problems import ContentError, Problem, display_path
from trainer.content.yaml_lines import YamlProblem, children, compose_mapping, key_lines

BANK_KEYS = {"title", "description", "shuffle", "questions"}
QUESTION_KEYS = {
    "id",
    "type",
    "topic",
    "text",
    "choices",
    "cases",
    "scale",
    "explanation",
    "required",
}
CHOICE_KEYS = {"text", "correct"}
CASE_KEYS = {"text", "answer"}
QUESTION_TYPES = ("single", "multi", "truefalse", "likert")
# Options or cases per question: more do not fit on a phone, and the statistics store an answer
# in 11 bits (trainer/quizzes/result_codes.py).
MAX_ITEMS = 10
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")

# Topics group questions in the results (before vs after per topic) and pair parallel forms.
TOPICS: dict[str, str] = {
    "consumer-centre": "消費生活センターが受ける相談",
    "cooling-off": "クーリング・オフ",
    "local-centre": "地域の消費生活センター",
    "hotline-188": "消費者ホットライン188",
    "warning-signs": "気づきのポイント",
    "connect": "つなぎ先",
    "attitude": "意識",
}

# The pilot's 5-point scales. Stored as 1..5; "どちらでもない" is the middle.
LIKERT_SCALES: dict[str, tuple[str, ...]] = {
    "heed": (
        "全く気にかけていない",
        "気にかけていない",
        "どちらでもない",
        "気にかけている",
        "とても気にかけている",
    ),
    "agree": (
        "まったくそう思わない",
        "そう思わない",
        "どちらでもない",
        "そう思う",
        "とてもそう思う",
    ),
}


@dataclass(frozen=True)
class Choice:
    key: str  # "a", "b", … in file order: stable even when shown shuffled
    text: str
    correct: bool


@dataclass(frozen=True)
class Case:
    key: str  # "1", "2", … in file order
    text: str
    answer: bool  # True: はい


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    topic: str
    text: str
    explanation: str
    choices: tuple[Choice, ...] = ()
    cases: tuple[Case, ...] = ()
    scale: str | None = None
    required: bool = True

    @property
    def scored(self) -> bool:
        return self.type != "likert"

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a learner sees or is scored on changes: a new version."""
        shape = {
            "type": self.type,
            "text": self.text,
            "choices": [(c.text, c.correct) for c in self.choices],
            "cases": [(c.text, c.answer) for c in self.cases],
            "scale": self.scale,
        }
        return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class QuestionBank:
    id: str
    title: str
    description: str
    shuffle: bool
    questions: tuple[Question, ...]
    source_hash: str

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def load_bank(path: Path) -> QuestionBank:
    problems: list[Problem] = []
    bank = _read_bank(path, problems)
    if bank is None or any(not p.warning for p in problems):
        raise ContentError(sorted(problems))
    return bank


def check_bank(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    _read_bank(path, problems)
    return sorted(problems)


def _read_bank(path: Path, problems: list[Problem]) -> QuestionBank | None:
    shown = display_path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data, node = compose_mapping(text)
    except YamlProblem as error:
        problems.append(Problem(shown, error.line, error.message))
        return None
    lines = key_lines(node)
    nodes = children(node)

    def problem(line: int, message: str) -> None:
        problems.append(Problem(shown, line, message))

    bank_id = path.stem
    if not ID.match(bank_id):
        problem(1, f"ファイル名「{path.name}」は半角英小文字・数字・ハイフンにしてください")
    for key in data:
        if key not in BANK_KEYS:
            problem(
                lines[key],
                f"知らないキー「{key}」です（使えるキー: {'、'.join(sorted(BANK_KEYS))}）",
            )
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problem(lines.get("title", 1), "title（問題集の題名）を書いてください")
    shuffle = data.get("shuffle", False)
    if not isinstance(shuffle, bool):
        problem(lines["shuffle"], "shuffle は true か false にしてください")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        problem(lines.get("questions", 1), "questions に問題を1つ以上書いてください")
        return None
    seq = nodes["questions"]
    questions: list[Question] = []
    seen: set[str] = set()
    for raw, item_node in zip(raw_questions, seq.value, strict=True):
        question = _read_question(raw, item_node, seen, problem)
        if question is not None:
            questions.append(question)
    if any(not p.warning for p in problems):
        return None
    return QuestionBank(
        id=bank_id,
        title=title.strip(),
        description=str(data.get("description") or "").strip(),
        shuffle=shuffle,
        questions=tuple(questions),
        source_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def _text_problems(value: str, line: int, problem) -> None:
    for name in placeholders.unknown_names(value):
        problem(line, f"知らない差し込み項目「{{{{ {name} }}}}」です")


def _read_question(raw: Any, node: yaml.Node, seen: set[str], problem) -> Question | None:
    start = node.start_mark.line + 1
    if not isinstance(raw, dict):
        problem(start, "問題は「キー: 値」の形で書いてください")
        return None
    lines = key_lines(node)
    nodes = children(node)
    errors: list[tuple[int, str]] = []

    def error(line: int, message: str) -> None:
        errors.append((line, message))

    for key in raw:
        if key not in QUESTION_KEYS:
            error(lines[key], f"問題に知らないキー「{key}」があります")
    qid = raw.get("id")
    if not isinstance(qid, str) or not ID.match(qid):
        error(lines.get("id", start), "id（半角英小文字・数字・ハイフン）を書いてください")
    elif qid in seen:
        error(lines["id"], f"id「{qid}」が2回あります")
    else:
        seen.add(qid)
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        error(
            lines.get("type", start), f"type は {'、'.join(QUESTION_TYPES)} のどれかにしてください"
        )
    topic = raw.get("topic")
    if topic not in TOPICS:
        error(lines.get("topic", start), f"topic は {'、'.join(TOPICS)} のどれかにしてください")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        error(lines.get("text", start), "text（問題文）を書いてください")
    else:
        _text_problems(text, lines["text"], error)
    explanation = raw.get("explanation", "")
    if qtype in ("single", "multi", "truefalse") and (
        not isinstance(explanation, str) or not explanation.strip()
    ):
        error(lines.get("explanation", start), "explanation（解説）を書いてください")
    required = raw.get("required", True)
    if not isinstance(required, bool):
        error(lines["required"], "required は true か false にしてください")

    choices: list[Choice] = []
    cases: list[Case] = []
    if qtype in ("single", "multi"):
        raw_choices = raw.get("choices")
        if not isinstance(raw_choices, list) or len(raw_choices) < 2:
            error(lines.get("choices", start), "choices に選択肢を2つ以上書いてください")
        elif len(raw_choices) > MAX_ITEMS:
            error(
                lines["choices"],
                f"選択肢は{MAX_ITEMS}個までにしてください（今は{len(raw_choices)}個）",
            )
        else:
            for index, (item, item_node) in enumerate(
                zip(raw_choices, nodes["choices"].value, strict=True)
            ):
                line = item_node.start_mark.line + 1
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    error(line, "選択肢は「- text: …」の形で書いてください")
                    continue
                for key in item:
                    if key not in CHOICE_KEYS:
                        error(line, f"選択肢に知らないキー「{key}」があります")
                if not isinstance(item.get("correct", False), bool):
                    error(line, "correct は true か false にしてください")
                _text_problems(item["text"], line, error)
                choices.append(
                    Choice(
                        key=chr(ord("a") + index),
                        text=item["text"].strip(),
                        correct=bool(item.get("correct", False)),
                    )
                )
            right = sum(c.correct for c in choices)
            if qtype == "single" and right != 1:
                error(
                    lines["choices"],
                    f"single の問題は正解（correct: true）を1つだけにしてください（今は{right}個）",
                )
            if qtype == "multi" and right < 1:
                error(
                    lines["choices"], "multi の問題には正解（correct: true）を1つ以上入れてください"
                )
    elif qtype == "truefalse":
        raw_cases = raw.get("cases")
        if not isinstance(raw_cases, list) or not raw_cases:
            error(
                lines.get("cases", start),
                "cases に「はい・いいえ」で答える事例を1つ以上書いてください",
            )
        elif len(raw_cases) > MAX_ITEMS:
            error(
                lines["cases"], f"事例は{MAX_ITEMS}個までにしてください（今は{len(raw_cases)}個）"
            )
        else:
            for index, (item, item_node) in enumerate(
                zip(raw_cases, nodes["cases"].value, strict=True)
            ):
                line = item_node.start_mark.line + 1
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
                _text_problems(item["text"], line, error)
                cases.append(
                    Case(key=str(index + 1), text=item["text"].strip(), answer=answer == "はい")
                )
    elif qtype == "likert":
        scale = raw.get("scale")
        if scale not in LIKERT_SCALES:
            error(
                lines.get("scale", start),
                f"scale は {'、'.join(LIKERT_SCALES)} のどれかにしてください",
            )
    for line, message in errors:
        problem(line, message)
    if errors:
        return None
    return Question(
        id=qid,
        type=qtype,
        topic=topic,
        text=text.strip(),
        explanation=(explanation or "").strip(),
        choices=tuple(choices),
        cases=tuple(cases),
        scale=raw.get("scale") if qtype == "likert" else None,
        required=required,
    )


def bank_paths(quizzes_root: Path) -> list[Path]:
    return sorted(quizzes_root.glob("*.yaml")) if quizzes_root.is_dir() else []
