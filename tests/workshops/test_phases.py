"""The trainer moves the workshop through its phases; who may, and what each click does."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from tests.workshops.helpers import join, move, move_to, phone
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.extensions import db

ORDER = ["reception", "pre", "training", "post", "survey", "closed"]


def phase_of(room) -> str:
    db.session.refresh(room.workshop)
    return room.workshop.phase


@pytest.mark.parametrize("step", range(len(ORDER) - 1))
def test_each_step_forward_and_back(client, login, room, step):
    login(client, room.trainer)
    move_to(client, room, ORDER[step])
    response = move(client, room, ORDER[step + 1])
    assert response.status_code == 302
    assert phase_of(room) == ORDER[step + 1]
    page = client.get(room.base).get_data(as_text=True)
    assert "進めました" in page or "終了しました" in page
    if ORDER[step + 1] != "closed":  # back one step undoes a click too early
        assert move(client, room, ORDER[step]).status_code == 302
        assert phase_of(room) == ORDER[step]


def test_closed_is_final_and_skipping_is_refused(client, login, room):
    login(client, room.trainer)
    response = client.post(f"{room.base}/phase", data={"from": "reception", "to": "training"})
    assert response.status_code == 302
    assert phase_of(room) == "reception"
    assert "「受付」から「研修」へは進められません" in client.get(room.base).get_data(as_text=True)
    move_to(client, room, "closed")
    client.post(f"{room.base}/phase", data={"from": "closed", "to": "survey"})
    assert phase_of(room) == "closed"
    page = client.get(room.base).get_data(as_text=True)
    assert "へは進められません" in page
    assert "次へ：" not in page and "戻る：" not in page


def test_a_double_click_moves_one_step(client, login, room):
    login(client, room.trainer)
    for _ in range(2):  # the same form sent twice: from reception to pre
        client.post(f"{room.base}/phase", data={"from": "reception", "to": "pre"})
    assert phase_of(room) == "pre"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "workshop.phase")
    ).all()
    assert [e.details for e in events] == [{"from": "受付", "to": "事前テスト"}]


def test_a_stale_page_cannot_move_the_phase(client, login, room):
    login(client, room.trainer)
    move_to(client, room, "training")
    # A second trainer's page still shows 事前テスト and offers 研修: already there, so nothing
    # happens; one that shows 受付 and offers 事前テスト would move it backwards: refused.
    client.post(f"{room.base}/phase", data={"from": "pre", "to": "training"})
    assert phase_of(room) == "training"
    client.post(f"{room.base}/phase", data={"from": "reception", "to": "pre"})
    assert phase_of(room) == "training"
    assert "ほかの操作で段階が「研修」に変わっています" in client.get(room.base).get_data(
        as_text=True
    )


def test_who_may_move_the_phase(app, client, login, room, make_user, make_network, make_member):
    url, data = f"{room.base}/phase", {"from": "reception", "to": "pre"}
    assert client.post(url, data=data).status_code == 302  # anonymous: to the login page
    assert client.post(url, data=data).headers["Location"].startswith("/login")
    other_trainer = make_user(make_network(), Role.TRAINER)
    login(client, other_trainer)
    assert client.post(url, data=data).status_code == 404
    learner = room.members[0]
    learner_phone = phone(app)
    login(learner_phone, learner)
    assert learner_phone.post(url, data=data).status_code == 404
    participant = phone(app)
    join(participant, room, org=room.orgs[0], name="見守 花子1")
    assert participant.post(url, data=data).status_code == 302
    assert participant.post(url, data=data).headers["Location"].startswith("/login")
    assert phase_of(room) == "reception"
    secretariat = make_user(room.network, Role.SECRETARIAT)
    login(client, secretariat)
    assert client.post(url, data=data).status_code == 302
    assert phase_of(room) == "pre"


def poll_url(phone_client, room) -> str:
    """The poll URL the phone's page gives live.js (data-phase-url, with its seat token)."""
    page = phone_client.get(f"/join/{room.code}/me").get_data(as_text=True)
    found = re.search(r'data-phase-url="([^"]+)"', page)
    assert found, "the phone's page names its poll URL"
    return html.unescape(found.group(1))


def test_phones_poll_the_phase(app, client, login, room):
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    url = poll_url(p, room)
    assert "seat=" in url
    polled = p.get(url)
    assert polled.get_json() == {"phase": "reception", "label": "受付", "spread_ms": 20}
    # Revalidated every time, and answered without the session: no cookie is sent back.
    assert polled.headers["Cache-Control"] == "no-cache, private"
    assert polled.headers["ETag"] == '"reception"'
    assert "Set-Cookie" not in polled.headers
    # Only a phone that joined gets an answer, and the same 404 otherwise: no code oracle.
    stranger = phone(app)
    not_joined = stranger.get(f"/join/{room.code}/state")
    unknown = stranger.get("/join/AAAAAA/state")
    forged = stranger.get(f"/join/{room.code}/state?seat=1.AAAAAAAAAAAAAAAAAAAAAA")
    assert not_joined.status_code == unknown.status_code == forged.status_code == 404
    assert not_joined.get_data() == unknown.get_data() == forged.get_data()
    # Unchanged since the phone last asked: 304 and no body.
    same = p.get(url, headers={"If-None-Match": '"reception"'})
    assert same.status_code == 304 and same.get_data() == b""
    login(client, room.trainer)
    move_to(client, room, "pre")
    # The trainer's click is seen at once (this process forgets its cached phase).
    state = p.get(url, headers={"If-None-Match": '"reception"'})
    assert state.status_code == 200
    # One phone: reload at once, near enough; 300 phones spread over 6 seconds.
    assert state.get_json() == {"phase": "pre", "label": "事前テスト", "spread_ms": 20}
    assert state.headers["ETag"] == '"pre"'
    # A page from before seat tokens polls without one: its session still says it joined.
    assert p.get(f"/join/{room.code}/state").get_json()["phase"] == "pre"
