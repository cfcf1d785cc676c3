"""The learner takes a course's pre- or post-quiz: one question per page, saved as they go."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.accounts.access import learner_required
from trainer.accounts.login import session_member
from trainer.accounts.models import AgeBand, Gender, JobType
from trainer.certificates import service as certificates
from trainer.content.placeholders import fill_text
from trainer.content.question_types import question_type
from trainer.errors import DomainError, NotFound
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.learning.models import Course
from trainer.quizzes import answers, attempts, questions, results
from trainer.quizzes.models import PHASES, REFRESHER
from trainer.quizzes.score_summary import score_summary
from trainer.refresher import renewal

bp = Blueprint("quizzes", __name__, url_prefix="/learn")
PHASE_LABELS = {"pre": "事前テスト", "post": "事後テスト", REFRESHER: "更新テスト"}
# Templates ask a question's type how to draw it (the question_fields macro of _macros.html, also
# used by the workshop's one-page test), so the lookup is a global of every template.
bp.add_app_template_global(question_type)


def _local(text: str) -> str:
    return fill_text(text, current_user.network.local_facts())


def _course_and_phase(course_slug: str, phase: str):
    if phase not in PHASES:
        raise NotFound("テストが見つかりません。")
    return learning.get_course(db.session, course_slug)


@bp.get("/<course_slug>/quiz/<phase>")
@learner_required
def start_page(course_slug: str, phase: str):
    course = _course_and_phase(course_slug, phase)
    if _sent_to_pre_test(course, phase):
        return redirect(url_for(".start_page", course_slug=course_slug, phase="pre"))
    return render_template(
        "quizzes/start.html",
        course=course,
        phase=phase,
        phase_label=PHASE_LABELS[phase],
        needs_attributes=attempts.needs_attributes(current_user),
        open_attempt=attempts.open_attempt(db.session, current_user, course, phase),
        done=attempts.submitted_attempts(db.session, current_user, course, phase),
        reason=attempts.can_start(db.session, current_user, course, phase),
        key=attempts.new_idempotency_key(),
        choices={"age_band": AgeBand, "gender": Gender, "job_type": JobType},
    )


def _sent_to_pre_test(course: Course, phase: str) -> bool:
    """The post-test waits for the pre-test (attempts.pre_test_first): its start page and its
    start send the learner to the pre-test with the one line on why. A post-test already open
    is continued as before."""
    if phase != "post" or not attempts.pre_test_first(db.session, current_user, course):
        return False
    if attempts.open_attempt(db.session, current_user, course, phase) is not None:
        return False
    flash(attempts.PRE_TEST_FIRST, "info")
    return True


@bp.post("/<course_slug>/quiz/<phase>/attributes")
@learner_required
def attributes(course_slug: str, phase: str):
    _course_and_phase(course_slug, phase)
    try:
        attempts.save_attributes(
            db.session,
            member=current_user,
            age_band=request.form.get("age_band", ""),
            gender=request.form.get("gender", ""),
            job_type=request.form.get("job_type", ""),
        )
    except DomainError as error:
        flash(f"{error.message}（年代・性別・職種）", "error")
    return redirect(url_for(".start_page", course_slug=course_slug, phase=phase))


@bp.post("/<course_slug>/quiz/<phase>/start")
@learner_required
def start(course_slug: str, phase: str):
    course = _course_and_phase(course_slug, phase)
    if _sent_to_pre_test(course, phase):
        return redirect(url_for(".start_page", course_slug=course_slug, phase="pre"))
    try:
        attempt = attempts.start_attempt(
            db.session,
            member=current_user,
            course=course,
            phase=phase,
            key=request.form.get("key", ""),
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".start_page", course_slug=course_slug, phase=phase))
    missing = questions.missing_positions(db.session, attempt)
    return redirect(url_for(".question", attempt_id=attempt.id, n=missing[0] if missing else 1))


@bp.get("/attempts/<int:attempt_id>/<int:n>")
@learner_required
def question(attempt_id: int, n: int):
    return _not_cached(_question_page(attempt_id, n))


def _not_cached(response):
    """Question and review pages are asked for again on the back button, not shown from the
    browser's cache: after 提出する, back shows the attempt as submitted, not a live form."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/attempts/<int:attempt_id>/<int:n>")
def save_answer(attempt_id: int, n: int):
    """The answer from a question page. Usually stored in one statement that checks the
    session's sign-in itself (save_answer_quickly); anything else takes the checked path."""
    signed_in = session_member()
    if signed_in is not None:
        saved = answers.save_answer_quickly(
            db.session, signed_in=signed_in, attempt_id=attempt_id, position=n, form=request.form
        )
        if saved is not None:
            return _after_save(attempt_id, n, saved)
    return _save_answer_checked(attempt_id, n)


