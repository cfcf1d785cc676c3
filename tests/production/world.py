"""Data for the production tests, written in-process with the app factory on the live server's
database (as tests/e2e seeds), through the same services the pages use. Each call makes a new
network with unique names, so the tests sharing one server never see each other's rows."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tests.live_server import LiveServer
from tests.production.browser import Browser, form_on
from tests.quizzes.helpers import take
from trainer.accounts import roster
from trainer.accounts.models import Network, NetworkRole, Role, User
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import QuizQuestion
from trainer.security import hash_password
from trainer.timeutil import today_jst
from trainer.workshops import creating as workshops
from trainer.workshops import seats

COURSE = "mimamori-basic"
PASSWORD = "production-test-password"
PASSWORD_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose: once per run
_networks = itertools.count(1)


@dataclass
class Learner:
    member_id: int
    link_token: str
    attempt_id: int


def new_network(live: LiveServer) -> tuple[int, int]:
    """A network with one organisation: (network id, organisation id)."""
    with live.app_context():
        network = Network(
            name=f"本番試験協議会{next(_networks)}-{uuid.uuid4().hex[:6]}",
            prefecture="さくら県",
            municipality="みどり市",
        )
        db.session.add(network)
        db.session.commit()
        org = roster.create_organisation(
            db.session,
            network_id=network.id,
            kind="care_management",
            name="みどり居宅介護支援事業所",
            actor=None,
        )
        return network.id, org.id


def new_staff(live: LiveServer, network_id: int, role: Role, name: str) -> str:
    """A staff user with PASSWORD and a role in the network; returns the e-mail address."""
    email = f"{role.value}-{uuid.uuid4().hex[:10]}@example.jp"
    with live.app_context():
        user = User(email=email, name=name, password_hash=PASSWORD_HASH)
        db.session.add(user)
        db.session.flush()
        db.session.add(NetworkRole(user_id=user.id, network_id=network_id, role=role.value))
        db.session.commit()
    return email


def learners_ready_to_submit(
    live: LiveServer, network_id: int, organisation_id: int, count: int
) -> list[Learner]:
    """Members who read every module and answered the whole post-quiz rightly, not yet
    submitted: what is left is the press of 提出する."""
    made = []
    with live.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        every_key = set(db.session.scalars(select(QuizQuestion.key)))
        for n in range(1, count + 1):
            member = roster.create_member(
                db.session,
                network_id=network_id,
                data=roster.MemberInput(
                    organisation_id=organisation_id,
                    name=f"受講 {n}郎",
                    kana="",
                    membership_start=date(2025, 4, 1),
                ),
                actor=None,
            )
            attempt = take(member, course, "post", right=every_key, submit=False)
            made.append(Learner(member.id, member.link_token, attempt.id))
    return made


def new_workshop(live: LiveServer, network_id: int, trainer_email: str, participants: int) -> int:
    """A workshop on the real course with members already joined (in 受付); returns its id."""
    with live.app_context():
        trainer = db.session.scalar(select(User).where(User.email == trainer_email))
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        org = roster.create_organisation(
            db.session, network_id=network_id, kind="financial", name="さくら信用金庫", actor=None
        )
        workshop = workshops.create_workshop(
            db.session,
            network_id=network_id,
            data=workshops.WorkshopInput(
                course_id=course.id, title="見守り研修会", held_on=today_jst(), place="市役所"
            ),
            actor=trainer,
        )
        for n in range(1, participants + 1):
            member = roster.create_member(
                db.session,
                network_id=network_id,
                data=roster.MemberInput(
                    organisation_id=org.id,
                    name=f"参加 {n}子",
                    kana="",
                    membership_start=date(2025, 4, 1),
                ),
                actor=None,
            )
            # Joined with their personal links; the phones hold the seats (seats.py) with a
            # secret nobody here needs: the tests drive the trainer's side.
            seats.join_as_member(
                db.session, workshop=workshop, member=member, secret=uuid.uuid4().hex * 2
            )
        return workshop.id


def sign_in_staff(live: LiveServer, email: str, agent: str) -> Browser:
    """A new device signed in through the login form (its CSRF token read from the page)."""
    device = Browser(live, agent)
    page = device.get("/login")
    sent = device.submit(page, form_on(page, "/login").fill(email=email, password=PASSWORD))
    assert sent.status == 302, f"login as {email}: {sent.status}\n{sent.text[:2000]}"
    return device


def sign_in_learner(live: LiveServer, link_token: str, agent: str) -> Browser:
    """A new phone signed in by opening the member's personal link."""
    phone = Browser(live, agent)
    opened = phone.get(f"/m/{link_token}")
    assert opened.status == 302 and opened.location == "/learn", (opened.status, opened.text)
    return phone
