"""Which questions an attempt asks (trainer/quizzes/forms.py): counterbalanced forms, a version
the learner has not seen on a retake, questions withheld until the network's local facts are
set; on one's own and for a whole workshop room at once. A small course of its own (two forms
of two questions, each with two variants), so that the repository's banks can change freely."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.content.helpers import COURSE_YAML, write_course
from tests.quizzes.helpers import course_statistics, form_for, save_answer, take
from trainer.courses.loading import load_courses
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes import attempts, forms
from trainer.quizzes.models import Attempt, QuizBank, QuizQuestion
from trainer.timeutil import today_jst
from trainer.workshops import creating
from trainer.workshops.projector import projector_state


def single(key: str, topic: str, versions: list[tuple[str, str, str]]) -> str:
    """A single-choice question: each version (text, right choice, wrong choice); the first is
    the question as written, the others its variants."""

    def body(text: str, right: str, wrong: str, indent: str) -> str:
        return (
            f"{indent}text: {text}\n"
            f"{indent}choices:\n"
            f'{indent}  - text: "{right}"\n{indent}    correct: true\n'
            f'{indent}  - text: "{wrong}"\n'
            f"{indent}  - text: わからない\n"
            f"{indent}explanation: {text}の解説です。\n"
        )

    first, *others = versions
    out = f"  - id: {key}\n    type: single\n    topic: {topic}\n" + body(*first, "    ")
    if others:
        out += "    variants:\n"
        for version in others:
            out += "      -" + body(*version, "        ")[7:]
    return out


def bank(form: str, *, address_in_choice: bool = True) -> str:
    centre = "{{ consumer_centre_address }}" if address_in_choice else "市役所の相談窓口"
    return f"title: 理解度テスト {form}\nshuffle: true\nquestions:\n" + "".join(
        [
            single(
                "where-188",
                "hotline-188",
                [
                    (f"{form}188の問い1", "相談窓口", "警察"),
                    (f"{form}188の問い2", "窓口", "市役所"),
                    (f"{form}188の問い3", "センター", "交番"),
                ],
            ),
            single(
                "our-centre",
                "consumer-centre",
                [
                    (f"{form}窓口の問い1", centre, "遠くの町の窓口"),
                    (f"{form}窓口の問い2", "近くのセンター", "遠くの窓口"),
                ],
            ),
        ]
    )


COUNTERBALANCED = COURSE_YAML + "pre_quiz: form-a\npost_quiz: form-b\ncounterbalance: true\n"


def load(root: Path, course_yaml: str = COUNTERBALANCED, **banks: str) -> Course:
    write_course(root / "courses", "forms", course_yaml=course_yaml)
    quizzes = root / "quizzes"
    quizzes.mkdir(exist_ok=True)
    for name, text in {"form-a": bank("A"), "form-b": bank("B"), **banks}.items():
        (quizzes / f"{name}.yaml").write_text(text, encoding="utf-8")
    load_courses(db.session, root / "courses", quizzes)
    return db.session.scalar(select(Course).where(Course.slug == "forms"))


@pytest.fixture
def course(app, tmp_path) -> Course:
    return load(tmp_path)


@pytest.fixture
def network(make_network):
    network = make_network()
    network.consumer_centre_address = "みどり市中央1-2-3"
    db.session.commit()
    return network


def banks(course: Course) -> tuple[QuizBank, QuizBank]:
    a, b = forms.course_banks(db.session, course)
    assert a is not None and b is not None
    return a, b


def form_of(attempt: Attempt) -> int:
    """The bank of the attempt's questions: its form."""
    return {db.session.get(QuizQuestion, q).bank_id for q in attempt.question_ids}.pop()


def versions_of(attempt: Attempt) -> dict[str, int]:
    rows = [db.session.get(QuizQuestion, q) for q in attempt.question_ids]
    return {row.key: row.body["variant"] for row in rows}


