"""SMTP with a user name and password (TRAINER_SMTP_USER / TRAINER_SMTP_PASSWORD; without
encryption only to a relay on the same host): the login is used, and a refused login stops the
round with a Japanese reason that never holds the password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from tests.test_mail import Inbox, free_port
from trainer.extensions import db
from trainer.mail import outbox
from trainer.mail.models import OutgoingMail

USER, PASSWORD = "mimamori", "relay-secret-pass"


class Authenticator:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (USER, PASSWORD):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def relay() -> Iterator[tuple[int, Inbox, Authenticator]]:
    port, inbox, authenticator = free_port(), Inbox(), Authenticator()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ready_timeout=10,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield port, inbox, authenticator
    controller.stop()


def queue() -> None:
    outbox.queue(
        db.session,
        network_id=None,
        kind="concern.new",
        subject_type="",
        subject_id=None,
        to="jimukyoku@example.jp",
        subject="件名",
        body="本文",
    )
    db.session.commit()


@pytest.mark.parametrize("password", [PASSWORD, "wrong-password-here"])
def test_the_login_is_used_and_a_refusal_is_explained(make_app, app, relay, password):
    port, inbox, authenticator = relay
    with_login = make_app(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_SECURITY="none",
        SMTP_USER=USER,
        SMTP_PASSWORD=password,
        MAIL_FROM="mimamori@city.example.lg.jp",
    )
    with with_login.app_context():
        queue()
        outbox.deliver_soon()
        mail = db.session.scalar(select(OutgoingMail))
        if password == PASSWORD:
            assert mail.status == "sent" and authenticator.logins == [USER]
            assert len(inbox.messages) == 1
        else:
            assert (mail.status, mail.attempts) == ("queued", 1)
            assert "ログインできませんでした（535）" in mail.last_error
            assert password not in mail.last_error and inbox.messages == []
