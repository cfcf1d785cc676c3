"""Attempts at a course's quizzes: the learner's attributes (asked once), starting an attempt
(once, whatever the number of requests; on one's own or in a workshop) and submitting it (once)
with its score, its result codes and, for a pass, its certificate."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from flask import current_app
from sqlalchemy import false, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from trainer.accounts.models import AgeBand, Gender, JobType, Member
from trainer.accounts.roster import ended_message, ensure_not_ended
from trainer.certificates import service as certificates
from trainer.content.question_types import question_type
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.learning.models import Course
from trainer.learning.service import has_read_every_module
from trainer.quizzes import forms, result_codes
from trainer.quizzes.models import PHASES, REFRESHER, Answer, Attempt
from trainer.quizzes.questions import attempt_questions, bank_of, missing_positions
from trainer.security import tokens_equal
from trainer.timeutil import utcnow

ALREADY_SUBMITTED = "このテストはすでに提出されています。"
OPEN_ON_OWN = (
    "個人用リンクで受けている途中のテストがあります。"
    "個人用リンクを開いてから参加し直すか、講師に本人確認を頼んでください。"
)
TAMPERED = (
    "送信内容が正しくありません。お手数ですが、ページを開き直してからもう一度お試しください。"
)
# Why the pre-test comes first, in one line: the home page, the course page and the post-test's
# start page all say this same sentence.
PRE_TEST_FIRST = "研修の前と後で知識を比べるため、はじめに事前テストを受けてください。"


# --- attributes (asked once) -------------------------------------------------------------------


def needs_attributes(member: Member) -> bool:
    return member.attributes_answered_at is None


def save_attributes(
    session: Session, *, member: Member, age_band: str, gender: str, job_type: str
) -> None:
    for value, allowed, field_name in (
        (age_band, AgeBand, "age_band"),
        (gender, Gender, "gender"),
        (job_type, JobType, "job_type"),
    ):
        if value not in {a.value for a in allowed}:
            raise DomainError("一覧から選んでください。", field_name)
    member.age_band, member.gender, member.job_type = age_band, gender, job_type
    member.attributes_answered_at = utcnow()
    session.commit()


# --- idempotency keys ----------------------------------------------------------------------------


def _signature(nonce: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"attempt:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def new_idempotency_key() -> str:
    """A random key for the start form, signed so that a forged or edited one is recognised."""
    nonce = secrets.token_hex(12)
    return f"{nonce}.{_signature(nonce)}"


def _check_key(key: str) -> None:
    nonce, _, signature = (key or "").partition(".")
    # tokens_equal compares bytes: hmac.compare_digest raises TypeError for a str that is not
    # ASCII, and the key is whatever the form sent.
    if not nonce or len(key) > 64 or not tokens_equal(signature, _signature(nonce)):
        raise DomainError(TAMPERED)


# --- attempts ----------------------------------------------------------------------------------


def submitted_attempts(
    session: Session, member: Member, course: Course, phase: str
) -> list[Attempt]:
    return list(
        session.scalars(
            select(Attempt)
            .where(
                Attempt.member_id == member.id,
                Attempt.course_id == course.id,
                Attempt.phase == phase,
                Attempt.status == "submitted",
            )
            .order_by(Attempt.id)
        )
    )


def open_attempt(session: Session, member: Member, course: Course, phase: str) -> Attempt | None:
    return session.scalar(
        select(Attempt).where(
            Attempt.member_id == member.id,
            Attempt.course_id == course.id,
            Attempt.phase == phase,
            Attempt.status == "open",
        )
    )


def can_start(
    session: Session, member: Member, course: Course, phase: str, *, in_workshop: bool = False
) -> str | None:
    """None if the member may start this phase now, else the Japanese reason why not.

    In a workshop the training in the room takes the place of reading the modules."""
    if phase not in PHASES:
        return "テストが見つかりません。"
    if member.membership_ended:
        return ended_message(member)
    if forms.bank_for(session, member, course, phase) is None:
        return "この研修にはテストがありません。"
    done = submitted_attempts(session, member, course, phase)
    if phase == "pre" and done:
        return "事前テストはすでに回答済みです。"
    if phase == "post":
        # Passing again is how a certificate that expired (or was revoked) is renewed.
        if any(a.passed for a in done) and certificates.in_force(session, member, course):
            return "事後テストにはすでに合格しています。修了証は有効です。"
        if not in_workshop and not has_read_every_module(session, member, course):
            return "事後テストは、すべてのモジュールを読んでから受けられます。"
    return None


def pre_test_first(session: Session, member: Member, course: Course) -> bool:
    """Whether a learner on their own must take the pre-test before the post-test: the course
    has a pre-test and the member has neither submitted one nor any post-test attempt.

    Someone who already has a post-test attempt (from a workshop, or from before the pre-test
    came first) is not sent back: a pre-test taken after the post-test would not measure what
    they knew before, and the report pairs only a first pre with a first post anyway. An open
    pre-test counts as not taken: the learner finishes it first. Workshops do not ask this:
    the trainer runs the room's phases (start_workshop_attempt)."""
    if bank_of(session, course.pre_quiz) is None:
        return False
    taken = session.scalar(
        select(Attempt.id)
        .where(
            Attempt.member_id == member.id,
            Attempt.course_id == course.id,
            (Attempt.phase == "post") | (Attempt.status == "submitted"),
        )
        .limit(1)
    )
    return taken is None


