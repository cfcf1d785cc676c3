"""A room for workshop tests: a network with organisations, members, a trainer and a workshop
on the repository's real course; participants as separate phones (test clients)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.quizzes.helpers import form_for, load_repository_content, set_local_facts
from trainer.accounts.models import Member, Network, Organisation, User
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import Attempt, QuizQuestion
from trainer.timeutil import today_jst
from trainer.workshops import creating
from trainer.workshops.models import Participant, Workshop
from trainer.workshops.projector import live_fragments


@dataclass
class Room:
    network: Network
    trainer: User
    orgs: list[Organisation]
    members: list[Member]
    workshop: Workshop
    course: Course

    @property
    def code(self) -> str:
        return self.workshop.join_code

    @property
    def base(self) -> str:
        return f"/n/{self.network.id}/workshops/{self.workshop.id}"


def make_room(make_network, make_user, make_org, make_member, *, members: int = 3) -> Room:
    load_repository_content()
    network = make_network()
    set_local_facts(network)  # no question withheld: the room answers every one
    trainer = make_user(network, "trainer")
    orgs = [make_org(network, "みどり居宅介護支援事業所"), make_org(network, "さくら信用金庫")]
    people = [
        make_member(network, orgs[0], name=f"見守 花子{i}", kana=f"みまもり はなこ{i}")
        for i in range(1, members + 1)
    ]
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    workshop = creating.create_workshop(
        db.session,
        network_id=network.id,
        data=creating.WorkshopInput(course_id=course.id, title="見守り研修会", held_on=today_jst()),
        actor=trainer,
    )
    return Room(network, trainer, orgs, people, workshop, course)


def phone(app: Flask) -> FlaskClient:
    return app.test_client()


def join(client: FlaskClient, room: Room, *, org: Organisation, name: str, kana: str = ""):
    return client.post(
        f"/join/{room.code}", data={"organisation_id": org.id, "name": name, "kana": kana}
    )


def move(client: FlaskClient, room: Room, to: str):
    db.session.refresh(room.workshop)
    return client.post(f"{room.base}/phase", data={"from": room.workshop.phase, "to": to})


def move_to(client: FlaskClient, room: Room, to: str) -> None:
    """Step by step to a later phase, as the trainer clicks 次へ."""
    order = ["reception", "pre", "training", "post", "survey", "closed"]
    db.session.refresh(room.workshop)
    for phase in order[order.index(room.workshop.phase) + 1 : order.index(to) + 1]:
        assert move(client, room, phase).status_code == 302
    db.session.refresh(room.workshop)
    assert room.workshop.phase == to


def open_attempt_id(client: FlaskClient, room: Room) -> int | None:
    """Open the phone's page (which starts the test) and return the attempt it shows."""
    page = client.get(f"/join/{room.code}/me").get_data(as_text=True)
    if 'name="q' not in page:
        return None
    with client.session_transaction() as session:
        participant_id = session["workshop_participants"][str(room.workshop.id)]
    participant = db.session.get(Participant, participant_id)
    db.session.refresh(room.workshop)
    return db.session.scalar(
        select(Attempt.id).where(
            Attempt.workshop_id == room.workshop.id,
            Attempt.member_id == participant.member_id,
            Attempt.phase == ("pre" if room.workshop.phase == "pre" else "post"),
            Attempt.status == "open",
        )
    )


def page_form(attempt_id: int, *, right: bool = True, only: int | None = None) -> dict:
    """The one-page test filled in: every question (or the first `only`), all right or wrong."""
    attempt = db.session.get(Attempt, attempt_id)
    data: dict[str, object] = {}
    for question_id in attempt.question_ids[:only]:
        question = db.session.get(QuizQuestion, question_id)
        for name, value in form_for(question, right=right).items():
            data[f"q{question_id}-{name}"] = value
    return data


def answer_test(client: FlaskClient, room: Room, phase: str, *, right: bool = True, submit=True):
    attempt_id = open_attempt_id(client, room)
    assert attempt_id, client.get(f"/join/{room.code}/me").get_data(as_text=True)
    data = page_form(attempt_id, right=right)
    data["action"] = "submit" if submit else "save"
    response = client.post(f"/join/{room.code}/answers/{phase}", data=data)
    assert response.status_code == 302
    return db.session.get(Attempt, attempt_id)


def projector_link(client: FlaskClient, room: Room) -> str:
    """The link as the trainer's control page shows it (a path on the test site)."""
    page = client.get(room.base).get_data(as_text=True)
    found = re.search(r'<a href="http://trainer\.test(/projector/\d+/[\w-]+)"', page)
    assert found, "the control page shows the projector link"
    return found.group(1)


def a_second_passes() -> None:
    """What the projector's cache held has expired."""
    live_fragments().clear()


def projector_live(client: FlaskClient, room: Room) -> str:
    """The projector's live part as its page fetches it (through the projector link), rendered
    afresh rather than the cached rendering of a moment ago."""
    link = projector_link(client, room)
    a_second_passes()
    return client.get(f"{link}/live").get_data(as_text=True)
