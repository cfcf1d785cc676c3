"""The background worker: a huey queue for work that must not hold up a page, and the periodic jobs.

- The queue: Redis when REDIS_URL is set (every web process and host shares it), else a SQLite
  file under the instance folder (WORKER_SQLITE_FILE, default instance/worker.sqlite3). With
  WORKER_IMMEDIATE (TRAINER_WORKER_IMMEDIATE=1; by default in tests) there is no queue: a task
  runs at once in the caller, and no consumer is needed.
- init_app() (called by the app factory) builds the queue for the app and registers the mail
  dispatcher (outbox.DISPATCH_KEY), so that outbox.deliver_soon(), called by a view after its
  commit, enqueues `deliver_mail` instead of starting a thread.
- run_consumer() is `trainer worker`: one consumer process with two threads, which runs the
  queued tasks and the periodic jobs (every minute: scheduled bulletins published, then mail
  delivery, the retry path, then the prefecture page's stale per-network figures; daily at 03:30
  Japan time: the concern-report retention purge, the erasure of old mail's addresses and
  bodies, and the refresher reminders). Run one per installation (`make run` starts it beside
  gunicorn). Every job is safe to run twice: mail is claimed row by row, the purges only touch
  what is still due, the figures are recomputed from the tables.

Each job runs in its own app context with its own database session, and commits its own work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from trainer.bulletins import publishing
from trainer.concerns import retention
from trainer.database import Session
from trainer.extensions import db
from trainer.mail import outbox
from trainer.prefecture import summaries
from trainer.refresher import reminders
from trainer.timeutil import to_jst, utcnow

log = logging.getLogger(__name__)

HUEY_KEY = "trainer.huey"
# The most messages one delivery task tries; the rest waits for the next task or minute.
DELIVERY_LIMIT = 1000
# The every-minute job's time for the prefecture figures (it must end within its minute).
FIGURES_BUDGET_SECONDS = 40.0
# 03:30 in Japan (UTC+9): the daily jobs run when nobody is training.
DAILY_AT_UTC = {"hour": "18", "minute": "30"}
# Schemes of REDIS_URL (config.REDIS_SCHEMES) that redis-py opens as they are; redis+unix://
# is the rate limiter's spelling of unix://. Sentinel and cluster URLs are not supported here.
_REDIS_AS_IS = ("redis://", "rediss://")

T = TypeVar("T")


def _queue_for(app: Flask) -> Huey:
    name = "mimamori-trainer"
    immediate = app.config.get("WORKER_IMMEDIATE")
    if immediate or (immediate is None and app.testing):
        return MemoryHuey(name, immediate=True, results=False)
    redis_url = str(app.config.get("REDIS_URL") or "")
    if redis_url.startswith("redis+unix://"):
        redis_url = "unix://" + redis_url.removeprefix("redis+unix://")
    if redis_url.startswith((*_REDIS_AS_IS, "unix://")):
        return RedisHuey(name, url=redis_url, results=False)
    if redis_url:
        log.warning("worker: REDIS_URL of this kind is not supported; the queue uses SQLite")
    path = Path(app.config.get("WORKER_SQLITE_FILE") or Path(app.instance_path) / "worker.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # 0600 like the database (database.restrict_sqlite_files)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return SqliteHuey(name, filename=str(path), results=False)


def in_app_context(app: Flask, job: Callable[[], T]) -> T:
    """Run `job` with the app: in the caller's context when it is already this app's (a task run
    at once in a request), else in a new one whose session is removed afterwards."""
    if has_app_context() and cast(Any, current_app)._get_current_object() is app:
        return job()
    with app.app_context():
        try:
            return job()
        finally:
            db.session.remove()


# --- the jobs ------------------------------------------------------------------------------------


def deliver_mail(session: Session) -> outbox.Delivery:
    """Send what is due (a view's fresh message, or a retry whose time has come)."""
    if not outbox.mail_configured():
        return outbox.Delivery()
    return outbox.deliver_all(session, limit=DELIVERY_LIMIT)


def every_minute(session: Session, now: datetime) -> dict[str, int]:
    """The jobs of every minute. What each did, for the log."""
    done: dict[str, int] = {}
    # Scheduled bulletins first, so that their mail goes out in this same run.
    done["bulletins_published"] = publishing.publish_due(session, now)
    delivery = deliver_mail(session)
    done["mail_sent"], done["mail_retry"], done["mail_failed"] = (
        delivery.sent,
        delivery.retry,
        delivery.failed,
    )
    # Last: the prefecture page's per-network figures that a change (or the new day) made
    # stale, as many as fit in FIGURES_BUDGET_SECONDS; the rest the next minute.
    done["figures_refreshed"] = summaries.refresh_due(
        session, budget_seconds=FIGURES_BUDGET_SECONDS
    ).done
    return done


def daily(session: Session, now: datetime) -> dict[str, int]:
    """The jobs of each day (03:30 Japan time). What each did, for the log."""
    done: dict[str, int] = {}
    done["concerns_purged"] = retention.purge_expired(
        session, now=now, days=int(current_app.config["CONCERN_RETENTION_DAYS"])
    )
    done["mail_erased"] = outbox.erase_old(
        session, now=now, days=int(current_app.config["MAIL_RETENTION_DAYS"])
    )
    # Refresher reminders (90 and 30 days before a certificate's end): the mail they queue goes
    # out with the next every-minute run.
    done["reminders_queued"] = reminders.send_due_reminders(session, to_jst(now).date())
    return done


# --- the queue -----------------------------------------------------------------------------------


def init_app(app: Flask) -> Huey:
    """Build the app's queue, its tasks and periodic jobs, and register the mail dispatcher."""
    huey = _queue_for(app)

    @huey.task(name="deliver_mail")
    def deliver_mail_task() -> None:
        in_app_context(app, lambda: _logged("deliver_mail", _delivery_counts(db.session)))

    @huey.periodic_task(crontab(minute="*"), name="every_minute")
    def every_minute_task() -> None:
        in_app_context(app, lambda: _logged("every_minute", every_minute(db.session, utcnow())))

    @huey.periodic_task(crontab(**DAILY_AT_UTC), name="daily")
    def daily_task() -> None:
        in_app_context(app, lambda: _logged("daily", daily(db.session, utcnow())))

    app.extensions[HUEY_KEY] = huey
    app.extensions[outbox.DISPATCH_KEY] = deliver_mail_task
    return huey


def _delivery_counts(session: Session) -> dict[str, int]:
    delivery = deliver_mail(session)
    return {"sent": delivery.sent, "retry": delivery.retry, "failed": delivery.failed}


def _logged(job: str, done: dict[str, int]) -> None:
    if any(done.values()):
        log.info("worker %s: %s", job, done)


def queue_of(app: Flask) -> Huey:
    return cast(Huey, app.extensions[HUEY_KEY])


def run_consumer(app: Flask, *, workers: int = 2) -> None:
    """Run the consumer until SIGINT or SIGTERM (`trainer worker`)."""
    huey = queue_of(app)
    if huey.immediate:
        raise RuntimeError("WORKER_IMMEDIATE is set: there is no queue to consume")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The consumer's start and stop, and every failure; not two lines a minute for each task run
    # (what a job did is logged by _logged when it did something).
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("huey.consumer").setLevel(logging.INFO)
    logging.getLogger("huey.consumer.Scheduler").setLevel(logging.WARNING)
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()
