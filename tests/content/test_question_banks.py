"""Question-bank files: good banks load; each kind of mistake is reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.content.banks import load_bank
from trainer.content.courses import check_path
from trainer.content.problems import ContentError
from trainer.content.question_types import question_type

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
title: 事前テスト
shuffle: true
questions:
  - id: where-188
    type: single
    topic: hotline-188
    text: 188に電話すると、どこにつながりますか。
    choices:
      - text: 警察
      - text: 最寄りの消費生活センター・消費生活相談窓口
        correct: true
    explanation: 188は最寄りの消費生活センターなどにつながります。
  - id: centre-cases
    type: truefalse
    topic: consumer-centre
    text: 消費生活センターが相談を受け付けるものに「はい」。
    cases:
      - text: 身に覚えのない請求はがきが届いた
        answer: はい
      - text: 隣の家の木の枝が庭に入ってくる
        answer: いいえ
    explanation: 消費者と事業者のトラブルが対象です。
  - id: heed-news
    type: likert
    topic: attitude
    scale: heed
    text: 見守りネットワークの情報紙の注意喚起を、どのくらい気にかけていますか。
"""


def is_scored(question) -> bool:
    return question_type(question.type).scored


def write(tmp_path: Path, text: str, name: str = "basic-pre.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_bank_loads(tmp_path):
    bank = load_bank(write(tmp_path, GOOD))
    assert bank.id == "basic-pre" and bank.shuffle
    single, truefalse, likert = bank.questions
    assert [c.key for c in single.choices] == ["a", "b"] and single.choices[1].correct
    assert [(c.key, c.answer) for c in truefalse.cases] == [("1", True), ("2", False)]
    assert likert.scale == "heed" and not question_type(likert.type).scored


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("shuffle: true", "shuffle: yes please"), 2, "shuffle は true か false"),
        (("title: 事前テスト", "title: 事前テスト\ncolour: red"), 2, "知らないキー「colour」"),
        (("    type: single", "    type: choice"), 5, "type は single、multi、truefalse、likert"),
        (("    topic: hotline-188", "    topic: trivia"), 6, "topic は"),
        (
            ("        correct: true\n    explanation: 188は", "    explanation: 188は"),
            8,
            "正解（correct: true）を1つだけ",
        ),
        (("        answer: いいえ", "        answer: たぶん"), 20, "answer は「はい」か「いいえ」"),
        (
            ("    explanation: 消費者と事業者のトラブルが対象です。\n", ""),
            13,
            "explanation（解説）を書いてください",
        ),
        (("    scale: heed", "    scale: stars"), 26, "scale は heed、agree"),
        (("  - id: centre-cases", "  - id: where-188"), 13, "id「where-188」が2回あります"),
        (("どこにつながりますか", "{{ nearest_police }}ですか"), 7, "知らない差し込み項目"),
        (
            ("      - text: 警察", "      - text: 警察\n        points: 3"),
            9,
            "選択肢に知らないキー「points」",
        ),
        (
            ("      - text: 警察", "".join(f"      - text: 交番{n}\n" for n in range(10)).rstrip()),
            8,
            "選択肢は10個までにしてください（今は11個）",
        ),
        (
            (
                "        answer: いいえ",
                "        answer: いいえ" + 9 * "\n      - text: 例\n        answer: はい",
            ),
            17,
            "事例は10個までにしてください（今は11個）",
        ),
    ],
)
def test_mistakes_are_reported_with_line(tmp_path, change, line, message):
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    problems = check_path(path)
    assert problems, "no problem reported"
    assert any(p.line == line and message in p.message for p in problems), [
        str(p) for p in problems
    ]
    with pytest.raises(ContentError):
        load_bank(path)


def test_the_repository_banks_are_valid():
    banks = sorted((REPO / "quizzes").glob("*.yaml"))
    assert {b.stem for b in banks} >= {"basic-pre", "basic-post", "attitude"}
    for bank_path in banks:
        # (warnings, such as an item withheld until local facts are set, are not errors)
        assert [p for p in check_path(bank_path) if not p.warning] == [], bank_path


def test_parallel_forms_cover_the_same_topics():
    pre = load_bank(REPO / "quizzes" / "basic-pre.yaml")
    post = load_bank(REPO / "quizzes" / "basic-post.yaml")
    scored = [q for q in pre.questions if is_scored(q)], [q for q in post.questions if is_scored(q)]
    assert 12 <= len(scored[0]) <= 15 and 12 <= len(scored[1]) <= 15
    topics = [sorted(q.topic for q in s) for s in scored]
    assert topics[0] == topics[1]
    assert {
        "consumer-centre",
        "cooling-off",
        "local-centre",
        "hotline-188",
        "warning-signs",
        "connect",
    } <= set(topics[0])
    texts = {q.text for q in pre.questions} & {q.text for q in post.questions if is_scored(q)}
    assert texts == set(), "the post-quiz must not repeat the pre-quiz's wording"
    assert all(q.explanation for s in scored for q in s)
