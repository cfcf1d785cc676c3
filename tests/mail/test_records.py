"""送信記録: the secretariat's page of its network's outgoing mail (newest first, paged, status,
tries, next try, last error, kind, address), the banner without mail settings, and 「もう一度送る」
for a failed message (POST, audited, delivered again)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.mail import outbox
from trainer.mail.models import OutgoingMail
from trainer.timeutil import utcnow

NOT_SET_UP = "メールの送信が設定されていません。"


@pytest.fixture
def network(make_network):
    return make_network(name="みどり市見守りネットワーク")


@pytest.fixture
def secretariat(client, login, network, make_user):
    user = make_user(network, Role.SECRETARIAT, email="jimu@example.jp")
    login(client, user)
    return user


def queue(network_id, to="jimukyoku@example.jp", kind="concern.new", created_at=None):
    mail = outbox.queue(
        db.session,
        network_id=network_id,
        kind=kind,
        subject_type="",
        subject_id=None,
        to=to,
        subject="件名",
        body="秘密の本文",
    )
    if created_at is not None:
        mail.created_at = created_at
    db.session.commit()
    return mail


def test_the_page_lists_the_networks_mail_newest_first(
    app, client, smtp, network, secretariat, make_network
):
    smtp.start()
    now = utcnow()
    sent = queue(network.id, to="sent@example.jp", kind="link.invitation")
    outbox.deliver_soon()
    smtp.inbox.rcpt_reply = "550 5.1.1 No such user"
    queue(network.id, to="refused@example.jp", kind="bulletin.warning")
    outbox.deliver_soon()
    queue(make_network().id, to="elsewhere@example.jp")  # another network's: not shown
    waiting = queue(network.id, to="old@example.jp", created_at=now - timedelta(hours=2))
    waiting.attempts, waiting.next_attempt_at = 1, now + timedelta(minutes=2)
    waiting.last_error = "SMTPサーバーに接続できませんでした（ConnectionRefusedError）"
    db.session.commit()
    page = client.get(f"/n/{network.id}/mail/").get_data(as_text=True)
    assert NOT_SET_UP not in page
    assert page.index("refused@example.jp") < page.index("sent@example.jp")
    assert page.index("sent@example.jp") < page.index("old@example.jp")
    assert "elsewhere@example.jp" not in page and "秘密の本文" not in page
    assert "送信済み" in page and "送信できませんでした" in page and "送信待ち" in page
    assert (
        "職員の招待リンク" in page and "お知らせ" in page and "気づき報告の通知（事務局へ）" in page
    )
    assert "宛先が受け付けられませんでした（550" in page
    assert "接続できませんでした" in page and "ごろ" in page
    assert page.count("もう一度送る") == 1
    assert db.session.get(OutgoingMail, sent.id).status == "sent"


def test_the_page_is_paged(app, client, network, secretariat):
    now = utcnow()
    for n in range(55):
        queue(network.id, to=f"m{n:02d}@example.jp", created_at=now - timedelta(minutes=n))
    first = client.get(f"/n/{network.id}/mail/").get_data(as_text=True)
    assert "55通" in first and "m00@example.jp" in first and "m49@example.jp" in first
    assert "m50@example.jp" not in first and "1 / 2 ページ" in first
    second = client.get(f"/n/{network.id}/mail/?page=2").get_data(as_text=True)
    assert "m50@example.jp" in second and "m54@example.jp" in second
    assert "m00@example.jp" not in second


def test_without_settings_a_banner_says_mail_is_kept(make_app, app, network, make_user, login):
    bare = make_app(SMTP_HOST="", MAIL_FROM="")
    user = make_user(network, Role.SECRETARIAT)
    client = bare.test_client()
    login(client, user)
    queue(network.id)
    page = client.get(f"/n/{network.id}/mail/").get_data(as_text=True)
    assert NOT_SET_UP in page and "送信待ちのまま保存されています" in page
    assert "メールの設定を待っています" in page


def test_retry_requeues_a_failed_message_and_sends_it(app, client, smtp, network, secretariat):
    smtp.start()
    smtp.inbox.rcpt_reply = "550 5.1.1 Mailbox full"
    mail = queue(network.id, to="aoki@example.jp")
    outbox.deliver_soon()
    assert db.session.get(OutgoingMail, mail.id).status == "failed"
    smtp.inbox.rcpt_reply = ""  # the mailbox was emptied
    response = client.post(f"/n/{network.id}/mail/{mail.id}/retry")
    assert response.status_code == 302
    stored = db.session.get(OutgoingMail, mail.id)
    assert (stored.status, stored.attempts, stored.last_error) == ("sent", 1, "")
    assert len(smtp.inbox.messages) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail.retry"))
    assert event.network_id == network.id and event.target_label == "aoki@example.jp"
    assert event.actor_user_id == secretariat.id and event.details["tries"] == 1
    page = client.get(f"/n/{network.id}/audit/").get_data(as_text=True)
    assert "メールの再送" in page
    # Only a failed message can be put back.
    again = client.post(f"/n/{network.id}/mail/{mail.id}/retry", follow_redirects=True)
    assert "送信できなかったメールだけを" in again.get_data(as_text=True)


def test_retry_needs_the_csrf_token(make_app, app, network, make_user, login):
    strict = make_app(WTF_CSRF_ENABLED=True)
    user = make_user(network, Role.SECRETARIAT)
    mail = queue(network.id)
    mail.status = "failed"
    db.session.commit()
    client = strict.test_client()
    login(client, user)
    assert client.post(f"/n/{network.id}/mail/{mail.id}/retry").status_code == 400
    assert db.session.get(OutgoingMail, mail.id).status == "failed"


def test_only_the_secretariat_and_only_its_network(
    app, client, login, network, make_user, make_network
):
    trainer = make_user(network, Role.TRAINER)
    login(client, trainer)
    assert client.get(f"/n/{network.id}/mail/").status_code == 403
    other = make_network()
    mail = queue(other.id)
    login(client, make_user(network, Role.SECRETARIAT))
    assert client.get(f"/n/{other.id}/mail/").status_code == 404
    assert client.post(f"/n/{network.id}/mail/{mail.id}/retry").status_code == 404


def test_the_navigation_links_to_the_page(app, client, network, secretariat):
    page = client.get(f"/n/{network.id}/").get_data(as_text=True)
    assert f'href="/n/{network.id}/mail/"' in page and "送信記録" in page
