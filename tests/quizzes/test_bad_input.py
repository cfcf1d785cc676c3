"""Bad quiz input: a clear Japanese message, nothing stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.quizzes.helpers import (
    answer_all,
    load_repository_content,
    save_answer,
    start,
    submit,
)
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion

COURSE = "mimamori-basic"


@pytest.fixture
def attempt_id(app, client, make_network, make_member):
    load_repository_content()
    member = make_member(make_network())
    client.get(f"/m/{member.link_token}")
    return start(client, COURSE, "pre")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def position_of(attempt_id: int, question_type: str) -> tuple[int, QuizQuestion]:
    attempt = db.session.get(Attempt, attempt_id)
    for n, qid in enumerate(attempt.question_ids, start=1):
        question = db.session.get(QuizQuestion, qid)
        if question.type == question_type:
            return n, question
    raise AssertionError(question_type)


@pytest.mark.parametrize(
    ("question_type", "form", "message"),
    [
        ("single", {"choice": "zz"}, "選択肢から1つ選んでください。"),
        ("single", {}, "選択肢から1つ選んでください。"),
        ("multi", {"choice": ["a", "forged"]}, "選択肢にない答えが送られました。"),
        ("truefalse", {"case-1": "yes"}, "すべての事例に「はい」か「いいえ」で答えてください。"),
        ("truefalse", {"case-1": "maybe"}, "すべての事例に「はい」か「いいえ」で答えてください。"),
        ("likert", {"value": "9"}, "1つ選んでください。"),
    ],
)
def test_answers_that_do_not_fit_are_refused(client, attempt_id, question_type, form, message):
    n, _question = position_of(attempt_id, question_type)
    response = client.post(f"/learn/attempts/{attempt_id}/{n}", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Answer) == 0


def test_answer_to_another_quizs_question_is_refused(client, attempt_id):
    other_bank = db.session.scalar(select(QuizBank).where(QuizBank.slug == "basic-post"))
    foreign = other_bank.question_ids[0]
    attempt = db.session.get(Attempt, attempt_id)
    with pytest.raises(DomainError, match="この問題はこのテストのものではありません。"):
        save_answer(db.session, attempt=attempt, question_id=foreign, form={})
    assert count(Answer) == 0


def test_missing_answers_block_the_submit(client, attempt_id):
    attempt = db.session.get(Attempt, attempt_id)
    response = client.post(
        f"/learn/attempts/{attempt_id}/submit",
        data={"key": attempt.idempotency_key},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "まだ答えていない問題があります（問1、問2" in html
    assert db.session.get(Attempt, attempt_id).status == "open"


def test_another_members_attempt_is_not_found(app, client, attempt_id, make_network, make_member):
    answer_all(client, attempt_id)
    intruder = app.test_client()
    other = make_member(make_network())
    intruder.get(f"/m/{other.link_token}")
    key = db.session.get(Attempt, attempt_id).idempotency_key
    for response in (
        intruder.get(f"/learn/attempts/{attempt_id}/1"),
        intruder.post(f"/learn/attempts/{attempt_id}/1", data={"choice": "a"}),
        intruder.get(f"/learn/attempts/{attempt_id}/review"),
        intruder.post(f"/learn/attempts/{attempt_id}/submit", data={"key": key}),
        intruder.get(f"/learn/attempts/{attempt_id}/result"),
    ):
        assert response.status_code == 404
        assert "ページが見つかりません" in response.get_data(as_text=True)
    assert db.session.get(Attempt, attempt_id).status == "open"


@pytest.mark.parametrize("key", ["", "forged", "abc.def", "0" * 24 + "." + "0" * 32])
def test_tampered_start_key_is_refused(client, attempt_id, key):
    before = count(Attempt)
    db.session.query(Attempt).delete()
    db.session.commit()
    response = client.post(
        f"/learn/{COURSE}/quiz/pre/start", data={"key": key}, follow_redirects=True
    )
    assert "送信内容が正しくありません" in response.get_data(as_text=True)
    assert count(Attempt) == 0 and before == 1


def test_tampered_submit_key_is_refused(client, attempt_id):
    answer_all(client, attempt_id)
    response = client.post(
        f"/learn/attempts/{attempt_id}/submit", data={"key": "x" * 30}, follow_redirects=True
    )
    assert "送信内容が正しくありません" in response.get_data(as_text=True)
    assert db.session.get(Attempt, attempt_id).status == "open"
    assert submit(client, attempt_id).status_code == 302
