"""The report counts refresher tests on their own: the before/after figures do not move when
refresher tests are added, and the refresher section pairs the after-test with the refresher
test per person on the same question keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests.quizzes.helpers import (
    form_for,
    load_repository_content,
    save_answer,
    set_local_facts,
    take,
)
from trainer.accounts.models import Role
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes import attempts
from trainer.quizzes.models import Attempt, QuizQuestion
from trainer.refresher import renewal
from trainer.secretariat import report as report_service
from trainer.secretariat.report_filters import ReportFilters
from trainer.timeutil import today_jst


@pytest.fixture
def world(app, make_network, make_org, make_member):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    course.counterbalance = False
    network = make_network()
    set_local_facts(network)
    org = make_org(network)
    members = [make_member(network, org) for _ in range(3)]
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    for n, member in enumerate(members):
        take(member, course, "pre", right=set() if n else everything - {"where-188"})
        take(member, course, "post", right=everything)
    for certificate in db.session.scalars(select(Certificate)):
        certificate.valid_until = today_jst() + timedelta(days=30)
    db.session.commit()
    return {"course": course, "network": network, "members": members, "keys": everything}


def take_refresher(member, course, *, right: set[str]) -> Attempt:
    attempt = renewal.start(
        db.session,
        member=member,
        course=course,
        key=attempts.new_idempotency_key(),
        today=today_jst(),
    )
    for qid in attempt.question_ids:
        question = db.session.get(QuizQuestion, qid)
        form = MultiDict(form_for(question, right=question.key in right))
        save_answer(db.session, attempt=attempt, question_id=qid, form=form)
    return attempts.submit(
        db.session,
        attempt=attempt,
        key=attempt.idempotency_key,
        course=course,
        issue=renewal.renew,
    )


def build(world):
    return report_service.build_report(
        db.session, network=world["network"], filters=ReportFilters(course_id=world["course"].id)
    )


FIGURES = (
    "learners_pre",
    "learners_post",
    "learners_paired",
    "headline",
    "questions",
    "topics",
    "likert",
    "breakdowns",
    "attributes",
    "period",
)


def test_refresher_tests_leave_the_before_after_figures_alone(world):
    before = build(world)
    m1, m2, _ = world["members"]
    assert take_refresher(m1, world["course"], right=world["keys"]).passed
    assert take_refresher(m2, world["course"], right=set()).passed is False
    assert take_refresher(m2, world["course"], right=world["keys"]).passed
    after = build(world)
    for name in FIGURES:  # the period too: the span of the counted attempts only
        assert getattr(after, name) == getattr(before, name), name
    # … and equal to a plain count of the after-test takers.
    plain = db.session.scalar(
        select(func.count(func.distinct(Attempt.member_id))).where(
            Attempt.phase == "post", Attempt.status == "submitted"
        )
    )
    assert after.learners_post == plain == 3
    assert before.refresher.attempts == 0


def test_the_refresher_section_pairs_after_test_and_refresher(world, client, login, make_user):
    m1, m2, _ = world["members"]
    take_refresher(m1, world["course"], right=world["keys"])
    take_refresher(m2, world["course"], right=set())  # counted: the first refresher
    take_refresher(m2, world["course"], right=world["keys"])
    figures = build(world).refresher
    assert (figures.attempts, figures.passes, figures.members, figures.paired) == (3, 2, 2, 2)
    assert figures.post_percent == pytest.approx(100.0)
    assert figures.refresher_percent == pytest.approx(50.0)
    assert figures.change == pytest.approx(-50.0)
    assert figures.topics and all(t.n == 2 for t in figures.topics)
    assert all(t.refresher_percent == pytest.approx(50.0) for t in figures.topics)

    login(client, make_user(world["network"], Role.SECRETARIAT))
    page = client.get(
        f"/n/{world['network'].id}/report/", query_string={"course": world["course"].id}
    ).get_data(as_text=True)
    assert "8. 更新研修（時間がたってからの定着）" in page
    assert "研修のとき 100.0% → 更新のとき 50.0%（-50.0ポイント）" in page
