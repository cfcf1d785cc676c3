"""Taking quizzes through the pages, as a learner's phone would, or through the services."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from trainer.content.placeholders import LOCAL_FACTS
from trainer.courses.loading import load_courses
from trainer.errors import Conflict, DomainError
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.quizzes import answers, attempts
from trainer.quizzes.course_stats import (
    AnswerValueCount,
    CourseStats,
    ScoreGroups,
    StatsFilter,
    counted_attempts,
)
from trainer.quizzes.models import Attempt, QuizQuestion

REPO = Path(__file__).resolve().parents[2]


def load_repository_content() -> None:
    load_courses(db.session, REPO / "courses", REPO / "quizzes")


def set_local_facts(network) -> None:
    """Every local fact of the network set (a sample value each), so that no question of the
    repository's banks is withheld (trainer/quizzes/withheld.py) whatever facts they use."""
    for fact in LOCAL_FACTS:
        if fact.name not in ("network_name", "municipality"):  # the network's own columns
            setattr(network, fact.name, f"テスト用の{fact.label}")
    db.session.commit()


def form_for(question: QuizQuestion, *, right: bool) -> dict[str, object]:
    """The form a learner would send: all right, or all wrong."""
    body = question.body
    if question.type == "single":
        pick = next(c for c in body["choices"] if c["correct"] == right)
        return {"choice": pick["key"]}
    if question.type == "multi":
        return {"choice": [c["key"] for c in body["choices"] if c["correct"] == right]}
    if question.type == "truefalse":
        return {f"case-{c['key']}": "yes" if c["answer"] == right else "no" for c in body["cases"]}
    return {"value": "4"}


def start(client, course_slug: str, phase: str) -> int:
    """Start (or continue) a quiz from its start page, as the learner's phone does. A learner
    sent from the post-test to the pre-test (trainer/quizzes/attempts.pre_test_first) takes the
    pre-test first, every answer wrong, as such a learner would have to."""
    opened = client.get(f"/learn/{course_slug}/quiz/{phase}")
    if phase == "post" and opened.status_code == 302:
        assert opened.headers["Location"] == f"/learn/{course_slug}/quiz/pre", opened.headers
        pre = start(client, course_slug, "pre")
        answer_all(client, pre, right=False)
        assert submit(client, pre).status_code == 302
        opened = client.get(f"/learn/{course_slug}/quiz/{phase}")
    page = opened.get_data(as_text=True)
    if "はじめに、あなたについて" in page:
        client.post(
            f"/learn/{course_slug}/quiz/{phase}/attributes",
            data={"age_band": "50s", "gender": "female", "job_type": "support"},
        )
        page = client.get(f"/learn/{course_slug}/quiz/{phase}").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    response = client.post(f"/learn/{course_slug}/quiz/{phase}/start", data={"key": key})
    assert response.status_code == 302, page
    return int(re.search(r"/learn/attempts/(\d+)/", response.headers["Location"]).group(1))


def answer_all(
    client, attempt_id: int, *, right: bool = True, wrong_keys: set[str] = frozenset()
) -> None:
    attempt = db.session.get(Attempt, attempt_id)
    for n, question_id in enumerate(attempt.question_ids, start=1):
        question = db.session.get(QuizQuestion, question_id)
        response = client.post(
            f"/learn/attempts/{attempt_id}/{n}",
            data={
                **form_for(question, right=right and question.key not in wrong_keys),
                **page_fields(attempt, n),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)


def page_fields(attempt: Attempt, n: int) -> dict[str, str]:
    """The hidden fields a question page sends with the answer (templates/quizzes/question.html):
    the question version it shows, and on the last question, that it is the last."""
    fields = {"question_id": str(attempt.question_ids[n - 1])}
    if n == len(attempt.question_ids):
        fields["last"] = "1"
    return fields


def submit(client, attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id)
    return client.post(
        f"/learn/attempts/{attempt_id}/submit", data={"key": attempt.idempotency_key}
    )


def read_all_modules(client, course_slug: str = "mimamori-basic") -> None:
    from trainer.learning.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    for module in course.modules:
        client.post(f"/learn/{course_slug}/{module.slug}/read")


def take(member, course, phase: str, *, right, likert: int = 4, override=None, submit: bool = True):
    """Take a quiz through the services: right for the question keys in `right`, wrong for the
    others, `likert` for the survey items; `override` gives whole forms per key. The post-quiz
    first reads every module, as it requires. Returns the submitted attempt (or the open one)."""
    if phase == "post":
        for module in learning.active_modules(course):
            page = learning.module_page(db.session, member, course.slug, module.slug)
            learning.mark_read(db.session, member, page)
    attempt = attempts.start_attempt(
        db.session, member=member, course=course, phase=phase, key=attempts.new_idempotency_key()
    )
    for qid in attempt.question_ids:
        question = db.session.get(QuizQuestion, qid)
        form = form_for(question, right=question.key in right)
        if question.type == "likert":
            form = {"value": str(likert)}
        if override and question.key in override:
            form = override[question.key](question)
        save_answer(db.session, attempt=attempt, question_id=qid, form=MultiDict(form))
    if not submit:
        return attempt
    return attempts.submit(db.session, attempt=attempt, key=attempt.idempotency_key, course=course)


def save_answer(session, *, attempt: Attempt, question_id: int, form) -> None:
    """One answer of an open attempt, graded and stored (a later save of the same question
    replaces it): the steps every save path of trainer/quizzes/answers.py takes, for tests that
    answer without a page."""
    if attempt.status != "open":
        raise Conflict(attempts.ALREADY_SUBMITTED)
    if question_id not in attempt.question_ids:
        raise DomainError("この問題はこのテストのものではありません。")
    position = attempt.question_ids.index(question_id) + 1
    answer = answers.grade_answer(session, position, question_id, form)
    if not answers.store_answers(
        session, attempt_id=attempt.id, member_id=attempt.member_id, answers=[answer]
    ):
        raise answers.not_stored(session, attempt.member_id)


# The report's figures for one course, each from its own counting of the attempts (the report
# counts once and asks for every figure: trainer/secretariat/report.py).


def course_statistics(
    session, *, network_id: int, course, filters: StatsFilter | None = None
) -> CourseStats:
    counted = counted_attempts(session, network_id=network_id, course=course, filters=filters)
    return counted.statistics(session, course)


def paired_scores(
    session, *, network_id: int, course, filters: StatsFilter | None = None
) -> ScoreGroups:
    counted = counted_attempts(session, network_id=network_id, course=course, filters=filters)
    return counted.score_groups()


def answer_value_counts(
    session,
    *,
    network_id: int,
    course,
    question_ids: list[int],
    filters: StatsFilter | None = None,
) -> list[AnswerValueCount]:
    counted = counted_attempts(session, network_id=network_id, course=course, filters=filters)
    return counted.value_counts(session, question_ids)
