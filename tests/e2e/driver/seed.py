"""Rows put straight into the live server's database (in-process, on the same SQLite file): the
people and organisations a journey starts with. Names and e-mail addresses are unique per call,
so journeys sharing a server never see each other's rows."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from tests.live_server import LiveServer
from trainer.accounts import roster
from trainer.accounts.models import Network, NetworkRole, Organisation, Role, User
from trainer.extensions import db
from trainer.security import hash_password


@dataclass
class Seeded:
    """A network with two organisations, a trainer who signs in with a password, and one member
    on the roster (見守 花子 of みどり居宅介護支援事業所)."""

    network_id: int
    network_name: str
    organisation: str
    other_organisation: str
    trainer_email: str
    trainer_password: str
    member_name: str
    member_kana: str


def seed_network(live: LiveServer, n: int) -> Seeded:
    """A fresh network (the n-th of this server) with its organisations, trainer and member, in
    one app context (each costs an app of its own, 0.3 s)."""
    seeded = Seeded(
        network_id=0,
        network_name=f"ブラウザ試験協議会{n}",
        organisation="みどり居宅介護支援事業所",
        other_organisation="さくら信用金庫",
        trainer_email="",
        trainer_password="",
        member_name="見守 花子",
        member_kana="みまもり はなこ",
    )
    with live.app_context():
        network = Network(name=seeded.network_name, prefecture="さくら県", municipality="みどり市")
        db.session.add(network)
        db.session.commit()
        seeded.network_id = network.id
        for kind, name in (
            ("care_management", seeded.organisation),
            ("financial", seeded.other_organisation),
        ):
            roster.create_organisation(
                db.session, network_id=network.id, kind=kind, name=name, actor=None
            )
        seeded.trainer_email, seeded.trainer_password = new_staff(
            network.id, "講師 一郎", Role.TRAINER, "trainer"
        )
        new_member(network.id, seeded.organisation, seeded.member_name, seeded.member_kana)
    return seeded


def add_staff(
    live: LiveServer, network_id: int, name: str, role: Role, prefix: str
) -> tuple[str, str]:
    """A user with `role` in the network, who signs in with a password: (e-mail, password)."""
    with live.app_context():
        return new_staff(network_id, name, role, prefix)


def add_member(live: LiveServer, network_id: int, organisation: str, name: str, kana: str) -> None:
    """One more member of the network's `organisation` on the roster, since 1 April 2025."""
    with live.app_context():
        new_member(network_id, organisation, name, kana)


def new_staff(network_id: int, name: str, role: Role, prefix: str) -> tuple[str, str]:
    """add_staff inside an app context already open (LiveServer.app_context())."""
    password = "e2e-" + secrets.token_urlsafe(12)
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.jp"
    user = User(email=email, name=name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    db.session.add(NetworkRole(user_id=user.id, network_id=network_id, role=role.value))
    db.session.commit()
    return email, password


def new_member(network_id: int, organisation: str, name: str, kana: str) -> None:
    """add_member inside an app context already open (LiveServer.app_context())."""
    found = db.session.scalar(
        select(Organisation).where(
            Organisation.network_id == network_id, Organisation.name == organisation
        )
    )
    roster.create_member(
        db.session,
        network_id=network_id,
        data=roster.MemberInput(
            organisation_id=found.id, name=name, kana=kana, membership_start=date(2025, 4, 1)
        ),
        actor=None,
    )
