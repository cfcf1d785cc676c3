"""The projector and the control page show the wording of the test the room is answering: the
pre-test's during 事前テスト, the post-test's from 事後テスト on (the newcomer review's M2: the
pre-test used to show the post-test's wording). With counterbalanced forms (half the room on
form A, half on B), the form most of the room got, a tie going to A, and one line saying the
others have a parallel question."""

from __future__ import annotations

import html
import re
from itertools import count

from flask.testing import FlaskClient

from tests.workshops.helpers import Room, join, move_to, phone, projector_live
from trainer.accounts.models import Member
from trainer.extensions import db
from trainer.quizzes import forms
from trainer.quizzes.models import QuizQuestion

ITEM_1 = re.compile(
    r'<section class="test-item" id="item-1".*?'
    r'(?:<p class="question-text">|<legend>)(.*?)(?:</p>|<span|</legend>)',
    re.S,
)
BAR_TEXTS = re.compile(r'<span class="qbar-text">(.*?)</span>', re.S)
_names = count(1)


def squash(text: str) -> str:
    return " ".join(html.unescape(text).split())


def phone_question_1(client: FlaskClient, room: Room) -> str:
    """問1 as the phone shows it (opening the page starts the test)."""
    found = ITEM_1.search(client.get(f"/join/{room.code}/me").get_data(as_text=True))
    assert found, "the phone shows the test"
    return squash(found.group(1))


def bar_1(page: str) -> str:
    """The first bar's text, without the ellipsis of a long question."""
    texts = BAR_TEXTS.findall(page)
    assert texts, "the page shows the bars"
    return squash(texts[0]).removesuffix("…")


def form_1_text(room: Room, form: str) -> str:
    """問1 as written in form A (the course's pre_quiz) or B (its post_quiz)."""
    a, b = forms.course_banks(db.session, room.course)
    bank = a if form == "A" else b
    assert bank is not None
    return squash(db.session.get_one(QuizQuestion, bank.question_ids[0]).body["text"])


def members_on(room: Room, make_member, pre_forms: str) -> list[Member]:
    """Roster members who take these forms before the training ("BBA": two on B, one on A):
    with no attempt yet, a member's order is a hash of the course and their id."""
    chosen = []
    for form in pre_forms:
        while True:
            member = make_member(room.network, room.orgs[1], name=f"森 太郎{next(_names)}")
            if forms.hashed_reverse(room.course, member.id) == (form == "B"):
                break
        chosen.append(member)
    return chosen


def seat(app, room: Room, members: list[Member]) -> list[FlaskClient]:
    phones = []
    for member in members:
        p = phone(app)
        assert join(p, room, org=room.orgs[1], name=member.name).status_code == 302
        phones.append(p)
    return phones


def test_the_pre_test_shows_its_own_wording_and_the_post_test_its_own(
    app, client, login, room, make_member
):
    room.course.counterbalance = False  # before and after are different tests: A then B
    db.session.commit()
    login(client, room.trainer)
    phones = seat(app, room, members_on(room, make_member, "AB"))
    pre_text, post_text = form_1_text(room, "A"), form_1_text(room, "B")
    assert pre_text[:40] != post_text[:40]

    move_to(client, room, "pre")
    assert {phone_question_1(p, room) for p in phones} == {pre_text}
    wall, control = projector_live(client, room), client.get(room.base).get_data(as_text=True)
    assert pre_text.startswith(bar_1(wall)) and pre_text.startswith(bar_1(control))
    assert "問題文は事前テストのものです。" in control
    assert "テストA" not in wall and "テストB" not in wall

    move_to(client, room, "training")  # the pre-test's bars: still its wording
    assert pre_text.startswith(bar_1(projector_live(client, room)))

    move_to(client, room, "post")
    assert {phone_question_1(p, room) for p in phones} == {post_text}
    wall, control = projector_live(client, room), client.get(room.base).get_data(as_text=True)
    assert post_text.startswith(bar_1(wall)) and post_text.startswith(bar_1(control))
    assert "問題文は事後テストのものです。" in control


def test_counterbalanced_forms_show_the_form_most_of_the_room_got(
    app, client, login, room, make_member
):
    login(client, room.trainer)
    page = client.get(room.base).get_data(as_text=True)
    assert "問題文は、テストAのものです。" in page  # nobody has a test yet: form A
    on_b, on_a, late = members_on(room, make_member, "BAB")
    phones = seat(app, room, [on_b, on_a])
    a_text, b_text = form_1_text(room, "A"), form_1_text(room, "B")

    move_to(client, room, "pre")
    assert [phone_question_1(p, room) for p in phones] == [b_text, a_text]
    wall = projector_live(client, room)
    assert a_text.startswith(bar_1(wall))  # one on each form: A
    assert (
        "事前テストの問題文は、テストA（1人）のものです。"
        "ほかの1人には、同じ内容の別の問題（テストB）が出ています。"
    ) in wall

    phones += seat(app, room, [late])  # comes in during the test, on form B: B has most now
    assert phone_question_1(phones[2], room) == b_text
    wall, control = projector_live(client, room), client.get(room.base).get_data(as_text=True)
    assert b_text.startswith(bar_1(wall)) and b_text.startswith(bar_1(control))
    line = (
        "事前テストの問題文は、テストB（2人）のものです。"
        "ほかの1人には、同じ内容の別の問題（テストA）が出ています。"
    )
    assert line in wall and line in control

    # After the training each takes the other form: two on A now.
    move_to(client, room, "post")
    assert [phone_question_1(p, room) for p in phones] == [a_text, b_text, a_text]
    wall = projector_live(client, room)
    assert a_text.startswith(bar_1(wall))
    assert (
        "事後テストの問題文は、テストA（2人）のものです。"
        "ほかの1人には、同じ内容の別の問題（テストB）が出ています。"
    ) in wall
