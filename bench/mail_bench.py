"""Mail outbox benchmark (prints figures; not a pass/fail test).

Queues N bulletin-like Japanese messages (default 20,000: a long subject, a body of some 600
characters, a List-Unsubscribe address of its own each) into a throwaway SQLite database through
trainer.mail.outbox.queue, then starts a local SMTP server (aiosmtpd on 127.0.0.1, a handler that
only counts) and delivers them all through the real path, trainer.mail.outbox.deliver_due: one
claim (a committed UPDATE) and one result (a committed UPDATE) per message, one SMTP session per
round of 50, as `trainer worker` does. Prints the time to queue, the time to deliver, messages
per second, the process's peak RSS (resource.getrusage: the SMTP server's thread included) and
the database's size. Delivery stops at --time-limit seconds (what was sent by then is reported).

    .venv/bin/python bench/mail_bench.py [--messages 20000] [--time-limit 900]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

NETWORK = "みどり市消費者安全確保地域協議会"
SUBJECT = "【みどり市見守りネットワーク】お知らせ 第{n}号：還付金詐欺の電話が市内で増えています"
BODY = (
    "{name} 様\n\n"
    "みどり市見守りネットワーク事務局です。いつも見守り活動にご協力いただき、ありがとうございます。\n\n"
    "この1週間、市内で「市役所の保険年金課」を名乗り、医療費の還付金があるのでATMへ行くよう"
    "求める電話が相次いでいます。ATMで還付金を受け取ることはできません。訪問先や窓口で、"
    "高齢の方から「還付金の手続きでATMに行く」と聞いたら、その場で止めて、消費生活センター"
    "（電話 0000-00-0000）か警察相談専用電話（#9110）につないでください。\n\n"
    "詳しくは、見守りトレーナーのお知らせをご覧ください。\n"
    "https://mimamori.example.jp/bulletins/{n}\n\n"
    "--\n"
    "このメールは見守りトレーナーから自動で送っています。返信しても届きません。\n"
    "お知らせのメールを止めるには: https://mimamori.example.jp/unsubscribe/{token}\n"
)


class Counter:
    """Accepts every message and only counts it."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.bytes += len(envelope.original_content or b"")
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds for delivery")
    args = parser.parse_args()

    from trainer import create_app
    from trainer.extensions import db
    from trainer.mail import outbox
    from trainer.mail.models import OutgoingMail
    from trainer.timeutil import utcnow

    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        app = create_app(
            {
                "INSTANCE_PATH": folder,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
                "TRAINER_BASE_URL": "https://mimamori.example.jp",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": port,
                "SMTP_SECURITY": "none",
                "MAIL_FROM": "mimamori@city.example.lg.jp",
                "WORKER_IMMEDIATE": True,  # no queue file: delivery is called directly below
            }
        )
        with app.app_context():
            db.create_all()
            print(
                f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
            )
            started = time.perf_counter()
            for n in range(1, args.messages + 1):
                outbox.queue(
                    db.session,
                    network_id=None,
                    kind="bulletin.newsletter",
                    subject_type="bulletin",
                    subject_id=n % 50 + 1,
                    to=f"member{n:05d}@example.jp",
                    subject=SUBJECT.format(n=n % 50 + 1),
                    body=BODY.format(name=f"構成員 {n}号", n=n % 50 + 1, token=f"{n:020d}"),
                    sender_name=NETWORK,
                    unsubscribe_url=f"https://mimamori.example.jp/unsubscribe/{n:020d}",
                )
                if n % 1000 == 0:
                    db.session.commit()
            db.session.commit()
            queued_in = time.perf_counter() - started
            print(f"queued {args.messages:,} messages in {queued_in:.1f} s")
            print(f"  ({args.messages / queued_in:,.0f} messages/s)")

            counter = Counter()
            controller = Controller(counter, hostname="127.0.0.1", port=port, ready_timeout=10)
            controller.start()
            try:
                started = time.perf_counter()
                deadline = started + args.time_limit
                while time.perf_counter() < deadline:
                    round_ = outbox.deliver_due(db.session, now=utcnow(), limit=outbox.BATCH)
                    if round_.tried == 0 or round_.stopped:
                        break
                delivered_in = time.perf_counter() - started
            finally:
                controller.stop()
            counts = outbox.counts_by_status(db.session)
            db.session.remove()
            db.engine.dispose()
        size = sum(p.stat().st_size for p in database.parent.glob(database.name + "*"))
        done = "all" if counts["queued"] == 0 else "time limit reached"
        print(f"delivered {counter.count:,} messages in {delivered_in:.1f} s ({done})")
        print(
            f"  ({counter.count / delivered_in:,.1f} messages/s; server received "
            f"{counter.bytes / 1e6:.1f} MB)"
        )
        print(f"  outbox: {counts}")
        print(f"peak RSS: {peak_rss_mb():.0f} MB")
        print(f"database size: {size / 1e6:.1f} MB ({OutgoingMail.__tablename__} rows kept)")
        if counter.count != args.messages:
            sys.exit(1)


if __name__ == "__main__":
    main()
