"""Result codes: every answer survives the round trip, submitting writes them, and the statistics
counted from them equal the same statistics counted straight from the answer table."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter, defaultdict
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.quizzes.helpers import (
    answer_value_counts,
    course_statistics,
    load_repository_content,
    paired_scores,
    set_local_facts,
    take,
)
from trainer.accounts.models import Member
from trainer.content.question_types import grade, question_type
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes import result_codes
from trainer.quizzes.course_stats import StatsFilter, counted_attempts
from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion
from trainer.quizzes.questions import question_of


def every_answer(question: QuizQuestion) -> list[object]:
    """Every answer a learner can give to a question, as stored."""
    body = question.body
    if question.type == "single":
        return [c["key"] for c in body["choices"]]
    if question.type == "multi":
        keys = [c["key"] for c in body["choices"]]
        return [
            list(ticked)
            for n in range(1, len(keys) + 1)
            for ticked in itertools.combinations(keys, n)
        ]
    if question.type == "truefalse":
        keys = [c["key"] for c in body["cases"]]
        return [
            dict(zip(keys, yes, strict=True))
            for yes in itertools.product([True, False], repeat=len(keys))
        ]
    return [1, 2, 3, 4, 5]


def test_every_answer_to_every_repository_question_round_trips(app):
    load_repository_content()
    questions = list(db.session.scalars(select(QuizQuestion)))
    assert {q.type for q in questions} == {"single", "multi", "truefalse", "likert"}
    checked = 0
    for question in questions:
        for value in every_answer(question):
            right = grade(question_of(question), value).fully_right
            number = question_type(question.type).encode(question.body, value)
            code = result_codes.code(number, right)
            assert len(code) == result_codes.WIDTH
            assert set(code) <= set(result_codes.ALPHABET)
            packed = result_codes.ALPHABET.index(code[0]) * 64 + result_codes.ALPHABET.index(
                code[1]
            )
            assert result_codes.decode(packed) == (number, right)
            assert question_type(question.type).decode(question.body, number) == value
            checked += 1
    assert checked > 100


def test_a_submitted_attempt_stores_its_answers_in_its_codes(app, make_network, make_member):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    member = make_member(make_network())
    attempt = take(member, course, "pre", right={"where-188", "cooling-off-days"}, likert=2)
    assert attempt.status == "submitted"
    ids = result_codes.layout_ids(attempt.result_layout)
    assert list(ids) == sorted(attempt.question_ids)
    assert len(attempt.result_codes) == result_codes.WIDTH * len(ids)
    answers = {
        a.question_id: a for a in db.session.scalars(select(Answer).filter_by(attempt=attempt))
    }
    for position, question_id in enumerate(ids):
        question = db.session.get(QuizQuestion, question_id)
        pair = attempt.result_codes[2 * position : 2 * position + 2]
        packed = result_codes.ALPHABET.index(pair[0]) * 64 + result_codes.ALPHABET.index(pair[1])
        number, right = result_codes.decode(packed)
        assert right == answers[question_id].fully_right
        value = question_type(question.type).decode(question.body, number)
        assert value == answers[question_id].value


def value_text(value: object) -> str:
    """An answer as comparable text (ticked options in any order are the same answer)."""
    return json.dumps(sorted(value) if isinstance(value, list) else value, sort_keys=True)


def reference_statistics(network_id: int, course: Course):
    """The per-question figures counted the plain way, from the answer table: each learner's
    first submitted attempt per phase, their answers to the current versions."""
    banks = {b.slug: b for b in db.session.scalars(select(QuizBank))}
    current = set(banks[course.pre_quiz].question_ids) | set(banks[course.post_quiz].question_ids)
    survey = set(banks[course.survey].question_ids)
    questions = {q.id: q for q in db.session.scalars(select(QuizQuestion))}
    first: dict[tuple[int, str], int] = {}
    for attempt in db.session.scalars(
        select(Attempt)
        .join(Member, Member.id == Attempt.member_id)
        .where(Attempt.status == "submitted", Member.network_id == network_id)
        .order_by(Attempt.id)
    ):
        first.setdefault((attempt.member_id, attempt.phase), attempt.id)
    right: dict[tuple[str, str], dict[int, bool]] = defaultdict(dict)  # (key, phase) → member
    likert: Counter[tuple[int, str, int]] = Counter()
    values: Counter[tuple[int, str, str]] = Counter()
    for (member_id, phase), attempt_id in first.items():
        for answer in db.session.scalars(select(Answer).filter_by(attempt_id=attempt_id)):
            question = questions[answer.question_id]
            values[(question.id, phase, value_text(answer.value))] += 1
            if question.id in survey and question.type == "likert":
                likert[(question.id, phase, answer.likert)] += 1
            elif question.id in current:
                right[(question.key, phase)][member_id] = answer.fully_right
    return right, likert, values


@pytest.mark.parametrize("seed", [1, 2])
def test_the_statistics_from_codes_equal_those_from_the_answer_table(
    app, make_network, make_org, make_member, seed
):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    keys = sorted({q.key for q in db.session.scalars(select(QuizQuestion))})
    rng = random.Random(seed)
    network = make_network()
    orgs = [make_org(network, kind=kind) for kind in ("financial", "coop_delivery")]
    for n in range(24):
        member = make_member(network, orgs[n % 2])
        plan = rng.choice([["pre"], ["pre", "post"], ["pre", "failed post", "post"], ["post"]])
        for step in plan:
            phase = step.split()[-1]
            share = {"pre": 0.4, "failed post": 0.0, "post": 0.8}[step]
            right = {k for k in keys if rng.random() < share}
            take(member, course, phase, right=right, likert=rng.randint(1, 5))
    take(make_member(make_network()), course, "pre", right=set(keys))  # another network

    right, likert, values = reference_statistics(network.id, course)
    stats = course_statistics(db.session, network_id=network.id, course=course)
    for q in stats.questions:
        pre, post = right[(q.key, "pre")], right[(q.key, "post")]
        assert (q.pre_n, q.pre_right) == (len(pre), sum(pre.values())), q.key
        assert (q.post_n, q.post_right) == (len(post), sum(post.values())), q.key
        both = pre.keys() & post.keys()
        cells = Counter((pre[m], post[m]) for m in both)
        table = q.paired
        assert (table.both_right, table.gained, table.lost, table.neither) == (
            cells[(True, True)],
            cells[(False, True)],
            cells[(True, False)],
            cells[(False, False)],
        ), q.key
    assert stats.questions and any(q.paired.n for q in stats.questions)
    survey_ids = {
        q.id: q
        for q in db.session.scalars(select(QuizQuestion).where(QuizQuestion.type == "likert"))
    }
    for item in stats.likert:
        qid = next(i for i, q in survey_ids.items() if q.key == item.key)
        for phase in ("pre", "post"):
            expected = [likert[(qid, phase, v)] for v in range(1, 6)]
            assert getattr(item, phase) == expected, (item.key, phase)

    every_id = list(db.session.scalars(select(QuizQuestion.id)))
    counted = answer_value_counts(
        db.session, network_id=network.id, course=course, question_ids=every_id
    )
    assert Counter({(c.question_id, c.phase, value_text(c.value)): c.n for c in counted}) == +values


def test_the_paired_scores_and_period_come_from_the_first_attempts(app, make_network, make_member):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    keys = {q.key for q in db.session.scalars(select(QuizQuestion))}
    network = make_network()
    a, b = make_member(network), make_member(network)
    first_pre = take(a, course, "pre", right=set())
    take(a, course, "post", right=keys)
    take(b, course, "pre", right=keys)
    last = take(b, course, "post", right=keys)
    groups = paired_scores(db.session, network_id=network.id, course=course)
    assert sum(g.paired_n for g in groups.groups) == 2
    assert sum(g.improved for g in groups.groups) == 1
    assert sum(g.same for g in groups.groups) == 1
    assert groups.first_submitted == first_pre.submitted_at
    assert groups.last_submitted == last.submitted_at
    # The date filter counts only what was submitted on those days (none, here).
    empty = counted_attempts(
        db.session,
        network_id=network.id,
        course=course,
        filters=StatsFilter(date_to=first_pre.submitted_at.date().replace(year=2000)),
    )
    assert empty.rows == []


def test_an_attempt_without_codes_counts_as_a_learner_with_no_answers(
    app, make_network, make_member
):
    """An attempt submitted with no stored codes (none answered) sits beside coded ones."""
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    keys = {q.key for q in db.session.scalars(select(QuizQuestion))}
    network = make_network()
    set_local_facts(network)  # every question asked, so every one has its answer
    take(make_member(network), course, "post", right=keys)
    bare = make_member(network)
    db.session.add(
        Attempt(
            member_id=bare.id,
            course_id=course.id,
            phase="post",
            status="submitted",
            idempotency_key="no-codes",
            question_ids=[],
            score=0,
            max_score=13,
            passed=False,
            submitted_at=datetime(2026, 1, 5, 1, 0),
        )
    )
    db.session.commit()
    stats = course_statistics(db.session, network_id=network.id, course=course)
    assert stats.learners_post == 2
    assert {(q.post_n, q.post_right) for q in stats.questions} == {(1, 1)}
