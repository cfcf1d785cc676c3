"""Bulletin mails as a real SMTP server (aiosmtpd on 127.0.0.1) receives them, with CSRF on as in
production: the List-Unsubscribe headers, the stop page (GET: a button; POST: RFC 8058's
one-click, which comes without a CSRF token), no mail on the next bulletin, a forged token's
neutral page, and the personal page's switch, which does need its token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.bulletins.helpers import mails_of, publish, with_address, write
from tests.test_mail import Server, free_port, received
from trainer.bulletins import mail_stop
from trainer.bulletins.models import BulletinMailStop
from trainer.bulletins.publishing import mail_counts
from trainer.extensions import db
from trainer.mail import outbox
from trainer.timeutil import utcnow


@pytest.fixture
def smtp():
    server = Server(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, smtp):
    return {
        **app_config,
        "WTF_CSRF_ENABLED": True,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "mimamori@city.example.lg.jp",
        "MAIL_DELIVER_INLINE": True,
    }


@pytest.fixture
def town(app, make_network, make_org, make_member):
    network = make_network(name="みどり市見守りネットワーク")
    org = make_org(network, kind="financial")
    return {
        "network": network,
        "aoki": with_address(make_member(network, org, name="青木 花子"), "aoki@example.jp"),
        "ito": with_address(make_member(network, org, name="伊藤 次郎"), "ito@example.jp"),
    }


def stop_path(url: str) -> str:
    return url.removeprefix("http://trainer.test")


def test_the_mail_arrives_with_one_click_unsubscribe(app, smtp, town):
    bulletin = write(town["network"], kind="warning", title="点検商法に注意")
    publish(bulletin)
    outbox.deliver_due(db.session, now=utcnow())
    messages = dict((to[0], message) for to, message in received(smtp))
    assert sorted(messages) == ["aoki@example.jp", "ito@example.jp"]
    message = messages["aoki@example.jp"]
    assert str(message["Subject"]) == "【注意喚起】点検商法に注意"
    assert "みどり市見守りネットワーク" in str(message["From"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # (folded onto its own line: the header's value then starts with the folding space)
    link = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).group(1)
    assert mail_stop.member_of_token(db.session, link.rsplit("/", 1)[1]).id == town["aoki"].id
    text = message.get_content()
    assert link in text and "/me/bulletins/" in text and town["aoki"].link_token not in text
    assert mail_counts(db.session, bulletin.id) == {"queued": 0, "sent": 2, "failed": 0}


def test_one_click_post_without_csrf_then_no_more_mail(app, client, smtp, town):
    first = write(town["network"], title="1通目")
    publish(first)
    link = next(m.list_unsubscribe for m in mails_of(first) if m.to_address == "aoki@example.jp")
    page = client.get(stop_path(link))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "メールを止めますか" in text and "青木" not in text  # no name to whoever has the link
    assert page.headers["Cache-Control"] == "no-store"
    # What a mail client sends (RFC 8058): a POST with this body, no cookie, no CSRF token.
    response = client.post(
        stop_path(link),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "止めました" in response.get_data(as_text=True)
    again = client.post(stop_path(link), data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200  # idempotent
    assert db.session.scalar(select(func.count()).select_from(BulletinMailStop)) == 1
    assert "すでに止めています" in client.get(stop_path(link)).get_data(as_text=True)
    second = write(town["network"], title="2通目")
    publish(second)
    assert [m.to_address for m in mails_of(second)] == ["ito@example.jp"]


@pytest.mark.parametrize(
    "token",
    ["nonsense", "eyJtIjoxfQ.forged-signature", "x" * 500, "%00", "eyJtIjo5OTk5OX0"],
)
def test_a_forged_or_unknown_token_gets_the_neutral_page(app, client, town, token):
    for method in ("GET", "POST"):
        response = client.open(f"/bulletins/stop/{token}", method=method)
        assert response.status_code == 404
        assert "このリンクからは手続きできませんでした" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BulletinMailStop)) == 0


def test_a_valid_signature_for_a_member_that_does_not_exist(app, client, town):
    token = mail_stop.token_for(99999)
    response = client.post(f"/bulletins/stop/{token}")
    assert response.status_code == 404
    assert "このリンクからは手続きできませんでした" in response.get_data(as_text=True)


def test_the_personal_page_switch_needs_its_csrf_token(app, client, login, town):
    mail_stop.stop(db.session, town["aoki"])
    login(client, town["aoki"])
    response = client.post("/me/bulletins/mail", data={"action": "resume"})
    assert response.status_code in (302, 400)
    assert mail_stop.is_stopped(db.session, town["aoki"].id)
    page = client.get("/me/bulletins/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/me/bulletins/mail", data={"action": "resume", "csrf_token": token})
    assert not mail_stop.is_stopped(db.session, town["aoki"].id)
