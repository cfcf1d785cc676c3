"""The before/after report (事前・事後の比較レポート): every figure of a paper report on the
training, but paired by learner, for one course in one network.

build_report() gathers everything the page and its print view show from one query: each
learner's first attempt per phase with its result codes (trainer.quizzes.course_stats); the
rest is counting in Python. Charts are drawn here (trainer.secretariat.charts), so the templates
only place them. The filters are in report_filters, the figures and how they are worded in
report_figures.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from trainer.accounts.models import AgeBand, Gender, JobType, Network, OrganisationKind
from trainer.content.placeholders import fill_text
from trainer.content.question_types import question_type
from trainer.content.quizzes import TOPICS
from trainer.database import Session
from trainer.errors import NotFound
from trainer.learning.models import Course
from trainer.quizzes.course_stats import (
    CourseStats,
    LikertStats,
    QuestionStats,
    ScoreGroup,
    TopicStats,
    counted_attempts,
    paused_gc,
)
from trainer.quizzes.item_analysis import analyse
from trainer.quizzes.models import QuizBank, QuizQuestion
from trainer.secretariat import charts
from trainer.secretariat.charts import Bar
from trainer.secretariat.report_distributions import (
    PHASE_LABELS,
    Counts,
    distributions,
    form_labels,
)
from trainer.secretariat.report_figures import (
    Breakdown,
    GroupRow,
    LikertReport,
    QuestionReport,
    Report,
    ScoreChange,
    TopicRow,
    percent,
)
from trainer.secretariat.report_filters import (
    ReportFilters,
    filter_lines,
    filter_options,
    label,
    period,
)
from trainer.secretariat.report_items import GainReport, item_section
from trainer.secretariat.report_refresher import refresher_figures
from trainer.secretariat.report_summary import summarise
from trainer.timeutil import today_jst

# The attributes asked of every learner, each charted as who answered (field, title, labels),
# and the breakdowns of the paired scores by attribute.
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

Versions = dict[str, dict[str, QuizQuestion]]  # phase → question key → current version


def build_report(session: Session, *, network: Network, filters: ReportFilters) -> Report:
    course = _course(session, network.id, filters)
    versions = _versions(session, course)
    charted = [q.id for phase in versions.values() for q in phase.values() if _charted(q.type)]
    counts: Counts = {}
    with paused_gc():
        counted = counted_attempts(
            session, network_id=network.id, course=course, filters=filters.stats_filter()
        )
        stats = counted.statistics(session, course)
        scores = counted.score_groups()
        for row in counted.value_counts(session, charted):
            counts.setdefault((row.question_id, row.phase), []).append((row.value, row.n))
        items = analyse(session, counted, course)
        del counted  # the learners' rows go before the collector runs again

    facts = network.local_facts()
    headline = ScoreChange.of(scores.groups)
    questions = _questions(stats, versions, counts, facts, course.counterbalance)
    report = Report(
        network=network,
        course=course,
        filters=filter_lines(session, network.id, course, filters),
        period=period(filters, scores.first_submitted, scores.last_submitted),
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
        topics=[_topic_row(t) for t in stats.topics],
        likert=[_likert(number, item) for number, item in enumerate(stats.likert, start=1)],
        attributes=[_attribute_table(scores.groups, *a) for a in ATTRIBUTES],
        breakdowns=[_change_table(scores.groups, *b) for b in BREAKDOWNS],
        items=item_section(items, {q.key: q.number for q in questions}, facts),
        gain=GainReport(items.gain),
        post_attempt=filters.post_attempt,
        refresher=refresher_figures(
            session, network=network, course=course, filters=filters.stats_filter()
        ),
    )
    report.summary = summarise(report)
    return report


def _course(session: Session, network_id: int, filters: ReportFilters) -> Course:
    """The course chosen, else the first one offered; NotFound for one not offered."""
    options = filter_options(session, network_id)
    course = next((c for c in options.courses if c.id == filters.course_id), None)
    if course is None:
        if filters.course_id is not None or not options.courses:
            raise NotFound("研修が見つかりません。")
        course = options.courses[0]
    return course


def _charted(type_name: str) -> bool:
    """Whether a question's answers are charted item by item: its type's distribution, the
    cases of a true/false question (the share who answered each right) or the options of a
    single-choice one (the share who chose each). "" is a question with no current version."""
    return bool(type_name) and question_type(type_name).distribution is not None


def _versions(session: Session, course: Course) -> Versions:
    """The current version of each question of the two forms, by key: "pre" is the pre_quiz
    bank (form A), "post" the post_quiz bank (form B). Without counterbalancing they are the
    before and the after test; with it, each form is taken before by half the learners and
    after by the other half."""
    banks = _current_questions(session, [course.pre_quiz, course.post_quiz])
    versions: Versions = {"pre": {}, "post": {}}
    for phase, slug in (("pre", course.pre_quiz), ("post", course.post_quiz)):
        for question in banks.get(slug or "", []):
            versions[phase][question.key] = question
    return versions


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


# --- sections -----------------------------------------------------------------------------------


def _questions(
    stats: CourseStats,
    versions: Versions,
    counts: Counts,
    facts: Mapping[str, str | None],
    counterbalanced: bool,
) -> list[QuestionReport]:
    questions = []
    for number, q in enumerate(stats.questions, start=1):
        pre, post = versions["pre"].get(q.key), versions["post"].get(q.key)
        questions.append(_question(number, q, pre, post, counts, facts, counterbalanced))
    return questions


def _question(
    number: int,
    q: QuestionStats,
    pre: QuizQuestion | None,
    post: QuizQuestion | None,
    counts: Counts,
    facts: Mapping[str, str | None],
    counterbalanced: bool = False,
) -> QuestionReport:
    texts = [
        (label, fill_text(v.body["text"], facts))
        for label, v in zip(form_labels(counterbalanced), (pre, post), strict=True)
        if v is not None
    ]
    if len(texts) == 2 and texts[0][1] == texts[1][1]:
        texts = [("", texts[0][1])]
    version = post or pre
    report = QuestionReport(
        number=number,
        key=q.key,
        type=version.type if version else "",
        topic=TOPICS.get(q.topic, q.topic),
        texts=texts,
        stats=q,
        chart=charts.bar_chart(
            f"問{number}の正解率",
            [_rate_bar("pre", q.pre_rate, q.pre_n), _rate_bar("post", q.post_rate, q.post_n)],
        ),
    )
    if _charted(report.type):
        report.groups = distributions(pre, post, counts, facts, counterbalanced)
    return report


def _topic_row(t: TopicStats) -> TopicRow:
    return TopicRow(
        stats=t,
        chart=charts.bar_chart(
            f"{t.label}（対応あり {t.paired.n}回答）の正解率",
            [
                _rate_bar("pre", t.paired.pre_rate, t.paired.n, "回答"),
                _rate_bar("post", t.paired.post_rate, t.paired.n, "回答"),
            ],
        ),
    )


def _likert(number: int, item: LikertStats) -> LikertReport:
    return LikertReport(
        number=number,
        text=item.text,
        labels=item.labels,
        pre=item.pre,
        post=item.post,
        chart=charts.stacked_chart(
            item.text, item.labels, [("事前", item.pre), ("事後", item.post)]
        ),
    )


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
                label=label(kind, value),
                pre_n=sum(g.pre_n for g in mine),
                post_n=sum(g.post_n for g in mine),
                change=ScoreChange.of(mine),
            )
        )
    return rows


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


# --- bars ----------------------------------------------------------------------------------------


def _rate_bar(series: str, rate: float | None, n: int, unit: str = "人") -> Bar:
    """One bar of a rate; `n` is what it counts, people (人) or, for a topic, answers (回答)."""
    return Bar(
        series=series,
        caption=PHASE_LABELS[series],
        share=rate,
        value=percent(None if rate is None else 100 * rate, 0),
        note=f"{n}{unit}",
    )


def _count_bar(series: str, count: int, total: int) -> Bar:
    share = count / total if total else None
    return Bar(series, PHASE_LABELS[series], share, f"{count}人", percent(share and 100 * share, 0))


def _fraction(value: float | None) -> float | None:
    return None if value is None else value / 100


def series_legend() -> list[tuple[Markup, str]]:
    """The before and after colours with their names, for the legend above the charts."""
    return [(charts.series_swatch(series), PHASE_LABELS[series]) for series in ("pre", "post")]
