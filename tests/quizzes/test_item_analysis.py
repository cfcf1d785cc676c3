"""Item analysis and the form-corrected gain against a plain computation.

Small banks are written here (two forms of three questions: a single choice with 「わからない」,
a multiple choice and true/false cases), and attempts are stored with their result codes as a
submit would store them, so the figures do not depend on the repository's quizzes.
"""

from __future__ import annotations

import random
import statistics
from math import ceil

import pytest
from sqlalchemy import select

from trainer.accounts.models import Role
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes import result_codes
from trainer.quizzes.course_stats import counted_attempts
from trainer.quizzes.item_analysis import (
    FLAG_CEILING,
    FLAG_DONT_KNOW,
    FLAG_NEGATIVE,
    FLAG_UNCHOSEN,
    FLAG_UPPER,
    MIN_N,
    analyse,
)
from trainer.quizzes.models import Attempt, QuizBank, QuizQuestion
from trainer.secretariat import report as report_service
from trainer.secretariat.report_filters import ReportFilters
from trainer.timeutil import utcnow

DONT_KNOW = "わからない"


def single(key, right, wrong):
    choices = [{"key": "a", "text": right, "correct": True}]
    choices += [{"key": chr(98 + i), "text": t, "correct": False} for i, t in enumerate(wrong)]
    choices.append({"key": chr(98 + len(wrong)), "text": DONT_KNOW, "correct": False})
    return key, "single", {"text": f"{key}の問い", "choices": choices, "explanation": "…"}


def multi(key, texts, right):
    choices = [{"key": chr(97 + i), "text": t, "correct": i in right} for i, t in enumerate(texts)]
    return key, "multi", {"text": f"{key}の問い", "choices": choices, "explanation": "…"}


def cases(key, answers):
    listed = [
        {"key": str(i + 1), "text": f"事例{i + 1}", "answer": a} for i, a in enumerate(answers)
    ]
    return key, "truefalse", {"text": f"{key}の問い", "cases": listed, "explanation": "…"}


FORM_A = [
    single("door", "すぐに消費生活センターへ", ["家族に任せる", "様子を見る"]),
    multi("signs", ["見慣れない業者", "同じ品が何箱も", "庭の手入れ"], {0, 1}),
    cases("cooling", [True, False, True]),
]
FORM_B = [
    single("door", "188に電話する", ["何もしない", "業者に連絡する"]),
    multi("signs", ["工事の車がたびたび", "郵便物がたまる", "花が咲いている"], {0, 1}),
    cases("cooling", [False, True, True]),
]


def make_bank(slug, title, questions):
    bank = QuizBank(slug=slug, title=title, source_hash="0" * 64, question_ids=[])
    db.session.add(bank)
    db.session.flush()
    rows = []
    for key, type_name, body in questions:
        row = QuizQuestion(bank_id=bank.id, key=key, content_hash=key.ljust(64, "0"),
                           type=type_name, topic="connect", body=body)  # fmt: skip
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    bank.question_ids = [r.id for r in rows]
    return bank, rows


@pytest.fixture
def world(app, make_network, make_org):
    _, a_rows = make_bank("ia-a", "テスト問題A", FORM_A)
    _, b_rows = make_bank("ia-b", "テスト問題B", FORM_B)
    course = Course(slug="ia-course", title="分析テスト研修", pre_quiz="ia-a", post_quiz="ia-b",
                    pass_mark=80, certificate_months=24, source_hash="0" * 64,
                    counterbalance=True)  # fmt: skip
    db.session.add(course)
    network = make_network()
    db.session.commit()
    return {"course": course, "network": network, "org": make_org(network),
            "forms": {"A": a_rows, "B": b_rows}}  # fmt: skip


def mark(question, value):
    """The plain grading: right or not, or the share of options / cases answered as the key."""
    body = question.body
    if question.type == "single":
        return float(next(c["correct"] for c in body["choices"] if c["key"] == value))
    if question.type == "multi":
        return sum((c["key"] in value) == c["correct"] for c in body["choices"]) / len(
            body["choices"]
        )
    return sum(value[c["key"]] == c["answer"] for c in body["cases"]) / len(body["cases"])