def start_attempt(
    session: Session,
    *,
    member: Member,
    course: Course,
    phase: str,
    key: str,
    refusal: Callable[[], str | None] | None = None,
) -> Attempt:
    """Start (or return) the member's attempt. Safe to repeat: the same key, or an attempt that is
    already open, gives back that attempt; two concurrent starts end with one open attempt.
    Refused once the membership has ended, also for an attempt opened before the end. A phase
    with its own rules (the refresher) passes `refusal`, asked instead of can_start()."""
    ensure_not_ended(member)
    _check_key(key)
    existing = session.scalar(select(Attempt).where(Attempt.idempotency_key == key))
    if existing is not None:
        if existing.member_id != member.id:
            raise DomainError(TAMPERED)
        return existing
    current = open_attempt(session, member, course, phase)
    if current is not None:
        return current
    reason = refusal() if refusal else can_start(session, member, course, phase)
    if reason:
        raise Conflict(reason)
    return _open_new(session, member=member, course=course, phase=phase, key=key)


def start_workshop_attempt(
    session: Session,
    *,
    member: Member,
    course: Course,
    phase: str,
    workshop_id: int,
    take_over_open: bool = True,
) -> Attempt:
    """The member's attempt at this phase in a workshop: the one already made for this workshop,
    else the one they have open (taken over into the workshop), else a new one. The key is
    derived from workshop, member and phase, so phones that ask at once end with one attempt.
    Refused once the membership has ended: the phone's page shows why (workshops test_state)."""
    ensure_not_ended(member)
    key = f"ws:{workshop_id}:{member.id}:{phase}"
    existing = session.scalar(select(Attempt).where(Attempt.idempotency_key == key))
    if existing is not None:
        return existing
    current = open_attempt(session, member, course, phase)
    if current is not None:
        if current.workshop_id is None and not take_over_open:
            # Someone who only typed this member's name must not see or finish the test the
            # member began on their own (with their personal link).
            raise Conflict(OPEN_ON_OWN)
        if current.workshop_id is None:
            current.workshop_id = workshop_id
            session.commit()
        return current
    reason = can_start(session, member, course, phase, in_workshop=True)
    if reason:
        raise Conflict(reason)
    return _open_new(
        session, member=member, course=course, phase=phase, key=key, workshop_id=workshop_id
    )


def open_workshop_attempts(
    session: Session, *, members: list[Member], course: Course, phase: str, workshop_id: int
) -> int:
    """Open this phase's attempt for everyone in the room at once, when the trainer starts the
    test, so that the room's phones only read when they load it. Members who may not start it
    (or already have one open) are left to start_workshop_attempt, which tells them why.
    Returns how many were opened; if a phone got there first, none are (the phones open theirs)."""
    members = [m for m in members if not m.membership_ended]  # start_workshop_attempt says why
    if not members:
        return 0
    ids = [m.id for m in members]
    busy = set(
        session.scalars(
            select(Attempt.member_id).where(
                Attempt.member_id.in_(ids),
                Attempt.course_id == course.id,
                Attempt.phase == phase,
                (Attempt.status == "open")
                | (Attempt.idempotency_key.like(f"ws:{workshop_id}:%"))
                | ((Attempt.status == "submitted") & (Attempt.phase == "pre"))
                | (Attempt.passed.is_(True)),  # a pass may still be in force: ask one by one
            )
        )
    )
    planned = forms.new_attempts(session, [m for m in members if m.id not in busy], course, phase)
    opened = 0
    for member_id, plan in planned.items():
        session.add(
            Attempt(
                member_id=member_id,
                course_id=course.id,
                workshop_id=workshop_id,
                phase=phase,
                idempotency_key=f"ws:{workshop_id}:{member_id}:{phase}",
                question_ids=plan.question_ids,
                choice_order=plan.choice_order,
            )
        )
        opened += 1
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return 0
    return opened


def _open_new(
    session: Session,
    *,
    member: Member,
    course: Course,
    phase: str,
    key: str,
    workshop_id: int | None = None,
) -> Attempt:
    plan = forms.new_attempt(session, member, course, phase)
    if plan is None:  # can_start said there is one; the content was reloaded since
        raise Conflict("この研修にはテストがありません。")
    attempt = Attempt(
        member_id=member.id,
        course_id=course.id,
        workshop_id=workshop_id,
        phase=phase,
        idempotency_key=key,
        question_ids=plan.question_ids,
        choice_order=plan.choice_order,
    )
    session.add(attempt)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another request opened it first: use that one
        current = session.scalar(select(Attempt).where(Attempt.idempotency_key == key))
        current = current or open_attempt(session, member, course, phase)
        if current is None:
            raise
        return current
    return attempt


