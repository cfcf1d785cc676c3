"""The platform admin creates networks with their first secretariat."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from trainer.accounts.models import Network, Role, StaffInvitation, User
from trainer.extensions import db


def test_admin_creates_a_network_and_invites_its_secretariat(app, client, login, make_user):
    admin = make_user(None, None, admin=True, email="admin@example.jp")
    login(client, admin)
    page = client.post(
        "/admin/networks/new",
        data={
            "name": "あおば市消費者安全確保地域協議会",
            "prefecture": "さくら県",
            "municipality": "あおば市",
            "secretariat_email": "aoba@example.jp",
            "secretariat_name": "青葉 事務局",
        },
    )
    html = page.get_data(as_text=True)
    assert "「あおば市消費者安全確保地域協議会」を作成しました" in html
    assert page.headers["Cache-Control"] == "no-store"
    link = re.search(r"http://trainer\.test(/invite/[\w\-]+)", html).group(1)
    network = db.session.scalar(select(Network))
    secretariat = db.session.scalar(select(User).where(User.email == "aoba@example.jp"))
    assert secretariat.role_in(network.id) is None  # not before the invitation is accepted
    assert "青葉 事務局" in client.get("/admin/").get_data(as_text=True)  # listed as invited
    newcomer = app.test_client()
    newcomer.post(link, data={"new_password": "aoba-password-1", "confirm": "aoba-password-1"})
    assert db.session.get(User, secretariat.id).role_in(network.id) is Role.SECRETARIAT
    assert "あおば市" in newcomer.get(f"/n/{network.id}/").get_data(as_text=True)
    # The admin has no role in it, so cannot read its roster.
    assert client.get(f"/n/{network.id}/members").status_code == 404


def test_admin_makes_a_new_link_for_an_invitation_or_cancels_it(app, client, login, make_user):
    login(client, make_user(None, None, admin=True))
    first = client.post(
        "/admin/networks/new",
        data={
            "name": "あおば市見守りネットワーク",
            "prefecture": "さくら県",
            "municipality": "あおば市",
            "secretariat_email": "aoba@example.jp",
            "secretariat_name": "青葉 事務局",
        },
    ).get_data(as_text=True)
    old = re.search(r"http://trainer\.test(/invite/[\w\-]+)", first).group(1)
    invitation = db.session.scalar(select(StaffInvitation))
    again = client.post(f"/admin/invitations/{invitation.id}/reissue")
    new = re.search(r"http://trainer\.test(/invite/[\w\-]+)", again.get_data(as_text=True))
    assert again.status_code == 200 and new.group(1) != old
    visitor = app.test_client()
    assert visitor.get(old).status_code == 404
    assert visitor.get(new.group(1)).status_code == 200
    client.post(f"/admin/invitations/{invitation.id}/cancel")
    assert visitor.get(new.group(1)).status_code == 404
    assert client.post(f"/admin/invitations/{invitation.id}/reissue").status_code == 404


def test_bad_network_input_creates_nothing(client, login, make_user):
    login(client, make_user(None, None, admin=True))
    html = client.post(
        "/admin/networks/new",
        data={
            "name": "",
            "prefecture": "さくら県",
            "municipality": "x",
            "secretariat_email": "bad",
            "secretariat_name": "x",
        },
    ).get_data(as_text=True)
    assert "入力してください。" in html and "メールアドレスの形式が正しくありません。" in html
    assert db.session.scalar(select(func.count()).select_from(Network)) == 0


def test_admin_lists_networks_and_accounts(client, login, make_network, make_user):
    network = make_network(name="一覧ネットワーク")
    make_user(network, Role.TRAINER, email="t@example.jp")
    login(client, make_user(None, None, admin=True))
    html = client.get("/admin/").get_data(as_text=True)
    assert "一覧ネットワーク" in html and "t@example.jp" in html and "講師" in html


def test_admin_issues_reset_links(client, login, make_network, make_user):
    target = make_user(make_network(), Role.SECRETARIAT)
    login(client, make_user(None, None, admin=True))
    html = client.post(f"/admin/users/{target.id}/reset-link").get_data(as_text=True)
    assert "http://trainer.test/reset/" in html
    assert client.post("/admin/users/99999/reset-link").status_code == 404
