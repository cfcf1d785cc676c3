"""A real SMTP server (aiosmtpd on 127.0.0.1, tests/test_mail.py's: the `smtp` fixture, not
started until a test starts it, and `received`) and an app whose mail goes to it through the
worker (immediate mode in tests: the task runs in the caller)."""

from __future__ import annotations

import pytest

from tests.test_mail import received, smtp  # noqa: F401 (the fixture, and a helper for tests/mail)

SENDER = "mimamori@city.example.lg.jp"


@pytest.fixture
def app_config(app_config, smtp):  # noqa: F811 (the imported fixture, asked for by name)
    return {
        **app_config,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMTP_SECURITY": "none",
        "MAIL_FROM": SENDER,
    }
