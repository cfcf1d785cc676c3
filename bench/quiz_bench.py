"""Quiz benchmarks (prints figures; not a pass/fail test).

1. Statistics: one course's before/after statistics for 10,000 learners × 2 attempts on SQLite
   (every question of the basic course's banks answered: 13 scored + 8 survey questions).
2. Submits: complete attempts (start, every answer saved, submit) through the app's test client,
   one after another, and the submit requests alone.

    .venv/bin/python bench/quiz_bench.py [--learners 10000] [--attempts 30]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select, update
from werkzeug.datastructures import MultiDict

ROOT = Path(__file__).resolve().parent.parent


def make_app(tmp: str):
    from trainer import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
            "INSTANCE_PATH": f"{tmp}/instance",
            "SECRET_KEY": "bench-" + "x" * 40,
            "TRAINER_BASE_URL": "http://127.0.0.1:5000",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )


def _some_answer(question) -> object:
    """A valid stored answer of the question's type (which one does not matter here)."""
    if question.type == "likert":
        return random.randint(1, 5)
    if question.type == "truefalse":
        return {c["key"]: random.random() < 0.5 for c in question.body["cases"]}
    keys = [c["key"] for c in question.body["choices"]]
    return random.choice(keys) if question.type == "single" else keys[:2]


def bench_statistics(learners: int) -> None:
    from trainer.accounts.models import Member, Network, Organisation
    from trainer.courses.loading import load_courses
    from trainer.extensions import db
    from trainer.learning.models import Course
    from trainer.quizzes import result_codes
    from trainer.quizzes.course_stats import counted_attempts
    from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp)
        with app.app_context():
            db.create_all()
            load_courses(db.session, ROOT / "courses", ROOT / "quizzes")
            course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
            network = Network(name="ベンチ", prefecture="さくら県", municipality="ベンチ市")
            db.session.add(network)
            db.session.flush()
            orgs = [
                Organisation(
                    network_id=network.id, kind="financial", name=f"団体{i}", name_key=f"団体{i}"
                )
                for i in range(200)
            ]
            db.session.add_all(orgs)
            db.session.flush()
            started = time.perf_counter()
            db.session.execute(
                insert(Member),
                [
                    {
                        "network_id": network.id,
                        "organisation_id": orgs[i % len(orgs)].id,
                        "name": f"受講者{i}",
                        "name_key": f"受講者{i}",
                        "membership_start": date(2025, 4, 1),
                        "link_selector": f"{i:016d}",
                        "link_verifier": "x" * 32,
                        "job_type": random.choice(["field", "counter", "support"]),
                        "age_band": random.choice(["30s", "40s", "50s", "60plus"]),
                    }
                    for i in range(learners)
                ],
            )
            member_ids = list(db.session.scalars(select(Member.id)))
            banks = {b.slug: b for b in db.session.scalars(select(QuizBank))}
            questions = {q.id: q for q in db.session.scalars(select(QuizQuestion))}
            attempts = []
            for phase, slug in (("pre", course.pre_quiz), ("post", course.post_quiz)):
                ids = banks[slug].question_ids + banks[course.survey].question_ids
                attempts += [
                    {
                        "member_id": m,
                        "course_id": course.id,
                        "phase": phase,
                        "status": "submitted",
                        "idempotency_key": f"{phase}-{m}",
                        "question_ids": ids,
                        "choice_order": {},
                    }
                    for m in member_ids
                ]
            db.session.execute(insert(Attempt), attempts)
            rows = db.session.execute(select(Attempt.id, Attempt.question_ids)).all()
            asked = {q.id: (q.type, q.body) for q in questions.values()}
            answers, codes = [], []
            for attempt_id, ids in rows:
                given = {}
                for qid in ids:
                    question = questions[qid]
                    likert = question.type == "likert"
                    right = random.random() < 0.6 and not likert
                    value = _some_answer(question)
                    given[qid] = (right, value)
                    answers.append(
                        {
                            "attempt_id": attempt_id,
                            "question_id": qid,
                            "value": value,
                            "likert": value if likert else None,
                            "score": 1.0 if right else 0.0,
                            "fully_right": right,
                        }
                    )
                # What submitting writes for the statistics (trainer/quizzes/result_codes.py).
                layout, code = result_codes.encode({q: asked[q] for q in ids}, given)
                codes.append({"id": attempt_id, "result_layout": layout, "result_codes": code})
            db.session.execute(update(Attempt), codes)  # bulk UPDATE by primary key
            db.session.execute(insert(Answer), answers)
            db.session.commit()
            db.session.execute(db.text("ANALYZE"))
            print(
                f"data: {learners:,} learners, {len(rows):,} attempts, {len(answers):,} answers "
                f"(built in {time.perf_counter() - started:.1f} s)"
            )
            timings = []
            for _ in range(5):
                t0 = time.perf_counter()
                counted = counted_attempts(db.session, network_id=network.id, course=course)
                stats = counted.statistics(db.session, course)
                timings.append(time.perf_counter() - t0)
                db.session.rollback()
            print(
                f"course statistics (SQLite): median {statistics.median(timings) * 1000:.0f} ms, "
                f"min {min(timings) * 1000:.0f} ms over {len(timings)} runs "
                f"({len(stats.questions)} questions, {stats.learners_paired:,} paired learners)"
            )


