"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): what the server receives, retry
with backoff when it is down, a permanent refusal, no settings, and a report that is stored
whatever happens to its notice."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from trainer.concerns import notifications
from trainer.concerns.models import ConcernReport, ConcernSign
from trainer.extensions import db
from trainer.mail import outbox
from trainer.mail.models import OutgoingMail
from trainer.timeutil import utcnow

SECRETS = ("山田 ハナ", "090-1111-2222", "みどり町三丁目", "屋根の工事で百万円", "青木 花子")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received; rcpt_reply set to a 5xx refuses every recipient."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.rcpt_reply = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


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
        "MAIL_FROM": "mimamori@city.example.lg.jp",
        "MAIL_DELIVER_INLINE": True,
    }


@pytest.fixture
def report(app, make_network, make_member):
    network = make_network(name="みどり市消費者安全確保地域協議会")
    network.concern_notify_email = "jimukyoku@city.example.lg.jp"
    member = make_member(network, name="青木 花子")
    member.email = "aoki@example.jp"
    row = ConcernReport(
        network_id=network.id,
        number=12,
        member_id=member.id,
        organisation_id=member.organisation_id,
        organisation_kind=member.organisation.kind,
        via="badge",
        noticed_on=date(2026, 12, 1),
        area="みどり町三丁目",
        urgency="now",
        consent="given",
        person_name="山田 ハナ",
        person_contact="090-1111-2222",
        details="屋根の工事で百万円",
        signs=[ConcernSign(sign="costly_work")],
    )
    db.session.add(row)
    db.session.commit()
    return row


def received(server: Server) -> list[tuple[list[str], email.message.EmailMessage]]:
    return [
        (to, email.message_from_bytes(raw, policy=email.policy.default))
        for to, raw in server.inbox.messages
    ]


