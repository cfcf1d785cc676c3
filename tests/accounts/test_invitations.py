"""Staff invitations: a role only with its holder's say, and nothing about other networks'
accounts shown to a network (trainer/accounts/invitations.py explains the design).

The first tests replay the reported pre-hijack and the account disclosure through the real pages.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from trainer.accounts import invitations, users
from trainer.accounts.models import NetworkRole, Role, StaffInvitation, User
from trainer.audit.models import AuditEvent
from trainer.errors import Conflict
from trainer.extensions import db
from trainer.timeutil import utcnow

REPO = Path(__file__).resolve().parents[2]
INVITE_LINK = re.compile(r"http://trainer\.test(/invite/[A-Za-z0-9_\-]+)")
INVALID = "この招待リンクは使えません"
B_PASSWORD = "chosen-by-network-b"


def invite_path(html: str) -> str:
    match = INVITE_LINK.search(html)
    assert match, "no invitation link on the page"
    return match.group(1)


def sign_in_with_password(client, email: str, password: str, **query: str):
    return client.post(
        "/login" + (f"?next={query['next']}" if "next" in query else ""),
        data={"email": email, "password": password, "next": query.get("next", "")},
    )


def can_accept(html: str, link: str) -> bool:
    """The page has the 「承諾する」 button's form (not just words about accepting)."""
    return f'action="{link}/accept"' in html


def choose_password(client, path: str, password: str):
    return client.post(path, data={"new_password": password, "confirm": password})


def role_in(user_id: int, network_id: int) -> Role | None:
    return db.session.get(User, user_id).role_in(network_id)


@pytest.fixture
def world(app, make_network, make_user):
    """Network A with its secretariat 事務局 花子, network B with its secretariat, and the
    platform admin."""
    a = make_network(name="Aネットワーク")
    b = make_network(name="Bネットワーク")
    return {
        "a": a,
        "b": b,
        "hanako": make_user(
            a, Role.SECRETARIAT, email="hanako@city-a.example.jp", name="事務局 花子"
        ),
        "b_secretariat": make_user(b, Role.SECRETARIAT, email="jimu-b@city-b.example.jp"),
        "admin": make_user(None, None, admin=True, email="admin@example.jp"),
    }


def add_staff(client, network_id: int, email: str, name: str, role: str = "trainer"):
    return client.post(
        f"/n/{network_id}/staff/new", data={"email": email, "name": name, "role": role}
    )


def create_network_c(client) -> tuple[int, str]:
    page = client.post(
        "/admin/networks/new",
        data={
            "name": "C市見守りネットワーク",
            "prefecture": "さくら県",
            "municipality": "C市",
            "secretariat_email": "sec-c@city-c.example.jp",
            "secretariat_name": "C市 事務局",
        },
    )
    assert page.status_code == 200
    invitation = db.session.scalar(
        select(StaffInvitation).order_by(StaffInvitation.id.desc()).limit(1)
    )
    return invitation.network_id, invite_path(page.get_data(as_text=True))


# --- the reported pre-hijack, step by step ------------------------------------------------------


