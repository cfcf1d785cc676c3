"""A real SMTP server (aiosmtpd on 127.0.0.1, tests/test_mail.py's) and an app whose mail goes
to it through the worker (immediate mode in tests: the task runs in the caller)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator

import pytest

from tests.test_mail import Server, free_port

SENDER = "mimamori@city.example.lg.jp"


@pytest.fixture
def smtp() -> Iterator[Server]:
    server = Server(free_port())  # not started: each test decides
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, smtp):
    return {
        **app_config,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_SECURITY": "none",
        "MAIL_FROM": SENDER,
    }


def received(server: Server) -> list[tuple[list[str], email.message.EmailMessage]]:
    return [
        (to, email.message_from_bytes(raw, policy=email.policy.default))
        for to, raw in server.inbox.messages
    ]
