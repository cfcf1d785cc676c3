"""Learners sign in with their personal link: no password."""

from __future__ import annotations

from trainer.accounts import roster
from trainer.accounts.models import Role
from trainer.extensions import db
from trainer.timeutil import today_jst


def test_personal_link_signs_the_member_in(client, make_network, make_member):
    network = make_network(name="みどり市見守りネットワーク")
    member = make_member(network, name="佐藤 恵子")
    response = client.get(f"/m/{member.link_token}")
    assert response.status_code == 302 and response.headers["Location"] == "/learn"
    html = client.get("/learn").get_data(as_text=True)
    assert "佐藤 恵子さんのページ" in html and "みどり市見守りネットワーク" in html
    # The learner stays signed in across browser restarts: a long-lived remember cookie.
    assert any(c.key == "remember_token" for c in client._cookies.values())
    assert client.get("/").headers["Location"] == "/learn"


def test_wrong_or_tampered_links_are_refused_in_japanese(client, make_network, make_member):
    member = make_member(make_network())
    tampered = member.link_token[:-1] + ("A" if member.link_token[-1] != "A" else "B")
    for token in (tampered, "short", member.link_selector, "x" * 200):
        response = client.get(f"/m/{token}")
        assert response.status_code == 404, token
        assert "このリンクは使えません" in response.get_data(as_text=True)
    assert client.get("/learn").status_code == 401


def test_learner_home_without_a_link_explains_what_to_do(client):
    html = client.get("/learn").get_data(as_text=True)
    assert "個人用リンク" in html


def test_ended_member_sees_that_membership_has_ended(client, make_network, make_member):
    member = make_member(make_network())
    roster.end_membership(db.session, member=member, end_date=today_jst(), reason="", actor=None)
    client.get(f"/m/{member.link_token}")
    response = client.get("/learn")
    assert response.status_code == 403  # more in test_membership_end.py
    assert "構成員としての登録は、" in response.get_data(as_text=True)


def test_staff_opening_a_link_are_asked_first(client, login, make_network, make_user, make_member):
    network = make_network()
    staff = make_user(network, Role.SECRETARIAT)
    member = make_member(network, name="佐藤 恵子")
    login(client, staff)
    asked = client.get(f"/m/{member.link_token}")
    assert asked.status_code == 200
    assert "佐藤 恵子さんとして開く" in asked.get_data(as_text=True)
    assert client.get(f"/n/{network.id}/").status_code == 200  # still staff
    client.post(f"/m/{member.link_token}")
    assert client.get(f"/n/{network.id}/").status_code == 404  # now a learner
    assert "佐藤 恵子さんのページ" in client.get("/learn").get_data(as_text=True)


def test_staff_cannot_use_the_learner_home(client, login, make_network, make_user):
    login(client, make_user(make_network()))
    assert client.get("/learn").status_code == 403


def test_personal_link_is_rate_limited(client, make_network, make_member):
    for _ in range(60):
        client.get("/m/not-a-real-token-but-long-enough-to-be-looked-up")
    response = client.get("/m/another-token-xxxxxxxxxxxxxxxxxxxxx")
    assert response.status_code == 429
    assert "操作の回数が多すぎます" in response.get_data(as_text=True)


def test_seventy_people_behind_one_address_all_open_their_own_links(
    app, make_network, make_org, make_member
):
    """An office or a venue hands out QR slips: every phone comes from the router's address.
    Links that work are not counted, so none of them is refused."""
    network = make_network()
    org = make_org(network)
    members = [make_member(network, org) for _ in range(70)]
    for n, member in enumerate(members):
        phone = app.test_client()
        response = phone.get(f"/m/{member.link_token}")
        assert response.status_code == 302, (n, response.status_code)
    # The wrong links from that address are still counted, and still refused after 60.
    for n in range(60):
        assert app.test_client().get(f"/m/{n:016d}{'x' * 32}").status_code == 404, n
    assert app.test_client().get(f"/m/{'y' * 48}").status_code == 429


def test_a_full_bucket_of_wrong_links_does_not_refuse_a_right_one(
    client, make_network, make_member
):
    member = make_member(make_network())
    selector = member.link_token[:16]
    for n in range(60):
        # A random selector and a real selector with a wrong verifier count alike.
        token = f"{selector}{'x' * 32}" if n % 2 else f"{n:016d}{'y' * 32}"
        assert client.get(f"/m/{token}").status_code == 404, n
    assert client.get(f"/m/{selector}{'x' * 32}").status_code == 429
    assert client.get(f"/m/{'z' * 48}").status_code == 429
    signed_in = client.get(f"/m/{member.link_token}")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/learn"