def test_the_order_is_stable_per_learner_and_splits_about_half(course, network, make_member):
    a, b = banks(course)
    members = [make_member(network) for _ in range(200)]
    first = [forms.form_order(db.session, m, course) for m in members]
    assert [forms.form_order(db.session, m, course) for m in members] == first
    assert all({f.pre.id, f.post.id} == {a.id, b.id} for f in first)
    a_first = sum(1 for f in first if f.pre.id == a.id)
    assert 70 <= a_first <= 130, a_first  # 200 fair coins: 100 ± 30 is over four sd
    # The hash is of course and member: the same learner may take another course the other way.
    assert forms.hashed_reverse(course, members[0].id) == (first[0].pre.id == b.id)


def test_the_post_form_is_the_other_one_and_a_retake_stays_on_it(course, network, make_member):
    a, b = banks(course)
    member = make_member(network)
    pre = take(member, course, "pre", right=set())
    post = take(member, course, "post", right=set())  # failed
    again = take(member, course, "post", right={"where-188", "our-centre"})
    assert form_of(pre) == forms.form_order(db.session, member, course).pre.id
    assert form_of(post) == form_of(again) == ({a.id, b.id} - {form_of(pre)}).pop()


def test_an_earlier_attempt_decides_the_order_over_the_hash(course, network, make_member):
    """A learner who took the pre-test before the course was counterbalanced (form A) takes
    form B after, whatever the hash would have said."""
    a, b = banks(course)
    members = [make_member(network) for _ in range(12)]
    reversed_ = next(m for m in members if forms.hashed_reverse(course, m.id))
    course.counterbalance = False
    db.session.commit()
    pre = take(reversed_, course, "pre", right=set())
    assert form_of(pre) == a.id
    course.counterbalance = True
    db.session.commit()
    order = forms.form_order(db.session, reversed_, course)
    assert (order.pre.id, order.post.id) == (a.id, b.id)
    assert form_of(take(reversed_, course, "post", right=set())) == b.id


def test_a_first_attempt_asks_variant_one_and_a_retake_an_unseen_version(
    course, network, make_member
):
    member = make_member(network)
    pre = take(member, course, "pre", right=set())
    first = take(member, course, "post", right=set())
    assert versions_of(pre) == versions_of(first) == {"where-188": 1, "our-centre": 1}
    second = take(member, course, "post", right=set())
    third = take(member, course, "post", right=set())
    # where-188 has three versions: each retake asks one not seen, then the one seen longest ago.
    assert versions_of(second)["where-188"] != 1
    assert {versions_of(a)["where-188"] for a in (first, second, third)} == {1, 2, 3}
    assert versions_of(second)["our-centre"] == 2  # the only one unseen
    assert versions_of(third)["our-centre"] == 1  # both seen: the one seen longest ago
    fourth = take(member, course, "post", right={"where-188", "our-centre"})
    assert versions_of(fourth)["where-188"] == 1 and fourth.passed
    # The report pairs the first attempts by question key, whatever the form and the version.
    stats = course_statistics(db.session, network_id=network.id, course=course)
    assert [(q.key, q.pre_n, q.post_n, q.paired.n) for q in stats.questions] == [
        ("where-188", 1, 1, 1),
        ("our-centre", 1, 1, 1),
    ]


def test_a_question_needing_an_unset_local_fact_is_not_asked_until_it_is_set(
    course, make_network, make_member
):
    network = make_network()  # no consumer_centre_address
    member = make_member(network)
    attempt = take(member, course, "pre", right={"where-188", "our-centre"})
    assert set(versions_of(attempt)) == {"where-188"}
    assert (attempt.score, attempt.max_score) == (1, 1)
    network.consumer_centre_address = "みどり市中央1-2-3"
    db.session.commit()
    later = take(make_member(network), course, "pre", right={"where-188"})
    assert set(versions_of(later)) == {"where-188", "our-centre"}
    assert (later.score, later.max_score) == (1, 2)


