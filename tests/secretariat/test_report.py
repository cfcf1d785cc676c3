"""The before/after report against a small case worked out by hand.

Five learners take the real course's quizzes (15 scored questions, partial credit per case or
option; the 7-item attitude survey):

    m1  field   50s female  home   pre: all right but where-188 (14/15)  post: all right
    m2  field   40s male    home   pre: all wrong, but case 1 of centre-cases right (1/6 of
                                   one point: 1/90)                       post: all right
    m3  counter 50s female  home   pre: all right                        post: all right
    m4  counter 30s female  home   pre: all right                        post: all wrong
                                   (a retake, all right, is not counted)
    m5  support 60+ male    other  pre: all wrong                        (no post)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.quizzes.helpers import load_repository_content, set_local_facts, take
from trainer.accounts.models import Member, Role
from trainer.content.quizzes import TOPICS
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.forms import hashed_reverse
from trainer.quizzes.models import QuizQuestion
from trainer.secretariat import report as report_service
from trainer.secretariat.report_figures import ScoreChange, significance
from trainer.secretariat.report_filters import ReportFilters
from trainer.timeutil import today_jst


def first_case_only(question):
    """Case 1 right, every other case wrong."""
    return {
        f"case-{c['key']}": ("yes" if c["answer"] else "no")
        if c["key"] == "1"
        else ("no" if c["answer"] else "yes")
        for c in question.body["cases"]
    }


@pytest.fixture
def world(app, make_network, make_org, make_member):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    # Worked out by hand for everyone taking form A before and form B after; the counterbalanced
    # order (half the learners B then A) has its own test below.
    course.counterbalance = False
    network = make_network(name="みどり市見守りネットワーク")
    set_local_facts(network)  # no question withheld: every learner is asked all 15
    home = make_org(network, name="みどり信用金庫", kind="financial")
    other = make_org(network, name="みどり生協", kind="coop_delivery")
    people = [
        ("field", "50s", "female", home),
        ("field", "40s", "male", home),
        ("counter", "50s", "female", home),
        ("counter", "30s", "female", home),
        ("support", "60plus", "male", other),
    ]
    members = []
    for job, age, gender, org in people:
        m = make_member(network, org)
        m.job_type, m.age_band, m.gender = job, age, gender
        members.append(m)
    db.session.commit()
    m1, m2, m3, m4, m5 = members
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    take(m1, course, "pre", right=everything - {"where-188"}, likert=2)
    take(m1, course, "post", right=everything, likert=5)
    take(m2, course, "pre", right=set(), override={"centre-cases": first_case_only})
    take(m2, course, "post", right=everything)
    take(m3, course, "pre", right=everything)
    take(m3, course, "post", right=everything)
    take(m4, course, "pre", right=everything)
    take(m4, course, "post", right=set())
    take(m4, course, "post", right=everything)  # a retake: not counted
    take(m5, course, "pre", right=set())
    stranger = make_member(make_network())  # another network's learner never shows up
    take(stranger, course, "pre", right=everything)
    return {"course": course, "network": network, "home": home, "other": other}


def build(world, **filters):
    return report_service.build_report(
        db.session,
        network=world["network"],
        filters=ReportFilters(course_id=world["course"].id, **filters),
    )


def page(client, world, path="", **params):
    return client.get(f"/n/{world['network'].id}/report/{path}", query_string=params)


@pytest.fixture
def staff(world, make_user, login, client):
    user = make_user(world["network"], Role.SECRETARIAT)
    login(client, user)
    return user


# --- the numbers -------------------------------------------------------------------------------


def test_headline_pairs_learners_and_counts_who_improved(world):
    report = build(world)
    assert (report.learners_pre, report.learners_post, report.learners_paired) == (5, 4, 4)
    assert (report.pre_only, report.post_only) == (1, 0)
    h = report.headline
    assert (h.n, h.improved, h.same, h.worse) == (4, 2, 1, 1)
    pre = [14 / 15, 1 / 90, 1, 1]  # m2: one case of six right is 1/6 of one point of 15
    assert h.pre_percent == pytest.approx(100 * sum(pre) / 4)
    assert h.post_percent == pytest.approx(75.0)
    assert h.change == pytest.approx(75.0 - 100 * sum(pre) / 4)
    # Sign test on 2 improved vs 1 worse: 2 × (C(3,0) + C(3,1)) / 2^3 = 1, capped.
    assert h.p == pytest.approx(1.0)
    assert h.verdict == "有意な差とはいえない（p=1.00）"


def test_sign_test_wording_at_the_five_percent_level():
    # 10 improved, none worse: 2 × 1/2^10 = 0.00195.
    assert ScoreChange(n=12, improved=10, same=2, worse=0).verdict == "有意な差あり（p=0.002）"
    # 6 vs 1: 2 × (1 + 7) / 128 = 0.125.
    assert ScoreChange(n=7, improved=6, worse=1).verdict == "有意な差とはいえない（p=0.12）"
    assert significance(0.0004) == "有意な差あり（p<0.001）"
    assert significance(0.05) == "有意な差とはいえない（p=0.05）"
    assert ScoreChange().verdict == "比べられる人がいません"


def test_per_question_paired_change(world):
    q = next(q for q in build(world).questions if q.key == "where-188")
    s = q.stats
    assert (s.pre_n, s.pre_right, s.post_n, s.post_right) == (5, 2, 4, 3)
    p = s.paired
    assert (p.both_right, p.gained, p.lost, p.neither) == (1, 2, 1, 0)
    assert q.paired_change == pytest.approx(25.0)  # 2 of 4 → 3 of 4
    assert q.verdict == "有意な差とはいえない（p=1.00）"
    assert q.small  # 4 paired learners


def test_true_false_cases_before_and_after(world):
    q = next(q for q in build(world).questions if q.key == "centre-cases")
    # The after-test asks other cases (a parallel form): one chart per phase.
    pre, post = q.groups
    assert pre.title == "事前テストの事例" and post.title == "事後テストの事例"
    assert pre.rows[0].text.startswith("カードローンとリボ払い")
    assert pre.rows[0].note == "正しい答え：はい"
    # Case 1: m1, m3, m4 right, and m2 (only case 1): 4 of 5; the other cases 3 of 5.
    assert (pre.rows[0].pre.count, pre.rows[0].pre.n) == (4, 5)
    assert [(r.pre.count, r.pre.n) for r in pre.rows[1:]] == [(3, 5)] * 5
    assert all(r.post is None for r in pre.rows)
    # After: m1, m2, m3 right, m4 wrong (the retake is not counted).
    assert [(r.post.count, r.post.n) for r in post.rows] == [(3, 4)] * 6


def test_single_choice_distribution_before_and_after(world):
    q = next(q for q in build(world).questions if q.key == "where-188")
    pre, post = q.groups
    assert pre.what == "選んだ人の割合"
    # Before: m3, m4 chose the right answer (the second option), m1, m2, m5 the first wrong one
    # (the first option); nobody chose the last, 「わからない」.
    assert [(r.note, r.pre.count, r.pre.n) for r in pre.rows] == [
        ("", 3, 5),
        ("正解", 2, 5),
        ("", 0, 5),
        ("", 0, 5),
        ("", 0, 5),
    ]
    right = [r for r in post.rows if r.note == "正解"]
    assert len(right) == 1 and (right[0].post.count, right[0].post.n) == (3, 4)
    assert sum(r.post.count for r in post.rows) == 4


def test_likert_percentages(world):
    item = next(i for i in build(world).likert if i.text.startswith("国や市区町村"))
    assert item.pre == [0, 1, 0, 4, 0] and item.post == [0, 0, 0, 3, 1]
    rows = item.rows
    assert rows[1][:3] == ("気にかけていない", 1, pytest.approx(20.0))
    assert rows[3][2] == pytest.approx(80.0) and rows[3][4] == pytest.approx(75.0)
    assert rows[4][3:] == (1, pytest.approx(25.0))
    svg = str(item.chart)
    assert ">20%<" in svg and ">80%<" in svg and ">75%<" in svg and ">25%<" in svg
    assert ">5人<" in svg and ">4人<" in svg


def test_breakdown_by_job_type(world):
    report = build(world)
    jobs = next(b for b in report.breakdowns if b.key == "job_type")
    rows = {r.label: r for r in jobs.rows}
    assert list(rows) == [
        "外勤（訪問・営業・配達）",
        "内勤（窓口・事務）",
        "相談・支援（相談員・ケアマネジャー等）",
    ]
    field = rows["外勤（訪問・営業・配達）"].change
    assert field.n == 2 and (field.improved, field.same, field.worse) == (2, 0, 0)
    assert field.pre_percent == pytest.approx(100 * (14 / 15 + 1 / 90) / 2)
    assert field.post_percent == pytest.approx(100.0)
    counter = rows["内勤（窓口・事務）"].change
    assert (counter.pre_percent, counter.post_percent, counter.change) == (100.0, 50.0, -50.0)
    assert (counter.improved, counter.same, counter.worse) == (0, 1, 1)
    support = rows["相談・支援（相談員・ケアマネジャー等）"]
    assert (support.pre_n, support.post_n, support.change.n) == (1, 0, 0)
    assert rows["内勤（窓口・事務）"].small  # 2 people
    kinds = {
        r.label: r.change.n
        for r in next(b for b in report.breakdowns if b.key == "organisation_kind").rows
    }
    assert kinds == {"金融機関": 4, "生協・宅配事業者": 0}


def test_respondent_attributes(world):
    ages = next(b for b in build(world).attributes if b.key == "age_band")
    assert [(r.label, r.pre_n, r.post_n) for r in ages.rows] == [
        ("30代", 1, 1),
        ("40代", 1, 1),
        ("50代", 2, 2),
        ("60代以上", 1, 0),
    ]
    assert (ages.pre_total, ages.post_total) == (5, 4)


def test_filters_change_the_figures(world):
    home = build(world, organisation_id=world["home"].id)
    assert (home.learners_pre, home.learners_paired) == (4, 4)
    counter = build(world, job_type="counter")
    assert counter.headline.n == 2 and counter.headline.post_percent == pytest.approx(50.0)
    assert build(world, organisation_kind="coop_delivery").learners_post == 0
    assert build(world, age_band="50s").learners_pre == 2
    future = build(world, date_from=today_jst() + timedelta(days=2))
    assert future.learners_pre == 0 and future.headline.n == 0
    assert build(world, date_to=today_jst()).learners_pre == 5


# --- the pages ---------------------------------------------------------------------------------


SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def test_page_shows_headline_filters_and_well_formed_charts(client, world, staff):
    response = page(client, world)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "両方に回答した4人だけで計算" in html
    assert "事前だけに回答した人は1人" in html
    assert "上がった 2人・同じ 1人・下がった 1人" in html
    assert "有意な差とはいえない（p=1.00）" in html
    assert "構成団体 すべて" in html and "研修 見守りネットワーク 基礎研修" in html
    assert "（少数のため参考値）" in html
    svgs = SVG.findall(html)
    assert len(svgs) > 50
    ns = {"s": "http://www.w3.org/2000/svg"}
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML, or this raises
        if "chart" in root.get("class", ""):
            assert root.find("s:title", ns).text == root.get("aria-label")
            texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
            assert texts, svg
    # The where-188 bars: 事前 40% of 5, 事後 75% of 4, written in the SVG.
    where_188 = next(q for q in build(world).questions if q.key == "where-188")
    chart = next(s for s in svgs if f"問{where_188.number}の正解率：" in s)
    assert ">40% 5人<" in chart and ">75% 4人<" in chart
    # 相談・支援 has nobody with both tests: named, in the table, but no empty chart.
    assert "両方に回答した人がいない：相談・支援（相談員・ケアマネジャー等）（表にだけ" in html
    assert "両方に回答した人がいない：生協・宅配事業者（表にだけ" in html
    assert "外勤（訪問・営業・配達）（対応あり 2人）" in html
    assert "相談・支援（相談員・ケアマネジャー等）（対応あり 0人）" not in html
    # L3: a topic's bars count paired answers (4 people × the topic's questions), not people.
    topics = html[html.index('id="s-topics"') : html.index('id="s-questions"')]
    notes = re.findall(r">\d+% (\d+)(人|回答)<", topics)
    assert notes and {unit for _, unit in notes} == {"回答"}
    assert {int(n) % 4 for n, _ in notes} == {0}
    assert "人数ではなく回答の数です" in topics


def test_page_filtered_by_organisation_and_job(client, world, staff):
    html = page(client, world, organisation=world["other"].id).get_data(as_text=True)
    assert "構成団体 みどり生協" in html
    assert '事前テストに回答</h3><p class="number">1<small>' in html
    assert "両方に回答した人がまだいないため、比較できません" in html
    html = page(client, world, job_type="counter").get_data(as_text=True)
    assert "職種 内勤（窓口・事務）" in html
    assert "事前 100.0% → 事後 50.0%" in html


def test_bad_filters_are_refused_with_a_message(client, world, staff):
    response = page(client, world, date_from="2026-13-45")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "日付を 2026-04-01 の形で入力してください。" in html
    assert "全体の結果" not in html
    response = page(client, world, date_from="2026-05-01", date_to="2026-04-01")
    assert response.status_code == 422
    assert "終わりの日は、始まりの日と同じか後の日にしてください。" in response.get_data(
        as_text=True
    )
    # An organisation of another network is not on the list.
    assert page(client, world, organisation=999999).status_code == 422


def test_print_view_is_a4_without_navigation(client, world, staff):
    response = page(client, world, "print", job_type="counter")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "メインメニュー" not in html and 'class="nav"' not in html
    assert "みどり市見守りネットワーク" in html and "作成日：" in html
    assert "職種 内勤（窓口・事務）" in html
    assert "<details" not in html  # the number tables are always open on paper
    assert "<table" in html and "<svg" in html
    css_url = re.search(r'href="([^"]+report\.css)"', html).group(1)
    with client.get(css_url) as served:
        css = served.get_data(as_text=True)
    assert "@page { size: A4 portrait;" in css
    assert "break-before: page" in css


def test_trainer_may_see_it_learners_and_other_networks_may_not(
    client, world, make_user, make_network, login
):
    assert page(client, world).status_code == 302  # to the sign-in page
    login(client, make_user(world["network"], Role.TRAINER))
    assert page(client, world).status_code == 200
    assert page(client, world, "print").status_code == 200
    login(client, make_user(make_network(), Role.SECRETARIAT))
    assert page(client, world).status_code == 404
    learner = db.session.scalar(select(Member).where(Member.network_id == world["network"].id))
    login(client, learner)
    assert page(client, world).status_code == 404
    assert page(client, world, "print").status_code == 404


def test_counterbalanced_forms_are_charted_each_with_both_phases(
    app, make_network, make_org, make_member
):
    """With counterbalanced forms each form is answered before by one half of the learners and
    after by the other: each form's cases get their own chart, with both phases."""
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    assert course.counterbalance
    network = make_network()
    set_local_facts(network)
    org = make_org(network)
    by_order: dict[bool, Member] = {}
    while len(by_order) < 2:  # one learner of each order (the order is a hash of the member)
        member = make_member(network, org)
        by_order.setdefault(hashed_reverse(course, member.id), member)
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    for member in by_order.values():
        take(member, course, "pre", right=set())
        take(member, course, "post", right=everything)
    report = report_service.build_report(
        db.session, network=network, filters=ReportFilters(course_id=course.id)
    )
    q = next(q for q in report.questions if q.key == "centre-cases")
    assert [label for label, _ in q.texts] == ["問題セットA", "問題セットB"]
    form_a, form_b = q.groups
    assert (form_a.title, form_b.title) == ("問題セットAの事例", "問題セットBの事例")
    for group in (form_a, form_b):
        assert group.phases == ("pre", "post")
        # One learner answered this form before (all wrong), the other after (all right).
        assert {(r.pre.count, r.pre.n) for r in group.rows} == {(0, 1)}
        assert {(r.post.count, r.post.n) for r in group.rows} == {(1, 1)}


