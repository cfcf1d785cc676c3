"""The report's 問題ごとの分析 section and the gain corrected for the forms, as the page shows them.

The figures are computed in trainer.quizzes.item_analysis; here they get the report's question
numbers, the texts with the network's local facts filled in, and their words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trainer.content.placeholders import fill_text
from trainer.content.quizzes import TOPICS
from trainer.quizzes.item_analysis import (
    MIN_N,
    FormGain,
    FormItem,
    ItemAnalysis,
    ItemFigures,
    OptionFigures,
)
from trainer.secretariat.report_figures import points

PHASE_LABELS = {"pre": "事前", "post": "事後"}
WHAT = {"single": "選んだ人の割合", "multi": "選んだ人の割合", "truefalse": "正しく答えた人の割合"}


def form_name(form: str) -> str:
    return f"問題セット{form}"


@dataclass
class OptionRow:
    text: str
    note: str  # 正解 / 正しい答え：はい
    phases: dict[str, OptionFigures]  # by phase, for the phases shown
    flags: list[str]


@dataclass
class FormReport:
    form: str
    name: str  # 問題セットA
    text: str
    what: str  # what the option shares are
    noun: str  # 選択肢 / 事例
    phases: list[ItemFigures]
    rows: list[OptionRow]

    @property
    def phase_keys(self) -> list[str]:
        return [p.phase for p in self.phases]

    @staticmethod
    def discrimination(figures: ItemFigures) -> str:
        if figures.discrimination is not None:
            return f"{figures.discrimination:+.2f}"
        return f"—（{MIN_N}人未満）" if figures.n < MIN_N else "—（全員同じ）"


@dataclass
class ItemReport:
    number: int
    key: str
    topic: str
    forms: list[FormReport]
    flags: list[tuple[str, str]] = field(default_factory=list)  # (問題セットA・事前, flag)


@dataclass
class ItemSection:
    items: list[ItemReport]
    bank_names: list[tuple[str, str]]  # (問題セットA, the bank's title)
    min_n: int = MIN_N

    @property
    def flagged(self) -> list[tuple[ItemReport, str, str]]:
        return [(item, where, flag) for item in self.items for where, flag in item.flags]


def item_section(
    analysis: ItemAnalysis, numbers: Mapping[str, int], facts: Mapping[str, str | None]
) -> ItemSection:
    items = []
    for keyed in analysis.items:
        forms = [_form(f, facts) for f in keyed.forms]
        item = ItemReport(
            number=numbers.get(keyed.key, 0),
            key=keyed.key,
            topic=TOPICS.get(keyed.topic, keyed.topic),
            forms=forms,
        )
        for form in forms:
            for figures in form.phases:
                where = f"{form.name}・{PHASE_LABELS[figures.phase]}"
                item.flags += [(where, flag) for flag in figures.flags]
        items.append(item)
    items.sort(key=lambda i: i.number)
    names = [(form_name(f), title) for f, title in analysis.bank_titles.items()]
    return ItemSection(items, names)


def _form(item: FormItem, facts: Mapping[str, str | None]) -> FormReport:
    q = item.question
    rows = []
    for i, option in enumerate(item.options):
        if q.type == "truefalse":
            note = "正しい答え：" + ("はい" if option.right else "いいえ")
        else:
            note = "正解" if option.right else ""
        shown = {p.phase: p.options[i] for p in item.phases}
        flags = [f"{PHASE_LABELS[phase]}：{f}" for phase, o in shown.items() for f in o.flags]
        rows.append(OptionRow(fill_text(option.text, facts), note, shown, flags))
    return FormReport(
        form=item.form,
        name=form_name(item.form),
        text=fill_text(q.body["text"], facts),
        what=WHAT.get(q.type, "選んだ人の割合"),
        noun="事例" if q.type == "truefalse" else "選択肢",
        phases=item.phases,
        rows=rows,
    )


# --- the gain corrected for the forms -----------------------------------------------------------


@dataclass(frozen=True)
class GainReport:
    gain: FormGain

    @property
    def shown(self) -> bool:
        return self.gain.paired_n > 0

    @property
    def raw(self) -> str:
        return points(self.gain.raw)

    @property
    def corrected(self) -> str:
        return points(self.gain.corrected)

    @property
    def shift(self) -> str:
        return points(self.gain.shift)

    @property
    def pre_means(self) -> list[tuple[str, float | None, int]]:
        return [(form_name(f), self.gain.pre_mean[f], n) for f, n in self.gain.pre_n.items() if n]

    @property
    def orders(self) -> str:
        return "、".join(
            f"{order[0]}→{order[1]} {n}人" for order, n in sorted(self.gain.orders.items())
        )

    @property
    def small(self) -> bool:
        return any(n < MIN_N for n in self.gain.pre_n.values())
