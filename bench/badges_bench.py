"""Badge sheet benchmark (prints figures; not a pass/fail test).

Renders member badges (構成員証) for 1,000 generated members (made-up names, organisations and
networks; nobody real) with trainer.certificates.badge_sheet.badge_sheet_pdf: 100 sheets of ten
cards, fronts and backs, so 200 A4 pages with 1,000 vector QR codes. Three timed runs (median
and fastest), the PDF's pages and size, and peak memory: the process's maximum resident set size
and tracemalloc's peak during one extra run (tracemalloc slows Python down, so that run is not
timed). Then the same through the app, as the secretariat gets it: a throwaway SQLite database with
one network, 1,000 members with certificates, and the badge form posted through the Flask test
client (selection query, PDF, audit event), timed over the same number of runs.

    .venv/bin/python bench/badges_bench.py [--cards 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta

from pypdf import PdfReader

from trainer.certificates.badge_sheet import badge_sheet_pdf
from trainer.certificates.certificate_sheet import PrintedCertificate

SURNAMES = [
    ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"),
    ("伊藤", "いとう"), ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"),
    ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"), ("山田", "やまだ"),
    ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"), ("井上", "いのうえ"),
    ("木村", "きむら"), ("林", "はやし"), ("斎藤", "さいとう"), ("清水", "しみず"),
    ("髙橋", "たかはし"), ("長谷川", "はせがわ"), ("五十嵐", "いがらし"),
    ("勅使河原", "てしがわら"),
]  # fmt: skip
GIVEN_NAMES = [
    ("太郎", "たろう"), ("花子", "はなこ"), ("美智子", "みちこ"), ("健一", "けんいち"),
    ("さくら", "さくら"), ("翔太", "しょうた"), ("由美", "ゆみ"), ("誠", "まこと"),
    ("和子", "かずこ"), ("浩二", "こうじ"), ("陽菜", "ひな"), ("大輔", "だいすけ"),
    ("恵美子", "えみこ"), ("隆", "たかし"), ("真由美", "まゆみ"), ("勝", "まさる"),
    ("ひろみ", "ひろみ"), ("正和", "まさかず"), ("千代", "ちよ"), ("一之介", "いちのすけ"),
]  # fmt: skip
ORGANISATIONS = [
    "みどり信用金庫 {place}支店",
    "{place}郵便局",
    "さくら新聞 {place}販売所",
    "みどり市社会福祉協議会",
    "{place}地域包括支援センター",
    "{place}地区民生委員児童委員協議会",
    "{place}町内会",
    "あおば生活協同組合 宅配センター",
    "みどりガス株式会社 {place}営業所",
    "社会福祉法人さくら会 特別養護老人ホームみどりの里 在宅介護支援センター",
    "ひかり薬局 {place}店",
    "みどり市消防本部 {place}分署",
]
PLACES = ["本店", "駅前", "青葉台", "桜ヶ丘", "緑町", "東", "西新町", "ひかり野"]
NETWORKS = [
    "みどり市消費者安全確保地域協議会",
    "あおば町見守りネットワーク",
    "さくら県みどり市・あおば町・ひかり村広域消費者安全確保地域協議会（見守りネットワーク）",
]


def make_cards(count: int, seed: int = 1) -> list[PrintedCertificate]:
    rng = random.Random(seed)
    cards = []
    for i in range(1, count + 1):
        surname, surname_kana = rng.choice(SURNAMES)
        given, given_kana = rng.choice(GIVEN_NAMES)
        space = rng.choice([" ", "　", ""])
        issued = date(2026, 4, 1) + timedelta(days=rng.randrange(365))
        token = "".join(
            rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", k=24)
        )
        cards.append(
            PrintedCertificate(
                serial_label=f"第{i:05d}号",
                member_name=f"{surname}{space}{given}",
                member_kana=f"{surname_kana} {given_kana}" if rng.random() < 0.8 else "",
                organisation=rng.choice(ORGANISATIONS).format(place=rng.choice(PLACES)),
                network=rng.choice(NETWORKS),
                course_title="見守りネットワーク 基礎研修",
                issued_on=issued,
                valid_until=issued.replace(year=issued.year + 2) - timedelta(days=1),
                verify_url=f"https://mimamori.example.jp/verify/{token}",
                # The back's second code (the report form), as the badge route prints it.
                report_url=f"https://mimamori.example.jp/r/{token[::-1]}",
            )
        )
    return cards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {python}")

    cards = make_cards(args.cards)
    badge_sheet_pdf(cards[:1])  # warm up: font metrics are read once per process
    times, pdf = [], b""
    for _ in range(args.runs):
        started = time.perf_counter()
        pdf = badge_sheet_pdf(cards)
        times.append(time.perf_counter() - started)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(
        f"badge_sheet_pdf, {args.cards} cards: median {statistics.median(times):.2f} s, "
        f"fastest {min(times):.2f} s (runs: {runs} s); {pages} pages, {len(pdf) / 1e6:.2f} MB"
    )

    tracemalloc.start()
    badge_sheet_pdf(cards)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    print(
        f"peak memory: {max_rss / 1e6:.0f} MB resident (whole process), "
        f"{traced_peak / 1e6:.0f} MB allocated by Python during one run (tracemalloc)"
    )
    through_app(cards, args.runs)


def through_app(cards: list[PrintedCertificate], runs: int) -> None:
    import tempfile
    from pathlib import Path

    from trainer import create_app
    from trainer.accounts import roster
    from trainer.accounts.models import Network, NetworkRole, Role, User
    from trainer.certificates import service
    from trainer.courses.loading import load_courses
    from trainer.extensions import db
    from trainer.learning.models import Course

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "INSTANCE_PATH": folder,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
                "WTF_CSRF_ENABLED": False,
                "TRAINER_BASE_URL": "https://mimamori.example.jp",
            }
        )
        with app.app_context():
            db.create_all()
            load_courses(db.session, root / "courses", root / "quizzes")
            course = db.session.query(Course).first()
            network = Network(name=cards[0].network, prefecture="さくら県", municipality="みどり市")
            user = User(email="bench@example.jp", name="事務局")
            db.session.add_all([network, user])
            db.session.flush()
            db.session.add(
                NetworkRole(user_id=user.id, network_id=network.id, role=Role.SECRETARIAT)
            )
            db.session.commit()
            organisations = {}
            for card in cards:
                if card.organisation not in organisations:
                    organisations[card.organisation] = roster.create_organisation(
                        db.session,
                        network_id=network.id,
                        kind="other",
                        name=card.organisation,
                        actor=None,
                    )
                member = roster.create_member(
                    db.session,
                    network_id=network.id,
                    data=roster.MemberInput(
                        organisation_id=organisations[card.organisation].id,
                        name=card.member_name,
                        kana=card.member_kana,
                        membership_start=date(2025, 4, 1),
                    ),
                    actor=None,
                    allow_same_name=True,
                )
                service.issue_for_attempt(db.session, member=member, course=course, attempt_id=None)
                db.session.commit()
            ids = (network.id, course.id, user.get_id())
            db.session.remove()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = ids[2], True
        times, size = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            response = client.post(
                f"/n/{ids[0]}/certificates/badges",
                data={"course_id": ids[1], "organisation_id": 0},
            )
            times.append(time.perf_counter() - started)
            assert response.mimetype == "application/pdf", response.status
            size = len(response.data)
        with app.app_context():
            db.engine.dispose()
    runs_text = ", ".join(f"{t:.2f}" for t in times)
    scale = 1 if sys.platform == "darwin" else 1024
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    print(
        f"through the app (SQLite, POST /n/…/certificates/badges, {len(cards)} members): "
        f"median {statistics.median(times):.2f} s, fastest {min(times):.2f} s "
        f"(runs: {runs_text} s); {size / 1e6:.2f} MB; process peak {max_rss / 1e6:.0f} MB resident"
    )


if __name__ == "__main__":
    main()