def test_the_reported_pre_hijack_no_longer_gives_network_b_a_role_in_c(app, login, world):
    b = world["b"]
    # (1) B's secretariat adds sec-c@city-c as its own staff and chooses the password itself.
    b_staff = app.test_client()
    login(b_staff, world["b_secretariat"])
    b_link = invite_path(add_staff(b_staff, b.id, "sec-c@city-c.example.jp", "C 事務局").text)
    assert choose_password(app.test_client(), b_link, B_PASSWORD).status_code == 302
    sec_c = users.user_by_email(db.session, "sec-c@city-c.example.jp")
    assert role_in(sec_c.id, b.id) is Role.TRAINER

    # (2) The platform admin creates network C with that address as its secretariat.
    admin = app.test_client()
    login(admin, world["admin"])
    c_id, c_link = create_network_c(admin)
    assert role_in(sec_c.id, c_id) is None
    assert db.session.scalar(select(NetworkRole).where(NetworkRole.network_id == c_id)) is None

    # (3) B signs in as sec-c with its password: nothing of C is open to it.
    attacker = app.test_client()
    assert sign_in_with_password(attacker, sec_c.email, B_PASSWORD).status_code == 302
    for page in (f"/n/{c_id}/members", f"/n/{c_id}/staff/", f"/n/{c_id}/"):
        assert attacker.get(page).status_code == 404, page
    home = attacker.get("/", follow_redirects=True).get_data(as_text=True)
    assert "C市見守りネットワーク" not in home

    # The real sec-c gets the admin's link but cannot sign in: the page says whom to ask.
    owner = app.test_client()
    prompt = owner.get(c_link).get_data(as_text=True)
    assert "管理者" in prompt and "パスワード再設定用リンク" in prompt
    assert not can_accept(prompt, c_link) and role_in(sec_c.id, c_id) is None

    # The admin's reset link replaces B's password and ends B's session as sec-c.
    reset = admin.post(f"/admin/users/{sec_c.id}/reset-link").get_data(as_text=True)
    reset_path = re.search(r"http://trainer\.test(/reset/[\w\-]+)", reset).group(1)
    assert choose_password(owner, reset_path, "owners-own-password").status_code == 302
    assert attacker.get(f"/n/{b.id}/").status_code == 302  # signed out: to the login page
    assert sign_in_with_password(app.test_client(), sec_c.email, B_PASSWORD).status_code == 401

    # Signed in as the account, the owner accepts; only now is there a role in C.
    page = owner.get(c_link).get_data(as_text=True)
    assert can_accept(page, c_link) and "C市見守りネットワーク" in page and "事務局" in page
    assert owner.post(c_link + "/accept").status_code == 302
    assert role_in(sec_c.id, c_id) is Role.SECRETARIAT
    assert owner.get(f"/n/{c_id}/members").status_code == 200


def test_network_b_cannot_accept_cs_invitation_without_its_link(app, login, world, make_network):
    b = world["b"]
    b_staff = app.test_client()
    login(b_staff, world["b_secretariat"])
    b_link = invite_path(add_staff(b_staff, b.id, "sec-c@city-c.example.jp", "C 事務局").text)
    choose_password(app.test_client(), b_link, B_PASSWORD)
    sec_c = users.user_by_email(db.session, "sec-c@city-c.example.jp")
    admin = app.test_client()
    login(admin, world["admin"])
    c_id, c_link = create_network_c(admin)

    attacker = app.test_client()
    sign_in_with_password(attacker, sec_c.email, B_PASSWORD)
    # B adds sec-c again (removed and re-added to B, and to another network B runs) and accepts
    # those invitations as sec-c: each gives that network's role, never C's.
    b2 = make_network(name="B2ネットワーク")
    db.session.add(
        NetworkRole(user_id=world["b_secretariat"].id, network_id=b2.id, role="secretariat")
    )
    db.session.commit()
    b_staff.post(f"/n/{b.id}/staff/{sec_c.id}/remove")
    assert role_in(sec_c.id, b.id) is None
    for network_id in (b.id, b2.id):
        link = invite_path(
            add_staff(b_staff, network_id, sec_c.email, "C 事務局", "secretariat").text
        )
        assert can_accept(attacker.get(link).get_data(as_text=True), link)
        assert attacker.post(link + "/accept").status_code == 302
        assert role_in(sec_c.id, network_id) is Role.SECRETARIAT
    assert role_in(sec_c.id, c_id) is None
    for page in (f"/n/{c_id}/members", f"/n/{c_id}/staff/"):
        assert attacker.get(page).status_code == 404
    # A made-up link is nothing; C's own invitation is still open, waiting for its holder.
    assert attacker.post("/invite/" + "x" * 43 + "/accept").status_code == 404
    c_invitation = db.session.scalar(
        select(StaffInvitation).where(StaffInvitation.network_id == c_id)
    )
    assert c_invitation.is_open and c_invitation.accepted_at is None
    assert app.test_client().get(c_link).status_code == 200  # its link still works
    # And B, as B's secretariat, cannot take the account back with a reset link while C waits.
    refused = b_staff.post(f"/n/{b.id}/staff/{sec_c.id}/reset-link", follow_redirects=True)
    assert "/reset/" not in refused.get_data(as_text=True)