def test_a_new_report_notice_arrives_as_proper_japanese_mail(app, smtp, report):
    smtp.start()
    mail = notifications.new_report(db.session, report)
    db.session.commit()
    notifications.deliver_soon()
    [(to, message)] = received(smtp)
    assert to == ["jimukyoku@city.example.lg.jp"]
    assert message["To"] == "jimukyoku@city.example.lg.jp"
    # Decoded by RFC 2047's rules (whitespace between encoded words is not text), as mail
    # clients do. (The email package's address parser keeps a space where the long name was
    # folded into two encoded words, so it is not used for this check.)
    raw_headers = email.message_from_bytes(smtp.inbox.messages[0][1])  # compat32: raw values
    assert str(make_header(decode_header(raw_headers["From"]))) == (
        "みどり市消費者安全確保地域協議会 <mimamori@city.example.lg.jp>"
    )
    assert message["From"].addresses[0].addr_spec == "mimamori@city.example.lg.jp"
    assert message["Subject"] == "【見守りネットワーク】気づき報告 受付番号 00012（緊急）"
    assert message["Date"] and message["Message-ID"].endswith("@city.example.lg.jp>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert f"http://trainer.test/n/{report.network_id}/concerns/{report.id}" in body
    assert "今まさに起きている" in body
    raw = smtp.inbox.messages[0][1]
    assert raw.isascii()  # every header encoded, the body in base64: any server carries it
    for secret in SECRETS:
        assert secret not in body and secret not in message["Subject"], secret
    stored = db.session.get(OutgoingMail, mail.id)
    assert stored.status == "sent" and stored.attempts == 1 and stored.sent_at is not None
    labels = [m.state_label(True) for m in notifications.mail_state_for(db.session, report)]
    assert labels == ["送信済み"]


def test_the_instruction_notice_goes_to_the_member_without_contents(app, smtp, report):
    from trainer.concerns.models import ConcernMessage

    smtp.start()
    message = ConcernMessage(report_id=report.id, template="recommend_centre", body="秘密の指示")
    db.session.add(message)
    db.session.flush()
    notifications.instruction(db.session, message)
    db.session.commit()
    notifications.deliver_soon()
    [(to, mail)] = received(smtp)
    assert to == ["aoki@example.jp"]
    assert "事務局から返事があります" in mail["Subject"]
    body = mail.get_content()
    assert "http://trainer.test/me/reports/12" in body
    for secret in (*SECRETS, "秘密の指示", "消費生活センター"):
        assert secret not in body, secret
    assert "/m/" not in body  # never the personal link


def test_server_down_then_retried_by_the_command(app, smtp, report):
    notifications.new_report(db.session, report)
    db.session.commit()
    before = utcnow()
    notifications.deliver_soon()  # nobody listens on the port
    mail = db.session.scalar(select(OutgoingMail))
    assert mail.status == "queued" and mail.attempts == 1
    assert mail.next_attempt_at >= before + timedelta(seconds=59)
    assert "接続できませんでした" in mail.last_error
    assert db.session.get(ConcernReport, report.id) is not None  # the report is kept

    # Not due yet: the command sends nothing.
    smtp.start()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "送信 0通" in result.output
    assert smtp.inbox.messages == []

    # A minute later (the timer's next run): delivered.
    mail.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "送信 1通" in result.output, result.output
    assert len(smtp.inbox.messages) == 1
    db.session.expire_all()
    mail = db.session.scalar(select(OutgoingMail))
    assert mail.status == "sent" and mail.attempts == 2 and mail.last_error == ""
    status = runner.invoke(args=["mail", "status"]).output
    assert "送信済み：1通" in status and "送信待ち：0通" in status


def test_backoff_doubles_and_gives_up_after_ten(app, report):
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert outbox.backoff(10) == timedelta(hours=6)
    notifications.new_report(db.session, report)
    db.session.commit()
    mail = db.session.scalar(select(OutgoingMail))
    now = utcnow()
    for attempt in range(1, 11):
        mail.next_attempt_at = now
        db.session.commit()
        outbox.deliver_due(db.session, now=now, limit=10)
        db.session.refresh(mail)
        assert mail.attempts == attempt
    assert mail.status == "failed"


def test_a_permanent_refusal_fails_at_once(app, smtp, report):
    smtp.start()
    smtp.inbox.rcpt_reply = "550 5.1.1 No such user"
    notifications.new_report(db.session, report)
    db.session.commit()
    notifications.deliver_soon()
    mail = db.session.scalar(select(OutgoingMail))
    assert mail.status == "failed" and mail.attempts == 1 and "550" in mail.last_error
    assert notifications.mail_state_for(db.session, report)[0].state_label(True) == (
        "送信できませんでした"
    )


def test_without_settings_mail_stays_queued(make_app, smtp, report):
    smtp.start()
    bare = make_app(SMTP_HOST="", MAIL_FROM="")
    with bare.app_context():
        assert not outbox.mail_configured(bare)
        notifications.new_report(db.session, report)
        db.session.commit()
        notifications.deliver_soon()
        assert outbox.deliver_due(db.session, now=utcnow(), limit=10).tried == 0
        mail = db.session.scalar(select(OutgoingMail))
        assert mail.status == "queued" and mail.attempts == 0
        assert mail.state_label(False) == "送信待ち（メール未設定）"
        result = bare.test_cli_runner().invoke(args=["mail", "send"])
        assert "メールは設定されていません" in result.output
    assert smtp.inbox.messages == []


def test_no_address_no_mail(app, report):
    network = report.member.network
    network.concern_notify_email = ""
    report.member.email = None
    db.session.commit()
    assert notifications.new_report(db.session, report) is None
    assert db.session.scalar(select(OutgoingMail)) is None


def test_the_report_commits_even_when_smtp_fails(app, smtp, report, make_member):
    """The caller's order: the report and its notice in one transaction, committed, then the
    delivery, whose failure changes nothing about the report."""
    network = report.member.network
    second = ConcernReport(
        network_id=network.id,
        number=13,
        member_id=report.member_id,
        organisation_id=report.organisation_id,
        organisation_kind=report.organisation_kind,
        via="personal_page",
        noticed_on=date(2026, 12, 2),
        urgency="normal",
        consent="unconfirmed",
    )
    db.session.add(second)
    db.session.flush()
    notifications.new_report(db.session, second)
    db.session.commit()
    notifications.deliver_soon()  # the server is down
    db.session.expire_all()
    assert db.session.get(ConcernReport, second.id).number == 13
    [mail] = notifications.mail_state_for(db.session, second)
    assert mail.status == "queued" and mail.attempts == 1
    assert "（緊急）" not in mail.subject


def test_two_senders_never_send_one_message_twice(app, smtp, report):
    smtp.start()
    notifications.new_report(db.session, report)
    db.session.commit()
    now = utcnow()
    first = outbox.deliver_due(db.session, now=now, limit=10)
    second = outbox.deliver_due(db.session, now=now, limit=10)
    assert (first.sent, second.tried) == (1, 0)
    assert len(smtp.inbox.messages) == 1


def test_smtp_settings_are_checked_in_japanese_without_the_password(monkeypatch, tmp_path):
    from trainer.config import ConfigError, load_config

    monkeypatch.setenv("TRAINER_SMTP_HOST", "smtp.example.jp")
    monkeypatch.setenv("TRAINER_SMTP_PASSWORD", "hunter2-secret")
    for variable, value, words in (
        ("TRAINER_MAIL_FROM", "", "TRAINER_MAIL_FROM に送信元のメールアドレス"),
        ("TRAINER_SMTP_SECURITY", "ssl", "TRAINER_SMTP_SECURITY は starttls、tls、none"),
        ("TRAINER_SMTP_PORT", "99999", "TRAINER_SMTP_PORT は 1 から 65535"),
    ):
        monkeypatch.setenv("TRAINER_MAIL_FROM", "mimamori@example.jp")
        monkeypatch.setenv(variable, value)
        with pytest.raises(ConfigError) as error:
            load_config(tmp_path)
        assert words in str(error.value) and "hunter2" not in str(error.value)
        monkeypatch.delenv(variable)
    monkeypatch.setenv("TRAINER_MAIL_FROM", "mimamori@example.jp")
    monkeypatch.setenv("TRAINER_MAIL_RETENTION_DAYS", "0")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert "TRAINER_MAIL_RETENTION_DAYS は 1 から 3650" in str(error.value)
    monkeypatch.delenv("TRAINER_MAIL_RETENTION_DAYS")
    with pytest.raises(ConfigError) as error:  # a password and no user
        load_config(tmp_path)
    assert "TRAINER_SMTP_USER" in str(error.value) and "hunter2" not in str(error.value)
    monkeypatch.setenv("TRAINER_SMTP_USER", "mimamori")
    monkeypatch.setenv("TRAINER_SMTP_SECURITY", "none")
    with pytest.raises(ConfigError) as error:  # the password in clear to another host
        load_config(tmp_path)
    assert "暗号化" in str(error.value) and "hunter2" not in str(error.value)
    monkeypatch.setenv("TRAINER_SMTP_SECURITY", "tls")
    config = load_config(tmp_path)
    assert (config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_SECURITY"]) == (
        "smtp.example.jp",
        465,
        "tls",
    )
    monkeypatch.delenv("TRAINER_SMTP_HOST")
    assert load_config(tmp_path)["SMTP_HOST"] == ""  # not set up: nothing checked, nothing sent


def test_deliver_soon_sends_from_a_background_thread(make_app, smtp, report):
    """Outside the tests' inline mode the response does not wait: a daemon thread sends."""
    import threading

    smtp.start()
    threaded = make_app(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        SMTP_SECURITY="none",
        MAIL_FROM="mimamori@city.example.lg.jp",
        MAIL_DELIVER_INLINE=False,
    )
    with threaded.app_context():
        notifications.new_report(db.session, report)
        db.session.commit()
        notifications.deliver_soon()
        for thread in threading.enumerate():
            if thread.name == "mail-delivery":
                thread.join(timeout=20)
                assert not thread.is_alive()
        assert len(smtp.inbox.messages) == 1
        db.session.expire_all()
        assert db.session.scalar(select(OutgoingMail)).status == "sent"
