"""National benchmark (prints figures; not a pass/fail test): the prefecture / national page and
one network's own report on a national instance, on PostgreSQL.

Creates a throwaway database (national_bench_<pid>) on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), builds in it with SQL (generate_series,
INSERT … SELECT; no ORM row by row) 500 networks spread over the 47 prefectures, 20
organisations and 1,000 members each (500,000 members), and about 1,000,000 submitted attempts
of the basic course, each with the result codes its submit writes (trainer/quizzes/
result_codes.py): the per-network report reads those, not the answer table, so no answer rows
are generated. Each member follows one of a few plans (nothing; only the pre-test; pre-test and
a pass; a fail and then a pass; …); each attempt's answers are one of a few dozen answer sheets
graded by the app itself. Passed post-tests have certificates (2% revoked, some expired, some
expiring); 3% of the members have left. Names are made up (構成員<id>).

Then it computes every network's summary (what the worker does on a new day: the time is
printed), and with the Flask test client signed in as each role asks --runs times (min / median
/ max ms) for: the national page (one row per prefecture), the national CSV, one prefecture's
page (as that prefecture's account), the same page after one of its networks changed (it
recomputes that network first), and one network's own before/after report and completion
table (as its secretariat). Last, the peak resident memory of this process (resource.getrusage),
which served every page, and the load average. The database is dropped at the end (--keep to
keep it; --reuse NAME to time an existing one).

    .venv/bin/python bench/national_bench.py [--networks 500] [--members 500000]
        [--attempts 1000000] [--runs 5] [--keep] [--reuse national_bench_1234]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
]  # fmt: skip
ORGANISATIONS = 20
VARIANTS = 24  # answer sheets per phase, form order and outcome
KINDS = ("consumer_centre", "community_support", "police", "care_management", "financial")
# Each member's plan: (share in percent, steps). About 2.05 attempts a member.
PLANS = (
    (5, ()),
    (5, ("pre",)),
    (5, ("pre", "post-fail")),
    (25, ("pre", "post-fail", "post-pass")),
    (55, ("pre", "post-pass")),
    (5, ("post-pass",)),
)
SHARE_RIGHT = {"pre": 0.55, "post-fail": 0.45, "post-pass": 0.97}


def server_url() -> str:
    return os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def admin_sql(statement: str) -> None:
    with psycopg.connect(psycopg_url(server_url()), autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def make_app(url: str):
    from trainer import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "INSTANCE_PATH": str(Path("/tmp") / f"national_bench_{os.getpid()}"),
            "SECRET_KEY": "bench-" + "x" * 40,
            "TRAINER_BASE_URL": "https://mimamori.example.jp",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            # The page would recompute stale networks itself; here the summaries are built
            # first, and one changed network is timed on purpose.
            "PREFECTURE_PAGE_BUDGET": 1.0,
        }
    )


# --- building ------------------------------------------------------------------------------------


def _sheets(session, course) -> list[dict[str, object]]:
    """Answer sheets graded by the app: per form order (swap), step and variant, the layout,
    codes, score and pass of one submitted attempt (what submit writes)."""
    import random

    from trainer.content.question_types import grade
    from trainer.quizzes import result_codes
    from trainer.quizzes.models import QuizBank, QuizQuestion
    from trainer.quizzes.questions import question_of

    rng = random.Random(7)
    banks = {b.slug: b for b in session.scalars(select(QuizBank))}
    questions = {q.id: q for q in session.scalars(select(QuizQuestion))}
    survey = banks[course.survey].question_ids
    forms = (banks[course.pre_quiz].question_ids, banks[course.post_quiz].question_ids)
    sheets = []
    for swap in (0, 1):
        for step, share in SHARE_RIGHT.items():
            phase = "pre" if step == "pre" else "post"
            ids = (forms[swap] if phase == "pre" else forms[1 - swap]) + survey
            made = 0
            while made < VARIANTS:
                given, score, max_score = {}, 0.0, 0
                for qid in ids:
                    q = questions[qid]
                    value = _value(q, rng.random() < share, rng)
                    graded = grade(question_of(q), value)
                    given[qid] = (graded.fully_right, value)
                    if q.type != "likert":
                        score += graded.score
                        max_score += 1
                passed = 100 * score / max_score >= course.pass_mark if phase == "post" else None
                if (step == "post-pass" and not passed) or (step == "post-fail" and passed):
                    continue  # drawn again until it is the outcome the plan says
                layout, codes = result_codes.encode(
                    {q: (questions[q].type, questions[q].body) for q in ids}, given
                )
                sheets.append(
                    {
                        "swap": swap,
                        "step": step,
                        "variant": made,
                        "phase": phase,
                        "question_ids": ids,
                        "score": score,
                        "max_score": max_score,
                        "passed": passed,
                        "layout": layout,
                        "codes": codes,
                    }
                )
                made += 1
    return sheets


def _value(question, right: bool, rng) -> object:
    body = question.body
    if question.type == "likert":
        return rng.randint(1, 5)
    if question.type == "single":
        return rng.choice([c["key"] for c in body["choices"] if c["correct"] == right])
    if question.type == "multi":
        keys = sorted(c["key"] for c in body["choices"] if c["correct"])
        wrong = sorted(c["key"] for c in body["choices"] if not c["correct"])
        return keys if right else keys[:1] + wrong[:1]
    cases = body["cases"]
    return {
        c["key"]: c["answer"] if right or n % 2 else not c["answer"] for n, c in enumerate(cases)
    }


def build(app, networks: int, members: int, attempts: int) -> dict[str, float]:
    """The data set, in SQL. Returns the seconds each part took."""
    import json

    from trainer.courses.loading import load_courses
    from trainer.extensions import db
    from trainer.learning.models import Course

    took: dict[str, float] = {}
    started = time.perf_counter()
    db.create_all()
    load_courses(db.session, ROOT / "courses", ROOT / "quizzes")
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    db.session.commit()
    per = members // networks
    run = db.session.execute
    run(
        text(
            """
            INSERT INTO network (id, name, prefecture, municipality, created_at,
              consumer_centre_name, consumer_centre_address, consumer_centre_phone,
              consumer_centre_hours, police_name, police_phone, police_address,
              community_support_name, community_support_phone, community_support_address)
            SELECT n, '第' || n || '市見守りネットワーク',
              (CAST(:prefs AS text[]))[1 + (n - 1) % 47],
              '第' || n || '市', now(), '第' || n || '市消費生活センター', '', '', '', '', '', '',
              '', '', ''
            FROM generate_series(1, :networks) AS n
            """
        ),
        {"prefs": PREFECTURES, "networks": networks},
    )
    run(
        text(
            """
            INSERT INTO organisation (id, network_id, kind, name, name_key, created_at)
            SELECT (n - 1) * :orgs + k, n, (CAST(:kinds AS text[]))[1 + k % 5], '団体' || k,
              '団体' || k, now()
            FROM generate_series(1, :networks) AS n, generate_series(1, :orgs) AS k
            """
        ),
        {"orgs": ORGANISATIONS, "networks": networks, "kinds": list(KINDS)},
    )
    run(
        text(
            """
            INSERT INTO member (id, network_id, organisation_id, name, kana, name_key, kana_key,
              job_type, age_band, gender, membership_start, membership_end, end_reason,
              needs_review, rejected_reason, link_selector, link_verifier, link_rotated_at,
              created_at, updated_at)
            SELECT i, 1 + (i - 1) / :per, ((i - 1) / :per) * :orgs + 1 + i % :orgs,
              '構成員' || i, '', '構成員' || i, '',
              (ARRAY['field','counter','support','other','unknown'])[1 + i % 5],
              (ARRAY['u30','30s','40s','50s','60plus','unknown'])[1 + i % 6],
              (ARRAY['male','female','other','unknown'])[1 + i % 4],
              DATE '2024-04-01' + i % 500,
              CASE WHEN i % 100 < 3 THEN current_date - (1 + i % 199) END, '', false, '',
              lpad(i::text, 16, '0'), md5(i::text), now(), now(), now()
            FROM generate_series(1, :members) AS i
            """
        ),
        {"per": per, "orgs": ORGANISATIONS, "members": per * networks},
    )
    db.session.commit()
    took["networks, organisations, members"] = time.perf_counter() - started

    started = time.perf_counter()
    sheets = _sheets(db.session, course)
    run(
        text(
            """
            CREATE TEMPORARY TABLE bench_sheet (swap int, step text, variant int, phase text,
              question_ids text, score float, max_score int, passed boolean, layout text,
              codes text)
            """
        )
    )
    run(
        text(
            "INSERT INTO bench_sheet VALUES (:swap, :step, :variant, :phase, :question_ids,"
            " :score, :max_score, :passed, :layout, :codes)"
        ),
        [{**s, "question_ids": json.dumps(s["question_ids"])} for s in sheets],
    )
    steps, low = [], 0
    for share, plan in PLANS:
        for number, step in enumerate(plan):
            steps.append({"low": low, "high": low + share, "number": number, "step": step})
        low += share
    run(text("CREATE TEMPORARY TABLE bench_plan (low int, high int, number int, step text)"))
    run(text("INSERT INTO bench_plan VALUES (:low, :high, :number, :step)"), steps)
    # One row per (member, step), in member order, cut at --attempts; ~30% in workshops is not
    # modelled (the report does not tell them apart).
    run(
        text(
            """
            INSERT INTO attempt (id, member_id, course_id, phase, status, idempotency_key,
              question_ids, choice_order, score, max_score, passed, started_at, submitted_at,
              result_layout, result_codes, awaiting_confirmation)
            SELECT row_number() OVER (ORDER BY m.id, p.number), m.id, :course, s.phase,
              'submitted', 'bench-' || m.id || '-' || p.number, s.question_ids::json, '{}'::json,
              s.score, s.max_score, s.passed,
              timezone('UTC', now()) - make_interval(
                days => 40 + ((m.id::bigint * 7919) % 700)::int - 10 * p.number, mins => 12),
              timezone('UTC', now()) - make_interval(
                days => 40 + ((m.id::bigint * 7919) % 700)::int - 10 * p.number),
              s.layout, s.codes, false
            FROM member m
            JOIN bench_plan p ON (m.id::bigint * 2654435761) % 100 >= p.low
              AND (m.id::bigint * 2654435761) % 100 < p.high
            JOIN bench_sheet s ON s.swap = m.id % 2 AND s.step = p.step
              AND s.variant = (m.id::bigint * 31 + p.number) % :variants
            ORDER BY m.id, p.number
            LIMIT :attempts
            """
        ),
        {"course": course.id, "variants": VARIANTS, "attempts": attempts},
    )
    db.session.commit()
    took["attempts"] = time.perf_counter() - started

    started = time.perf_counter()
    run(
        text(
            """
            INSERT INTO certificate (network_id, member_id, course_id, attempt_id, serial, token,
              token_hash, issued_on, valid_until, issued_at, revoked_at, revoked_reason,
              awaiting_confirmation)
            SELECT m.network_id, a.member_id, a.course_id, a.id,
              row_number() OVER (PARTITION BY m.network_id ORDER BY a.id),
              'bench' || lpad(a.id::text, 17, '0'), lpad(a.id::text, 64, '0'),
              (a.submitted_at + interval '9 hours')::date,
              ((a.submitted_at + interval '9 hours')::date + make_interval(months => :months)
                - interval '1 day')::date,
              a.submitted_at,
              CASE WHEN a.id % 50 = 0 THEN a.submitted_at + interval '20 days' END,
              CASE WHEN a.id % 50 = 0 THEN '本人の申し出（ベンチ）' ELSE '' END, false
            FROM attempt a JOIN member m ON m.id = a.member_id
            WHERE a.passed
            """
        ),
        {"months": course.certificate_months},
    )
    run(
        text(
            "UPDATE network SET last_certificate_serial = c.n FROM (SELECT network_id,"
            " count(*) AS n FROM certificate GROUP BY network_id) c WHERE c.network_id = network.id"
        )
    )
    for table in ("network", "organisation", "member", "attempt", "certificate"):
        run(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"))
    db.session.commit()
    took["certificates"] = time.perf_counter() - started
    started = time.perf_counter()
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    took["vacuum analyze"] = time.perf_counter() - started
    return took


def add_users(network_id: int, prefecture: str) -> dict[str, object]:
    from trainer.accounts.models import NetworkRole, Role, User
    from trainer.extensions import db
    from trainer.prefecture.models import NATIONAL, AreaRole

    users = {
        "national": User(email="kuni@example.jp", name="国 担当"),
        "prefecture": User(email="ken@example.jp", name="県 担当"),
        "secretariat": User(email="jimu@example.jp", name="事務局 担当"),
    }
    db.session.add_all(users.values())
    db.session.flush()
    db.session.add_all(
        [
            AreaRole(user_id=users["national"].id, prefecture=NATIONAL),
            AreaRole(user_id=users["prefecture"].id, prefecture=prefecture),
            NetworkRole(
                user_id=users["secretariat"].id, network_id=network_id, role=Role.SECRETARIAT
            ),
        ]
    )
    db.session.commit()
    return {key: user.get_id() for key, user in users.items()}


# --- timing --------------------------------------------------------------------------------------


def client_as(app, user_id: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    return client


def timed(client, url: str, runs: int, before=None) -> tuple[list[float], int, int]:
    times, status, size = [], 0, 0
    client.get(url)  # warm: templates compiled, caches filled
    for _ in range(runs):
        if before:
            with client.application.app_context():
                before()
        started = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times.append(1000 * (time.perf_counter() - started))
        status, size = response.status_code, len(body)
    return times, status, size


def mark_one_stale(network_id: int):
    from trainer.extensions import db
    from trainer.prefecture.models import NetworkFiguresChange

    def mark() -> None:
        db.session.add(NetworkFiguresChange(network_id=network_id))
        db.session.commit()
        db.session.remove()

    return mark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", type=int, default=500)
    parser.add_argument("--members", type=int, default=500_000)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", help="time an existing bench database (no build)")
    args = parser.parse_args()

    name = args.reuse or f"national_bench_{os.getpid()}"
    if not args.reuse:
        admin_sql(f'CREATE DATABASE "{name}"')
    try:
        run(args, with_database(server_url(), name), built=not args.reuse)
    finally:
        if not args.keep and not args.reuse:
            admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f'\nkept: {name} (drop it with: DROP DATABASE "{name}")')


def run(args, url: str, *, built: bool) -> None:
    from trainer.extensions import db
    from trainer.prefecture import summaries

    app = make_app(url)
    print(f"national benchmark on PostgreSQL ({platform.python_version()}), {os.cpu_count()} CPUs")
    with app.app_context():
        if built:
            for part, seconds in build(app, args.networks, args.members, args.attempts).items():
                print(f"  built {part}: {seconds:.1f} s")
        counts = {
            t: db.session.scalar(text(f"SELECT count(*) FROM {t}"))
            for t in ("network", "organisation", "member", "attempt", "certificate", "answer")
        }
        print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        network_id = 1
        prefecture = db.session.scalar(text("SELECT prefecture FROM network WHERE id = 1"))
        in_prefecture = db.session.scalar(
            text("SELECT count(*) FROM network WHERE prefecture = :p"), {"p": prefecture}
        )
        users = add_users(network_id, prefecture) if built else _users()
        started = time.perf_counter()
        done = summaries.refresh_due(db.session, budget_seconds=float("inf"))
        seconds = time.perf_counter() - started
        if done.done:
            print(
                f"  summaries of {done.done} networks computed in {seconds:.1f} s"
                f" ({1000 * seconds / done.done:.0f} ms a network: the worker's job on a new day)"
            )
        db.session.remove()

    report = f"/n/{network_id}/report/"
    cases = [
        ("national", "全国のページ（都道府県別47行）", "/prefecture/", None),
        ("national", "全国のCSV", "/prefecture/export.csv", None),
        (
            "national",
            f"全国→{prefecture}（{in_prefecture}ネットワーク）",
            f"/prefecture/?p={prefecture}",
            None,
        ),
        ("prefecture", f"{prefecture}のページ（県の担当）", "/prefecture/", None),
        (
            "prefecture",
            "同じページ、1ネットワーク変更後",
            "/prefecture/",
            mark_one_stale(network_id),
        ),
        ("secretariat", "1ネットワークの比較レポート", report, None),
        ("secretariat", "1ネットワークの受講状況", f"/n/{network_id}/completion/", None),
    ]
    print("\n| page | status | min ms | median ms | max ms | size |\n|---|---|---|---|---|---|")
    # No app context held around the requests: each request has its own, as in a server (a
    # shared one would keep Flask-Login's user of the first request for the next ones).
    for role, label, url, before in cases:
        times, status, size = timed(client_as(app, users[role]), url, args.runs, before)
        print(
            f"| {label} | {status} | {min(times):.0f} | {statistics.median(times):.0f}"
            f" | {max(times):.0f} | {size:,} B |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process (built, computed and served everything): {peak:.0f} MB")
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


def _users() -> dict[str, str]:
    from trainer.accounts.models import User
    from trainer.extensions import db

    found = {u.email: u.get_id() for u in db.session.scalars(select(User))}
    return {
        "national": found["kuni@example.jp"],
        "prefecture": found["ken@example.jp"],
        "secretariat": found["jimu@example.jp"],
    }


if __name__ == "__main__":
    main()