def store(member, course, phase, rows, values):
    """A submitted attempt with these answers, its score and its result codes."""
    marks = {q.id: mark(q, values[q.key]) for q in rows}
    layout, codes = result_codes.encode(
        {q.id: (q.type, q.body) for q in rows},
        {q.id: (marks[q.id] == 1.0, values[q.key]) for q in rows},
    )
    attempt = Attempt(member_id=member.id, course_id=course.id, phase=phase, status="submitted",
                      idempotency_key=f"{member.id}-{phase}-{random.random()}",
                      question_ids=[q.id for q in rows], score=sum(marks.values()),
                      max_score=len(rows), submitted_at=utcnow(), result_layout=layout,
                      result_codes=codes)  # fmt: skip
    db.session.add(attempt)
    db.session.flush()
    return attempt


def random_answers(rng, rows, ability):
    values = {}
    for q in rows:
        if q.type == "single":
            keys = [c["key"] for c in q.body["choices"]]
            values[q.key] = keys[0] if rng.random() < ability else rng.choice(keys[1:])
        elif q.type == "multi":
            values[q.key] = sorted(
                c["key"] for c in q.body["choices"] if (rng.random() < ability) == c["correct"]
            )
        else:
            values[q.key] = {
                c["key"]: c["answer"] if rng.random() < ability else not c["answer"]
                for c in q.body["cases"]
            }
    return values


def learners(world, make_member, n):
    members = [make_member(world["network"], world["org"]) for _ in range(n)]
    db.session.commit()
    return members


# --- the plain reference -------------------------------------------------------------------------


def option_counts(taken, question):
    counts = []
    items = question.body.get("choices") or question.body["cases"]
    for item in items:
        if question.type == "single":
            counts.append(sum(values[question.key] == item["key"] for values, _, _ in taken))
        elif question.type == "multi":
            counts.append(sum(item["key"] in values[question.key] for values, _, _ in taken))
        else:
            counts.append(
                sum(values[question.key][item["key"]] == item["answer"] for values, _, _ in taken)
            )
    return counts


def reference(taken, question):
    """Figures of one question version from [(values, score, max_score)] in plain Python."""
    marks = [mark(question, values[question.key]) for values, _, _ in taken]
    right = [1 if m == 1.0 else 0 for m in marks]
    rest = [(s - m) / (x - 1) for (_, s, x), m in zip(taken, marks, strict=True)]
    n = len(taken)
    try:
        r = statistics.correlation(right, rest) if n >= MIN_N else None
    except statistics.StatisticsError:
        r = None
    totals = [s / x for _, s, x in taken]
    cutoff = sorted(totals, reverse=True)[ceil(0.27 * n) - 1]
    upper = [t for t in taken if t[1] / t[2] >= cutoff]
    return {"n": n, "right": sum(right), "r": r, "counts": option_counts(taken, question),
            "upper": option_counts(upper, question) if n >= MIN_N else None,
            "upper_n": len(upper) if n >= MIN_N else None}  # fmt: skip


def test_figures_equal_a_plain_computation(world, make_member):
    rng = random.Random(20)
    course, forms = world["course"], world["forms"]
    taken = {(f, p): [] for f in "AB" for p in ("pre", "post")}
    for i, member in enumerate(learners(world, make_member, 56)):
        order = "AB" if i % 2 else "BA"
        ability = rng.uniform(0.2, 0.95)
        for phase, form in zip(("pre", "post"), order, strict=True):
            if phase == "post" and i % 7 == 0:
                continue  # some never took the post-test
            values = random_answers(rng, forms[form], ability + (0.1 if phase == "post" else 0))
            a = store(member, course, phase, forms[form], values)
            taken[form, phase].append((values, a.score, a.max_score))
        if i % 5 == 0 and i % 7:  # a retake, not counted
            store(member, course, "post", forms[order[1]], random_answers(rng, forms[order[1]], 1))
    db.session.commit()
    counted = counted_attempts(db.session, network_id=world["network"].id, course=course)
    analysis = analyse(db.session, counted, course)
    assert [k.key for k in analysis.items] == ["door", "signs", "cooling"]
    checked = 0
    for keyed in analysis.items:
        for form_item in keyed.forms:
            for figures in form_item.phases:
                want = reference(taken[form_item.form, figures.phase], form_item.question)
                assert (figures.n, figures.right) == (want["n"], want["right"])
                assert figures.facility == pytest.approx(want["right"] / want["n"])
                if want["r"] is None:
                    assert figures.discrimination is None
                else:
                    assert figures.discrimination == pytest.approx(want["r"], abs=1e-12)
                assert [o.count for o in figures.options] == want["counts"]
                assert [o.share for o in figures.options] == pytest.approx(
                    [c / want["n"] for c in want["counts"]]
                )
                assert figures.upper_n == want["upper_n"]
                assert [o.upper for o in figures.options] == (want["upper"] or [None] * 4)[
                    : len(figures.options)
                ]
                checked += 1
    assert checked == 12  # 3 keys × 2 forms × 2 phases


