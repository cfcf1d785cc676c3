"""Answering on a phone: late arrivals, sleeping phones, double taps, the wrong phase, forged
participants. Whatever happens, an answer is stored once or the phone says it was not."""

from __future__ import annotations

from sqlalchemy import event, func, select

from tests.quizzes.helpers import course_statistics
from tests.workshops.helpers import (
    answer_test,
    join,
    move_to,
    open_attempt_id,
    page_form,
    phone,
)
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.quizzes.models import Answer, Attempt
from trainer.workshops.models import Participant, ParticipantDevice


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_late_arrival_skips_the_pre_test_and_takes_the_post_test(app, client, login, room):
    login(client, room.trainer)
    move_to(client, room, "training")
    late = phone(app)
    join(late, room, org=room.orgs[0], name="見守 花子1")
    page = late.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert "研修中です" in page and 'name="q' not in page
    move_to(client, room, "post")
    attempt = answer_test(late, room, "post")
    assert attempt.passed is True
    assert count(Attempt, Attempt.phase == "pre") == 0


def test_a_phone_that_slept_finds_its_answers_and_another_phone_continues(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "pre")
    attempt_id = open_attempt_id(p, room)
    half = page_form(attempt_id, only=5)
    half["action"] = "save"
    response = p.post(f"/join/{room.code}/answers/pre", data=half)
    assert response.status_code == 302
    assert count(Answer, Answer.attempt_id == attempt_id) == 5
    # The phone's battery died; on a borrowed phone the same person joins again, and the
    # trainer, who sees them, approves the new phone for the seat.
    other = phone(app)
    join(other, room, org=room.orgs[0], name="見守　花子1")
    device = db.session.scalar(
        select(ParticipantDevice).where(ParticipantDevice.status == "waiting")
    )
    approved = client.post(f"{room.base}/devices/{device.id}/approve")
    assert approved.status_code == 302
    assert other.get(f"/join/{room.code}/wait").headers["Location"].endswith("/me")
    page = other.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert page.count(" checked") >= 5  # the five saved answers are ticked
    assert open_attempt_id(other, room) == attempt_id
    rest = page_form(attempt_id)
    rest["action"] = "submit"
    other.post(f"/join/{room.code}/answers/pre", data=rest)
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted"
    assert count(Answer, Answer.attempt_id == attempt_id) == len(attempt.question_ids)


def test_a_missing_answer_is_named_and_the_rest_kept(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "pre")
    attempt_id = open_attempt_id(p, room)
    data = page_form(attempt_id)
    attempt = db.session.get(Attempt, attempt_id)
    third = attempt.question_ids[2]
    data = {k: v for k, v in data.items() if not k.startswith(f"q{third}-")}
    data["action"] = "submit"
    response = p.post(f"/join/{room.code}/answers/pre", data=data, follow_redirects=True)
    assert "まだ答えていない問題があります（問3）" in response.get_data(as_text=True)
    db.session.refresh(attempt)
    assert attempt.status == "open"
    assert count(Answer, Answer.attempt_id == attempt_id) == len(attempt.question_ids) - 1


def test_a_double_tap_on_submit_stores_one_attempt_and_one_certificate(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "post")
    attempt_id = open_attempt_id(p, room)
    data = page_form(attempt_id)
    data["action"] = "submit"
    for _ in range(3):
        response = p.post(f"/join/{room.code}/answers/post", data=data)
        assert response.status_code == 302
    json = p.post(
        f"/join/{room.code}/answers/post", data=data, headers={"X-Requested-With": "fetch"}
    )
    assert json.get_json() == {"saved": True, "status": "submitted"}
    assert count(Attempt, Attempt.phase == "post") == 1
    assert count(Certificate) == 1
    assert db.session.get(Attempt, attempt_id).passed is True


def test_answers_outside_their_phase_are_refused_and_not_stored(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "pre")
    attempt_id = open_attempt_id(p, room)
    data = page_form(attempt_id)
    data["action"] = "submit"
    move_to(client, room, "training")  # the trainer moved on before this phone sent
    response = p.post(f"/join/{room.code}/answers/pre", data=data, follow_redirects=True)
    assert "いまは事前テストの時間ではありません（現在は「研修」です）" in response.get_data(
        as_text=True
    )
    fetch = p.post(
        f"/join/{room.code}/answers/pre", data=data, headers={"X-Requested-With": "fetch"}
    )
    assert fetch.status_code == 409
    assert "回答は保存されていません" in fetch.get_json()["error"]
    assert count(Answer) == 0
    assert db.session.get(Attempt, attempt_id).status == "open"
    # A post-test answer sent during the pre-test is refused the same way, and starts nothing.
    move_to(client, room, "training")
    response = p.post(f"/join/{room.code}/answers/post", data={"action": "submit"})
    assert count(Attempt, Attempt.phase == "post") == 0
    assert p.post(f"/join/{room.code}/answers/quiz", data={}).status_code == 302
    assert count(Answer) == 0


