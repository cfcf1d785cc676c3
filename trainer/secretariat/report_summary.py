"""The report's one-page summary (まとめ), for a council member rather than a statistician:
whole sentences, few numbers, each number saying what it counts.

Everything is taken from the Report the page already built (the same paired learners, the same
attempt choice), so the summary can never disagree with the statistics below it. Rates are
rounded to whole percent here: a council paper does not need tenths.

How a topic (分野) is called grown or one to watch (docs/report-method.md, 「まとめ」):

- Nothing is said about topics while fewer than MIN_PEOPLE learners took both tests: a topic
  then rests on a handful of answers, and the summary says so instead.
- 伸びた分野: the paired answers of the topic were right GROWTH_POINTS or more points more
  often after than before, and McNemar's exact test on them says the change is unlikely to be
  chance (p < 0.05). The largest changes first, at most MAX_TOPICS.
- 注意する分野: after the training, fewer of the topic's paired answers were right than the
  course's pass mark asks of a learner (合格ライン); the lowest first, at most MAX_TOPICS.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.secretariat.report_figures import SIGNIFICANCE_LEVEL, Report, TopicRow
from trainer.secretariat.report_filters import POST_ATTEMPT_LABELS, POST_ATTEMPT_REASON

MIN_PEOPLE = 20  # the report's other "参考値" limit (item analysis, the form correction)
GROWTH_POINTS = 10.0
MAX_TOPICS = 3


def whole(percent: float | None) -> int | None:
    """A percentage (0–100) as whole percent; None stays None."""
    return None if percent is None else round(percent)


def rate_percent(rate: float | None) -> int:
    """A 0–1 rate as whole percent (0 when there is none)."""
    return round(100 * rate) if rate is not None else 0


@dataclass(frozen=True)
class TopicLine:
    label: str
    pre: int  # whole percent of the paired answers right before
    post: int  # … and after
    answers: int  # paired answers (回答数), not people

    @property
    def sentence(self) -> str:
        return f"「{self.label}」は、研修前 {self.pre}% → 研修後 {self.post}% でした。"


@dataclass(frozen=True)
class Summary:
    paired: int  # people who took both tests (人)
    pre_only: int
    post_only: int
    pre_percent: int | None  # the paired people's mean score, whole percent
    post_percent: int | None
    improved: int  # people whose score went up
    same: int
    worse: int
    significant: bool  # the sign test on improved vs worse, p < 0.05
    pass_mark: int
    attempt_label: str  # 最初の受験 / 最も良い受験
    attempt_reason: str
    grown: list[TopicLine]
    watch: list[TopicLine]

    @property
    def few(self) -> bool:
        return self.paired < MIN_PEOPLE

    @property
    def people(self) -> str:
        line = f"事前テストと事後テストの両方を受けた {self.paired}人 の結果です。"
        if self.pre_only or self.post_only:
            line += (
                f"片方だけを受けた人（事前だけ {self.pre_only}人、事後だけ {self.post_only}人）"
                "は比べられないため、入れていません。"
            )
        return line

    @property
    def change(self) -> list[str]:
        """The mean before → after, who went up and down, and whether that is more than chance."""
        if not self.paired:
            return ["事前テストと事後テストの両方を受けた人がまだいないため、比べられません。"]
        diff = (self.post_percent or 0) - (self.pre_percent or 0)
        if diff > 0:
            moved = f"{diff}ポイント上がりました"
        elif diff < 0:
            moved = f"{-diff}ポイント下がりました"
        else:
            moved = "変わりませんでした"
        lines = [
            f"{self.paired}人の平均の正答率は、研修前の {self.pre_percent}% から、"
            f"研修後は {self.post_percent}% になりました（{moved}）。",
            f"一人ひとりでは、正答率が上がった人 {self.improved}人、"
            f"変わらなかった人 {self.same}人、下がった人 {self.worse}人 でした。",
        ]
        if self.few:
            lines.append(
                f"ただし {self.paired}人と人数が少ないため、この違いが研修の効果かどうかは、"
                "まだはっきり言えません。"
            )
        elif self.significant and self.improved > self.worse:
            lines.append("上がった人は下がった人よりはっきり多く、偶然だけでは説明しにくい差です。")
        else:
            lines.append("上がった人と下がった人の数の違いは、偶然でも起こりうる大きさです。")
        return lines

    @property
    def grown_text(self) -> list[str]:
        if self.few:
            return [
                f"両方を受けた人が {self.paired}人 と少ないため、分野ごとに伸びたかどうかは"
                f"まだ言えません（{MIN_PEOPLE}人以上になると、ここに示します）。"
            ]
        if not self.grown:
            return ["はっきり伸びたといえる分野はありませんでした。"]
        return ["研修の後に正答率がはっきり上がった分野です。"] + [t.sentence for t in self.grown]

    @property
    def watch_text(self) -> list[str]:
        if not self.watch:
            return [f"研修後の正答率が合格ライン（{self.pass_mark}%）を下回った分野はありません。"]
        intro = f"研修後も正答率が合格ライン（{self.pass_mark}%）に届かなかった分野です。"
        if self.few:
            intro = "参考までに、" + intro[:-1] + "（人数が少ないため、目安です）。"
        return [intro] + [t.sentence for t in self.watch]


def _line(t: TopicRow) -> TopicLine:
    p = t.stats.paired
    return TopicLine(t.stats.label, rate_percent(p.pre_rate), rate_percent(p.post_rate), p.n)


def grown_topics(topics: list[TopicRow]) -> list[TopicLine]:
    """Topics whose paired answers were right clearly more often after (the module's rule)."""
    grown = [
        t
        for t in topics
        if t.stats.paired.n
        and (t.paired_change or 0) >= GROWTH_POINTS
        and t.stats.paired.mcnemar_p < SIGNIFICANCE_LEVEL
    ]
    grown.sort(key=lambda t: -(t.paired_change or 0))
    return [_line(t) for t in grown[:MAX_TOPICS]]


def watch_topics(topics: list[TopicRow], pass_mark: int) -> list[TopicLine]:
    """Topics whose paired answers after the training were right less often than the pass mark."""
    low = [
        t for t in topics if t.stats.paired.n and 100 * (t.stats.paired.post_rate or 0) < pass_mark
    ]
    low.sort(key=lambda t: t.stats.paired.post_rate or 0)
    return [_line(t) for t in low[:MAX_TOPICS]]


def summarise(report: Report) -> Summary:
    h = report.headline
    best = report.post_attempt
    return Summary(
        paired=report.learners_paired,
        pre_only=report.pre_only,
        post_only=report.post_only,
        pre_percent=whole(h.pre_percent),
        post_percent=whole(h.post_percent),
        improved=h.improved,
        same=h.same,
        worse=h.worse,
        significant=bool(h.n) and h.p < SIGNIFICANCE_LEVEL,
        pass_mark=report.course.pass_mark,
        attempt_label=POST_ATTEMPT_LABELS[best],
        attempt_reason=POST_ATTEMPT_REASON[best],
        grown=grown_topics(report.topics),
        watch=watch_topics(report.topics, report.course.pass_mark),
    )