def test_flags_on_a_constructed_case(world, make_member):
    """20 learners take form A before training, with answers made to raise the flags."""
    course, rows = world["course"], world["forms"]["A"]
    for i, member in enumerate(learners(world, make_member, 20)):
        strong = i < 6  # right on the other two questions: the upper group (27 %: ceil(5.4))
        values = {
            # The strong pick 「家族に任せる」 (a wrong option), the weak the key; 「様子を見る」
            # nobody: negative discrimination, an unchosen option, a wrong answer above the key.
            "door": "b" if strong else "a",
            "signs": ["a", "b"] if strong else [],
            "cooling": {"1": strong, "2": not strong, "3": strong},
        }
        store(member, course, "pre", rows, values)
    db.session.commit()
    counted = counted_attempts(db.session, network_id=world["network"].id, course=course)
    items = {k.key: k.forms[0].phases[0] for k in analyse(db.session, counted, course).items}
    door = items["door"]
    assert door.upper_n == 6
    assert door.discrimination is not None and door.discrimination < 0
    assert door.flags == [FLAG_NEGATIVE, FLAG_UNCHOSEN, FLAG_UPPER]
    assert [o.flags for o in door.options] == [[], [FLAG_UPPER], [FLAG_UNCHOSEN], []]
    assert [o.upper for o in door.options] == [0, 6, 0, 0]
    # Everyone's rest score on signs is the same (door + cooling = 1): nothing to correlate.
    # Nobody ticks 「庭の手入れ」: too plainly wrong to tell anyone apart.
    assert items["signs"].discrimination is None and items["signs"].flags == [FLAG_UNCHOSEN]


def test_dont_know_most_chosen_and_ceiling(world, make_member):
    course, rows = world["course"], world["forms"]["B"]
    picks = ["d"] * 9 + ["a"] * 6 + ["b"] * 3 + ["c"] * 2  # d is 「わからない」
    for i, (member, pick) in enumerate(zip(learners(world, make_member, 20), picks, strict=True)):
        values = {"door": pick, "signs": ["a", "b"] if i else ["a"],  # 19 of 20 right: 95 %
                  "cooling": {"1": False, "2": True, "3": True}}  # fmt: skip
        store(member, course, "pre", rows, values)
    db.session.commit()
    counted = counted_attempts(db.session, network_id=world["network"].id, course=course)
    items = {k.key: k.forms for k in analyse(db.session, counted, course).items}
    unasked, door = items["door"]  # form A: nobody answered it
    assert (unasked.form, unasked.phases, door.form) == ("A", [], "B")
    assert FLAG_DONT_KNOW in door.phases[0].flags
    assert door.options[3].dont_know
    assert items["signs"][1].phases[0].flags[0] == FLAG_CEILING
    # Everyone right on the cases: nothing to correlate, and a ceiling before training.
    cooling = items["cooling"][1].phases[0]
    assert cooling.discrimination is None and cooling.flags == [FLAG_CEILING]


def test_no_flags_below_twenty(world, make_member):
    course, rows = world["course"], world["forms"]["A"]
    for member in learners(world, make_member, 5):
        cooling = {"1": True, "2": False, "3": True}
        store(member, course, "pre", rows, {"door": "a", "signs": ["a", "b"], "cooling": cooling})
    db.session.commit()
    counted = counted_attempts(db.session, network_id=world["network"].id, course=course)
    for keyed in analyse(db.session, counted, course).items:
        (figures,) = keyed.forms[0].phases
        assert figures.facility == 1.0 and figures.flags == [] and figures.discrimination is None