def test_a_fact_in_a_variant_withholds_the_whole_question(app, tmp_path, make_network, make_member):
    """A question is the same measurement in every version: withheld as a whole, or asked."""
    variant_only = bank("A", address_in_choice=False).replace(
        "近くのセンター", "{{ consumer_centre_address }}"
    )
    course = load(tmp_path, **{"form-a": variant_only, "form-b": variant_only.replace("A", "B")})
    attempt = take(make_member(make_network()), course, "pre", right=set())
    assert set(versions_of(attempt)) == {"where-188"}


def test_a_course_without_counterbalancing_asks_pre_then_post(app, tmp_path, network, make_member):
    course = load(tmp_path, COURSE_YAML + "pre_quiz: form-a\npost_quiz: form-b\n")
    a, b = banks(course)
    for member in [make_member(network) for _ in range(6)]:
        assert form_of(take(member, course, "pre", right=set())) == a.id
        assert form_of(take(member, course, "post", right=set())) == b.id


def test_a_workshop_room_splits_by_the_same_rule(course, network, make_user, make_member):
    a, b = banks(course)
    trainer = make_user(network, "trainer")
    room = [make_member(network) for _ in range(24)]
    workshop = creating.create_workshop(
        db.session,
        network_id=network.id,
        data=creating.WorkshopInput(course_id=course.id, title="研修会", held_on=today_jst()),
        actor=trainer,
    )
    opened = attempts.open_workshop_attempts(
        db.session, members=room, course=course, phase="pre", workshop_id=workshop.id
    )
    assert opened == len(room)
    pre = {
        a.member_id: a
        for a in db.session.scalars(select(Attempt).where(Attempt.workshop_id == workshop.id))
    }
    for member in room:
        assert form_of(pre[member.id]) == forms.form_order(db.session, member, course).pre.id
        assert versions_of(pre[member.id]) == {"where-188": 1, "our-centre": 1}
    assert {form_of(x) for x in pre.values()} == {a.id, b.id}
    # Everyone answers where-188 right: the projector's bar pools both forms' answers.
    for member in room:
        attempt = pre[member.id]
        for qid in attempt.question_ids:
            question = db.session.get(QuizQuestion, qid)
            form = form_for(question, right=question.key == "where-188")
            save_answer(db.session, attempt=attempt, question_id=qid, form=MultiDict(form))
    state = projector_state(db.session, workshop)
    assert state.parallel_forms
    bars = {q.key: q for q in state.questions}
    assert (bars["where-188"].pre_n, bars["where-188"].pre_right) == (len(room), len(room))
    assert (bars["our-centre"].pre_n, bars["our-centre"].pre_right) == (len(room), 0)
    # The text is the form most of the room got in the pre-test (a tie: form A).
    on_a = sum(form_of(x) == a.id for x in pre.values())
    most = "A" if 2 * on_a >= len(room) else "B"
    assert bars["where-188"].text == f"{most}188の問い1"  # that form's question as written
    assert state.shown_form is not None and state.shown_form.label == most
    # The post-test: each participant the form they did not take before.
    for attempt in pre.values():
        attempts.submit(db.session, attempt=attempt, key=attempt.idempotency_key, course=course)
    attempts.open_workshop_attempts(
        db.session, members=room, course=course, phase="post", workshop_id=workshop.id
    )
    for member in room:
        post = db.session.scalar(
            select(Attempt).where(Attempt.member_id == member.id, Attempt.phase == "post")
        )
        assert {form_of(post), form_of(pre[member.id])} == {a.id, b.id}


def test_the_projector_has_no_bar_for_a_question_nobody_is_asked(
    course, make_network, make_user, make_member
):
    network = make_network()  # no consumer_centre_address: our-centre is withheld in both forms
    workshop = creating.create_workshop(
        db.session,
        network_id=network.id,
        data=creating.WorkshopInput(course_id=course.id, title="研修会", held_on=today_jst()),
        actor=make_user(network, "trainer"),
    )
    assert [q.key for q in projector_state(db.session, workshop).questions] == ["where-188"]
    network.consumer_centre_address = "みどり市中央1-2-3"
    db.session.commit()
    keys = [q.key for q in projector_state(db.session, workshop).questions]
    assert keys == ["where-188", "our-centre"]
