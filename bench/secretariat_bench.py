"""Secretariat benchmark (prints figures; not a pass/fail test).

Builds, on SQLite, one network with 200 organisations, 20,000 members and 40,000 submitted
attempts of the basic course, each with its answers (the scored questions and the survey items of
the real quizzes/), inserted in bulk. When the course is counterbalanced, half the members take
form B before and form A after (the serving rule's stable hash), as they would. The mix is meant
to look like a network a year or two in: some members have done nothing, some only the pre-test,
some failed the post-test (and some of those passed it again), most passed and hold a
certificate, some of which expire within 90 days, some have expired, a few are revoked, and a few
members have left. A share of the attempts were taken
in workshops. Names are made up.

Then, with the Flask test client signed in as the secretariat, each page is asked for --runs
times (min / median / max ms) and marked PASS or MISS against its target on the median: every
page < 500 ms, a paged member list (filtered by status, kind, a deep page) < 200 ms. The pages:
the network's home page, the completion table, the member lists, the not-started list, the
before/after report and its print view, the exports page, the certificates list, the roster and
its search, a member's page, the organisations, the refresher due list, the concerns inbox and
the bulletins. The load average is printed with them (the machine may be shared). Then the
downloads: the certificates CSV and xlsx, the answers CSV (streamed: the time to the last byte,
and its size) and the members CSV. Last, the roster import
preview: a 20,000-row CSV in CP932 (most rows unchanged, some changed, some new) posted to the
import page, with the redirect to the preview followed.

Pages that answer 404 (not built yet) are printed as 「未実装」 and skipped.

    .venv/bin/python bench/secretariat_bench.py [--members 20000] [--attempts 40000]
        [--organisations 200] [--runs 5] [--keep PATH] [--only pages,downloads,import]

--keep PATH keeps the SQLite database at PATH; if it already holds the bench's network, it is
reused (only the timings run), which is handy when tuning a page.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import platform
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
NETWORK_NAME = "ベンチ市見守りネットワーク"
PAGE_TARGET_MS = 500
LIST_TARGET_MS = 200  # a paged, filtered member list
IMPORT_TARGET_S = 15
TODAY = date.today()

SURNAMES = [
    ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"),
    ("伊藤", "いとう"), ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"),
    ("小林", "こばやし"), ("加藤", "かとう"), ("吉田", "よしだ"), ("山田", "やまだ"),
    ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"), ("井上", "いのうえ"),
    ("木村", "きむら"), ("林", "はやし"), ("斎藤", "さいとう"), ("清水", "しみず"),
    ("山崎", "やまざき"), ("森", "もり"), ("池田", "いけだ"), ("橋本", "はしもと"),
    ("阿部", "あべ"), ("石川", "いしかわ"), ("山下", "やました"), ("中島", "なかじま"),
    ("石井", "いしい"), ("小川", "おがわ"), ("前田", "まえだ"), ("岡田", "おかだ"),
    ("長谷川", "はせがわ"), ("藤田", "ふじた"), ("後藤", "ごとう"), ("近藤", "こんどう"),
    ("村上", "むらかみ"), ("遠藤", "えんどう"), ("青木", "あおき"), ("五十嵐", "いがらし"),
]  # fmt: skip
GIVEN_NAMES = [
    ("太郎", "たろう"), ("花子", "はなこ"), ("美智子", "みちこ"), ("健一", "けんいち"),
    ("さくら", "さくら"), ("翔太", "しょうた"), ("由美", "ゆみ"), ("誠", "まこと"),
    ("和子", "かずこ"), ("浩二", "こうじ"), ("陽菜", "ひな"), ("大輔", "だいすけ"),
    ("恵美子", "えみこ"), ("隆", "たかし"), ("真由美", "まゆみ"), ("勝", "まさる"),
    ("ひろみ", "ひろみ"), ("正和", "まさかず"), ("千代", "ちよ"), ("修", "おさむ"),
    ("直子", "なおこ"), ("拓也", "たくや"), ("洋子", "ようこ"), ("剛", "つよし"),
    ("智子", "ともこ"), ("明", "あきら"), ("裕子", "ゆうこ"), ("茂", "しげる"),
    ("久美子", "くみこ"), ("亮", "りょう"), ("幸子", "さちこ"), ("博", "ひろし"),
    ("愛", "あい"), ("学", "まなぶ"), ("静香", "しずか"), ("進", "すすむ"),
    ("桃子", "ももこ"), ("実", "みのる"), ("綾", "あや"), ("豊", "ゆたか"),
]  # fmt: skip
ORGANISATION_PATTERNS = [
    ("みどり信用金庫 {place}支店", "financial"),
    ("{place}郵便局", "post_office"),
    ("{place}地域包括支援センター", "community_support"),
    ("{place}地区民生委員児童委員協議会", "welfare_commissioner"),
    ("あおば生活協同組合 {place}宅配センター", "coop_delivery"),
    ("ケアプランセンター{place}", "care_management"),
    ("さくら損害保険 {place}営業所", "insurance"),
    ("{place}町内会", "other"),
]
PLACES = [
    "本町", "駅前", "青葉台", "桜ヶ丘", "緑町", "東町", "西新町", "ひかり野", "南台", "北山",
    "中央", "若葉", "旭町", "栄町", "松原", "竹の台", "梅林", "川端", "港町", "丘の上",
    "新田", "大原", "小松", "高砂", "日の出",
]  # fmt: skip
JOBS = ["field", "counter", "support", "other", "unknown"]
AGES = ["u30", "30s", "40s", "50s", "60plus", "unknown"]


def make_app(database: Path):
    from trainer import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "INSTANCE_PATH": str(database.parent / "instance"),
            "SECRET_KEY": "bench-" + "x" * 40,
            "TRAINER_BASE_URL": "https://mimamori.example.jp",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


# --- building the data ---------------------------------------------------------------------------


def _answer_options(rows) -> dict[int, dict[str, list[tuple[object, float, bool, int | None]]]]:
    """For each question, a few stored answers (value, score, fully right, likert), graded by the
    app's own grading, so that scores are what the app would have stored: 'right' and 'wrong'."""
    from trainer.content.question_types import grade
    from trainer.quizzes.questions import question_of

    options = {}
    for row in rows:
        question = question_of(row)
        body = row.body
        if row.type == "likert":
            values = {"right": [1, 2, 3, 4, 5], "wrong": [1, 2, 3, 4, 5]}
        elif row.type == "single":
            values = {
                "right": [c["key"] for c in body["choices"] if c["correct"]],
                "wrong": [c["key"] for c in body["choices"] if not c["correct"]],
            }
        elif row.type == "multi":
            right = sorted(c["key"] for c in body["choices"] if c["correct"])
            wrong = sorted(c["key"] for c in body["choices"] if not c["correct"])
            values = {"right": [right], "wrong": [right[:1], right[:1] + wrong[:1], wrong[:2]]}
        else:
            cases = body["cases"]
            right = {c["key"]: c["answer"] for c in cases}
            half = {c["key"]: c["answer"] == bool(n % 2) for n, c in enumerate(cases)}
            two = {c["key"]: c["answer"] == (n < 2) for n, c in enumerate(cases)}
            values = {"right": [right], "wrong": [half, two]}
        options[row.id] = {
            kind: [
                (v, g.score, g.fully_right, v if row.type == "likert" else None)
                for v in vs
                for g in [grade(question, v)]
            ]
            for kind, vs in values.items()
        }
    return options


