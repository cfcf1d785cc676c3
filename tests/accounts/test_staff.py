"""The secretariat manages its network's staff: roles, new accounts, reset links."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from trainer.accounts import users
from trainer.accounts.models import NetworkRole, Role, User
from trainer.audit.models import AuditEvent
from trainer.extensions import db


@pytest.fixture
def network(make_network):
    return make_network()


@pytest.fixture
def secretariat(client, login, network, make_user):
    user = make_user(network, Role.SECRETARIAT, email="jimu@example.jp", name="事務局 花子")
    login(client, user)
    return user


def reset_url(html: str) -> str:
    match = re.search(r"http://trainer\.test(/reset/[A-Za-z0-9_\-]+)", html)
    assert match, "no reset link on the page"
    return match.group(1)


def test_staff_list_shows_roles(client, network, secretariat, make_user):
    make_user(network, Role.TRAINER, email="koushi@example.jp", name="講師 一郎")
    html = client.get(f"/n/{network.id}/staff/").get_data(as_text=True)
    assert "講師 一郎" in html and "koushi@example.jp" in html
    assert "事務局 花子（あなた）" in html


def test_adding_a_new_person_creates_an_account_with_a_setup_link(
    app, client, network, secretariat
):
    response = client.post(
        f"/n/{network.id}/staff/new",
        data={"email": "New.Trainer@Example.jp", "name": "新人 講師", "role": "trainer"},
    )
    html = response.get_data(as_text=True)
    assert "パスワード設定用リンク" in html
    user = db.session.scalar(select(User).where(User.email == "new.trainer@example.jp"))
    assert user.password_hash is None and user.role_in(network.id) is Role.TRAINER
    newcomer = app.test_client()
    done = newcomer.post(
        reset_url(html), data={"new_password": "trainer-password", "confirm": "trainer-password"}
    )
    assert done.status_code == 302
    assert newcomer.get(f"/n/{network.id}/").status_code == 200
    assert newcomer.get(f"/n/{network.id}/members").status_code == 403


def test_adding_an_existing_account_only_grants_the_role(
    client, network, secretariat, make_network, make_user
):
    other = make_network()
    person = make_user(other, Role.SECRETARIAT, email="both@example.jp")
    response = client.post(
        f"/n/{network.id}/staff/new",
        data={"email": "both@example.jp", "name": "誰でも", "role": "trainer"},
        follow_redirects=True,
    )
    assert "役割を付与しました" in response.get_data(as_text=True)
    person = db.session.get(User, person.id)
    assert person.role_in(network.id) is Role.TRAINER
    assert person.role_in(other.id) is Role.SECRETARIAT  # roles are per network


def test_adding_someone_twice_is_refused(client, network, secretariat):
    html = client.post(
        f"/n/{network.id}/staff/new",
        data={"email": "jimu@example.jp", "name": "x", "role": "trainer"},
    ).get_data(as_text=True)
    assert "すでにこのネットワークの職員です" in html


def test_role_change_and_removal_are_audited(client, network, secretariat, make_user):
    trainer = make_user(network, Role.TRAINER)
    client.post(f"/n/{network.id}/staff/{trainer.id}/role", data={"role": "secretariat"})
    assert db.session.get(User, trainer.id).role_in(network.id) is Role.SECRETARIAT
    client.post(f"/n/{network.id}/staff/{trainer.id}/remove")
    assert db.session.get(User, trainer.id).role_in(network.id) is None
    assert db.session.get(User, trainer.id) is not None  # the account itself stays
    logged = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_id == trainer.id)
    ).all()
    assert logged == ["role.change", "role.revoke"]


def test_the_last_secretariat_cannot_be_removed_or_demoted(client, network, secretariat):
    demoted = client.post(
        f"/n/{network.id}/staff/{secretariat.id}/role",
        data={"role": "trainer"},
        follow_redirects=True,
    )
    assert "事務局が一人もいなくなるため" in demoted.get_data(as_text=True)
    removed = client.post(f"/n/{network.id}/staff/{secretariat.id}/remove", follow_redirects=True)
    assert "事務局が一人もいなくなるため" in removed.get_data(as_text=True)
    assert db.session.scalar(select(NetworkRole)).role == "secretariat"


def test_secretariat_can_issue_reset_links_for_its_own_staff_only(
    client, network, secretariat, make_network, make_user
):
    own = make_user(network, Role.TRAINER)
    page = client.post(f"/n/{network.id}/staff/{own.id}/reset-link")
    assert page.status_code == 200 and "/reset/" in page.get_data(as_text=True)

    other = make_network()
    shared = make_user(network, Role.TRAINER, email="shared@example.jp")
    db.session.add(NetworkRole(user_id=shared.id, network_id=other.id, role="secretariat"))
    db.session.commit()
    refused = client.post(
        f"/n/{network.id}/staff/{shared.id}/reset-link", follow_redirects=True
    ).get_data(as_text=True)
    assert "再設定リンクは発行できません" in refused
    assert "/reset/" not in refused


def test_can_issue_reset_rules(network, make_network, make_user):
    other = make_network()
    jimu = make_user(network, Role.SECRETARIAT)
    trainer = make_user(network, Role.TRAINER)
    admin = make_user(None, None, admin=True)
    elsewhere = make_user(other, Role.TRAINER)
    assert users.can_issue_reset(jimu, trainer)
    assert not users.can_issue_reset(jimu, admin)
    assert not users.can_issue_reset(jimu, elsewhere)
    assert not users.can_issue_reset(trainer, jimu)
    assert users.can_issue_reset(admin, elsewhere)