# --- the まとめ (one-page summary) and the choice of the after-test attempt -------------------

# The case by hand: the four paired learners' first scores before are 14/15, 1/90, 1 and 1 of
# their points (73.6%: 74 in whole percent). After, first attempts: 1, 1, 1, 0 (75%); best
# attempts: m4's retake was all right, so 1, 1, 1, 1 (100%).
PRE_WHOLE = round(100 * (14 / 15 + 1 / 90 + 1 + 1) / 4)


def summary_text(client, world, path="summary", **params):
    response = page(client, world, path, **params)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    start = html.index('<section class="report-summary"')
    return re.sub(r"<[^>]+>", "", html[start : html.index("</section>", start)]), html


def test_summary_says_who_what_changed_and_that_four_people_are_few(client, world, staff):
    assert PRE_WHOLE == 74
    text, html = summary_text(client, world)
    assert "<h1>研修の成果のまとめ</h1>" in html and "みどり市見守りネットワーク" in html
    assert "事後テスト 最初の受験" in html  # the filter line names the choice
    assert "事後テストは「最初の受験」の回で比べています。" in text
    assert "研修で身についたことを測るため、くり返し受けた分は入れていません。" in text
    assert "事前テストと事後テストの両方を受けた 4人 の結果です。" in text
    assert "片方だけを受けた人（事前だけ 1人、事後だけ 0人）は比べられないため" in text
    assert "4人の平均の正答率は、研修前の 74% から、研修後は 75% になりました" in text
    assert "になりました（1ポイント上がりました）。" in text
    assert "正答率が上がった人 2人、変わらなかった人 1人、下がった人 1人 でした。" in text
    assert "4人と人数が少ないため、この違いが研修の効果かどうかは、まだはっきり言えません。" in text
    # Four people: no topic is called grown, whatever its answers did.
    assert "分野ごとに伸びたかどうかはまだ言えません（20人以上になると" in text
    assert "研修の後に正答率がはっきり上がった分野です。" not in text
    # After (first attempts) every topic's paired answers were right 3 times in 4 (m4 got all
    # wrong): 75% < the pass mark 80%, so the first three topics are named, as a rough guide.
    assert "参考までに、研修後も正答率が合格ライン（80%）に届かなかった分野です" in text
    assert text.count("研修後 75% でした。") == 3
    # The page opens with the same summary, before the statistics, with its print link.
    on_page, html = summary_text(client, world, "")
    assert on_page == text
    assert html.index("まとめ</h2>") < html.index("1. 全体の結果")
    assert f"/n/{world['network'].id}/report/summary" in html