def _categories(members: int, target: int, rng: random.Random) -> list[list[str]]:
    """Each member's submitted attempts, in order: e.g. ["pre", "post-fail", "post-pass"]. Drawn
    from a realistic mix, then nudged so the total is the --attempts asked for."""
    mix = [
        ([], 0.10),
        (["pre"], 0.15),
        (["pre", "post-fail"], 0.04),
        (["pre", "post-fail", "post-pass"], 0.06),
        (["pre", "post-pass"], 0.60),
        (["post-pass"], 0.05),  # a workshop that skipped the pre-test
    ]
    plans = [list(rng.choices([m for m, _ in mix], [w for _, w in mix])[0]) for _ in range(members)]
    total = sum(map(len, plans))
    order = list(range(members))
    rng.shuffle(order)
    for i in order:
        if total == target:
            break
        plan = plans[i]
        if total < target and plan == ["pre", "post-pass"]:
            plans[i] = ["pre", "post-fail", "post-pass"]
            total += 1
        elif total < target and plan == []:
            plans[i] = ["pre", "post-pass"]
            total += 2
        elif total > target and plan == ["pre", "post-pass"]:
            plans[i] = ["pre"]
            total -= 1
    return plans


def build(app, members_n: int, attempts_n: int, organisations_n: int) -> None:
    from trainer.accounts.models import Member, Network, NetworkRole, Organisation, Role, User
    from trainer.certificates.models import Certificate
    from trainer.certificates.service import valid_until_for
    from trainer.courses.loading import load_courses
    from trainer.extensions import db
    from trainer.learning.models import Course
    from trainer.quizzes import result_codes
    from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion
    from trainer.text import name_key
    from trainer.timeutil import JST
    from trainer.workshops.models import Workshop

    rng = random.Random(7)
    started = time.perf_counter()
    db.create_all()
    load_courses(db.session, ROOT / "courses", ROOT / "quizzes")
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    network = Network(
        name=NETWORK_NAME,
        prefecture="さくら県",
        municipality="ベンチ市",
        consumer_centre_name="ベンチ市消費生活センター",
    )
    user = User(email="bench@example.jp", name="事務局 ベンチ")
    db.session.add_all([network, user])
    db.session.flush()
    db.session.add(NetworkRole(user_id=user.id, network_id=network.id, role=Role.SECRETARIAT))
    names = set()
    organisations = []
    while len(organisations) < organisations_n:
        pattern, kind = ORGANISATION_PATTERNS[len(organisations) % len(ORGANISATION_PATTERNS)]
        name = pattern.format(place=rng.choice(PLACES))
        if name in names:
            name = f"{name}（第{len(organisations)}）"
        names.add(name)
        organisations.append(
            Organisation(network_id=network.id, kind=kind, name=name, name_key=name_key(name))
        )
    db.session.add_all(organisations)
    db.session.flush()

    # Members: unique names within each organisation (the import matches on them).
    member_rows = []
    taken: set[tuple[int, str]] = set()
    for i in range(members_n):
        org = organisations[i % organisations_n]
        while True:
            (sur, sur_kana), (given, given_kana) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
            if (org.id, sur + given) not in taken:
                break
        taken.add((org.id, sur + given))
        start = date(2024, 4, 1) + timedelta(days=rng.randrange(500))
        ended = rng.random() < 0.03
        member_rows.append(
            {
                "id": i + 1,
                "network_id": network.id,
                "organisation_id": org.id,
                "name": f"{sur} {given}",
                "kana": f"{sur_kana} {given_kana}",
                "name_key": name_key(f"{sur} {given}"),
                "kana_key": name_key(f"{sur_kana} {given_kana}"),
                "job_type": rng.choice(JOBS),
                "age_band": rng.choice(AGES),
                "membership_start": start,
                "membership_end": TODAY - timedelta(days=rng.randrange(1, 200)) if ended else None,
                "link_selector": f"{i:016d}",
                "link_verifier": f"{rng.getrandbits(128):032x}",
            }
        )
    db.session.execute(insert(Member), member_rows)

    workshops = [
        {
            "id": n + 1,
            "network_id": network.id,
            "course_id": course.id,
            "title": f"見守り研修会（{PLACES[n % len(PLACES)]}会場）",
            "held_on": TODAY - timedelta(days=30 * n + 5),
            "join_code": f"BENCH{n:04d}",
            "phase": "closed",
        }
        for n in range(20)
    ]
    db.session.execute(insert(Workshop), workshops)

    banks = {b.slug: b for b in db.session.scalars(select(QuizBank))}
    questions = list(db.session.scalars(select(QuizQuestion)))
    options = _answer_options(questions)
    scored = {q.id for q in questions if q.type != "likert"}
    asked = {q.id: (q.type, q.body) for q in questions}
    survey = banks[course.survey].question_ids
    forms = (banks[course.pre_quiz].question_ids, banks[course.post_quiz].question_ids)
    plans = _categories(members_n, attempts_n, rng)
    attempt_rows, answer_rows, certificate_rows = [], [], []
    serial = 0
    for member, plan in zip(member_rows, plans, strict=True):
        # Form order: A→B, or B→A for half the members of a counterbalanced course (the lowest
        # bit of the serving rule's hash).
        digest = hashlib.sha256(f"form-order:{course.slug}:{member['id']}".encode()).digest()
        swap = digest[-1] & 1 if course.counterbalance else 0
        ids = {"pre": forms[swap] + survey, "post": forms[1 - swap] + survey}
        # The first attempt some time in the last two years; each next one a little later.
        moment = datetime.now(UTC).replace(tzinfo=None) - timedelta(
            days=rng.randrange(40, 760), minutes=rng.randrange(1440)
        )
        in_workshop = rng.random() < 0.3
        for step in plan:
            phase = "pre" if step == "pre" else "post"
            share = {"pre": 0.55, "post-fail": 0.45, "post-pass": 0.97}[step]
            attempt_id = len(attempt_rows) + 1
            score = 0.0
            given = {}
            for qid in ids[phase]:
                kind = "right" if rng.random() < share else "wrong"
                value, points, fully, likert = rng.choice(options[qid][kind])
                given[qid] = (fully, value)
                if qid in scored:
                    score += points
                answer_rows.append(
                    {
                        "attempt_id": attempt_id,
                        "question_id": qid,
                        "value": value,
                        "likert": likert,
                        "score": points,
                        "fully_right": fully,
                        "answered_at": moment,
                    }
                )
            # What submitting writes for the statistics (trainer/quizzes/result_codes.py).
            layout, codes = result_codes.encode({q: asked[q] for q in ids[phase]}, given)
            max_score = len([q for q in ids[phase] if q in scored])
            passed = 100 * score / max_score >= course.pass_mark if phase == "post" else None
            attempt_rows.append(
                {
                    "id": attempt_id,
                    "member_id": member["id"],
                    "course_id": course.id,
                    "workshop_id": rng.randrange(1, 21) if in_workshop else None,
                    "phase": phase,
                    "status": "submitted",
                    "idempotency_key": f"bench-{attempt_id}",
                    "question_ids": ids[phase],
                    "choice_order": {},
                    "score": score,
                    "max_score": max_score,
                    "passed": passed,
                    "started_at": moment - timedelta(minutes=12),
                    "submitted_at": moment,
                    "result_layout": layout,
                    "result_codes": codes,
                }
            )
            if passed:
                serial += 1
                issued = moment.replace(tzinfo=UTC).astimezone(JST).date()
                revoked = rng.random() < 0.02
                certificate_rows.append(
                    {
                        "network_id": network.id,
                        "member_id": member["id"],
                        "course_id": course.id,
                        "attempt_id": attempt_id,
                        "serial": serial,
                        "token": f"bench{serial:017d}",
                        "token_hash": f"{serial:064d}",
                        "issued_on": issued,
                        "valid_until": valid_until_for(issued, course.certificate_months),
                        "issued_at": moment,
                        "revoked_at": moment + timedelta(days=20) if revoked else None,
                        "revoked_reason": "本人の申し出（ベンチ）" if revoked else "",
                    }
                )
            moment += timedelta(days=rng.randrange(1, 30), minutes=rng.randrange(600))
    db.session.execute(insert(Attempt), attempt_rows)
    for chunk in range(0, len(answer_rows), 50_000):
        db.session.execute(insert(Answer), answer_rows[chunk : chunk + 50_000])
    db.session.execute(insert(Certificate), certificate_rows)
    network.last_certificate_serial = serial
    db.session.commit()
    db.session.execute(db.text("ANALYZE"))
    db.session.commit()
    print(
        f"built: {organisations_n} organisations, {members_n:,} members, "
        f"{len(attempt_rows):,} submitted attempts, {len(answer_rows):,} answers, "
        f"{len(certificate_rows):,} certificates in {time.perf_counter() - started:.1f} s"
    )


