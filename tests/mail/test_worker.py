"""The worker (trainer/worker.py): the queue the app's config asks for, views' mail through it,
the every-minute retry path and the daily purge, and a real consumer process delivering mail."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import select

from tests.bulletins.helpers import write
from tests.mail.conftest import SENDER, received
from tests.quizzes.helpers import load_repository_content
from tests.refresher.helpers import certificate_until
from trainer import worker
from trainer.bulletins import publishing
from trainer.concerns.models import ConcernReport
from trainer.extensions import db
from trainer.mail import outbox
from trainer.mail.models import OutgoingMail
from trainer.timeutil import to_jst, utcnow

REPO = Path(__file__).resolve().parents[2]


def queue_one(network_id: int | None = None, **values) -> OutgoingMail:
    mail = outbox.queue(
        db.session,
        network_id=network_id,
        kind=values.pop("kind", "concern.new"),
        subject_type="",
        subject_id=None,
        to=values.pop("to", "jimukyoku@example.jp"),
        subject=values.pop("subject", "【見守りネットワーク】お知らせ"),
        body=values.pop("body", "本文です。"),
        **values,
    )
    db.session.commit()
    return mail


def test_tests_run_tasks_at_once_and_views_dispatch_through_the_worker(app, smtp):
    huey = worker.queue_of(app)
    assert isinstance(huey, MemoryHuey) and huey.immediate
    assert app.extensions[outbox.DISPATCH_KEY].name == "deliver_mail"
    smtp.start()
    queue_one()
    outbox.deliver_soon()  # what a view calls after its commit
    assert len(smtp.inbox.messages) == 1
    assert db.session.scalar(select(OutgoingMail)).status == "sent"


def test_the_queue_follows_the_config(make_app, tmp_path):
    sqlite = make_app(WORKER_IMMEDIATE=False)
    huey = worker.queue_of(sqlite)
    assert isinstance(huey, SqliteHuey) and not huey.immediate
    path = Path(sqlite.instance_path) / "worker.sqlite3"
    assert Path(huey.storage.filename) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the queue holds no secrets, still
    redis = make_app(WORKER_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:6399/3")
    assert isinstance(worker.queue_of(redis), RedisHuey)  # connects only when used
    unix = make_app(WORKER_IMMEDIATE=False, REDIS_URL="redis+unix:///run/redis.sock")
    pool = worker.queue_of(unix).storage.pool
    assert pool.connection_kwargs["path"] == "/run/redis.sock"
    chosen = make_app(WORKER_IMMEDIATE=False, WORKER_SQLITE_FILE=str(tmp_path / "q.sqlite3"))
    assert worker.queue_of(chosen).storage.filename == str(tmp_path / "q.sqlite3")


def test_a_failed_dispatch_is_logged_and_the_mail_waits(app, smtp, monkeypatch, caplog):
    def broken() -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setitem(app.extensions, outbox.DISPATCH_KEY, broken)
    queue_one()
    outbox.deliver_soon()  # no exception reaches the view
    assert "next round sends it" in caplog.text
    assert db.session.scalar(select(OutgoingMail)).status == "queued"


def test_server_down_then_the_every_minute_job_sends_it(app, smtp):
    queue_one(subject="【見守りネットワーク】再送のテスト")
    outbox.deliver_soon()  # nobody listens on the port
    mail = db.session.scalar(select(OutgoingMail))
    assert (mail.status, mail.attempts) == ("queued", 1)
    assert "接続できませんでした" in mail.last_error
    smtp.start()
    assert worker.every_minute(db.session, utcnow())["mail_sent"] == 0  # not due yet
    mail.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    done = worker.every_minute(db.session, utcnow())
    assert done == {
        "bulletins_published": 0,
        "mail_sent": 1,
        "mail_retry": 0,
        "mail_failed": 0,
        "figures_refreshed": 0,  # no network: nothing for the prefecture page to recompute
    }
    db.session.expire_all()
    mail = db.session.scalar(select(OutgoingMail))
    assert (mail.status, mail.attempts, mail.last_error) == ("sent", 2, "")
    [(_to, message)] = received(smtp)
    assert message["Subject"] == "【見守りネットワーク】再送のテスト"


def test_the_periodic_tasks_run_every_minute_and_at_half_past_three_in_japan(app):
    huey = worker.queue_of(app)
    at = datetime(2026, 12, 4, 18, 30)  # UTC: 03:30 on the 5th in Japan
    assert {task.name for task in huey.read_periodic(at)} == {"every_minute", "daily"}
    later = at + timedelta(minutes=1)
    assert {task.name for task in huey.read_periodic(later)} == {"every_minute"}


def test_the_daily_job_purges_expired_concern_reports(app, make_network, make_member):
    network = make_network()
    member = make_member(network)
    report = ConcernReport(
        network_id=network.id,
        number=1,
        member_id=member.id,
        organisation_id=member.organisation_id,
        organisation_kind=member.organisation.kind,
        via="badge",
        noticed_on=date(2024, 1, 5),
        urgency="normal",
        consent="given",
        person_name="山田 ハナ",
        status="closed",
        closed_at=utcnow() - timedelta(days=400),
    )
    db.session.add(report)
    db.session.commit()
    assert worker.daily(db.session, utcnow()) == {
        "concerns_purged": 1,
        "mail_erased": 0,
        "reminders_queued": 0,
    }
    db.session.expire_all()
    assert db.session.get(ConcernReport, report.id).person_name == ""
    assert worker.daily(db.session, utcnow())["concerns_purged"] == 0


def test_the_worker_command_is_there(app):
    result = app.test_cli_runner().invoke(args=["worker", "--help"])
    assert result.exit_code == 0 and "メールの送信と再送" in result.output
    with pytest.raises(RuntimeError):  # tests run tasks at once: nothing to consume
        worker.run_consumer(app)


def test_a_consumer_process_delivers_what_a_view_queued(app, make_app, app_config, smtp, tmp_path):
    """The real thing: a web app enqueues into the SQLite queue, `trainer worker`'s consumer (a
    separate process) takes the task and sends the message to the SMTP server."""
    smtp.start()
    config = {
        **app_config,
        "TESTING": False,
        "WORKER_IMMEDIATE": False,
        "WORKER_SQLITE_FILE": str(tmp_path / "queue.sqlite3"),
    }
    web = make_app(**config)
    script = (
        "import json, sys\n"
        "from trainer import create_app\n"
        "from trainer.worker import run_consumer\n"
        "app = create_app(json.loads(sys.argv[1]))\n"
        "with app.app_context():\n"
        "    run_consumer(app)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    consumer = subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with web.app_context():
            queue_one(subject="【見守りネットワーク】ワーカーから")
            outbox.deliver_soon()  # enqueues only: nothing sent by this process
            deadline = time.monotonic() + 30
            while not smtp.inbox.messages and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        consumer.terminate()
        output, _ = consumer.communicate(timeout=30)
    assert consumer.returncode == 0, output
    [(to, message)] = received(smtp)
    assert (
        to == ["jimukyoku@example.jp"]
        and message["Subject"] == "【見守りネットワーク】ワーカーから"
    )
    assert message["From"].addresses[0].addr_spec == SENDER
    assert "deliver_mail" in output  # the consumer's log names the task it ran


def test_without_a_dispatcher_a_thread_delivers_as_before(make_app, app, smtp, monkeypatch):
    """An app built without the worker's hook: deliver_soon() starts today's daemon thread."""
    import threading

    smtp.start()
    bare = make_app(TESTING=False, WORKER_IMMEDIATE=True)
    monkeypatch.delitem(bare.extensions, outbox.DISPATCH_KEY)
    with bare.app_context():
        queue_one()
        outbox.deliver_soon()
        threads = [t for t in threading.enumerate() if t.name == "mail-delivery"]
        assert threads
        for thread in threads:
            thread.join(timeout=20)
        assert len(smtp.inbox.messages) == 1


def test_trainer_worker_immediate_from_the_environment(monkeypatch, tmp_path):
    from trainer.config import load_config

    assert load_config(tmp_path)["WORKER_IMMEDIATE"] is None  # tests: immediate; else a queue
    monkeypatch.setenv("TRAINER_WORKER_IMMEDIATE", "1")
    assert load_config(tmp_path)["WORKER_IMMEDIATE"] is True


def test_a_scheduled_bulletin_is_published_and_mailed_by_the_every_minute_job(
    app, smtp, make_network, make_member
):
    smtp.start()
    network = make_network(name="みどり市見守りネットワーク")
    member = make_member(network)
    member.email = "reader@example.jp"
    db.session.commit()
    bulletin = write(network, title="年末の見守り通信")
    publishing.schedule(
        db.session,
        bulletin=bulletin,
        publish_at=utcnow() + timedelta(hours=1),
        actor=None,
        now=utcnow(),
    )
    assert worker.every_minute(db.session, utcnow())["bulletins_published"] == 0
    done = worker.every_minute(db.session, utcnow() + timedelta(hours=1, minutes=1))
    assert (done["bulletins_published"], done["mail_sent"]) == (1, 1)
    [(to, message)] = received(smtp)
    assert to == ["reader@example.jp"]
    assert message["Subject"] == "【見守り通信】年末の見守り通信"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_daily_job_queues_the_refresher_reminders(app, smtp, make_network, make_member):
    smtp.start()
    load_repository_content()
    network = make_network(name="みどり市見守りネットワーク")
    member = make_member(network)
    member.email = "renew@example.jp"
    db.session.commit()
    now = utcnow()
    certificate_until(member, to_jst(now).date() + timedelta(days=30))
    assert worker.daily(db.session, now)["reminders_queued"] == 1
    assert worker.daily(db.session, now)["reminders_queued"] == 0  # once
    assert worker.every_minute(db.session, now)["mail_sent"] == 1
    [(to, message)] = received(smtp)
    assert to == ["renew@example.jp"] and "修了証の有効期限が近づいています" in message["Subject"]


def test_without_a_running_worker_a_timer_runs_the_jobs_once(app, smtp, make_network, make_member):
    """`trainer worker --once` (every minute) and `--once --daily` (once a day), for servers
    where no worker process runs: the scheduled bulletin is published and its mail sent."""
    smtp.start()
    network = make_network(name="みどり市見守りネットワーク")
    member = make_member(network)
    member.email = "timer@example.jp"
    db.session.commit()
    bulletin = write(network, title="タイマーで公開")
    bulletin.publish_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once", "--daily"])
    assert result.exit_code == 0, result.output
    assert "公開したお知らせ: 1、送ったメール: 1" in result.output
    assert "個人情報を削除した気づき報告: 0、宛先と本文を消した古いメール: 0" in result.output
    assert "修了証の更新のお知らせ: 0" in result.output
    [(to, _message)] = received(smtp)
    assert to == ["timer@example.jp"]


def test_the_daily_job_erases_old_mails_address_and_body_and_keeps_the_counts(app, make_network):
    network = make_network()
    old_sent = queue_one(network.id, subject="半年前のお知らせ")
    old_failed = queue_one(network.id, subject="半年前に送れなかったもの")
    recent = queue_one(network.id, subject="先週のお知らせ")
    waiting = queue_one(network.id, subject="まだ送っていないもの")
    now = utcnow()
    for mail, status, age in (
        (old_sent, "sent", 181),
        (old_failed, "failed", 200),
        (recent, "sent", 7),
        (waiting, "queued", 400),
    ):
        mail.status, mail.created_at = status, now - timedelta(days=age)
        mail.sent_at = mail.created_at if status == "sent" else None
    db.session.commit()
    before = outbox.counts_by_status(db.session)
    assert worker.daily(db.session, now)["mail_erased"] == 2
    db.session.expire_all()
    for mail in (old_sent, old_failed):
        mail = db.session.get(OutgoingMail, mail.id)
        assert (mail.to_address, mail.body) == ("", "") and mail.subject.startswith("半年前")
    for mail in (recent, waiting):  # too recent, or not sent yet: kept whole
        mail = db.session.get(OutgoingMail, mail.id)
        assert mail.to_address and mail.body
    assert outbox.counts_by_status(db.session) == before
    assert worker.daily(db.session, now)["mail_erased"] == 0
