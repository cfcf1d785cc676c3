"""Saving one answer from a question page (the request every phone sends after every question):
what the page sends, what the save checks in its one statement, and what it refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.quizzes.helpers import (
    answer_all,
    form_for,
    load_repository_content,
    page_fields,
    save_answer,
    start,
    submit,
)
from trainer.accounts.models import Member, Network
from trainer.errors import Conflict
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes import attempts, result_codes
from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion

COURSE = "mimamori-basic"


@pytest.fixture
def attempt_id(app, client, make_network, make_member):
    load_repository_content()
    member = make_member(make_network())
    client.get(f"/m/{member.link_token}")
    return start(client, COURSE, "pre")


def stored_answers(attempt_id: int) -> dict[int, object]:
    return {
        a.question_id: a.value
        for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
    }


def question_at(attempt_id: int, n: int) -> QuizQuestion:
    attempt = db.session.get(Attempt, attempt_id)
    return db.session.get(QuizQuestion, attempt.question_ids[n - 1])


def first_of_type(attempt_id: int, question_type: str) -> int:
    attempt = db.session.get(Attempt, attempt_id)
    return next(
        n
        for n, qid in enumerate(attempt.question_ids, start=1)
        if db.session.get(QuizQuestion, qid).type == question_type
    )


def test_the_page_names_its_question_and_the_save_goes_on(client, attempt_id):
    attempt = db.session.get(Attempt, attempt_id)
    total = len(attempt.question_ids)
    first = client.get(f"/learn/attempts/{attempt_id}/1").get_data(as_text=True)
    assert f'name="question_id" value="{attempt.question_ids[0]}"' in first
    assert 'name="last"' not in first
    last = client.get(f"/learn/attempts/{attempt_id}/{total}").get_data(as_text=True)
    assert f'name="question_id" value="{attempt.question_ids[-1]}"' in last
    assert 'name="last" value="1"' in last

    question = question_at(attempt_id, 1)
    response = client.post(
        f"/learn/attempts/{attempt_id}/1",
        data={**form_for(question, right=True), **page_fields(attempt, 1)},
    )
    assert response.headers["Location"] == f"/learn/attempts/{attempt_id}/2"
    response = client.post(
        f"/learn/attempts/{attempt_id}/{total}",
        data={
            **form_for(question_at(attempt_id, total), right=True),
            **page_fields(attempt, total),
        },
    )
    assert response.headers["Location"] == f"/learn/attempts/{attempt_id}/review"
    answers = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).all()
    assert {a.question_id for a in answers} == {attempt.question_ids[0], attempt.question_ids[-1]}
    first_answer = next(a for a in answers if a.question_id == attempt.question_ids[0])
    assert first_answer.fully_right is True and first_answer.score == 1.0


def test_a_second_save_replaces_the_first(client, attempt_id):
    attempt = db.session.get(Attempt, attempt_id)
    n = first_of_type(attempt_id, "single")
    question = question_at(attempt_id, n)
    for right in (True, False):
        client.post(
            f"/learn/attempts/{attempt_id}/{n}",
            data={**form_for(question, right=right), **page_fields(attempt, n)},
        )
    answers = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).all()
    assert len(answers) == 1
    assert answers[0].fully_right is False
    assert answers[0].value == form_for(question, right=False)["choice"]


def test_a_page_from_before_the_hidden_field_still_saves(client, attempt_id):
    """A phone may hold a question page served before an upgrade: the save reads the attempt."""
    attempt = db.session.get(Attempt, attempt_id)
    total = len(attempt.question_ids)
    response = client.post(
        f"/learn/attempts/{attempt_id}/{total}",
        data=form_for(question_at(attempt_id, total), right=True),
    )
    assert response.headers["Location"] == f"/learn/attempts/{attempt_id}/review"
    assert list(stored_answers(attempt_id)) == [attempt.question_ids[-1]]


def test_a_question_that_is_not_the_one_at_that_number_is_refused(client, attempt_id):
    second = question_at(attempt_id, 2)
    post_bank = db.session.scalar(select(QuizBank).where(QuizBank.slug == "basic-post"))
    for claimed in (second.id, post_bank.question_ids[0], 999_999):
        # The answer fits the claimed question 2 (or nothing at all), but the page is question 1.
        response = client.post(
            f"/learn/attempts/{attempt_id}/1",
            data={**form_for(second, right=True), "question_id": str(claimed)},
        )
        assert response.status_code == 422
        assert "送信内容が正しくありません" in response.get_data(as_text=True)
    assert stored_answers(attempt_id) == {}


def test_an_answer_that_does_not_fit_shows_the_page_again(client, attempt_id):
    attempt = db.session.get(Attempt, attempt_id)
    n = first_of_type(attempt_id, "single")
    response = client.post(
        f"/learn/attempts/{attempt_id}/{n}", data={"choice": "zz", **page_fields(attempt, n)}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "選択肢から1つ選んでください。" in html
    assert f'name="question_id" value="{attempt.question_ids[n - 1]}"' in html
    assert stored_answers(attempt_id) == {}


def test_another_members_attempt_is_not_found_with_the_right_question(
    app, attempt_id, make_network, make_member
):
    attempt = db.session.get(Attempt, attempt_id)
    intruder = app.test_client()
    other = make_member(make_network())
    intruder.get(f"/m/{other.link_token}")
    response = intruder.post(
        f"/learn/attempts/{attempt_id}/1",
        data={**form_for(question_at(attempt_id, 1), right=True), **page_fields(attempt, 1)},
    )
    assert response.status_code == 404
    assert stored_answers(attempt_id) == {}


def test_a_submitted_attempt_keeps_its_answers(client, attempt_id):
    answer_all(client, attempt_id, right=True)
    assert submit(client, attempt_id).status_code == 302
    before = stored_answers(attempt_id)
    attempt = db.session.get(Attempt, attempt_id)
    response = client.post(
        f"/learn/attempts/{attempt_id}/1",
        data={**form_for(question_at(attempt_id, 1), right=False), **page_fields(attempt, 1)},
    )
    assert response.headers["Location"] == f"/learn/attempts/{attempt_id}/result"
    assert stored_answers(attempt_id) == before


def test_a_save_that_arrives_after_the_submit_stores_nothing(app, client, attempt_id):
    """The open check is part of the write, not a read before it: a save that saw the attempt
    open (here: an attempt object loaded before another request submitted it) changes nothing,
    so the stored result always matches the stored answers."""
    answer_all(client, attempt_id, right=True)
    stale = db.session.get(Attempt, attempt_id)
    assert stale.status == "open"
    first = question_at(attempt_id, 1)
    before = stored_answers(attempt_id)

    # Another request (its own context and session) submits in between.
    with app.app_context():
        fresh = db.session.get(Attempt, attempt_id)
        course = db.session.get(Course, fresh.course_id)
        attempts.submit(db.session, attempt=fresh, key=fresh.idempotency_key, course=course)
        db.session.remove()

    assert stale.status == "open"  # what the late save believes
    with pytest.raises(Conflict, match="すでに提出されています"):
        save_answer(
            db.session,
            attempt=stale,
            question_id=first.id,
            form=MultiDict(form_for(first, right=False)),
        )
    db.session.expire_all()
    assert stored_answers(attempt_id) == before
    submitted = db.session.get(Attempt, attempt_id)
    assert submitted.status == "submitted" and submitted.score == submitted.max_score
    # The stored result is exactly the stored answers.
    answers = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).all()
    questions = {
        q.id: (q.type, q.body)
        for q in db.session.scalars(
            select(QuizQuestion).where(QuizQuestion.id.in_(submitted.question_ids))
        )
    }
    assert (submitted.result_layout, submitted.result_codes) == result_codes.encode(
        questions, {a.question_id: (a.fully_right, a.value) for a in answers}
    )


def test_a_rotated_personal_link_signs_the_old_phone_out_of_saving(
    app, client, attempt_id, make_network
):
    """The one-statement save checks the link the session was signed in with, as the sign-in
    itself does: after the secretariat issues a new link, the old phone's save stores nothing."""
    from trainer.accounts import roster

    attempt = db.session.get(Attempt, attempt_id)
    member = db.session.get(Member, attempt.member_id)
    roster.rotate_member_link(db.session, member=member, actor=None)
    response = client.post(
        f"/learn/attempts/{attempt_id}/1",
        data={**form_for(question_at(attempt_id, 1), right=True), **page_fields(attempt, 1)},
    )
    assert response.status_code == 401
    assert stored_answers(attempt_id) == {}