def attempt_for(session: Session, member: Member, attempt_id: int) -> Attempt:
    """The member's own attempt; anyone else's is 'not found'."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.member_id != member.id:
        raise NotFound("テストが見つかりません。")
    return attempt


def submit(
    session: Session,
    *,
    attempt: Attempt,
    key: str,
    course: Course,
    unconfirmed: ColumnElement[bool] | None = None,
    issue: Callable[[Session, Member, Attempt], object] | None = None,
) -> Attempt:
    """Submit once. A repeat (double tap, back button, retry) finds it submitted and changes
    nothing; of two concurrent submits, the conditional UPDATE lets exactly one through.

    `unconfirmed` is SQL (from the workshop that is the attempt's context) that is true while
    nobody has confirmed who took it. It is evaluated by the flipping UPDATE itself, under the
    attempt row's lock, so a confirmation either lands before the flip (and the result is
    confirmed) or waits for it and then finds the result and its certificate to confirm.

    `issue` issues a pass's certificate instead of certificates.issue_for_attempt (the
    refresher renews), in the same transaction."""
    if not tokens_equal(key or "", attempt.idempotency_key):  # bytes: see _check_key
        raise DomainError(TAMPERED)
    if attempt.status == "submitted":
        return attempt
    member = _member_who_may_submit(session, attempt)
    # Flip first, then read the answers in the same transaction: the UPDATE holds the attempt
    # row (PostgreSQL) or the database's write lock (SQLite), and answer saves only write while
    # the attempt is open (answers.store_answers), so the result counts exactly the answers
    # that are stored. 0 rows updated means another request submitted first: its result stands.
    awaiting_confirmation = _flip(session, attempt, unconfirmed)
    if awaiting_confirmation is None:
        session.rollback()
        session.refresh(attempt)
        return attempt
    passed = _store_result(session, attempt, course)
    # Only the request that flipped the attempt issues, in the same transaction: a pass always
    # has its certificate, and never two.
    if passed:
        try:
            if issue is not None:
                issue(session, member, attempt)
            else:
                certificates.issue_for_attempt(
                    session,
                    member=member,
                    course=course,
                    attempt_id=attempt.id,
                    awaiting_confirmation=awaiting_confirmation,
                )
        except Conflict:
            session.rollback()  # the membership ended at midnight meanwhile: not submitted either
            raise
    session.commit()
    session.refresh(attempt)
    return attempt


def _member_who_may_submit(session: Session, attempt: Attempt) -> Member:
    """The attempt's member, once it is clear that the attempt may be submitted: the membership
    has not ended (no result and no certificate after the end) and every required question is
    answered."""
    member = session.get_one(Member, attempt.member_id)
    ensure_not_ended(member)
    missing = missing_positions(session, attempt)
    if missing:
        numbers = "、".join(f"問{n}" for n in missing)
        raise DomainError(f"まだ答えていない問題があります（{numbers}）。")
    return member


def _flip(
    session: Session, attempt: Attempt, unconfirmed: ColumnElement[bool] | None
) -> bool | None:
    """Open → submitted, in one conditional UPDATE: whether the result awaits confirmation, or
    None when the attempt was no longer open."""
    flipped = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == "open")
        .values(
            status="submitted",
            submitted_at=utcnow(),
            awaiting_confirmation=false() if unconfirmed is None else unconfirmed,
        )
        .returning(Attempt.awaiting_confirmation)
    ).first()
    return None if flipped is None else bool(flipped[0])


def _store_result(session: Session, attempt: Attempt, course: Course) -> bool | None:
    """Score the stored answers and write the result onto the flipped attempt: score, pass or
    fail (None for a pre-quiz) and the result codes the statistics read. Returns the pass."""
    questions = attempt_questions(session, attempt)
    # populate_existing: answers read before the flip (missing_positions) are read again.
    answered = {
        a.question_id: a
        for a in session.scalars(
            select(Answer)
            .where(Answer.attempt_id == attempt.id)
            .execution_options(populate_existing=True)
        )
    }
    scored = [q for q in questions if question_type(q.type).scored]
    score = sum(answered[q.id].score for q in scored if q.id in answered)
    percent = 100 * score / len(scored) if scored else 0
    passed = percent >= course.pass_mark if attempt.phase in ("post", REFRESHER) else None
    layout, codes = result_codes.encode(
        {q.id: (q.type, q.body) for q in questions},
        {qid: (a.fully_right, a.value) for qid, a in answered.items()},
    )
    session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id)
        .values(
            score=score,
            max_score=len(scored),
            passed=passed,
            result_layout=layout,
            result_codes=codes,
        )
    )
    return passed
