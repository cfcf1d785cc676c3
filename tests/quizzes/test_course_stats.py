"""Course statistics against a small case worked out by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.quizzes.helpers import course_statistics, load_repository_content, take
from trainer.accounts.models import Member
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.course_stats import StatsFilter
from trainer.quizzes.forms import form_order
from trainer.quizzes.models import QuizBank, QuizQuestion


@pytest.fixture
def world(app, make_network, make_org, make_member):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    network = make_network()
    home, other_org = make_org(network, kind="financial"), make_org(network, kind="coop_delivery")
    m1, m2, m3, m4 = (make_member(network, home) for _ in range(4))
    m5 = make_member(network, other_org)
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    but_188 = everything - {"where-188"}
    take(m1, course, "pre", right=but_188, likert=2)
    take(m1, course, "post", right=everything, likert=5)  # gained
    take(m2, course, "pre", right=set())
    take(m2, course, "post", right=everything)  # gained
    take(m3, course, "pre", right=everything)
    take(m3, course, "post", right=everything)  # right both times
    take(m4, course, "pre", right=everything)
    take(m4, course, "post", right=set())  # lost (and failed)
    take(m4, course, "post", right=everything)  # a retake: not counted
    take(m5, course, "pre", right=set())  # pre only: counted before, not paired
    # Another network's learner never shows up.
    stranger = make_member(make_network())
    take(stranger, course, "pre", right=everything)
    return {"course": course, "network": network, "home": home}


def stats_for(world, **filters):
    return course_statistics(
        db.session,
        network_id=world["network"].id,
        course=world["course"],
        filters=StatsFilter(**filters),
    )


def test_per_question_rates_and_paired_table(world):
    stats = stats_for(world)
    assert (stats.learners_pre, stats.learners_post, stats.learners_paired) == (5, 4, 4)
    q = next(q for q in stats.questions if q.key == "where-188")
    assert (q.pre_n, q.pre_right, q.post_n, q.post_right) == (5, 2, 4, 3)
    assert q.pre_rate == pytest.approx(0.4) and q.post_rate == pytest.approx(0.75)
    p = q.paired
    assert (p.both_right, p.gained, p.lost, p.neither) == (1, 2, 1, 0)
    assert p.mcnemar_p == pytest.approx(1.0)  # 2 × (C(3,0) + C(3,1)) / 2^3, capped
    assert p.normalised_gain == pytest.approx((0.75 - 0.5) / 0.5)


def test_topics_add_up_their_questions(world):
    stats = stats_for(world)
    hotline = next(t for t in stats.topics if t.topic == "hotline-188")
    assert hotline.label == "消費者ホットライン188"
    assert hotline.pre_rate == pytest.approx(0.4) and hotline.post_rate == pytest.approx(0.75)
    connect = next(t for t in stats.topics if t.topic == "connect")
    # m1 right everywhere but 188, m3 and m4 right: 3 of 5 before; m1, m2, m3 right after.
    assert connect.pre_rate == pytest.approx(3 / 5) and connect.post_rate == pytest.approx(3 / 4)
    assert connect.paired.gained == 4 and connect.paired.lost == 4  # 4 questions × m2 / × m4


def test_likert_distributions_use_first_attempts(world):
    stats = stats_for(world)
    heed = next(item for item in stats.likert if item.key == "heed-government")
    assert heed.labels[-1] == "とても気にかけている"
    assert heed.pre == [0, 1, 0, 4, 0]  # m1 answered 2, four others 4
    assert heed.post == [0, 0, 0, 3, 1]  # m1 answered 5; m4's retake is not counted


def test_filters(world):
    home = stats_for(world, organisation_id=world["home"].id)
    assert home.learners_pre == 4
    kind = stats_for(world, organisation_kind="coop_delivery")
    assert (kind.learners_pre, kind.learners_post) == (1, 0)
    assert stats_for(world, job_type="counter").learners_pre == 0
    assert stats_for(world, age_band="unknown").learners_pre == 5
    from datetime import timedelta

    from trainer.timeutil import today_jst

    assert stats_for(world, date_from=today_jst() + timedelta(days=2)).learners_pre == 0
    assert stats_for(world, date_to=today_jst() + timedelta(days=1)).learners_pre == 5


def test_a_changed_question_starts_afresh(world):
    bank = db.session.scalar(select(QuizBank).where(QuizBank.slug == "basic-pre"))
    old = db.session.get(
        QuizQuestion,
        next(i for i in bank.question_ids if db.session.get(QuizQuestion, i).key == "where-188"),
    )
    new = QuizQuestion(
        bank_id=bank.id, key=old.key, content_hash="0" * 64, type=old.type, topic=old.topic,
        body={**old.body, "text": "188に電話すると、どこにつながりますか（改訂）。"},
    )  # fmt: skip
    db.session.add(new)
    db.session.flush()
    bank.question_ids = [new.id if i == old.id else i for i in bank.question_ids]
    db.session.commit()
    q = next(q for q in stats_for(world).questions if q.key == "where-188")
    # The forms are counterbalanced: only those who answered form A's version start afresh.
    network = world["network"]
    learners = db.session.scalars(
        select(Member).where(Member.network_id == network.id).order_by(Member.id)
    ).all()
    orders = {m.id: form_order(db.session, m, world["course"]) for m in learners}
    pre_b = sum(1 for m in learners if orders[m.id].pre.id != bank.id)
    post_b = sum(1 for m in learners[:4] if orders[m.id].post.id != bank.id)
    assert (q.pre_n, q.post_n) == (pre_b, post_b)
