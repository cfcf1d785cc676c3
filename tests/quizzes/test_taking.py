"""Taking the pre- and post-quiz as a learner: resume, scoring, passing, double and bad submits."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from tests.quizzes.helpers import (
    answer_all,
    load_repository_content,
    read_all_modules,
    start,
    submit,
)
from trainer.accounts.models import Member
from trainer.extensions import db
from trainer.quizzes.models import Answer, Attempt, QuizQuestion

COURSE = "mimamori-basic"


@pytest.fixture
def learner(app, client, make_network, make_member):
    load_repository_content()
    network = make_network()
    network.consumer_centre_name = "みどり市消費生活センター"
    # The our-centre question asks for the centre's address among three local ones: it is
    # served only where all three are set.
    network.consumer_centre_address = "みどり市中央1-2-3 市役所2階"
    network.police_address = "みどり市本町4-5"
    network.community_support_address = "みどり市中央6-7"
    db.session.commit()
    member = make_member(network, name="佐藤 恵子")
    client.get(f"/m/{member.link_token}")
    return member


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_attributes_are_asked_once_and_stored(client, learner):
    page = client.get(f"/learn/{COURSE}/quiz/pre").get_data(as_text=True)
    assert (
        "はじめに、あなたについて" in page and "60代以上" in page and "その他・回答しない" in page
    )
    client.post(
        f"/learn/{COURSE}/quiz/pre/attributes",
        data={"age_band": "60plus", "gender": "female", "job_type": "field"},
    )
    member = db.session.get(Member, learner.id)
    assert (member.age_band, member.gender, member.job_type) == ("60plus", "female", "field")
    assert member.attributes_answered_at is not None
    assert "はじめに、あなたについて" not in client.get(f"/learn/{COURSE}/quiz/pre").get_data(
        as_text=True
    )


def test_bad_attributes_change_nothing(client, learner):
    client.post(
        f"/learn/{COURSE}/quiz/pre/attributes",
        data={"age_band": "teen", "gender": "x", "job_type": "y"},
    )
    assert db.session.get(Member, learner.id).attributes_answered_at is None


def test_pre_quiz_then_modules_then_post_quiz_completes_the_course(client, learner):
    attempt_id = start(client, COURSE, "pre")
    answer_all(client, attempt_id, right=False)
    assert submit(client, attempt_id).headers["Location"] == f"/learn/attempts/{attempt_id}/result"
    pre = db.session.get(Attempt, attempt_id)
    assert pre.status == "submitted" and pre.passed is None and pre.max_score == 15
    assert pre.score == pytest.approx(0.0)
    assert "事前テスト済" in client.get("/learn").get_data(as_text=True)

    blocked = client.get(f"/learn/{COURSE}/quiz/post").get_data(as_text=True)
    assert "すべてのモジュールを読んでから受けられます" in blocked
    read_all_modules(client)
    post_id = start(client, COURSE, "post")
    answer_all(client, post_id, right=True)
    submit(client, post_id)
    post = db.session.get(Attempt, post_id)
    assert post.passed is True and post.percent == 100
    page = client.get(f"/learn/attempts/{post_id}/result").get_data(as_text=True)
    assert "合格です。研修を修了しました。" in page
    assert "クーリング・オフ" in page and "0%" in page and "100%" in page  # before vs after
    assert "解説" in page and "発信主義" in page
    assert "修了" in client.get("/learn").get_data(as_text=True)


def test_failed_post_quiz_can_be_retaken(client, learner):
    read_all_modules(client)
    first = start(client, COURSE, "post")
    answer_all(client, first, right=False)
    submit(client, first)
    assert db.session.get(Attempt, first).passed is False
    assert "事後テスト済" in client.get("/learn").get_data(as_text=True)
    assert "今回は合格点に届きませんでした" in client.get(
        f"/learn/attempts/{first}/result"
    ).get_data(as_text=True)
    second = start(client, COURSE, "post")
    assert second != first
    answer_all(client, second)
    submit(client, second)
    assert db.session.get(Attempt, second).passed is True


def test_partial_knowledge_scores_partially(client, learner):
    attempt_id = start(client, COURSE, "pre")
    answer_all(client, attempt_id, right=True, wrong_keys={"centre-cases", "signs-in-home"})
    submit(client, attempt_id)
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.score == pytest.approx(13.0)  # two questions with every part wrong
    answers = {
        db.session.get(QuizQuestion, a.question_id).key: a
        for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
    }
    assert answers["where-188"].fully_right and not answers["centre-cases"].fully_right


def test_resume_after_closing_the_phone(app, client, learner):
    attempt_id = start(client, COURSE, "pre")
    attempt = db.session.get(Attempt, attempt_id)
    first = db.session.get(QuizQuestion, attempt.question_ids[0])
    from tests.quizzes.helpers import form_for

    client.post(f"/learn/attempts/{attempt_id}/1", data=form_for(first, right=True))
    client.post(
        f"/learn/attempts/{attempt_id}/2",
        data=form_for(db.session.get(QuizQuestion, attempt.question_ids[1]), right=True),
    )
    # Later, the same phone opens the quiz again: it continues at question 3, answers kept.
    page = client.get(f"/learn/{COURSE}/quiz/pre").get_data(as_text=True)
    assert "続きから答える" in page
    again = start(client, COURSE, "pre")
    assert again == attempt_id
    assert count(Attempt) == 1
    resumed = client.post(f"/learn/{COURSE}/quiz/pre/start", data={"key": attempt.idempotency_key})
    assert resumed.headers["Location"] == f"/learn/attempts/{attempt_id}/3"
    assert "checked" in client.get(f"/learn/attempts/{attempt_id}/1").get_data(as_text=True)


def test_choice_order_is_stored_and_shown(client, learner):
    attempt_id = start(client, COURSE, "pre")
    attempt = db.session.get(Attempt, attempt_id)
    position = next(
        n for n, qid in enumerate(attempt.question_ids, start=1)
        if db.session.get(QuizQuestion, qid).key == "where-188"
    )  # fmt: skip
    question = db.session.get(QuizQuestion, attempt.question_ids[position - 1])
    order = attempt.choice_order[str(question.id)]
    assert sorted(order) == ["a", "b", "c", "d", "e"]  # four answers and 「わからない」
    html = client.get(f"/learn/attempts/{attempt_id}/{position}").get_data(as_text=True)
    texts = {c["key"]: c["text"] for c in question.body["choices"]}
    positions = [html.index(texts[key]) for key in order]
    assert positions == sorted(positions)  # shown in the stored order


def test_local_facts_fill_the_quiz(client, learner):
    attempt_id = start(client, COURSE, "pre")
    attempt = db.session.get(Attempt, attempt_id)
    position = next(
        n for n, qid in enumerate(attempt.question_ids, start=1)
        if db.session.get(QuizQuestion, qid).key == "our-centre"
    )  # fmt: skip
    html = client.get(f"/learn/attempts/{attempt_id}/{position}").get_data(as_text=True)
    assert "みどり市消費生活センター" in html and "{{" not in html
    assert "みどり市中央1-2-3 市役所2階" in html and "みどり市本町4-5" in html


def test_double_submit_stores_one_result(client, learner):
    attempt_id = start(client, COURSE, "pre")
    answer_all(client, attempt_id)
    first = submit(client, attempt_id)
    second = submit(client, attempt_id)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Attempt) == 1
    assert db.session.get(Attempt, attempt_id).status == "submitted"
    # Changing an answer after submitting is refused.
    response = client.post(f"/learn/attempts/{attempt_id}/1", data={"choice": "a"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")


def test_concurrent_submits_store_exactly_one(app, client, learner):
    attempt_id = start(client, COURSE, "pre")
    answer_all(client, attempt_id)
    key = db.session.get(Attempt, attempt_id).idempotency_key
    cookies = {c.key: c.value for c in client._cookies.values()}
    results: list[int] = []

    def send() -> None:
        phone = app.test_client()
        for name, value in cookies.items():
            phone.set_cookie(name, value)
        results.append(
            phone.post(f"/learn/attempts/{attempt_id}/submit", data={"key": key}).status_code
        )

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [302] * 6
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and count(Attempt) == 1
    assert count(Answer) == len(attempt.question_ids)


def test_concurrent_starts_open_one_attempt(app, client, learner):
    client.post(
        f"/learn/{COURSE}/quiz/pre/attributes",
        data={"age_band": "50s", "gender": "female", "job_type": "support"},
    )
    cookies = {c.key: c.value for c in client._cookies.values()}
    keys = []
    for _ in range(5):
        page = client.get(f"/learn/{COURSE}/quiz/pre").get_data(as_text=True)
        keys.append(re.search(r'name="key" value="([^"]+)"', page).group(1))

    def send(key: str) -> None:
        phone = app.test_client()
        for name, value in cookies.items():
            phone.set_cookie(name, value)
        phone.post(f"/learn/{COURSE}/quiz/pre/start", data={"key": key})

    threads = [threading.Thread(target=send, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert count(Attempt) == 1