def test_summary_names_the_grown_and_the_weak_topics_from_twenty_people(
    app, client, make_network, make_org, make_member, make_user, login
):
    """22 people, all wrong before and all right after except one topic: the three topics that
    rose most are named as grown, the topic still wrong is named to watch, without 「目安」."""
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    network = make_network(name="みどり市見守りネットワーク")
    set_local_facts(network)
    org = make_org(network, name="みどり信用金庫", kind="financial")
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    secret = {
        q.key
        for q in db.session.scalars(
            select(QuizQuestion).where(QuizQuestion.topic == "confidentiality")
        )
    }
    for _ in range(22):
        member = make_member(network, org)
        take(member, course, "pre", right=set())
        take(member, course, "post", right=everything - secret)
    login(client, make_user(network, Role.SECRETARIAT))
    text, _ = summary_text(client, {"network": network}, course=course.id)
    assert "事前テストと事後テストの両方を受けた 22人 の結果です。" in text
    assert "まだはっきり言えません" not in text and "目安" not in text
    assert "研修の後に正答率がはっきり上がった分野です。" in text
    assert text.count("研修前 0% → 研修後 100% でした。") == 3  # at most three are named
    assert "研修後も正答率が合格ライン（80%）に届かなかった分野です。" in text
    assert f"「{TOPICS['confidentiality']}」は、研修前 0% → 研修後 0% でした。" in text