# --- timing the pages ----------------------------------------------------------------------------


def _timed(client, method: str, url: str, runs: int, **kwargs):
    times, response = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        body = response.get_data()  # a streamed body is made here: time to the last byte
        times.append((time.perf_counter() - t0) * 1000)
        if response.status_code == 404:
            return None, response, body
    return times, response, body


def _load() -> str:
    """The load average (1, 5, 15 min): the machine is shared, figures mean little without it."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _a_member_id(app, network_id: int) -> int:
    """A member in the middle of the network, with attempts (for the detail page)."""
    from trainer.extensions import db
    from trainer.quizzes.models import Attempt

    with app.app_context():
        found = db.session.scalar(select(func.max(Attempt.member_id)))
        db.session.remove()
    return int(found or 1) // 2 or 1


def _line(label: str, times: list[float] | None, response, body: bytes, target: str) -> None:
    if times is None:
        print(f"  {label:<44} 未実装（404）")
        return
    if response.status_code != 200:
        print(f"  {label:<44} status {response.status_code}")
        return
    figures = (
        f"min {min(times):6.0f}  median {statistics.median(times):6.0f}  max {max(times):6.0f} ms"
    )
    size = f"  {len(body) / 1e6:.1f} MB" if len(body) > 1_000_000 else ""
    limit = re.search(r"< (\d+) ms", target)
    verdict = ""
    if limit:
        verdict = " PASS" if statistics.median(times) < int(limit.group(1)) else " MISS"
    print(f"  {label:<44} {figures}{size}  {target}{verdict}")


def roster_csv(app, network_id: int, rng: random.Random) -> tuple[bytes, dict[str, int]]:
    """The roster as an office would send it back: most rows as they are, some changed (another
    age band, job type or kana), some new people; CP932, Japanese headers."""
    from trainer.accounts.models import AgeBand, JobType, Member, Organisation
    from trainer.extensions import db

    with app.app_context():
        rows = db.session.execute(
            select(Member, Organisation.name)
            .join(Organisation, Member.organisation_id == Organisation.id)
            .where(Member.network_id == network_id, Member.membership_end.is_(None))
            .order_by(Member.id)
        ).all()
        table, counts = [], {"unchanged": 0, "updated": 0, "new": 0}
        orgs = sorted({org for _, org in rows})
        for member, org in rows[: 20_000 - 600]:
            age, job = member.age_band, member.job_type
            if rng.random() < 0.05:
                age = rng.choice([a for a in AGES if a != age])
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            table.append(
                [
                    org,
                    member.name,
                    member.kana,
                    JobType(job).label,
                    AgeBand(age).label,
                    f"{member.membership_start:%Y/%m/%d}",
                ]
            )
        for n in range(20_000 - len(table)):
            table.append(
                [
                    rng.choice(orgs),
                    f"新人 {n}号",
                    f"しんじん {n}",
                    "外勤",
                    "30代",
                    f"{TODAY:%Y/%m/%d}",
                ]
            )
            counts["new"] += 1
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["構成団体", "氏名", "ふりがな", "職種", "年代", "加入日"])
    writer.writerows(table)
    return out.getvalue().encode("cp932"), counts


def time_item_analysis(app, network_id: int, runs: int) -> None:
    """The report's item analysis alone, over the attempts the report has already read."""
    from trainer.extensions import db
    from trainer.learning.models import Course
    from trainer.quizzes.course_stats import counted_attempts, paused_gc
    from trainer.quizzes.item_analysis import analyse

    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
        counted = counted_attempts(db.session, network_id=network_id, course=course)
        times = []
        for _ in range(runs):
            with paused_gc():
                t0 = time.perf_counter()
                analysis = analyse(db.session, counted, course)
                times.append((time.perf_counter() - t0) * 1000)
        rows = sum(len(f.phases) for item in analysis.items for f in item.forms)
        gain = analysis.gain
        print(
            f"  {'問題ごとの分析（集計のみ）':<44} min {min(times):6.0f}  median "
            f"{statistics.median(times):6.0f}  max {max(times):6.0f} ms  ({len(analysis.items)} "
            f"keys, {rows} key × form × phase rows; pre on A {gain.pre_n['A']:,}, on B "
            f"{gain.pre_n['B']:,}; paired {gain.paired_n:,})"
        )
        db.session.remove()


