"""The report's figures: the numbers each section shows, and how they are said in words.

Significance is at the 5% level (two-sided): p < 0.05 reads 「有意な差あり」. Per person, the exact
sign test on who improved vs who got worse (those with the same score carry no information about
the direction); per question, McNemar's exact test (the same test on the learners who changed
from wrong to right or back).

Groups of fewer than SMALL_GROUP people keep their numbers (hiding them would make the totals not
add up) but are marked SMALL_MARK: one person moves a small group's rate by 20 points or more,
and small groups come close to identifying people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from markupsafe import Markup

from trainer.accounts.models import Network
from trainer.learning.models import Course
from trainer.quizzes.course_stats import QuestionStats, ScoreGroup, TopicStats
from trainer.quizzes.statistics import mcnemar_exact_p
from trainer.secretariat import charts
from trainer.secretariat.report_refresher import RefresherFigures

if TYPE_CHECKING:  # report_items and report_summary use this module's wording
    from trainer.secretariat.report_items import GainReport, ItemSection
    from trainer.secretariat.report_summary import Summary

SIGNIFICANCE_LEVEL = 0.05
SMALL_GROUP = 5
SMALL_MARK = "（少数のため参考値）"


def format_p(p: float) -> str:
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}" if p < 0.01 else f"p={p:.2f}"


def significance(p: float) -> str:
    """「有意な差あり（p=0.003）」 or 「有意な差とはいえない（p=0.41）」 at the 5% level."""
    if p < SIGNIFICANCE_LEVEL:
        return f"有意な差あり（{format_p(p)}）"
    return f"有意な差とはいえない（{format_p(p)}）"


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}%"


def points(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}ポイント"


@dataclass(frozen=True)
class ScoreChange:
    """Paired learners' scores before and after (the first attempt before; after, the first or
    the best, as the report's filters chose)."""

    n: int = 0
    pre_sum: float = 0.0
    post_sum: float = 0.0
    improved: int = 0
    same: int = 0
    worse: int = 0

    @classmethod
    def of(cls, groups: Iterable[ScoreGroup]) -> ScoreChange:
        groups = list(groups)
        return cls(
            n=sum(g.paired_n for g in groups),
            pre_sum=sum(g.pre_sum for g in groups),
            post_sum=sum(g.post_sum for g in groups),
            improved=sum(g.improved for g in groups),
            same=sum(g.same for g in groups),
            worse=sum(g.worse for g in groups),
        )

    @property
    def pre_percent(self) -> float | None:
        return 100 * self.pre_sum / self.n if self.n else None

    @property
    def post_percent(self) -> float | None:
        return 100 * self.post_sum / self.n if self.n else None

    @property
    def change(self) -> float | None:
        if self.pre_percent is None or self.post_percent is None:
            return None
        return self.post_percent - self.pre_percent

    @property
    def p(self) -> float:
        """The exact sign test: improved vs worse, the same scores left out."""
        return mcnemar_exact_p(self.improved, self.worse)

    @property
    def verdict(self) -> str:
        return significance(self.p) if self.n else "比べられる人がいません"

    @property
    def small(self) -> bool:
        return 0 < self.n < SMALL_GROUP


@dataclass
class GroupRow:
    label: str
    pre_n: int
    post_n: int
    change: ScoreChange
    chart: Markup = field(default_factory=Markup)

    @property
    def small(self) -> bool:
        return self.change.small


@dataclass
class Breakdown:
    key: str
    title: str
    rows: list[GroupRow]

    @property
    def pre_total(self) -> int:
        return sum(r.pre_n for r in self.rows)

    @property
    def post_total(self) -> int:
        return sum(r.post_n for r in self.rows)


@dataclass(frozen=True)
class Share:
    count: int
    n: int

    @property
    def percent(self) -> float | None:
        return 100 * self.count / self.n if self.n else None


@dataclass
class DistRow:
    """One true/false case (share answered right) or one option (share who chose it)."""

    text: str
    note: str  # 正解 / 正しい答え：はい
    pre: Share | None
    post: Share | None
    chart: Markup = field(default_factory=Markup)


@dataclass
class DistGroup:
    title: str
    rows: list[DistRow]
    what: str  # 正解率 / 選んだ人の割合
    phases: tuple[str, ...] = ("pre", "post")  # the phases that asked these items


@dataclass
class QuestionReport:
    number: int
    key: str
    type: str
    topic: str
    texts: list[tuple[str, str]]  # (事前 / 事後 / "", text)
    stats: QuestionStats
    chart: Markup
    groups: list[DistGroup] = field(default_factory=list)

    @property
    def paired_change(self) -> float | None:
        return self.stats.paired.change_points

    @property
    def verdict(self) -> str:
        p = self.stats.paired
        return significance(p.mcnemar_p) if p.n else "比べられる回答がありません"

    @property
    def small(self) -> bool:
        return 0 < self.stats.paired.n < SMALL_GROUP


@dataclass
class LikertReport:
    number: int
    text: str
    labels: tuple[str, ...]
    pre: list[int]
    post: list[int]
    chart: Markup

    @staticmethod
    def _shares(counts: list[int]) -> list[float | None]:
        n = sum(counts)
        return [100 * c / n if n else None for c in counts]

    @property
    def pre_n(self) -> int:
        return sum(self.pre)

    @property
    def post_n(self) -> int:
        return sum(self.post)

    @property
    def legend(self) -> list[tuple[Markup, str]]:
        return [(charts.swatch(i), label) for i, label in enumerate(self.labels)]

    @property
    def rows(self) -> list[tuple[str, int, float | None, int, float | None]]:
        """Per scale step: label, count and % before, count and % after."""
        pre, post = self._shares(self.pre), self._shares(self.post)
        return [
            (label, self.pre[i], pre[i], self.post[i], post[i])
            for i, label in enumerate(self.labels)
        ]


@dataclass
class TopicRow:
    stats: TopicStats
    chart: Markup

    @property
    def paired_change(self) -> float | None:
        return self.stats.paired.change_points

    @property
    def verdict(self) -> str:
        p = self.stats.paired
        return significance(p.mcnemar_p) if p.n else "—"


@dataclass
class Report:
    network: Network
    course: Course
    filters: list[tuple[str, str]]  # what is in effect, as (label, value)
    period: str
    generated_on: date
    learners_pre: int
    learners_post: int
    learners_paired: int
    headline: ScoreChange
    headline_chart: Markup
    questions: list[QuestionReport]
    topics: list[TopicRow]
    likert: list[LikertReport]
    attributes: list[Breakdown]
    breakdowns: list[Breakdown]
    items: ItemSection  # 問題ごとの分析 (report_items)
    gain: GainReport  # the gain corrected for the forms' difficulty
    post_attempt: str = "first"  # which after-test attempt counts (stats_query.POST_FIRST/BEST)
    summary: Summary | None = None  # the one-page まとめ (report_summary), set by build_report
    # 更新研修: counted apart, never in the figures above (report_refresher)
    refresher: RefresherFigures = field(default_factory=RefresherFigures)

    @property
    def pre_only(self) -> int:
        return self.learners_pre - self.learners_paired

    @property
    def post_only(self) -> int:
        return self.learners_post - self.learners_paired
