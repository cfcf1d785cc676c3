"""The before/after report (事前・事後の比較レポート): the pilot report's figures
(figures 1–21), but paired by learner, for one course in one network.

build_report() gathers everything the page and its print view show from one query: each
learner's first attempt per phase with its result codes (trainer.quizzes.course_stats); the
rest is counting in Python. Charts are drawn here (trainer.secretariat.charts), so the templates
only place them.

Choices where the issue was silent:
- Significance at the 5% level (two-sided): p < 0.05 reads 「有意な差あり」. Per person, the
  exact sign test on who improved vs who got worse (those with the same score carry no
  information about the direction); per question, McNemar's exact test (the same test on the
  learners who changed from wrong to right or back).
- Groups of fewer than 5 people keep their numbers (hiding them would make the totals not add
  up) but are marked 「（少数のため参考値）」: one person moves a small group's rate by 20 points
  or more, and small groups come close to identifying people.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from trainer.accounts.models import (
    AgeBand,
    Gender,
    JobType,
    Network,
    Organisation,
    OrganisationKind,
)
from trainer.content.placeholders import fill_text
from trainer.content.quizzes import TOPICS
from trainer.database import Session
from trainer.errors import NotFound
from trainer.learning.models import Course
from trainer.quizzes.course_stats import (
    QuestionStats,
    ScoreGroup,
    StatsFilter,
    TopicStats,
    counted_attempts,
    paused_gc,
)
from trainer.quizzes.models import QuizBank, QuizQuestion
from trainer.quizzes.statistics import mcnemar_exact_p
from trainer.secretariat import charts
from trainer.secretariat.charts import Bar
from trainer.timeutil import jdate, to_jst, today_jst

SIGNIFICANCE_LEVEL = 0.05
SMALL_GROUP = 5
SMALL_MARK = "（少数のため参考値）"
PHASE_LABELS = {"pre": "事前", "post": "事後"}


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    course_id: int | None = None
    organisation_id: int | None = None
    organisation_kind: str | None = None
    job_type: str | None = None
    age_band: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def stats_filter(self) -> StatsFilter:
        return StatsFilter(
            organisation_id=self.organisation_id,
            organisation_kind=self.organisation_kind,
            job_type=self.job_type,
            age_band=self.age_band,
            date_from=self.date_from,
            date_to=self.date_to,
        )


@dataclass(frozen=True)
class FilterOptions:
    courses: list[Course]
    organisations: list[Organisation]


def filter_options(session: Session, network_id: int) -> FilterOptions:
    """What the filter form offers: courses with a before and an after test, the organisations."""
    courses = list(
        session.scalars(
            select(Course)
            .where(
                Course.is_active.is_(True),
                Course.pre_quiz.is_not(None),
                Course.post_quiz.is_not(None),
            )
            .order_by(Course.title)
        )
    )
    organisations = list(
        session.scalars(
            select(Organisation)
            .where(Organisation.network_id == network_id)
            .order_by(Organisation.kind, Organisation.name)
        )
    )
    return FilterOptions(courses, organisations)


# --- figures -----------------------------------------------------------------------------------


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
    """Paired learners' scores before and after (each learner's first attempt per phase)."""

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

    @property
    def pre_only(self) -> int:
        return self.learners_pre - self.learners_paired

    @property
    def post_only(self) -> int:
        return self.learners_post - self.learners_paired


# --- building --------------------------------------------------------------------------------

# The attributes the pilot asked (figures 1–3) and the breakdowns: (field, title, labels).
ATTRIBUTES: tuple[tuple[str, str, type[enum.Enum]], ...] = (
    ("age_band", "年代", AgeBand),
    ("gender", "性別", Gender),
    ("job_type", "職種", JobType),
)
BREAKDOWNS: tuple[tuple[str, str, type[enum.Enum]], ...] = (
    ("job_type", "職種別", JobType),
    ("age_band", "年代別", AgeBand),
    ("gender", "性別", Gender),
    ("organisation_kind", "構成団体の種類別", OrganisationKind),
)


def _label(kind: type[enum.Enum], value: str) -> str:
    try:
        return kind(value).label  # type: ignore[attr-defined]
    except ValueError:
        return value


def _grouped(groups: list[ScoreGroup], attr: str, kind: type[enum.Enum]) -> list[GroupRow]:
    """One row per value of the attribute that anybody has, in the order of its list."""
    order = [member.value for member in kind]
    values = sorted(
        {getattr(g, attr) for g in groups},
        key=lambda v: order.index(v) if v in order else len(order),
    )
    rows = []
    for value in values:
        mine = [g for g in groups if getattr(g, attr) == value]
        rows.append(
            GroupRow(
                label=_label(kind, value),
                pre_n=sum(g.pre_n for g in mine),
                post_n=sum(g.post_n for g in mine),
                change=ScoreChange.of(mine),
            )
        )
    return rows


def _rate_bar(series: str, rate: float | None, n: int) -> Bar:
    return Bar(
        series=series,
        caption=PHASE_LABELS[series],
        share=rate,
        value=percent(None if rate is None else 100 * rate, 0),
        note=f"{n}人",
    )


def _count_bar(series: str, count: int, total: int) -> Bar:
    share = count / total if total else None
    return Bar(series, PHASE_LABELS[series], share, f"{count}人", percent(share and 100 * share, 0))


def _attribute_table(groups: list[ScoreGroup], attr: str, title: str, kind: Any) -> Breakdown:
    breakdown = Breakdown(attr, title, _grouped(groups, attr, kind))
    for row in breakdown.rows:
        row.chart = charts.bar_chart(
            f"{title} {row.label}",
            [
                _count_bar("pre", row.pre_n, breakdown.pre_total),
                _count_bar("post", row.post_n, breakdown.post_total),
            ],
        )
    return breakdown


def _change_table(groups: list[ScoreGroup], attr: str, title: str, kind: Any) -> Breakdown:
    breakdown = Breakdown(attr, title, _grouped(groups, attr, kind))
    for row in breakdown.rows:
        c = row.change
        row.chart = charts.bar_chart(
            f"{title} {row.label}（対応あり {c.n}人）の平均得点率",
            [
                _rate_bar("pre", _fraction(c.pre_percent), c.n),
                _rate_bar("post", _fraction(c.post_percent), c.n),
            ],
        )
    return breakdown


def _current_questions(
    session: Session, slugs: Sequence[str | None]
) -> dict[str, list[QuizQuestion]]:
    banks = {
        b.slug: b
        for b in session.scalars(select(QuizBank).where(QuizBank.slug.in_([s for s in slugs if s])))
    }
    ids = [i for b in banks.values() for i in b.question_ids]
    rows = {q.id: q for q in session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))}
    return {slug: [rows[i] for i in bank.question_ids] for slug, bank in banks.items()}


def _answers(
    counts: dict[tuple[int, str], list[tuple[Any, int]]], question: QuizQuestion | None, phase: str
) -> list[tuple[Any, int]]:
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


def _distributions(
    pre: QuizQuestion | None,
    post: QuizQuestion | None,
    counts: dict[tuple[int, str], list[tuple[Any, int]]],
    facts: dict[str, str],
) -> list[DistGroup]:
    """Per-case right rates (true/false) or the options chosen (single choice), before and after.

    The after-test is a parallel form (other cases, other options): when the two versions list
    the same items they share one chart; otherwise each phase gets its own."""
    question = post or pre
    assert question is not None
    if question.type == "truefalse":
        items_key, shares_of, what = "cases", _case_shares, "正解率"
    else:
        items_key, shares_of, what = "choices", _choice_shares, "選んだ人の割合"

    def note(item: dict[str, Any]) -> str:
        if items_key == "cases":
            return "正しい答え：" + ("はい" if item["answer"] else "いいえ")
        return "正解" if item.get("correct") else ""

    def items(q: QuizQuestion | None) -> list[dict[str, Any]]:
        return list(q.body.get(items_key, [])) if q is not None else []

    pre_shares = shares_of(pre, _answers(counts, pre, "pre")) if pre else {}
    post_shares = shares_of(post, _answers(counts, post, "post")) if post else {}
    same = [i["text"] for i in items(pre)] == [i["text"] for i in items(post)]
    noun = "事例" if items_key == "cases" else "選択肢"
    if same:
        groups = [(f"{noun}（事前・事後とも同じ）", items(post), True, True)]
    else:
        groups = [
            (f"事前テストの{noun}", items(pre), True, False),
            (f"事後テストの{noun}", items(post), False, True),
        ]
    result = []
    for title, listed, with_pre, with_post in groups:
        if not listed:
            continue
        rows = []
        for item in listed:
            pre_share = pre_shares.get(item["key"]) if with_pre else None
            post_share = post_shares.get(item["key"]) if with_post else None
            text = fill_text(item["text"], facts)
            bars = [
                _share_bar(phase, share)
                for phase, share in (("pre", pre_share), ("post", post_share))
                if share is not None
            ]
            rows.append(
                DistRow(
                    text=text,
                    note=note(item),
                    pre=pre_share,
                    post=post_share,
                    chart=charts.bar_chart(f"{text}（{what}）", bars),
                )
            )
        phases = tuple(p for p, shown in (("pre", with_pre), ("post", with_post)) if shown)
        result.append(DistGroup(title, rows, what, phases))
    return result


def _share_bar(phase: str, share: Share) -> Bar:
    rate = share.percent
    return Bar(phase, PHASE_LABELS[phase], None if rate is None else rate / 100,
               percent(rate, 0), f"{share.n}人")  # fmt: skip


def _period(filters: ReportFilters, first: datetime | None, last: datetime | None) -> str:

    if filters.date_from or filters.date_to:
        start = jdate(filters.date_from) if filters.date_from else "はじめ"
        end = jdate(filters.date_to) if filters.date_to else "現在"
        return f"{start}〜{end}"
    if first is None or last is None:
        return "回答はまだありません"
    return f"{jdate(to_jst(first).date())}〜{jdate(to_jst(last).date())}（回答のあった期間）"


def _filter_lines(
    session: Session, network_id: int, course: Course, filters: ReportFilters
) -> list[tuple[str, str]]:

    organisation = (
        session.scalar(
            select(Organisation).where(
                Organisation.id == filters.organisation_id, Organisation.network_id == network_id
            )
        )
        if filters.organisation_id
        else None
    )
    dates = "すべて"
    if filters.date_from or filters.date_to:
        dates = f"{jdate(filters.date_from) or 'はじめ'}〜{jdate(filters.date_to) or '現在'}"
    return [
        ("研修", course.title),
        ("構成団体", organisation.name if organisation else "すべて"),
        (
            "構成団体の種類",
            _label(OrganisationKind, filters.organisation_kind)
            if filters.organisation_kind
            else "すべて",
        ),
        ("職種", _label(JobType, filters.job_type) if filters.job_type else "すべて"),
        ("年代", _label(AgeBand, filters.age_band) if filters.age_band else "すべて"),
        ("回答日", dates),
    ]


def build_report(session: Session, *, network: Network, filters: ReportFilters) -> Report:
    options = filter_options(session, network.id)
    course = next((c for c in options.courses if c.id == filters.course_id), None)
    if course is None:
        if filters.course_id is not None or not options.courses:
            raise NotFound("研修が見つかりません。")
        course = options.courses[0]
    banks = _current_questions(session, [course.pre_quiz, course.post_quiz])
    versions: dict[str, dict[str, QuizQuestion]] = {"pre": {}, "post": {}}
    for phase, slug in (("pre", course.pre_quiz), ("post", course.post_quiz)):
        for q in banks.get(slug or "", []):
            versions[phase][q.key] = q
    charted = [
        q.id
        for phase in versions.values()
        for q in phase.values()
        if q.type in ("truefalse", "single")
    ]
    counts: dict[tuple[int, str], list[tuple[Any, int]]] = {}
    with paused_gc():
        counted = counted_attempts(
            session, network_id=network.id, course=course, filters=filters.stats_filter()
        )
        stats = counted.statistics(session, course)
        scores = counted.score_groups()
        for row in counted.value_counts(session, charted):
            counts.setdefault((row.question_id, row.phase), []).append((row.value, row.n))
        del counted  # the learners' rows go before the collector runs again

    facts = network.local_facts()
    questions = []
    for number, q in enumerate(stats.questions, start=1):
        pre, post = versions["pre"].get(q.key), versions["post"].get(q.key)
        texts = [
            (PHASE_LABELS[phase], fill_text(v.body["text"], facts))
            for phase, v in (("pre", pre), ("post", post))
            if v is not None
        ]
        if len(texts) == 2 and texts[0][1] == texts[1][1]:
            texts = [("", texts[0][1])]
        report = QuestionReport(
            number=number,
            key=q.key,
            type=(post or pre).type if (post or pre) else "",
            topic=TOPICS.get(q.topic, q.topic),
            texts=texts,
            stats=q,
            chart=charts.bar_chart(
                f"問{number}の正解率",
                [_rate_bar("pre", q.pre_rate, q.pre_n), _rate_bar("post", q.post_rate, q.post_n)],
            ),
        )
        if report.type in ("truefalse", "single"):
            report.groups = _distributions(pre, post, counts, facts)
        questions.append(report)

    topics = [
        TopicRow(
            stats=t,
            chart=charts.bar_chart(
                f"{t.label}（対応あり {t.paired.n}回答）の正解率",
                [
                    _rate_bar("pre", t.paired.pre_rate, t.paired.n),
                    _rate_bar("post", t.paired.post_rate, t.paired.n),
                ],
            ),
        )
        for t in stats.topics
    ]
    likert = [
        LikertReport(
            number=number,
            text=item.text,
            labels=item.labels,
            pre=item.pre,
            post=item.post,
            chart=charts.stacked_chart(
                item.text, item.labels, [("事前", item.pre), ("事後", item.post)]
            ),
        )
        for number, item in enumerate(stats.likert, start=1)
    ]
    headline = ScoreChange.of(scores.groups)
    return Report(
        network=network,
        course=course,
        filters=_filter_lines(session, network.id, course, filters),
        period=_period(filters, scores.first_submitted, scores.last_submitted),
        generated_on=today_jst(),
        learners_pre=stats.learners_pre,
        learners_post=stats.learners_post,
        learners_paired=stats.learners_paired,
        headline=headline,
        headline_chart=charts.bar_chart(
            f"対応あり {headline.n}人の平均得点率",
            [
                _rate_bar("pre", _fraction(headline.pre_percent), headline.n),
                _rate_bar("post", _fraction(headline.post_percent), headline.n),
            ],
        ),
        questions=questions,
        topics=topics,
        likert=likert,
        attributes=[_attribute_table(scores.groups, *a) for a in ATTRIBUTES],
        breakdowns=[_change_table(scores.groups, *b) for b in BREAKDOWNS],
    )


def _fraction(value: float | None) -> float | None:
    return None if value is None else value / 100
