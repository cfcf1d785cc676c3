"""The prefecture / national page: who may open it, what each sees (counts of their own area
only, small groups hidden, never a person's name), the CSV, the landing after sign-in, and the
platform admin's grant and revocation."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.quizzes.helpers import load_repository_content, set_local_facts, take
from trainer.accounts.models import Network, Role
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.prefecture.figures import HIDDEN
from trainer.prefecture.models import NATIONAL, AreaRole

NAME = "秘匿 花子"  # every member's name starts with this: it must appear on no page


def network_in(make_network, prefecture: str, name: str) -> Network:
    network = make_network(name=name)
    network.prefecture = prefecture
    db.session.commit()
    return network


def area_user(make_user, prefecture: str, email: str):
    user = make_user(None, None, email=email, name="県 担当")
    db.session.add(AreaRole(user_id=user.id, prefecture=prefecture))
    db.session.commit()
    return user


@pytest.fixture
def area(app, make_network, make_org, make_member, make_user):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    big = network_in(make_network, "東京都", "みどり区見守りネットワーク")
    small = network_in(make_network, "東京都", "こだま村見守りネットワーク")
    osaka = network_in(make_network, "大阪府", "なにわ市見守りネットワーク")
    members = {}
    for network, count in ((big, 6), (small, 3), (osaka, 5)):
        set_local_facts(network)
        org = make_org(network)
        members[network.id] = [
            make_member(network, org, name=f"{NAME}{network.id}-{i}") for i in range(count)
        ]
    for member in members[big.id] + members[small.id]:
        take(member, course, "pre", right=set())
        take(member, course, "post", right=set())
    return {
        "course": course,
        "big": big,
        "small": small,
        "osaka": osaka,
        "tokyo": area_user(make_user, "東京都", "tokyo@example.jp"),
        "national": area_user(make_user, NATIONAL, "kuni@example.jp"),
        "secretariat": make_user(big, Role.SECRETARIAT, email="jimu@example.jp"),
        "members": members,
    }


def page(client, url: str = "/prefecture/") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_prefecture_sees_its_own_networks_counts_only(client, login, area):
    login(client, area["tokyo"])
    html = page(client)
    assert "東京都の集計" in html
    assert "みどり区見守りネットワーク" in html and "こだま村見守りネットワーク" in html
    assert "なにわ市" not in html
    assert NAME not in html
    assert "時点" in html  # as of when
    # こだま村 has 3 members: both parts of its row are hidden, each said in words.
    row = html.split("こだま村見守りネットワーク")[1].split("</tr>")[0]
    assert row.count(HIDDEN) == 2 and "人<" not in row
    big = html.split("みどり区見守りネットワーク")[1].split("</tr>")[0]
    assert HIDDEN not in big and ">6人<" in big
    total = html.split("合計")[1].split("</tr>")[0]
    assert ">9人<" in total  # 6 + 3 members: the totals count the hidden row too
    assert client.get("/prefecture/?p=大阪府").status_code == 404
    assert client.get("/prefecture/?course=999999").status_code == 404


def test_the_csv_is_the_same_table_without_names(client, login, area):
    login(client, area["tokyo"])
    response = client.get("/prefecture/export.csv")
    assert response.status_code == 200
    body = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "ネットワーク" and rows[0][1] == "在籍者（人）"
    labels = [r[0] for r in rows[1:]]
    assert any("みどり区" in label for label in labels)
    assert not any("なにわ" in label for label in labels)
    assert rows[-1][0] == "合計" and rows[-1][1] == "9"
    assert NAME not in body
    assert HIDDEN in body


def test_a_prefecture_account_gets_404_on_every_network_page(app, client, login, area):
    login(client, area["tokyo"])
    checked = 0
    for rule in app.url_map.iter_rules():
        if "network_id" not in rule.arguments or "GET" not in rule.methods:
            continue
        values = {name: 1 for name in rule.arguments}
        values["network_id"] = area["big"].id
        for name in rule.arguments:
            if name.endswith("slug") or name in ("decision", "token"):
                values[name] = "x"
        url = rule.build(values)[1]
        response = client.get(url)
        assert response.status_code == 404, url
        assert NAME not in response.get_data(as_text=True)
        checked += 1
    assert checked > 30


def test_no_page_it_can_open_names_a_person(app, client, login, area):
    """Every route without arguments, opened by the prefecture account: none shows a name."""
    login(client, area["tokyo"])
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint == "static":
            continue
        response = client.get(rule.rule)
        assert NAME not in response.get_data(as_text=True), rule.rule


def test_the_national_account_sees_every_prefecture(client, login, area):
    login(client, area["national"])
    html = page(client)
    assert "全国の集計" in html
    assert "東京都（2ネットワーク）" in html and "大阪府（1ネットワーク）" in html
    assert "全国の合計" in html and ">14人<" in html
    osaka = page(client, "/prefecture/?p=大阪府")
    assert "なにわ市見守りネットワーク" in osaka and "みどり区" not in osaka
    assert NAME not in html + osaka
    assert client.get("/prefecture/?p=どこにもない県").status_code == 404


def test_others_cannot_open_it(app, client, login, area):
    for url in ("/prefecture/", "/prefecture/export.csv"):
        assert client.get(url).headers["Location"].startswith("/login")
    login(client, area["secretariat"])
    assert client.get("/prefecture/").status_code == 404
    assert client.get("/prefecture/export.csv").status_code == 404
    login(client, area["members"][area["big"].id][0])
    assert client.get("/prefecture/").status_code == 404


def test_a_prefecture_account_lands_on_its_page(client, login, area):
    login(client, area["tokyo"])
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/prefecture/"


def test_the_admin_grants_and_revokes_with_an_audit_trail(client, login, area, make_user):
    admin = make_user(None, None, email="admin@example.jp", admin=True)
    login(client, admin)
    assert "都道府県・全国の閲覧権限" in page(client, "/admin/")
    response = client.post(
        "/admin/area-roles", data={"email": "jimu@example.jp", "area": "大阪府", "name": ""}
    )
    assert response.status_code == 302
    role = db.session.scalar(select(AreaRole).where(AreaRole.user_id == area["secretariat"].id))
    assert role.prefecture == "大阪府"
    # A new address: an account is made, and its first-password link shown once.
    response = client.post(
        "/admin/area-roles", data={"email": "new@example.jp", "area": "全国", "name": "国 担当"}
    )
    assert response.status_code == 200 and "/reset/" in response.get_data(as_text=True)
    assert client.post(f"/admin/users/{area['secretariat'].id}/area-role/revoke").status_code == 302
    assert (
        db.session.scalar(select(AreaRole).where(AreaRole.user_id == area["secretariat"].id))
        is None
    )
    actions = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("area_role.%")))
    )
    assert actions == ["area_role.grant", "area_role.grant", "area_role.revoke"]
    assert client.post(f"/admin/users/{area['secretariat'].id}/area-role/revoke").status_code == 404