def test_a_staff_session_cannot_save_a_learners_answer(app, attempt_id, make_user, login):
    attempt = db.session.get(Attempt, attempt_id)
    staff = app.test_client()
    member = db.session.get(Member, attempt.member_id)
    login(staff, make_user(db.session.get(Network, member.network_id), "secretariat"))
    response = staff.post(
        f"/learn/attempts/{attempt_id}/1",
        data={**form_for(question_at(attempt_id, 1), right=True), **page_fields(attempt, 1)},
    )
    assert response.status_code == 403
    assert stored_answers(attempt_id) == {}


def test_saves_racing_a_submit_never_change_the_stored_result(app, client, attempt_id):
    """Phones keep changing answers while the same learner submits from another tab: every
    save lands before the submit or is turned away, so the stored result equals the stored
    answers. Threads with their own connections (on PostgreSQL, separate server processes)."""
    import threading

    answer_all(client, attempt_id, right=True)
    attempt = db.session.get(Attempt, attempt_id)
    key = attempt.idempotency_key
    singles = [
        (n, db.session.get(QuizQuestion, qid))
        for n, qid in enumerate(attempt.question_ids, start=1)
        if db.session.get(QuizQuestion, qid).type == "single"
    ][:4]
    cookies = {c.key: c.value for c in client._cookies.values()}
    # Each page's form, right and wrong, made here: the threads have no app context.
    forms = {
        n: [{**form_for(q, right=right), **page_fields(attempt, n)} for right in (False, True)]
        for n, q in singles
    }
    db.session.rollback()

    def phone():
        other = app.test_client()
        for name, value in cookies.items():
            other.set_cookie(name, value)
        return other

    def keep_saving(n: int) -> None:
        tab = phone()
        for i in range(15):
            tab.post(f"/learn/attempts/{attempt_id}/{n}", data=forms[n][i % 2])

    def submit_once() -> None:
        phone().post(f"/learn/attempts/{attempt_id}/submit", data={"key": key})

    threads = [threading.Thread(target=keep_saving, args=(n,)) for n in forms]
    threads.append(threading.Thread(target=submit_once))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    submitted = db.session.get(Attempt, attempt_id)
    assert submitted.status == "submitted"
    answers = db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id)).all()
    questions = {
        q.id: (q.type, q.body)
        for q in db.session.scalars(
            select(QuizQuestion).where(QuizQuestion.id.in_(submitted.question_ids))
        )
    }
    assert (submitted.result_layout, submitted.result_codes) == result_codes.encode(
        questions, {a.question_id: (a.fully_right, a.value) for a in answers}
    )
    scored = [a for a in answers if questions[a.question_id][0] != "likert"]
    assert submitted.score == sum(a.score for a in scored)
