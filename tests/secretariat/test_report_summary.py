"""The まとめ's rule for 伸びた分野 and 注意する分野, on constructed topics (no database)."""

from __future__ import annotations

from dataclasses import replace

from markupsafe import Markup

from trainer.quizzes.course_stats import QuestionStats, TopicStats
from trainer.quizzes.statistics import PairedTable
from trainer.secretariat.report_figures import TopicRow
from trainer.secretariat.report_summary import MIN_PEOPLE, Summary, grown_topics, watch_topics


def topic(label: str, both_right: int, gained: int, lost: int, neither: int) -> TopicRow:
    question = QuestionStats(
        key=label, topic=label, text="", paired=PairedTable(both_right, gained, lost, neither)
    )
    return TopicRow(stats=TopicStats(label, label, [question]), chart=Markup())


# 30 paired answers each.
CLEAR = topic("はっきり伸びた", 10, 15, 0, 5)  # 33% → 83%, McNemar p < 0.001
SMALL_STEP = topic("少しだけ", 20, 3, 1, 6)  # 70% → 77%: +6.7 points only
CHANCE = topic("偶然かも", 10, 6, 2, 12)  # 40% → 53%: +13.3 points, but 6 vs 2 is p = 0.29
LOW = topic("低いまま", 5, 5, 5, 15)  # 33% → 33%
TOPICS = [CLEAR, SMALL_STEP, CHANCE, LOW]


def test_grown_needs_ten_points_and_a_change_unlikely_by_chance():
    assert [(t.label, t.pre, t.post, t.answers) for t in grown_topics(TOPICS)] == [
        ("はっきり伸びた", 33, 83, 30)
    ]


def test_watch_is_below_the_pass_mark_after_the_training_lowest_first():
    assert [(t.label, t.post) for t in watch_topics(TOPICS, 80)] == [
        ("低いまま", 33),
        ("偶然かも", 53),
        ("少しだけ", 77),
    ]
    assert watch_topics(TOPICS, 30) == []


def summary(paired: int) -> Summary:
    return Summary(
        paired=paired,
        pre_only=0,
        post_only=0,
        pre_percent=40,
        post_percent=70,
        improved=paired - 2,
        same=1,
        worse=1,
        significant=True,
        pass_mark=80,
        attempt_label="最初の受験",
        attempt_reason="",
        grown=grown_topics(TOPICS),
        watch=watch_topics(TOPICS, 80),
    )


def test_enough_people_name_the_topics_and_few_people_do_not():
    many = summary(MIN_PEOPLE)
    assert many.grown_text == [
        "研修の後に正答率がはっきり上がった分野です。",
        "「はっきり伸びた」は、研修前 33% → 研修後 83% でした。",
    ]
    assert many.watch_text[0] == "研修後も正答率が合格ライン（80%）に届かなかった分野です。"
    assert (
        many.change[-1]
        == "上がった人は下がった人よりはっきり多く、偶然だけでは説明しにくい差です。"
    )
    assert many.people == "事前テストと事後テストの両方を受けた 20人 の結果です。"
    few = summary(MIN_PEOPLE - 1)
    assert few.grown_text == [
        "両方を受けた人が 19人 と少ないため、分野ごとに伸びたかどうかはまだ言えません"
        "（20人以上になると、ここに示します）。"
    ]
    assert few.watch_text[0].startswith("参考までに、")
    assert "まだはっきり言えません" in few.change[-1]
    assert replace(many, grown=[]).grown_text == ["はっきり伸びたといえる分野はありませんでした。"]
    nobody = replace(many, paired=0)
    assert nobody.change == [
        "事前テストと事後テストの両方を受けた人がまだいないため、比べられません。"
    ]