def test_best_attempt_changes_the_after_figures(client, world, staff):
    first = build(world)
    best = build(world, post_attempt="best")
    assert (best.learners_pre, best.learners_post, best.learners_paired) == (5, 4, 4)
    h = best.headline
    assert h.post_percent == pytest.approx(100.0) and first.headline.post_percent == 75.0
    assert (h.improved, h.same, h.worse) == (2, 2, 0)  # m4: 100% before, 100% at best
    where = next(q for q in best.questions if q.key == "where-188").stats
    assert (where.post_n, where.post_right) == (4, 4)  # the retake's answer counts
    text, html = summary_text(client, world, attempt="best")
    assert "事後テストは「最も良い受験」の回で比べています。" in text
    assert "研修前の 74% から、研修後は 100% になりました（26ポイント上がりました）。" in text
    assert "上がった人 2人、変わらなかった人 2人、下がった人 0人" in text
    assert "研修後の正答率が合格ライン（80%）を下回った分野はありません。" in text
    assert "事後テスト 最も良い受験" in html
    # The page and the whole print view say which attempt counts.
    for path in ("", "print"):
        html = page(client, world, path, attempt="best").get_data(as_text=True)
        assert "事後テストは最も良い回（くり返し受けた中で得点の最も高い回）を数えています" in html
        assert "事前 73.6% → 事後 100.0%" in html
    assert page(client, world, attempt="every").status_code == 422  # not a choice
