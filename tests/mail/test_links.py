"""Sign-in links by mail (trainer/accounts/link_mail.py): with mail set up, an invitation or a
reset link goes to the account's own address and is not shown to whoever made it (so the
pre-registration of another network's future staff gives nothing); a member's current personal
link on the secretariat's request. Without mail, the pages show the link, and say why."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.accounts.test_invitations import choose_password, role_in
from tests.mail.conftest import received
from trainer.accounts.models import Member, Role, StaffInvitation, User
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.mail.models import OutgoingMail

LINK = re.compile(r"http://trainer\.test(/(?:invite|reset|m)/[A-Za-z0-9_\-]+)")
SHOWN_WITHOUT_MAIL = "メールの送信が設定されていないため、リンクをこの画面に表示しています"


def link_in(text: str) -> str | None:
    match = LINK.search(text)
    return match.group(1) if match else None


@pytest.fixture
def world(app, make_network, make_user):
    a = make_network(name="Aネットワーク")
    b = make_network(name="Bネットワーク")
    return {
        "a": a,
        "b": b,
        "a_secretariat": make_user(a, Role.SECRETARIAT, email="jimu-a@city-a.example.jp"),
        "b_secretariat": make_user(b, Role.SECRETARIAT, email="jimu-b@city-b.example.jp"),
        "admin": make_user(None, None, admin=True, email="admin@example.jp"),
    }


def test_an_invitation_is_mailed_to_the_invited_address_only(app, client, login, smtp, world):
    smtp.start()
    a = world["a"]
    login(client, world["a_secretariat"])
    form = client.get(f"/n/{a.id}/staff/new").get_data(as_text=True)
    assert "招待のメールを送る" in form and "本人のメールアドレスに送ります" in form
    page = client.post(
        f"/n/{a.id}/staff/new",
        data={"email": "tanaka@city-a.example.jp", "name": "田中 一郎", "role": "trainer"},
    ).get_data(as_text=True)
    assert "tanaka@city-a.example.jp に送りました" in page
    assert link_in(page) is None and "/invite/" not in page
    [(to, message)] = received(smtp)
    assert to == ["tanaka@city-a.example.jp"]
    assert message["Subject"] == "【Aネットワーク】見守りトレーナーへの招待"
    body = message.get_content()
    assert "田中 一郎 様" in body and "講師" in body
    path = link_in(body)
    assert path and path.startswith("/invite/")
    # The mail's link works for its reader: a first password, and the role.
    reader = app.test_client()
    assert reader.get(path).status_code == 200
    assert choose_password(reader, path, "tanaka-chose-this").status_code == 302
    tanaka = db.session.scalar(select(User).where(User.email == "tanaka@city-a.example.jp"))
    assert role_in(tanaka.id, a.id) is Role.TRAINER
    # Recorded for the secretariat, the link itself not kept.
    stored = db.session.scalar(select(OutgoingMail))
    assert (stored.network_id, stored.kind, stored.status) == (a.id, "link.invitation", "sent")
    assert path not in stored.body
    records = client.get(f"/n/{a.id}/mail/").get_data(as_text=True)
    assert "職員の招待リンク" in records and "tanaka@city-a.example.jp" in records


def test_the_reported_pre_hijack_is_closed_when_mail_is_set_up(app, login, smtp, world):
    """The pre-hijack replayed: network B pre-registers C's future secretariat. With mail, B
    never holds a link that could choose that account's password; the owner gets C's invitation
    by mail."""
    smtp.start()
    b_staff = app.test_client()
    login(b_staff, world["b_secretariat"])
    page = b_staff.post(
        f"/n/{world['b'].id}/staff/new",
        data={"email": "sec-c@city-c.example.jp", "name": "C市 事務局", "role": "secretariat"},
    ).get_data(as_text=True)
    assert link_in(page) is None
    sec_c = db.session.scalar(select(User).where(User.email == "sec-c@city-c.example.jp"))
    assert sec_c.password_hash is None  # nobody chose it: B has nothing to sign in with
    # B reissues the invitation: mailed again, not shown.
    invitation = db.session.scalar(select(StaffInvitation))
    again = b_staff.post(f"/n/{world['b'].id}/staff/invitations/{invitation.id}/reissue")
    assert link_in(again.get_data(as_text=True)) is None
    # The platform admin creates network C for the same address: the owner gets it by mail.
    admin = app.test_client()
    login(admin, world["admin"])
    created = admin.post(
        "/admin/networks/new",
        data={
            "name": "C市見守りネットワーク",
            "prefecture": "さくら県",
            "municipality": "C市",
            "secretariat_email": "sec-c@city-c.example.jp",
            "secretariat_name": "C市 事務局",
        },
    ).get_data(as_text=True)
    assert "「C市見守りネットワーク」を作成しました" in created and link_in(created) is None
    messages = received(smtp)
    assert [to for to, _m in messages] == [["sec-c@city-c.example.jp"]] * 3
    c_path = link_in(messages[-1][1].get_content())
    owner = app.test_client()
    assert choose_password(owner, c_path, "owner-chose-this").status_code == 302
    c_id = db.session.scalar(select(StaffInvitation.network_id).order_by(StaffInvitation.id.desc()))
    assert role_in(sec_c.id, c_id) is Role.SECRETARIAT
    assert role_in(sec_c.id, world["b"].id) is None


def test_a_reset_link_is_mailed_not_shown(app, client, login, smtp, world, make_user):
    smtp.start()
    a = world["a"]
    trainer = make_user(a, Role.TRAINER, email="koshi@city-a.example.jp", name="講師 次郎")
    login(client, world["a_secretariat"])
    page = client.post(f"/n/{a.id}/staff/{trainer.id}/reset-link").get_data(as_text=True)
    assert "koshi@city-a.example.jp に送りました" in page and link_in(page) is None
    assert "送信記録" in page
    [(to, message)] = received(smtp)
    assert to == ["koshi@city-a.example.jp"]
    path = link_in(message.get_content())
    assert path.startswith("/reset/") and app.test_client().get(path).status_code == 200
    assert db.session.scalar(select(OutgoingMail)).network_id == a.id
    # The platform admin's reset link: mailed too, outside any network.
    admin = app.test_client()
    login(admin, world["admin"])
    page = admin.post(f"/admin/users/{trainer.id}/reset-link").get_data(as_text=True)
    assert link_in(page) is None
    last = db.session.scalar(select(OutgoingMail).order_by(OutgoingMail.id.desc()))
    assert last.network_id is None and last.sender_name == "見守りトレーナー"


def test_without_mail_the_links_are_shown_and_the_page_says_why(
    make_app, app, login, smtp, world, make_user
):
    bare = make_app(SMTP_HOST="", MAIL_FROM="")
    client = bare.test_client()
    login(client, world["a_secretariat"])
    a = world["a"]
    page = client.post(
        f"/n/{a.id}/staff/new",
        data={"email": "tanaka@city-a.example.jp", "name": "田中 一郎", "role": "trainer"},
    ).get_data(as_text=True)
    assert link_in(page).startswith("/invite/") and SHOWN_WITHOUT_MAIL in page
    trainer = make_user(a, Role.TRAINER)
    page = client.post(f"/n/{a.id}/staff/{trainer.id}/reset-link").get_data(as_text=True)
    assert link_in(page).startswith("/reset/") and SHOWN_WITHOUT_MAIL in page
    assert db.session.scalar(select(OutgoingMail)) is None


# --- a member's personal link ------------------------------------------------------------------


@pytest.fixture
def member(world, make_member):
    member = make_member(world["a"], name="青木 花子")
    member.email = "aoki@example.jp"
    db.session.commit()
    return member


def test_the_secretariat_mails_a_member_their_current_link(app, client, login, smtp, world, member):
    smtp.start()
    a = world["a"]
    login(client, world["a_secretariat"])
    page = client.get(f"/n/{a.id}/members/{member.id}").get_data(as_text=True)
    assert "個人用リンクをメールで送る（aoki@example.jp）" in page
    before = member.link_token
    response = client.post(f"/n/{a.id}/members/{member.id}/link/mail", follow_redirects=True)
    assert "aoki@example.jp に個人用リンクを送りました" in response.get_data(as_text=True)
    [(to, message)] = received(smtp)
    assert to == ["aoki@example.jp"]
    assert message["Subject"] == "【Aネットワーク】見守りトレーナーの個人用リンク"
    body = message.get_content()
    assert "青木 花子 様" in body and "ほかの人に転送しないでください" in body
    assert link_in(body) == f"/m/{before}"  # the current link: not rotated
    assert db.session.get(Member, member.id).link_token == before
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.link_mail"))
    assert event.network_id == a.id and event.target_id == member.id
    assert event.details == {"email": "aoki@example.jp"}
    assert "個人用リンクのメール送信" in client.get(f"/n/{a.id}/audit/").get_data(as_text=True)
    assert app.test_client().get(f"/m/{before}").status_code == 302  # it signs the member in


def test_no_button_without_an_address_or_without_mail(
    app, client, login, smtp, world, member, make_member, make_app
):
    a = world["a"]
    no_address = make_member(a)
    login(client, world["a_secretariat"])
    page = client.get(f"/n/{a.id}/members/{no_address.id}").get_data(as_text=True)
    assert "メールで送る" not in page
    refused = client.post(f"/n/{a.id}/members/{no_address.id}/link/mail", follow_redirects=True)
    assert "個人用リンクは送れません" in refused.get_data(as_text=True)
    bare = make_app(SMTP_HOST="", MAIL_FROM="")
    bare_client = bare.test_client()
    login(bare_client, world["a_secretariat"])
    page = bare_client.get(f"/n/{a.id}/members/{member.id}").get_data(as_text=True)
    assert "メールで送る" not in page
    refused = bare_client.post(f"/n/{a.id}/members/{member.id}/link/mail", follow_redirects=True)
    assert "メールの送信が設定されていないため" in refused.get_data(as_text=True)
    assert db.session.scalar(select(OutgoingMail)) is None


def test_mailing_a_link_needs_the_csrf_token_and_the_own_network(
    app, make_app, login, world, member
):
    strict = make_app(WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    login(client, world["a_secretariat"])
    assert client.post(f"/n/{world['a'].id}/members/{member.id}/link/mail").status_code == 400
    other = app.test_client()
    login(other, world["b_secretariat"])
    assert other.post(f"/n/{world['b'].id}/members/{member.id}/link/mail").status_code == 404
    assert other.post(f"/n/{world['a'].id}/members/{member.id}/link/mail").status_code == 404
    assert db.session.scalar(select(OutgoingMail)) is None
