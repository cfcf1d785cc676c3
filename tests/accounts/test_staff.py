"""The secretariat manages its network's staff: roles, invitations, reset links.

Invitations themselves (the link, accepting, what other networks see) are in
test_invitations.py."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from trainer.accounts import passwords
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


def invite_url(html: str) -> str:
    match = re.search(r"http://trainer\.test(/invite/[A-Za-z0-9_\-]+)", html)
    assert match, "no invitation link on the page"
    return match.group(1)


def test_staff_list_shows_roles(client, network, secretariat, make_user):
    make_user(network, Role.TRAINER, email="koushi@example.jp", name="講師 一郎")
    html = client.get(f"/n/{network.id}/staff/").get_data(as_text=True)
    assert "講師 一郎" in html and "koushi@example.jp" in html
    assert "事務局 花子（あなた）" in html


def test_adding_a_new_person_invites_them_and_the_link_lets_them_in(
    app, client, network, secretariat
):
    response = client.post(
        f"/n/{network.id}/staff/new",
        data={"email": "New.Trainer@Example.jp", "name": "新人 講師", "role": "trainer"},
    )
    html = response.get_data(as_text=True)
    assert "招待リンク" in html and "新人 講師さん（new.trainer@example.jp）" in html
    user = db.session.scalar(select(User).where(User.email == "new.trainer@example.jp"))
    # An account without a password, and no role until the invitation is accepted.
    assert user.name == "新人 講師" and user.password_hash is None
    assert user.role_in(network.id) is None
    newcomer = app.test_client()
    done = newcomer.post(
        invite_url(html), data={"new_password": "trainer-password", "confirm": "trainer-password"}
    )
    assert done.status_code == 302
    assert db.session.get(User, user.id).role_in(network.id) is Role.TRAINER
    assert newcomer.get(f"/n/{network.id}/").status_code == 200
    assert newcomer.get(f"/n/{network.id}/members").status_code == 403


def test_adding_an_existing_account_grants_nothing_until_it_accepts(
    client, network, secretariat, make_network, make_user
):
    other = make_network()
    person = make_user(other, Role.SECRETARIAT, email="both@example.jp", name="両方 太郎")
    response = client.post(
        f"/n/{network.id}/staff/new",
        data={"email": "both@example.jp", "name": "誰でも", "role": "trainer"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/invite/" in html
    assert "役割を付与しました" not in html and "両方 太郎" not in html
    person = db.session.get(User, person.id)
    assert person.role_in(network.id) is None
    assert person.role_in(other.id) is Role.SECRETARIAT  # roles are per network
    staff_page = client.get(f"/n/{network.id}/staff/").get_data(as_text=True)
    assert "誰でも" in staff_page and "両方 太郎" not in staff_page


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
    assert passwords.can_issue_reset(jimu, trainer)
    assert not passwords.can_issue_reset(jimu, admin)
    assert not passwords.can_issue_reset(jimu, elsewhere)
    assert not passwords.can_issue_reset(trainer, jimu)
    assert passwords.can_issue_reset(admin, elsewhere)