def test_the_post_test_can_be_finished_during_the_survey(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "post")
    attempt_id = open_attempt_id(p, room)
    move_to(client, room, "survey")
    data = page_form(attempt_id)
    data["action"] = "submit"
    p.post(f"/join/{room.code}/answers/post", data=data)
    assert db.session.get(Attempt, attempt_id).status == "submitted"
    move_to(client, room, "closed")
    fetch = p.post(
        f"/join/{room.code}/answers/post", data=data, headers={"X-Requested-With": "fetch"}
    )
    assert fetch.get_json() == {"saved": True, "status": "submitted"}  # already in: says so


def test_a_tampered_answer_is_named_and_nothing_is_stored(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "pre")
    attempt_id = open_attempt_id(p, room)
    data = page_form(attempt_id)
    attempt = db.session.get(Attempt, attempt_id)
    data[f"q{attempt.question_ids[1]}-choice"] = "zzz"
    data["action"] = "save"
    response = p.post(f"/join/{room.code}/answers/pre", data=data, follow_redirects=True)
    assert "問2:" in response.get_data(as_text=True)
    assert count(Answer) == 0


def test_a_participant_of_another_workshop_cannot_answer_here(
    app, client, login, room, make_network, make_user, make_org, make_member
):
    from tests.workshops.helpers import make_room

    login(client, room.trainer)
    other = make_room(make_network, make_user, make_org, make_member, members=1)
    outsider = phone(app)
    join(outsider, other, org=other.orgs[0], name="見守 花子1")
    outsider_id = db.session.scalar(
        select(Participant.id).where(Participant.workshop_id == other.workshop.id)
    )
    # Forge this phone's session to claim that participant in *this* workshop.
    with outsider.session_transaction() as session:
        session["workshop_participants"] = {str(room.workshop.id): outsider_id}
    move_to(client, room, "pre")
    assert outsider.get(f"/join/{room.code}/me").status_code == 404
    response = outsider.post(f"/join/{room.code}/answers/pre", data={"action": "submit"})
    assert response.status_code == 302
    assert "参加登録が見つかりません" in outsider.get(response.headers["Location"]).get_data(
        as_text=True
    )
    fetch = outsider.post(
        f"/join/{room.code}/answers/pre",
        data={"action": "save"},
        headers={"X-Requested-With": "fetch"},
    )
    assert fetch.status_code == 404
    assert count(Attempt) == 0
    assert outsider.get(f"/join/{room.code}/certificate").status_code == 404


def test_workshop_answers_count_in_the_course_statistics(app, client, login, room):
    login(client, room.trainer)
    phones = [phone(app) for _ in range(2)]
    for i, p in enumerate(phones, start=1):
        join(p, room, org=room.orgs[0], name=f"見守 花子{i}")
    move_to(client, room, "pre")
    for p in phones:
        answer_test(p, room, "pre", right=False)
    move_to(client, room, "post")
    for p in phones:
        answer_test(p, room, "post", right=True)
    # Names typed on phones: nothing counts until someone has confirmed who answered.
    stats = course_statistics(db.session, network_id=room.network.id, course=room.course)
    assert (stats.learners_pre, stats.learners_post, stats.learners_paired) == (0, 0, 0)
    # The trainer confirms the room after the tests: both results count from then on.
    assert client.post(f"{room.base}/participants/confirm-all").status_code == 302
    stats = course_statistics(db.session, network_id=room.network.id, course=room.course)
    assert (stats.learners_pre, stats.learners_post, stats.learners_paired) == (2, 2, 2)
    assert all(q.post_rate == 1.0 for q in stats.questions)


def test_submit_writes_only_the_answers_that_changed_since_the_autosave(app, client, login, room):
    """提出 sends the whole page again; what the autosave already stored is not written again,
    a changed answer is, and the result counts what is stored."""
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "pre")
    attempt_id = open_attempt_id(p, room)
    wrong = page_form(attempt_id, right=False)
    saved = p.post(f"/join/{room.code}/answers/pre", data={**wrong, "action": "save"})
    assert saved.status_code == 302
    total = count(Answer, Answer.attempt_id == attempt_id)
    attempt = db.session.get(Attempt, attempt_id)
    assert total == len(attempt.question_ids)
    first_id = attempt.question_ids[0]
    right_first = {k: v for k, v in page_form(attempt_id, only=1).items()}
    writes: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ANSWER"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        sent = p.post(
            f"/join/{room.code}/answers/pre", data={**wrong, **right_first, "action": "submit"}
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert sent.status_code == 302
    assert len(writes) == 1  # only question 1, answered again differently
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted"
    stored = db.session.scalar(
        select(Answer).where(Answer.attempt_id == attempt_id, Answer.question_id == first_id)
    )
    assert stored.fully_right is True
    assert attempt.score == sum(
        a.score
        for a in db.session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
        if a.likert is None
    )