def bench_submits(count: int) -> None:
    import re

    from trainer.accounts import roster
    from trainer.accounts.models import Network, Organisation
    from trainer.courses.loading import load_courses
    from trainer.extensions import db
    from trainer.quizzes.models import Attempt, QuizQuestion

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(tmp)
        with app.app_context():
            db.create_all()
            load_courses(db.session, ROOT / "courses", ROOT / "quizzes")
            network = Network(name="ベンチ", prefecture="さくら県", municipality="ベンチ市")
            db.session.add(network)
            db.session.flush()
            org = Organisation(
                network_id=network.id, kind="financial", name="団体", name_key="団体"
            )
            db.session.add(org)
            db.session.commit()
            tokens = [
                roster.create_member(
                    db.session,
                    network_id=network.id,
                    data=roster.MemberInput(
                        organisation_id=org.id, name=f"受講者{i}", membership_start=date(2025, 4, 1)
                    ),
                    actor=None,
                ).link_token
                for i in range(count)
            ]
            forms = {}
            for q in db.session.scalars(select(QuizQuestion)):
                body = q.body
                if q.type == "single":
                    forms[q.id] = MultiDict({"choice": body["choices"][0]["key"]})
                elif q.type == "multi":
                    forms[q.id] = MultiDict([("choice", body["choices"][0]["key"])])
                elif q.type == "truefalse":
                    forms[q.id] = MultiDict({f"case-{c['key']}": "yes" for c in body["cases"]})
                else:
                    forms[q.id] = MultiDict({"value": "3"})
        whole, submits = [], []
        for token in tokens:
            client = app.test_client()
            client.get(f"/m/{token}")
            client.post(
                "/learn/mimamori-basic/quiz/pre/attributes",
                data={"age_band": "50s", "gender": "female", "job_type": "field"},
            )
            page = client.get("/learn/mimamori-basic/quiz/pre").get_data(as_text=True)
            key = re.search(r'name="key" value="([^"]+)"', page).group(1)
            t0 = time.perf_counter()
            location = client.post(
                "/learn/mimamori-basic/quiz/pre/start", data={"key": key}
            ).headers["Location"]
            attempt_id = int(re.search(r"/attempts/(\d+)/", location).group(1))
            with app.app_context():
                attempt = db.session.get(Attempt, attempt_id)
                ids, attempt_key = attempt.question_ids, attempt.idempotency_key
            for n, qid in enumerate(ids, start=1):
                client.post(f"/learn/attempts/{attempt_id}/{n}", data=forms[qid])
            t1 = time.perf_counter()
            client.post(f"/learn/attempts/{attempt_id}/submit", data={"key": attempt_key})
            t2 = time.perf_counter()
            whole.append(t2 - t0)
            submits.append(t2 - t1)
        per_second = len(whole) / sum(whole)
        print(
            f"complete attempts through the app (start + {len(ids)} answers + submit, one client "
            f"at a time): {per_second:.1f} per second "
            f"(median {statistics.median(whole) * 1000:.0f} ms each)"
        )
        print(
            f"submit requests alone: {len(submits) / sum(submits):.0f} per second "
            f"(median {statistics.median(submits) * 1000:.1f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=30)
    args = parser.parse_args()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {python}")
    bench_statistics(args.learners)
    bench_submits(args.attempts)


if __name__ == "__main__":
    main()