def test_the_invited_account_must_be_the_one_signed_in(app, login, world):
    a, hanako = world["a"], world["hanako"]
    b_staff = app.test_client()
    login(b_staff, world["b_secretariat"])
    link = invite_path(add_staff(b_staff, world["b"].id, hanako.email, "花子さん").text)
    # B's secretariat opening its own link is someone else: it cannot accept for 花子.
    page = b_staff.get(link).get_data(as_text=True)
    assert "別のアカウント" in page and not can_accept(page, link)
    assert b_staff.post(link + "/accept").status_code == 302
    assert b_staff.post(link + "/decline").status_code == 302
    assert role_in(hanako.id, world["b"].id) is None
    assert db.session.scalar(select(StaffInvitation)).is_open
    # Signing out from that page leads to the sign-in, and back to the link afterwards.
    out = b_staff.post("/logout", data={"next": f"/login?next={link}"})
    assert out.headers["Location"] == f"/login?next={link}"
    for elsewhere in ("https://evil.example/", "//evil.example/x"):  # same site only
        assert app.test_client().post("/logout", data={"next": elsewhere}).location == "/"
    back = sign_in_with_password(b_staff, hanako.email, PASSWORD, next=link)
    assert back.headers["Location"] == link
    assert can_accept(b_staff.get(link).get_data(as_text=True), link)
    assert role_in(hanako.id, a.id) is Role.SECRETARIAT  # nothing elsewhere changed


# --- nothing about other networks' accounts ----------------------------------------------------


def masked(response, email: str) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"/invite/[A-Za-z0-9_\-]+", "/invite/TOKEN", html)
    html = re.sub(r"<svg.*?</svg>", "<svg/>", html, flags=re.S)  # the QR code of the link
    html = re.sub(r'name="csrf_token" value="[^"]*"', "CSRF", html)  # signed with the time
    return html.replace(email, "EMAIL")


def test_adding_an_address_answers_the_same_whether_or_not_it_has_an_account(client, login, world):
    login(client, world["b_secretariat"])
    b = world["b"]
    existing = add_staff(client, b.id, "hanako@city-a.example.jp", "花子さん")
    new = add_staff(client, b.id, "nobody@city-b.example.jp", "花子さん")
    assert existing.status_code == new.status_code == 200
    assert existing.headers["Cache-Control"] == new.headers["Cache-Control"] == "no-store"
    assert masked(existing, "hanako@city-a.example.jp") == masked(new, "nobody@city-b.example.jp")
    assert "事務局 花子" not in existing.get_data(as_text=True)
    assert "<svg" in existing.get_data(as_text=True)  # the QR code is there to be masked
    # The network's audit log does not tell them apart either (no account creation in it).
    log = client.get(f"/n/{b.id}/audit/").get_data(as_text=True)
    assert "職員アカウント作成" not in log and log.count("職員の招待") == 2


def test_another_networks_staff_see_the_name_they_typed_until_the_account_joins(
    app, client, login, world
):
    login(client, world["b_secretariat"])
    b, hanako = world["b"], world["hanako"]
    link = invite_path(add_staff(client, b.id, hanako.email, "はなこ（入力）").text)
    listing = client.get(f"/n/{b.id}/staff/").get_data(as_text=True)
    assert "招待中" in listing and "はなこ（入力）" in listing and hanako.email in listing
    assert "事務局 花子" not in listing
    # Whoever opens the link without signing in (B itself, say) sees no name but B's.
    opened = app.test_client().get(link).get_data(as_text=True)
    assert "事務局 花子" not in opened and "Aネットワーク" not in opened
    # 花子 declines: B's log says someone declined, not who she is.
    hanako_client = app.test_client()
    login(hanako_client, hanako)
    assert hanako_client.post(link + "/decline").status_code == 302
    assert role_in(hanako.id, b.id) is None
    log = client.get(f"/n/{b.id}/audit/").get_data(as_text=True)
    assert "招待の辞退" in log and "事務局 花子" not in log
    listing = client.get(f"/n/{b.id}/staff/").get_data(as_text=True)
    assert "はなこ（入力）" not in listing  # no longer open

    # Invited again and accepted: she has joined B, and B's list now shows her own name.
    link = invite_path(add_staff(client, b.id, hanako.email, "はなこ（入力）").text)
    hanako_client.post(link + "/accept")
    listing = client.get(f"/n/{b.id}/staff/").get_data(as_text=True)
    assert "事務局 花子" in listing and "はなこ（入力）" not in listing


