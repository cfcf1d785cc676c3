"""Ending a membership ends access: from the end date on, the personal link
and every session of the member open one page that says so, and no new attempt, answer or
certificate is stored; undoing the end restores access at once. Through the HTTP routes, with
the secretariat recording the end on its own pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests.certificates.helpers import make_certificate
from tests.quizzes.helpers import (
    answer_all,
    form_for,
    load_repository_content,
    page_fields,
    read_all_modules,
    save_answer,
    start,
    submit,
)
from tests.workshops.helpers import join, move_to, page_form, phone
from trainer.accounts.models import Member, Role
from trainer.certificates import service as certificates
from trainer.certificates.models import Certificate
from trainer.core.template_helpers import jdate
from trainer.errors import Conflict
from trainer.extensions import db
from trainer.learning.models import Course, ModuleRead
from trainer.quizzes import attempts as quizzes
from trainer.quizzes.models import Answer, Attempt, QuizQuestion
from trainer.timeutil import today_jst
from trainer.workshops.models import Participant

COURSE = "mimamori-basic"
NETWORK = "みどり市見守りネットワーク"
ENDED = "構成員としての登録は、{}に終了しました。"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def rows() -> dict[str, int]:
    return {
        "attempts": count(Attempt),
        "answers": count(Answer),
        "certificates": count(Certificate),
        "reads": count(ModuleRead),
    }


def course() -> Course:
    return db.session.scalar(select(Course).where(Course.slug == COURSE))


class World:
    """A network with its secretariat (its own browser) and one learner signed in with the link."""

    def __init__(self, app, client, make_network, make_user, make_member) -> None:
        load_repository_content()
        self.network = make_network(name=NETWORK)
        self.member = make_member(self.network, name="佐藤 恵子")
        self.learner = client
        self.secretariat = app.test_client()
        with self.secretariat.session_transaction() as session:
            session["_user_id"] = make_user(self.network, Role.SECRETARIAT).get_id()
        assert self.learner.get(f"/m/{self.member.link_token}").status_code == 302

    def end(self, day=None) -> None:
        day = day or today_jst()
        response = self.secretariat.post(
            f"/n/{self.network.id}/members/{self.member.id}/end",
            data={"end_date": day.isoformat(), "reason": "退職", "confirmed": "1"},
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    def undo(self) -> None:
        response = self.secretariat.post(f"/n/{self.network.id}/members/{self.member.id}/reinstate")
        assert response.status_code == 302
        assert db.session.get(Member, self.member.id).membership_end is None


@pytest.fixture
def world(app, client, make_network, make_user, make_member) -> World:
    return World(app, client, make_network, make_user, make_member)


def assert_ended_page(response, end_day=None) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 403, html
    assert ENDED.format(jdate(end_day or today_jst())) in html
    assert f"{NETWORK}の事務局にお問い合わせください" in html
    assert "新しい修了証を受け取ることもできません" in html
    # One message: nothing that reads as an active member's page.
    assert "ログインしています" not in html and "有効ではありません" not in html
    return html


def a_learner_midway(world: World) -> dict[str, int]:
    """Pre-quiz submitted, modules read, post-quiz begun (one answer), one certificate: what a
    member may have when the end is recorded. Returns the ids the routes need."""
    pre = start(world.learner, COURSE, "pre")
    answer_all(world.learner, pre)
    assert submit(world.learner, pre).status_code == 302
    read_all_modules(world.learner)
    post = start(world.learner, COURSE, "post")
    first = db.session.get(QuizQuestion, db.session.get(Attempt, post).question_ids[0])
    world.learner.post(
        f"/learn/attempts/{post}/1",
        data={**form_for(first, right=True), **page_fields(db.session.get(Attempt, post), 1)},
    )
    certificate = make_certificate(db.session.get(Member, world.member.id), course())
    return {"pre": pre, "post": post, "certificate": certificate.id}


# --- the link and the pages --------------------------------------------------------------------


def test_the_link_still_signs_in_and_shows_the_ended_page(app, world):
    make_certificate(db.session.get(Member, world.member.id), course())
    world.end()
    fresh = app.test_client()  # the same link opened again, on the phone or a new one
    response = fresh.get(f"/m/{world.member.link_token}")
    assert response.status_code == 302 and response.headers["Location"] == "/learn"
    html = assert_ended_page(fresh.get("/learn"))
    # The certificate, with the status /verify shows for it now.
    assert course().title in html
    assert "第00001号" in html and ">失効<" in html
    assert "修了証を開く" not in html  # listed, not opened (the print would look valid)
    token = db.session.scalar(select(Certificate.token))
    assert "失効" in world.learner.get(f"/verify/{token}").get_data(as_text=True)


def test_every_learner_route_shows_the_ended_page_and_stores_nothing(app, world):
    ids = a_learner_midway(world)
    post = db.session.get(Attempt, ids["post"])
    module = course().modules[0].slug
    world.end()
    before = rows()

    pages = {
        "/learn",
        f"/learn/{COURSE}",
        f"/learn/{COURSE}/{module}",
        f"/learn/{COURSE}/quiz/pre",
        f"/learn/{COURSE}/quiz/post",
        f"/learn/attempts/{ids['post']}/2",
        f"/learn/attempts/{ids['post']}/review",
        f"/learn/attempts/{ids['pre']}/result",
        "/learn/certificates/",
        f"/learn/certificates/{ids['certificate']}",
        f"/learn/certificates/{ids['certificate']}.pdf",
        "/learn/bulletins/1/notice.pdf",  # refused before any bulletin is looked up
    }
    for url in sorted(pages):
        assert_ended_page(world.learner.get(url))

    second = db.session.get(QuizQuestion, post.question_ids[1])
    answer = {**form_for(second, right=True), **page_fields(post, 2)}
    actions = {
        f"/learn/{COURSE}/{module}/read": {},
        f"/learn/{COURSE}/quiz/post/attributes": {
            "age_band": "60plus",
            "gender": "male",
            "job_type": "field",
        },
        f"/learn/{COURSE}/quiz/post/start": {"key": quizzes.new_idempotency_key()},
        # The one-statement save (with the page's question id) and the checked path (without).
        f"/learn/attempts/{ids['post']}/2": answer,
        f"/learn/attempts/{ids['post']}/3": form_for(
            db.session.get(QuizQuestion, post.question_ids[2]), right=True
        ),
        f"/learn/attempts/{ids['post']}/submit": {"key": post.idempotency_key},
    }
    for url, data in actions.items():
        assert_ended_page(world.learner.post(url, data=data))

    assert rows() == before
    assert db.session.get(Attempt, ids["post"]).status == "open"
    assert db.session.get(Member, world.member.id).age_band == "50s"  # as answered before

    # Every learner route is in the lists above: a new one has to be added here too.
    adapter = app.url_map.bind("trainer.test")
    tested = {adapter.match(url, method="GET")[0] for url in pages}
    tested |= {adapter.match(url, method="POST")[0] for url in actions}
    learner = {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/learn")}
    assert learner <= tested, learner - tested


def test_undoing_the_end_restores_the_same_session_and_the_same_link(app, world):
    ids = a_learner_midway(world)
    world.end()
    assert_ended_page(world.learner.get("/learn"))
    world.undo()

    html = world.learner.get("/learn").get_data(as_text=True)
    assert "佐藤 恵子さんのページ" in html and "ログインしています" in html
    assert ENDED.format(jdate(today_jst())) not in html
    attempt = db.session.get(Attempt, ids["post"])
    answer_all(world.learner, ids["post"])  # the same attempt goes on where it stopped
    assert submit(world.learner, ids["post"]).status_code == 302
    attempt = db.session.get(Attempt, ids["post"])
    assert attempt.status == "submitted" and attempt.passed is True
    assert count(Certificate) == 2  # the one from before, and this pass's
    assert world.learner.get(f"/learn/certificates/{ids['certificate']}").status_code == 200

    other = app.test_client()
    assert other.get(f"/m/{world.member.link_token}").headers["Location"] == "/learn"
    assert other.get("/learn").status_code == 200


def test_an_end_still_ahead_leaves_access_today(world):
    world.end(today_jst() + timedelta(days=1))
    html = world.learner.get("/learn").get_data(as_text=True)
    assert "佐藤 恵子さんのページ" in html and "終了しました" not in html
    attempt_id = start(world.learner, COURSE, "pre")  # asserts the start is accepted
    answer_all(world.learner, attempt_id)
    assert count(Answer) == len(db.session.get(Attempt, attempt_id).question_ids)


def test_a_start_date_still_ahead_is_no_reason_to_close(client, make_network, make_member):
    load_repository_content()
    start_day = today_jst() + timedelta(days=10)
    member = make_member(make_network(name=NETWORK), name="田中 一郎", start=start_day)
    client.get(f"/m/{member.link_token}")
    response = client.get("/learn")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # One consistent message: signed in, and from when the membership counts.
    assert "ログインしています" in html and "有効ではありません" not in html
    assert f"構成員としての登録は{jdate(start_day)}からです。" in html
    assert "研修とテストは今日から受けられます" in html
    assert start(client, COURSE, "pre")


# --- the services refuse too (defence in depth) --------------------------------------------------


def test_the_services_refuse_an_ended_member(world):
    ids = a_learner_midway(world)
    world.end()
    member = db.session.get(Member, world.member.id)
    attempt = db.session.get(Attempt, ids["post"])
    before = rows()
    message = f"構成員としての登録は{jdate(today_jst())}に終了しているため"

    calls = [
        lambda: quizzes.start_attempt(
            db.session,
            member=member,
            course=course(),
            phase="post",
            key=quizzes.new_idempotency_key(),
        ),
        lambda: quizzes.start_attempt(  # the key of the attempt opened before the end
            db.session, member=member, course=course(), phase="post", key=attempt.idempotency_key
        ),
        lambda: save_answer(
            db.session,
            attempt=attempt,
            question_id=attempt.question_ids[1],
            form=MultiDict(
                form_for(db.session.get(QuizQuestion, attempt.question_ids[1]), right=True)
            ),
        ),
        lambda: quizzes.submit(
            db.session, attempt=attempt, key=attempt.idempotency_key, course=course()
        ),
    ]
    for call in calls:
        with pytest.raises(Conflict, match=message):
            call()
        db.session.rollback()
    assert quizzes.can_start(db.session, member, course(), "pre").startswith(message)
    with pytest.raises(Conflict, match=message):
        certificates.issue_for_attempt(db.session, member=member, course=course(), attempt_id=None)
    db.session.rollback()
    assert rows() == before


# --- workshops -----------------------------------------------------------------------------------


@pytest.fixture
def room(make_network, make_user, make_org, make_member):
    from tests.workshops.helpers import make_room

    return make_room(make_network, make_user, make_org, make_member)


def end_in_room(client: FlaskClient, room, member: Member) -> None:
    response = client.post(
        f"/n/{room.network.id}/members/{member.id}/end",
        data={"end_date": today_jst().isoformat(), "reason": "退職", "confirmed": "1"},
    )
    assert response.status_code == 302


def test_a_workshop_participant_whose_membership_ended_sees_why(app, client, make_user, room):
    """Matched by name to a member whose membership has ended: the phone's test page says why,
    and answers sent from a page opened before the end are not stored."""
    secretariat = app.test_client()
    with secretariat.session_transaction() as session:
        session["_user_id"] = make_user(room.network, Role.SECRETARIAT).get_id()
    with client.session_transaction() as session:
        session["_user_id"] = room.trainer.get_id()
    ended, other = phone(app), phone(app)
    assert join(ended, room, org=room.orgs[0], name="見守 花子1").status_code == 302
    assert join(other, room, org=room.orgs[0], name="見守 花子2").status_code == 302
    gone = room.members[0]
    # The pre-test opened for the whole room while still a member; then the end is recorded.
    move_to(client, room, "pre")
    opened = db.session.scalar(select(Attempt).where(Attempt.member_id == gone.id))
    assert opened is not None and opened.status == "open"
    end_in_room(secretariat, room, gone)

    page = ended.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert f"構成員としての登録は{jdate(today_jst())}に終了しているため" in page
    assert f"{room.network.name}の事務局にお問い合わせください" in page
    assert 'name="q' not in page  # no test form
    response = ended.post(
        f"/join/{room.code}/answers/pre",
        data={**page_form(opened.id), "action": "submit"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 409
    assert "に終了しているため" in response.get_json()["error"]
    assert count(Answer) == 0
    assert db.session.get(Attempt, opened.id).status == "open"

    # The rest of the room is not affected.
    assert 'name="q' in other.get(f"/join/{room.code}/me").get_data(as_text=True)

    # The post-test is not opened for the ended member when the trainer starts it.
    move_to(client, room, "post")
    participant = db.session.scalar(select(Participant).where(Participant.member_id == gone.id))
    assert participant is not None
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.member_id == gone.id, Attempt.phase == "post")
        )
        == 0
    )
    page = ended.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert "に終了しているため" in page and 'name="q' not in page
    assert count(Certificate) == 0