def time_pages(app, runs: int, parts: set[str]) -> None:
    from trainer.accounts.models import Network, User
    from trainer.extensions import db

    with app.app_context():
        network_id = db.session.scalar(select(Network.id).where(Network.name == NETWORK_NAME))
        user = db.session.scalar(select(User).where(User.email == "bench@example.jp"))
        user_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user_id, True
    base = f"/n/{network_id}"
    member = f"{base}/members/{_a_member_id(app, network_id)}"
    list_target = f"(目標 < {LIST_TARGET_MS} ms)"
    page_target = f"(目標 < {PAGE_TARGET_MS} ms)"
    members = f"{base}/completion/members"
    pages = [
        ("ホーム /", f"{base}/", page_target),
        ("受講状況 /completion/", f"{base}/completion/", page_target),
        ("構成員 members（全員）", members, list_target),
        ("構成員 members?status=not_started", f"{members}?status=not_started", list_target),
        ("構成員 members?status=valid", f"{members}?status=valid", list_target),
        ("構成員 ?status=expiring&page=20", f"{members}?status=expiring&page=20", list_target),
        ("構成員 ?status=pre_done&kind=financial", f"{members}?status=pre_done&kind=financial",
         list_target),
        ("構成員 ?status=completed&page=999", f"{members}?status=completed&page=999", list_target),
        ("未受講者 /completion/not-started", f"{base}/completion/not-started", page_target),
        ("比較レポート /report/", f"{base}/report/", page_target),
        ("比較レポート 印刷 /report/print", f"{base}/report/print", page_target),
        ("書き出し /exports/", f"{base}/exports/", page_target),
        ("修了証 /certificates/", f"{base}/certificates/", page_target),
        ("修了証 ?status=expiring", f"{base}/certificates/?status=expiring", page_target),
        ("名簿 /members", f"{base}/members", page_target),
        ("名簿 検索 /members?q=さとう", f"{base}/members?q=" + quote("さとう"), page_target),
        ("構成員の詳細 /members/<id>", member, page_target),
        ("構成団体 /organisations", f"{base}/organisations", page_target),
        ("更新時期 /refresher/", f"{base}/refresher/", page_target),
        ("相談 /concerns/", f"{base}/concerns/", page_target),
        ("お知らせ /bulletins/", f"{base}/bulletins/", page_target),
    ]  # fmt: skip
    if "pages" in parts:
        print(f"pages ({runs} runs each, SQLite, test client as the secretariat; load {_load()}):")
        misses = []
        for label, url, target in pages:
            times, response, body = _timed(client, "get", url, runs)
            _line(label, times, response, body, target)
            limit = LIST_TARGET_MS if target == list_target else PAGE_TARGET_MS
            if times is not None and statistics.median(times) >= limit:
                misses.append(label)
        print(f"  MISS: {', '.join(misses)}" if misses else "  all PASS")
        time_item_analysis(app, network_id, runs)
    downloads = [
        ("修了証 CSV", f"{base}/exports/certificates.csv"),
        ("修了証 xlsx", f"{base}/exports/certificates.xlsx"),
        ("回答 CSV（ストリーム、最後のバイトまで）", f"{base}/exports/answers.csv"),
        ("構成員 CSV /completion/export.csv", f"{base}/completion/export.csv"),
    ]
    if "downloads" in parts:
        print(f"downloads ({min(runs, 3)} runs each):")
        for label, url in downloads:
            _line(label, *_timed(client, "get", url, min(runs, 3)), "")
    if "import" not in parts:
        return

    data, counts = roster_csv(app, network_id, random.Random(11))
    print(
        f"roster import preview: 20,000 rows CP932 ({len(data) / 1e6:.1f} MB; planned "
        f"{counts['unchanged']:,} unchanged, {counts['updated']:,} updated, {counts['new']:,} new):"
    )
    times = []
    for _ in range(max(1, min(runs, 3))):
        t0 = time.perf_counter()
        response = client.post(
            f"{base}/roster/import/",
            data={"file": (io.BytesIO(data), "meibo.csv")},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        response.get_data()
        times.append(time.perf_counter() - t0)
        if response.status_code == 404:
            print("  未実装（404）")
            return
    page = response.get_data(as_text=True)
    # The preview's own counts (its cards: <h2>新規</h2><p class="number">18455<small>…).
    found = re.findall(r"<h2>([^<]+)</h2><p class=\"number\">(\d+)", page)
    shown = "、".join(f"{label} {int(n):,}" for label, n in found)
    print(
        f"  upload → preview: min {min(times):.1f}  median {statistics.median(times):.1f}  "
        f"max {max(times):.1f} s  (目標 < {IMPORT_TARGET_S} s)  status {response.status_code}, "
        f"preview {len(page) / 1e6:.1f} MB; the preview shows: {shown or '—'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--attempts", type=int, default=40_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="SQLite file to keep (and reuse if built)")
    parser.add_argument(
        "--only", default="pages,downloads,import", help="what to time (comma-separated)"
    )
    args = parser.parse_args()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {python}")

    with tempfile.TemporaryDirectory() as tmp:
        database = args.keep.resolve() if args.keep else Path(tmp) / "bench.sqlite3"
        database.parent.mkdir(parents=True, exist_ok=True)
        app = make_app(database)
        from trainer.accounts.models import Network
        from trainer.extensions import db

        with app.app_context():
            db.create_all()
            built = db.session.scalar(select(Network.id).where(Network.name == NETWORK_NAME))
            if built is None:
                build(app, args.members, args.attempts, args.organisations)
            else:
                print(f"reusing {database}")
            db.session.remove()
        time_pages(app, args.runs, set(args.only.split(",")))
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