def test_the_account_exists_message_is_not_reachable_by_network_staff(client, login, world):
    login(client, world["b_secretariat"])
    html = add_staff(client, world["b"].id, world["hanako"].email, "花子").get_data(as_text=True)
    assert "すでに登録されています" not in html
    # About this network's own staff, it may say so.
    again = add_staff(client, world["b"].id, "jimu-b@city-b.example.jp", "B").get_data(as_text=True)
    assert "すでにこのネットワークの職員です" in again and "/invite/" not in again


# --- the link itself ---------------------------------------------------------------------------


def test_a_new_person_chooses_a_password_and_joins_signed_in(app, client, login, world):
    login(client, world["b_secretariat"])
    b = world["b"]
    link = invite_path(add_staff(client, b.id, "new@city-b.example.jp", "新人 講師").text)
    newcomer = app.test_client()
    page = newcomer.get(link)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "新人 講師さん（new@city-b.example.jp）" in html and "Bネットワーク" in html
    short = choose_password(newcomer, link, "short")
    assert "パスワードは10文字以上にしてください。" in short.get_data(as_text=True)
    done = choose_password(newcomer, link, "trainer-password-1")
    assert done.headers["Location"] == f"/n/{b.id}/"
    assert "Bネットワーク」の講師になりました" in newcomer.get(done.headers["Location"]).text
    user = users.user_by_email(db.session, "new@city-b.example.jp")
    assert role_in(user.id, b.id) is Role.TRAINER and user.password_hash
    # Used: the same link is the invalid-link page now, and cannot set the password again.
    again = choose_password(app.test_client(), link, "someone-elses-pass")
    assert again.status_code == 404 and INVALID in again.get_data(as_text=True)
    assert users.authenticate(db.session, user.email, "trainer-password-1") is not None


def test_two_networks_inviting_one_new_address_cannot_both_choose_its_password(app, login, world):
    a_staff, b_staff = app.test_client(), app.test_client()
    login(a_staff, world["hanako"])
    login(b_staff, world["b_secretariat"])
    a_link = invite_path(add_staff(a_staff, world["a"].id, "both@example.jp", "両方").text)
    b_link = invite_path(add_staff(b_staff, world["b"].id, "both@example.jp", "両方").text)
    # Both see the password form: the second network learns nothing from its page.
    assert "パスワードを決めて承諾する" in app.test_client().get(b_link).text
    assert choose_password(app.test_client(), a_link, "first-holders-pass").status_code == 302
    # B's form, sent after that, meets an account with a password: sign in first.
    late = choose_password(app.test_client(), b_link, "second-holder-pass")
    assert late.status_code == 200 and "ログインしてください" in late.text
    assert not can_accept(late.text, b_link)
    # Even a request that read the invitation before A's choice cannot overwrite it.
    with pytest.raises(Conflict):
        invitations.accept_with_new_password(
            db.session, token=b_link.rsplit("/", 1)[1], new_password="second-holder-pass"
        )
    user = users.user_by_email(db.session, "both@example.jp")
    assert users.authenticate(db.session, user.email, "first-holders-pass") is not None
    assert users.authenticate(db.session, user.email, "second-holder-pass") is None
    assert role_in(user.id, world["b"].id) is None


def test_expired_cancelled_used_and_unknown_links_get_the_same_404(app, client, login, world):
    login(client, world["b_secretariat"])
    b = world["b"]
    links = {
        name: invite_path(add_staff(client, b.id, f"{name}@example.jp", name).text)
        for name in ("expired", "cancelled", "used", "replaced")
    }
    rows = {i.user.email.split("@")[0]: i for i in db.session.scalars(select(StaffInvitation))}
    rows["expired"].expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.post(f"/n/{b.id}/staff/invitations/{rows['cancelled'].id}/cancel")
    choose_password(app.test_client(), links["used"], "used-password-1")
    add_staff(client, b.id, "replaced@example.jp", "replaced")  # a newer one ends the first
    visitor = app.test_client()
    bodies = set()
    for url in [*links.values(), "/invite/not-a-token"]:
        response = visitor.get(url)
        assert response.status_code == 404, url
        bodies.add(response.get_data(as_text=True))
        for action in ("/accept", "/decline"):
            assert visitor.post(url + action).status_code == 404, url + action
    assert len(bodies) == 1 and INVALID in bodies.pop()