@learner_required
def _save_answer_checked(attempt_id: int, n: int):
    saved = answers.save_answer_at(
        db.session, member=current_user, attempt_id=attempt_id, position=n, form=request.form
    )
    if saved.outcome == "invalid":
        return _question_page(attempt_id, n, error=saved.error)
    return _after_save(attempt_id, n, saved)


def _after_save(attempt_id: int, n: int, saved: answers.SavedAnswer):
    if saved.outcome == "submitted":
        return redirect(url_for(".result", attempt_id=attempt_id))
    if saved.outcome == "saved" and not saved.last:
        return redirect(url_for(".question", attempt_id=attempt_id, n=n + 1))
    return redirect(url_for(".review", attempt_id=attempt_id))


def _question_page(attempt_id: int, n: int, error: str | None = None):
    attempt = attempts.attempt_for(db.session, current_user, attempt_id)
    if attempt.status == "submitted":
        return redirect(url_for(".result", attempt_id=attempt.id))
    rows = questions.attempt_questions(db.session, attempt)
    if not 1 <= n <= len(rows):
        return redirect(url_for(".review", attempt_id=attempt.id))
    row = rows[n - 1]
    answer = questions.answers_by_question(db.session, attempt).get(row.id)
    return render_template(
        "quizzes/question.html",
        attempt=attempt,
        n=n,
        total=len(rows),
        row=row,
        question=questions.question_of(row),
        order=attempt.choice_order.get(str(row.id), []),
        answer=answer,
        error=error,
        local=_local,
        phase_label=PHASE_LABELS[attempt.phase],
    ), (422 if error else 200)


@bp.get("/attempts/<int:attempt_id>/review")
@learner_required
def review(attempt_id: int):
    attempt = attempts.attempt_for(db.session, current_user, attempt_id)
    # A submitted attempt's review (reached with the back button after 提出する) says 提出済み
    # and links to the result, with nothing left to press.
    submitted = attempt.status == "submitted"
    return _not_cached(
        render_template(
            "quizzes/review.html",
            attempt=attempt,
            submitted=submitted,
            rows=questions.attempt_questions(db.session, attempt),
            answered=questions.answers_by_question(db.session, attempt),
            missing=[] if submitted else questions.missing_positions(db.session, attempt),
            local=_local,
            phase_label=PHASE_LABELS[attempt.phase],
        )
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@learner_required
def submit(attempt_id: int):
    attempt = attempts.attempt_for(db.session, current_user, attempt_id)
    course = db.session.get_one(Course, attempt.course_id)
    try:
        attempts.submit(
            db.session,
            attempt=attempt,
            key=request.form.get("key", ""),
            course=course,
            # A passed refresher test renews the certificate it was taken for.
            issue=renewal.renew if attempt.phase == REFRESHER else None,
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".review", attempt_id=attempt.id))
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
@learner_required
def result(attempt_id: int):
    attempt = attempts.attempt_for(db.session, current_user, attempt_id)
    if attempt.status != "submitted":
        return redirect(url_for(".review", attempt_id=attempt.id))
    course = db.session.get_one(Course, attempt.course_id)
    failed = attempt.passed is False
    return render_template(
        "quizzes/result.html",
        course=course,
        outcome=results.result(db.session, current_user, attempt),
        score=score_summary(db.session, attempt),
        certificate=certificates.for_attempt(db.session, attempt.id),
        retake=_retake(course, attempt.phase) if failed else None,
        local=_local,
        phase_label=PHASE_LABELS[attempt.phase],
    )


def _retake(course: Course, phase: str) -> dict[str, str] | None:
    """A failed post-test's result offers the retake right under the score: the start form's
    action, key and its button's words, or None when no retake may start now (a later pass whose
    certificate is in force). A retake already open is continued by the same form. A failed
    refresher test offers the refresher again (trainer/refresher/renewal.retake)."""
    if phase == REFRESHER:
        return renewal.retake(db.session, current_user, course)
    action = url_for(".start", course_slug=course.slug, phase="post")
    current = attempts.open_attempt(db.session, current_user, course, "post")
    if current is not None:
        return {"action": action, "key": current.idempotency_key, "label": "続きから答える"}
    if attempts.can_start(db.session, current_user, course, "post") is not None:
        return None
    return {"action": action, "key": attempts.new_idempotency_key(), "label": "もう一度受ける"}