# --- the gain corrected for the forms ------------------------------------------------------------


def answers_scoring(rows, right_count):
    """Answers with the first `right_count` questions fully right, the others fully wrong."""
    values = {}
    for i, q in enumerate(rows):
        good = i < right_count
        if q.type == "single":
            values[q.key] = "a" if good else "b"
        elif q.type == "multi":
            values[q.key] = sorted(c["key"] for c in q.body["choices"] if c["correct"] == good)
        else:
            values[q.key] = {c["key"]: c["answer"] == good for c in q.body["cases"]}
    return values


def test_corrected_gain_removes_a_harder_form(world, make_member):
    """Form B is harder by one question in three (33.3 points) for everyone, before and after.
    Fifteen take A→B, five B→A (not balanced, so the raw gain is pulled down by B), and two more
    take B before training only. Everyone learns one question's worth (+33.3 points)."""
    course, forms = world["course"], world["forms"]
    members = learners(world, make_member, 22)
    for i, member in enumerate(members):
        order = "AB" if i < 15 else "BA"
        for phase, form in zip(("pre", "post"), order, strict=True):
            if phase == "post" and i >= 20:
                continue
            right = (1 if phase == "pre" else 2) + (1 if form == "A" else 0)
            store(member, course, phase, forms[form], answers_scoring(forms[form], right))
    db.session.commit()
    counted = counted_attempts(db.session, network_id=world["network"].id, course=course)
    gain = analyse(db.session, counted, course).gain
    third = 100 / 3
    assert gain.pre_n == {"A": 15, "B": 7}
    assert gain.pre_mean["A"] == pytest.approx(2 * third)
    assert gain.pre_mean["B"] == pytest.approx(third)
    assert gain.shift == pytest.approx(third)
    assert gain.orders == {"AB": 15, "BA": 5} and gain.paired_n == 20
    # Raw: A→B learners 2/3 → 2/3 (0), B→A learners 1/3 → 3/3 (+66.7).
    assert gain.raw == pytest.approx((15 * 0 + 5 * 2 * third) / 20)
    assert gain.corrected == pytest.approx(third)
    report = report_service.build_report(
        db.session, network=world["network"], filters=ReportFilters(course_id=course.id)
    )
    assert report.headline.change == pytest.approx(gain.raw)
    assert report.gain.corrected == "+33.3ポイント"


def test_not_counterbalanced_has_no_correction(world, make_member):
    course, forms = world["course"], world["forms"]
    for member in learners(world, make_member, 3):
        store(member, course, "pre", forms["A"], answers_scoring(forms["A"], 1))
        store(member, course, "post", forms["B"], answers_scoring(forms["B"], 3))
    db.session.commit()
    counted = counted_attempts(db.session, network_id=world["network"].id, course=course)
    gain = analyse(db.session, counted, course).gain
    assert gain.shift is None and gain.corrected is None
    assert gain.raw == pytest.approx(200 / 3)


# --- the page ------------------------------------------------------------------------------------


def test_report_page_shows_the_item_analysis(world, make_member, make_user, login, client):
    course, forms = world["course"], world["forms"]
    rng = random.Random(7)
    for i, member in enumerate(learners(world, make_member, 44)):
        order = "AB" if i % 2 else "BA"
        for phase, form in zip(("pre", "post"), order, strict=True):
            store(member, course, phase, forms[form],
                  random_answers(rng, forms[form], 0.95 if phase == "pre" else 1.0))  # fmt: skip
    db.session.commit()
    login(client, make_user(world["network"], Role.SECRETARIAT))
    url = f"/n/{world['network'].id}/report/"
    for path in ("", "print"):
        response = client.get(url + path, query_string={"course": course.id})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "7. 問題ごとの分析" in html
        assert "問題セットA＝「テスト問題A」" in html
        assert "気になる点のある問題" in html
        assert FLAG_CEILING in html  # 95 % of answers right before training
        assert "問題セットの難しさをそろえた変化" in html
        assert "変化（難しさをそろえた値）" in html
        assert "識別力" in html
    assert 'href="#s-items"' in client.get(url, query_string={"course": course.id}).get_data(
        as_text=True
    )
    assert db.session.scalar(select(Course).where(Course.slug == "ia-course")) is not None