def test_the_secretariat_remakes_or_cancels_an_invitation(app, client, login, world):
    login(client, world["b_secretariat"])
    b = world["b"]
    old = invite_path(add_staff(client, b.id, "late@example.jp", "遅い 人").text)
    invitation = db.session.scalar(select(StaffInvitation))
    invitation.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert "期限切れ" in client.get(f"/n/{b.id}/staff/").get_data(as_text=True)
    remade = client.post(f"/n/{b.id}/staff/invitations/{invitation.id}/reissue")
    assert remade.headers["Cache-Control"] == "no-store"
    new = invite_path(remade.get_data(as_text=True))
    visitor = app.test_client()
    assert visitor.get(old).status_code == 404 and visitor.get(new).status_code == 200
    assert "期限切れ" not in client.get(f"/n/{b.id}/staff/").get_data(as_text=True)
    cancelled = client.post(
        f"/n/{b.id}/staff/invitations/{invitation.id}/cancel", follow_redirects=True
    )
    assert "遅い 人さんへの招待を取り消しました" in cancelled.get_data(as_text=True)
    assert visitor.get(new).status_code == 404
    # Another network's invitation is not found from here.
    a_link = app.test_client()
    login(a_link, world["hanako"])
    add_staff(a_link, world["a"].id, "a-only@example.jp", "A")
    a_invitation = db.session.scalar(
        select(StaffInvitation).where(StaffInvitation.network_id == world["a"].id)
    )
    assert client.post(f"/n/{b.id}/staff/invitations/{a_invitation.id}/cancel").status_code == 404
    assert db.session.get(StaffInvitation, a_invitation.id).is_open


def test_every_step_is_in_the_inviting_networks_audit_log(app, client, login, world):
    login(client, world["b_secretariat"])
    b, hanako = world["b"], world["hanako"]
    add_staff(client, b.id, hanako.email, "花子")
    invitation = db.session.scalar(select(StaffInvitation))
    link = invite_path(client.post(f"/n/{b.id}/staff/invitations/{invitation.id}/reissue").text)
    hanako_client = app.test_client()
    login(hanako_client, hanako)
    hanako_client.post(link + "/accept")
    add_staff(client, b.id, "no@example.jp", "いいえ")
    second = db.session.scalar(select(StaffInvitation).order_by(StaffInvitation.id.desc()))
    client.post(f"/n/{b.id}/staff/invitations/{second.id}/cancel")
    add_staff(client, b.id, "no@example.jp", "いいえ")
    third = invitations.open_invitations(db.session, b.id)[0]
    link = invite_path(client.post(f"/n/{b.id}/staff/invitations/{third.id}/reissue").text)
    app.test_client().post(link + "/decline")
    logged = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.network_id == b.id, AuditEvent.action.like("invitation.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert logged == [
        "invitation.create",
        "invitation.reissue",
        "invitation.accept",
        "invitation.create",
        "invitation.cancel",
        "invitation.create",
        "invitation.reissue",
        "invitation.decline",
    ]
    granted = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "role.grant", AuditEvent.network_id == b.id)
    )
    assert granted.actor_user_id == hanako.id  # granted by her own acceptance


def test_a_disabled_accounts_invitation_cannot_be_used(app, client, login, world):
    login(client, world["b_secretariat"])
    link = invite_path(add_staff(client, world["b"].id, "gone@example.jp", "退職").text)
    user = users.user_by_email(db.session, "gone@example.jp")
    user.disabled = True
    db.session.commit()
    visitor = app.test_client()
    assert visitor.get(link).status_code == 404
    assert choose_password(visitor, link, "some-password-1").status_code == 404
    assert db.session.get(User, user.id).password_hash is None


def test_invitation_links_are_rate_limited(app, client):
    statuses = [client.get(f"/invite/guess-{n}").status_code for n in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429


def test_invitation_tokens_are_stored_hashed(client, login, world):
    login(client, world["b_secretariat"])
    path = invite_path(add_staff(client, world["b"].id, "h@example.jp", "H").text)
    token = path.rsplit("/", 1)[1]
    stored = db.session.scalars(select(StaffInvitation.token_hash)).all()
    assert len(token) >= 22 and token not in stored and len(stored[0]) == 64


def test_no_view_grants_a_role_directly():
    """The operator's direct grants (users.operator_*) are for the command line and the demo."""
    views = [p for p in (REPO / "trainer").rglob("*.py") if p.name.endswith("views.py")]
    assert views
    for path in views:
        assert "operator_" not in path.read_text(encoding="utf-8"), path
