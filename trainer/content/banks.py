"""Question banks as files: `quizzes/<id>.yaml`, read and checked.

docs/content-format.md (Question banks) documents this for trainers; keep the two in step.
load_bank() returns frozen dataclasses or raises ContentError with every problem found. The keys
every question has are checked here; each type's own keys (choices, cases, scale) by its type
(trainer.content.question_types).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from trainer.content import placeholders
from trainer.content.problems import ContentError, Problem, display_path
from trainer.content.question_types import TYPES, Body, QuestionType, Report, Source
from trainer.content.quizzes import TOPICS, Question, QuestionBank
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
    "variants",
}
# A variant is another version of the same item: everything but what identifies the question.
VARIANT_KEYS = {"text", "choices", "cases", "explanation"}
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


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
    if any(not p.warning for p in problems) or not isinstance(title, str):
        return None
    return QuestionBank(
        id=bank_id,
        title=title.strip(),
        description=str(data.get("description") or "").strip(),
        shuffle=shuffle,
        questions=tuple(questions),
        source_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def _read_question(raw: Any, node: yaml.Node, seen: set[str], problem: Report) -> Question | None:
    start = node.start_mark.line + 1
    if not isinstance(raw, dict):
        problem(start, "問題は「キー: 値」の形で書いてください")
        return None
    source = _source(raw, node, start)
    errors: list[tuple[int, str]] = []

    def error(line: int, message: str) -> None:
        errors.append((line, message))

    for key in raw:
        if key not in QUESTION_KEYS:
            error(source.lines[key], f"問題に知らないキー「{key}」があります")
    qid = _read_id(source, seen, error)
    kind = _read_type(source, error)
    topic = raw.get("topic")
    if not isinstance(topic, str) or topic not in TOPICS:
        error(source.line("topic"), f"topic は {'、'.join(TOPICS)} のどれかにしてください")
    text = _read_text(source, error)
    explanation = _read_explanation(source, kind, error)
    required = raw.get("required", True)
    if not isinstance(required, bool):
        error(source.lines["required"], "required は true か false にしてください")
    body = kind.read_body(source, error) if kind is not None else Body()
    variants = _read_variants(source, node, kind, error)
    for line, message in errors:
        problem(line, message)
    if errors or qid is None or kind is None or not isinstance(topic, str) or text is None:
        return None
    main = _version(qid, kind, topic, text, explanation, body, required, 1)
    return replace(
        main,
        variants=tuple(
            _version(qid, kind, topic, v_text, v_explanation, v_body, required, n)
            for n, (v_text, v_explanation, v_body) in enumerate(variants, start=2)
        ),
    )


def _version(
    qid: str,
    kind: QuestionType,
    topic: str,
    text: str,
    explanation: str,
    body: Body,
    required: bool,
    variant: int,
) -> Question:
    return Question(
        id=qid,
        type=kind.name,
        topic=topic,
        text=text,
        explanation=explanation,
        choices=body.choices,
        cases=body.cases,
        scale=body.scale,
        required=required,
        variant=variant,
    )


def _read_variants(
    source: Source, node: yaml.Node, kind: QuestionType | None, error: Report
) -> list[tuple[str, str, Body]]:
    """The question's `variants:`: each a complete other version (text, choices or cases,
    explanation), checked as the question itself is. Only scored questions have them: a survey
    item asked in other words would no longer be the same measurement."""
    raw = source.raw.get("variants")
    if raw is None:
        return []
    line = source.lines["variants"]
    if kind is not None and not kind.scored:
        error(line, f"{kind.name} の問題には variants は使えません")
        return []
    value_node = children(node).get("variants")
    if not isinstance(raw, list) or not raw or not isinstance(value_node, yaml.SequenceNode):
        error(line, "variants には別の版（text・choices か cases・explanation）を並べてください")
        return []
    read: list[tuple[str, str, Body]] = []
    seen = {_shape(source.raw)}
    for item, item_node in zip(raw, value_node.value, strict=True):
        start = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            error(start, "variants の各項目は「キー: 値」の形で書いてください")
            continue
        variant = _source(item, item_node, start)
        for key in item:
            if key not in VARIANT_KEYS:
                allowed = "、".join(sorted(VARIANT_KEYS))
                error(variant.lines[key], f"variants に使えないキー「{key}」です（{allowed}）")
        if _shape(item) in seen:
            error(start, "この版は、ほかの版とまったく同じです")
        seen.add(_shape(item))
        text = _read_text(variant, error)
        explanation = _read_explanation(variant, kind, error)
        body = kind.read_body(variant, error) if kind is not None else Body()
        if text is not None:
            read.append((text, explanation, body))
    return read


def _shape(raw: Mapping[str, Any]) -> str:
    """What a learner sees of one version, to recognise a variant that repeats another."""
    return repr((raw.get("text"), raw.get("choices"), raw.get("cases")))


def _source(raw: dict[str, Any], node: yaml.Node, start: int) -> Source:
    items = {
        key: [item.start_mark.line + 1 for item in value.value]
        for key, value in children(node).items()
        if isinstance(value, yaml.SequenceNode)
    }
    return Source(raw=raw, lines=key_lines(node), items=items, start=start)


def _read_id(source: Source, seen: set[str], error: Report) -> str | None:
    """The question's id, unique in its bank (it pairs the pre- and the post-quiz's versions)."""
    qid = source.raw.get("id")
    if not isinstance(qid, str) or not ID.match(qid):
        error(source.line("id"), "id（半角英小文字・数字・ハイフン）を書いてください")
        return None
    if qid in seen:
        error(source.lines["id"], f"id「{qid}」が2回あります")
        return None
    seen.add(qid)
    return qid


def _read_type(source: Source, error: Report) -> QuestionType | None:
    name = source.raw.get("type")
    kind = TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        error(source.line("type"), f"type は {'、'.join(TYPES)} のどれかにしてください")
    return kind


def _read_text(source: Source, error: Report) -> str | None:
    text = source.raw.get("text")
    if not isinstance(text, str) or not text.strip():
        error(source.line("text"), "text（問題文）を書いてください")
        return None
    placeholders.report_unknown(text, source.lines["text"], error)
    return text.strip()


def _read_explanation(source: Source, kind: QuestionType | None, error: Report) -> str:
    """What the result page explains after the quiz: required of a scored question."""
    explanation = source.raw.get("explanation", "")
    if (
        kind is not None
        and kind.scored
        and (not isinstance(explanation, str) or not explanation.strip())
    ):
        error(source.line("explanation"), "explanation（解説）を書いてください")
    return explanation.strip() if isinstance(explanation, str) else ""


def bank_paths(quizzes_root: Path) -> list[Path]:
    return sorted(quizzes_root.glob("*.yaml")) if quizzes_root.is_dir() else []
