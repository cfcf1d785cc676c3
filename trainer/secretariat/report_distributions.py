"""The before/after report's charts of one question, item by item: the share who answered each
case right (true/false) or who chose each option (single choice), before and after training.
Counted from the answers' values (CountedAttempts.value_counts), drawn with
trainer.secretariat.charts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainer.content.placeholders import fill_text
from trainer.content.question_types import question_type
from trainer.quizzes.models import QuizQuestion
from trainer.secretariat import charts
from trainer.secretariat.charts import Bar
from trainer.secretariat.report_figures import DistGroup, DistRow, Share, percent

PHASE_LABELS = {"pre": "事前", "post": "事後"}
Counts = dict[tuple[int, str], list[tuple[Any, int]]]  # (question id, phase) → (value, n)


def form_labels(counterbalanced: bool) -> tuple[str, str]:
    """What the two banks are called on the report: the before and the after test, or, when
    each is taken before by half the learners, the two forms."""
    return ("問題セットA", "問題セットB") if counterbalanced else ("事前", "事後")


def _answers(counts: Counts, question: QuizQuestion | None, phase: str) -> list[tuple[Any, int]]:
    return counts.get((question.id, phase), []) if question is not None else []


def _case_shares(question: QuizQuestion, answers: list[tuple[Any, int]]) -> dict[str, Share]:
    shares = {}
    for case in question.body.get("cases", []):
        key = case["key"]
        given = [(value, n) for value, n in answers if isinstance(value, dict) and key in value]
        right = sum(n for value, n in given if value[key] is case["answer"])
        shares[key] = Share(right, sum(n for _, n in given))
    return shares


def _choice_shares(question: QuizQuestion, answers: list[tuple[Any, int]]) -> dict[str, Share]:
    total = sum(n for value, n in answers if isinstance(value, str))
    return {
        choice["key"]: Share(sum(n for value, n in answers if value == choice["key"]), total)
        for choice in question.body.get("choices", [])
    }


def distributions(
    pre: QuizQuestion | None,
    post: QuizQuestion | None,
    counts: Counts,
    facts: Mapping[str, str | None],
    counterbalanced: bool = False,
) -> list[DistGroup]:
    """Per-case right rates (true/false) or the options chosen (single choice), before and after.

    The after-test is a parallel form (other cases, other options): when the two versions list
    the same items they share one chart; otherwise each phase gets its own. With counterbalanced
    forms each form is answered in both phases (by different halves of the learners), so each
    form gets its own chart with both phases."""
    question = post or pre
    assert question is not None
    items_key = question_type(question.type).distribution
    if items_key is None:  # no per-item chart for this type; _charted keeps it out
        return []
    if items_key == "cases":
        shares_of, what = _case_shares, "正解率"
    else:
        shares_of, what = _choice_shares, "選んだ人の割合"
    if counterbalanced:
        return [
            _form_group(
                f"{label}の{'事例' if items_key == 'cases' else '選択肢'}",
                v,
                shares_of,
                counts,
                facts,
                items_key,
                what,
            )
            for label, v in zip(form_labels(True), (pre, post), strict=True)
            if v is not None and _items(v, items_key)
        ]
    pre_shares = shares_of(pre, _answers(counts, pre, "pre")) if pre else {}
    post_shares = shares_of(post, _answers(counts, post, "post")) if post else {}
    result = []
    for title, listed, with_pre, with_post in _item_groups(pre, post, items_key):
        if not listed:
            continue
        rows = [
            _dist_row(
                item,
                _note(item, items_key),
                what,
                pre_shares.get(item["key"]) if with_pre else None,
                post_shares.get(item["key"]) if with_post else None,
                facts,
            )
            for item in listed
        ]
        phases = tuple(p for p, shown in (("pre", with_pre), ("post", with_post)) if shown)
        result.append(DistGroup(title, rows, what, phases))
    return result


def _form_group(
    title: str,
    version: QuizQuestion,
    shares_of: Any,
    counts: Counts,
    facts: Mapping[str, str | None],
    items_key: str,
    what: str,
) -> DistGroup:
    """One form's items, with the shares of those who answered it before and after training."""
    before = shares_of(version, _answers(counts, version, "pre"))
    after = shares_of(version, _answers(counts, version, "post"))
    rows = [
        _dist_row(
            item,
            _note(item, items_key),
            what,
            before.get(item["key"]),
            after.get(item["key"]),
            facts,
        )
        for item in _items(version, items_key)
    ]
    return DistGroup(title, rows, what, ("pre", "post"))


def _items(question: QuizQuestion | None, items_key: str) -> list[dict[str, Any]]:
    return list(question.body.get(items_key, [])) if question is not None else []


def _item_groups(
    pre: QuizQuestion | None, post: QuizQuestion | None, items_key: str
) -> list[tuple[str, list[dict[str, Any]], bool, bool]]:
    """(title, items, shown before, shown after): one group when both versions list the same
    items, else one per phase."""
    noun = "事例" if items_key == "cases" else "選択肢"
    if [i["text"] for i in _items(pre, items_key)] == [i["text"] for i in _items(post, items_key)]:
        return [(f"{noun}（事前・事後とも同じ）", _items(post, items_key), True, True)]
    return [
        (f"事前テストの{noun}", _items(pre, items_key), True, False),
        (f"事後テストの{noun}", _items(post, items_key), False, True),
    ]


def _note(item: dict[str, Any], items_key: str) -> str:
    if items_key == "cases":
        return "正しい答え：" + ("はい" if item["answer"] else "いいえ")
    return "正解" if item.get("correct") else ""


def _dist_row(
    item: dict[str, Any],
    note: str,
    what: str,
    pre_share: Share | None,
    post_share: Share | None,
    facts: Mapping[str, str | None],
) -> DistRow:
    text = fill_text(item["text"], facts)
    bars = [
        _share_bar(phase, share)
        for phase, share in (("pre", pre_share), ("post", post_share))
        if share is not None
    ]
    return DistRow(
        text=text,
        note=note,
        pre=pre_share,
        post=post_share,
        chart=charts.bar_chart(f"{text}（{what}）", bars),
    )


def _share_bar(phase: str, share: Share) -> Bar:
    rate = share.percent
    return Bar(phase, PHASE_LABELS[phase], None if rate is None else rate / 100,
               percent(rate, 0), f"{share.n}人")  # fmt: skip
