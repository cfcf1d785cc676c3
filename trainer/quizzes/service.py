"""Taking a quiz: attributes, starting (once), saving answers as the learner goes, submitting
(once, whatever the number of requests), and the result with explanations."""

from __future__ import annotations

import functools
import hashlib
import hmac
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from flask import current_app
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    bindparam,
    exists,
    false,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import ColumnElement

from trainer.accounts.login import SessionMember
from trainer.accounts.models import AgeBand, Gender, JobType, Member
from trainer.accounts.roster import ended_message, ensure_not_ended
from trainer.certificates import service as certificates
from trainer.content.quizzes import TOPICS, Case, Choice, Question
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.learning.models import Course
from trainer.learning.service import has_read_every_module
from trainer.parsing import parse_id, parse_int
from trainer.quizzes import result_codes
from trainer.quizzes.grading import Grade, InvalidAnswer, grade
from trainer.quizzes.models import PHASES, Answer, Attempt, QuizBank, QuizQuestion
from trainer.security import tokens_equal
from trainer.timeutil import today_jst, utcnow

ALREADY_SUBMITTED = "このテストはすでに提出されています。"
OPEN_ON_OWN = (
    "個人用リンクで受けている途中のテストがあります。"
    "個人用リンクを開いてから参加し直すか、講師に本人確認を頼んでください。"
)
TAMPERED = (
    "送信内容が正しくありません。お手数ですが、ページを開き直してからもう一度お試しください。"
)


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


# --- the questions of an attempt -----------------------------------------------------------------


def bank_of(session: Session, slug: str | None) -> QuizBank | None:
    return session.scalar(select(QuizBank).where(QuizBank.slug == slug)) if slug else None


def question_of(row: QuizQuestion) -> Question:
    """The stored version as the pure dataclass that grading understands."""
    body = row.body
    return Question(
        id=row.key,
        type=row.type,
        topic=row.topic,
        text=body["text"],
        explanation=body.get("explanation", ""),
        choices=tuple(Choice(c["key"], c["text"], c["correct"]) for c in body.get("choices", [])),
        cases=tuple(Case(c["key"], c["text"], c["answer"]) for c in body.get("cases", [])),
        scale=body.get("scale"),
        required=body.get("required", True),
    )


def attempt_questions(session: Session, attempt: Attempt) -> list[QuizQuestion]:
    rows = {
        q.id: q
        for q in session.scalars(
            select(QuizQuestion).where(QuizQuestion.id.in_(attempt.question_ids))
        )
    }
    return [rows[i] for i in attempt.question_ids]


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
    slug = course.pre_quiz if phase == "pre" else course.post_quiz
    if bank_of(session, slug) is None:
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


def start_attempt(
    session: Session, *, member: Member, course: Course, phase: str, key: str
) -> Attempt:
    """Start (or return) the member's attempt. Safe to repeat: the same key, or an attempt that is
    already open, gives back that attempt; two concurrent starts end with one open attempt.
    Refused once the membership has ended, also for an attempt opened before the end."""
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
    reason = can_start(session, member, course, phase)
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
    bank = bank_of(session, course.pre_quiz if phase == "pre" else course.post_quiz)
    if bank is None:
        return 0
    survey = bank_of(session, course.survey)
    question_ids = list(bank.question_ids) + (list(survey.question_ids) if survey else [])
    rows = list(session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(question_ids))))
    opened = 0
    for member in members:
        if member.id in busy:
            continue
        session.add(
            Attempt(
                member_id=member.id,
                course_id=course.id,
                workshop_id=workshop_id,
                phase=phase,
                idempotency_key=f"ws:{workshop_id}:{member.id}:{phase}",
                question_ids=question_ids,
                choice_order=_order_of(bank, rows),
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
    bank = bank_of(session, course.pre_quiz if phase == "pre" else course.post_quiz)
    survey = bank_of(session, course.survey)
    question_ids = list(bank.question_ids) + (list(survey.question_ids) if survey else [])
    attempt = Attempt(
        member_id=member.id,
        course_id=course.id,
        workshop_id=workshop_id,
        phase=phase,
        idempotency_key=key,
        question_ids=question_ids,
        choice_order=_choice_order(session, bank, question_ids),
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


def _choice_order(
    session: Session, bank: QuizBank, question_ids: list[int]
) -> dict[str, list[str]]:
    rows = session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(question_ids)))
    return _order_of(bank, rows)


def _order_of(bank: QuizBank, rows) -> dict[str, list[str]]:
    """Each question's choice keys in the order shown: shuffled for the bank's own questions
    when the bank says so, as in the file otherwise (the survey's scales never move)."""
    order: dict[str, list[str]] = {}
    for row in rows:
        keys = [c["key"] for c in row.body.get("choices", [])]
        if keys and bank.shuffle and row.bank_id == bank.id:
            random.SystemRandom().shuffle(keys)
        order[str(row.id)] = keys
    return order


def attempt_for(session: Session, member: Member, attempt_id: int) -> Attempt:
    """The member's own attempt; anyone else's is 'not found'."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.member_id != member.id:
        raise NotFound("テストが見つかりません。")
    return attempt


def parse_answer(question: Question, form: Any) -> object:
    """The submitted form fields as the stored answer for this question type."""
    if question.type == "single":
        return form.get("choice")
    if question.type == "multi":
        return sorted(form.getlist("choice"))
    if question.type == "truefalse":
        values = {c.key: form.get(f"case-{c.key}") for c in question.cases}
        if any(v not in ("yes", "no") for v in values.values()):
            raise DomainError("すべての事例に「はい」か「いいえ」で答えてください。")
        return {k: v == "yes" for k, v in values.items()}
    raw = form.get("value", "")
    # A scale's value (1 … 5); anything else stays text, which grading refuses with its message.
    number = parse_int(raw)
    return raw if number is None else number


def save_answer(session: Session, *, attempt: Attempt, question_id: int, form: Any) -> None:
    """One answer of an open attempt, graded and stored (a later save of the same question
    replaces it)."""
    if attempt.status != "open":
        raise Conflict(ALREADY_SUBMITTED)
    if question_id not in attempt.question_ids:
        raise DomainError("この問題はこのテストのものではありません。")
    position = attempt.question_ids.index(question_id) + 1
    answer = _graded(session, position, question_id, form)
    if not _store_answers(
        session, attempt_id=attempt.id, member_id=attempt.member_id, answers=[answer]
    ):
        raise _not_stored(session, attempt.member_id)


@dataclass(frozen=True)
class SavedAnswer:
    """What became of one answer sent from a question page: stored, not stored because the
    attempt was submitted meanwhile, not stored because the position is past the end, or
    refused with a message (the page is shown again)."""

    outcome: str  # "saved" | "submitted" | "beyond" | "invalid"
    error: str = ""
    last: bool = False  # saved the attempt's last question: the review comes next


def save_answer_quickly(
    session: Session, *, signed_in: SessionMember, attempt_id: int, position: int, form: Any
) -> SavedAnswer | None:
    """The usual save in one statement, for a learner as their session names them (not read
    from the database): the page names its question version (a hidden field), the version comes
    from the per-process cache, and the INSERT itself checks that the session's link is still
    the member's, that their membership has not ended, that the attempt is theirs and still
    open, and that it has that question at that position. Every phone sends this after every
    question (21 times a quiz).

    None when it stored nothing; save_answer_at then reads what it needs to tell why."""
    claimed = parse_id(form.get("question_id"))
    if claimed is None:
        return None  # a page served before the hidden field existed, or an edited one
    try:
        answer = _graded(session, position, claimed, form)
    except DomainError:
        return None  # told by save_answer_at, against the question really at that position
    stored = _store_answers(
        session,
        attempt_id=attempt_id,
        member_id=signed_in.id,
        link_selector=signed_in.link_selector,
        answers=[answer],
    )
    return SavedAnswer("saved", last=form.get("last") == "1") if stored else None


def save_answer_at(
    session: Session, *, member: Member, attempt_id: int, position: int, form: Any
) -> SavedAnswer:
    """The answer to question number `position` of the member's attempt, with every check
    read first: what save_answer_quickly could not store, and why. Someone else's attempt is
    NotFound; an ended membership is a Conflict."""
    ensure_not_ended(member)
    claimed = form.get("question_id", "")
    row = session.execute(
        select(Attempt.member_id, Attempt.status, Attempt.question_ids).where(
            Attempt.id == attempt_id
        )
    ).one_or_none()
    if row is None or row.member_id != member.id:
        raise NotFound("テストが見つかりません。")
    if row.status != "open":
        return SavedAnswer("submitted")
    if not 1 <= position <= len(row.question_ids):
        return SavedAnswer("beyond")
    question_id = row.question_ids[position - 1]
    if claimed and claimed != str(question_id):
        return SavedAnswer("invalid", TAMPERED)  # a page of another attempt, or an edited one
    try:
        answer = _graded(session, position, question_id, form)
    except DomainError as error:
        return SavedAnswer("invalid", error.message)
    if not _store_answers(session, attempt_id=attempt_id, member_id=member.id, answers=[answer]):
        ensure_not_ended(member)  # ended meanwhile (read again: the rollback expired it)
        return SavedAnswer("submitted")
    return SavedAnswer("saved", last=position == len(row.question_ids))


@dataclass(frozen=True)
class GradedAnswer:
    position: int  # 1-based, in the attempt's question list
    question_id: int
    question: Question
    value: object
    grade: Grade


def _graded(session: Session, position: int, question_id: int, form: Any) -> GradedAnswer:
    question = cached_question(session, question_id)
    value = parse_answer(question, form)
    try:
        return GradedAnswer(position, question_id, question, value, grade(question, value))
    except InvalidAnswer as error:
        raise DomainError(str(error)) from None


def _store_answers(
    session: Session,
    *,
    attempt_id: int,
    member_id: int,
    answers: list[GradedAnswer],
    link_selector: str | None = None,
) -> bool:
    """Upsert the answers and commit; False, with nothing stored, unless the attempt is the
    member's, still open, and has each question at its position, and the member's membership
    has not ended (and, given a link_selector, the member's personal link is still the one the
    session was signed in with). _not_stored tells a caller which.

    The checks sit inside each INSERT … SELECT … FROM attempt WHERE … rather than in a read
    before it: a submit that commits in between would otherwise be followed by an answer its
    stored result does not contain. On PostgreSQL the SELECT takes a share lock on the attempt
    row, so a concurrent submit (an UPDATE of that row) waits for this commit, or this insert
    waits for the submit and then finds it submitted; SQLite has one writer at a time.
    """
    connection = session.connection()
    statement = _upsert_answer(connection.dialect.name, link_selector is not None)
    now, today = utcnow(), today_jst()
    for answer in answers:
        stored = connection.execute(
            statement,
            {
                "attempt_id": attempt_id,
                "member_id": member_id,
                "link_selector": link_selector,
                "today": today,
                "index": answer.position - 1,
                "question_id": answer.question_id,
                "value": answer.value,
                "likert": answer.value if answer.question.type == "likert" else None,
                "score": answer.grade.score,
                "fully_right": answer.grade.fully_right,
                "answered_at": now,
            },
        ).first()
        if stored is None:
            session.rollback()
            return False
    session.commit()
    return True


def _not_stored(session: Session, member_id: int) -> Conflict:
    """Why _store_answers stored nothing for an attempt that was open when read: the membership
    has ended (the member is read again, the rollback expired it), else it was submitted."""
    member = session.get(Member, member_id)
    if member is not None and member.membership_ended:
        return Conflict(ended_message(member))
    return Conflict(ALREADY_SUBMITTED)


@functools.cache
def _upsert_answer(dialect: str, check_link: bool) -> ReturningInsert:
    """The statement of _store_answers, built once per dialect (building it per save cost more
    than running it)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    answer, attempt = Answer.__table__, Attempt.__table__
    values = {
        "question_id": Integer,
        "value": JSON,
        "likert": Integer,
        "score": Float,
        "fully_right": Boolean,
        "answered_at": DateTime,
    }
    source = (
        select(attempt.c.id, *(bindparam(name, type_=kind) for name, kind in values.items()))
        .where(
            attempt.c.id == bindparam("attempt_id"),
            attempt.c.member_id == bindparam("member_id"),
            attempt.c.status == "open",
            attempt.c.question_ids[bindparam("index", type_=JSON.JSONIntIndexType())].as_integer()
            == bindparam("question_id"),
        )
        .with_for_update(read=True)
    )
    # The member's row in the same statement, not read before it: the membership must not have
    # ended (Member.membership_ended, "today" is the JST date), so a session or a workshop page
    # left open after the end stores nothing.
    member = Member.__table__
    holder = (member.c.id == bindparam("member_id")) & (
        member.c.membership_end.is_(None)
        | (member.c.membership_end > bindparam("today", type_=Date))
    )
    if check_link:
        # What the sign-in would check (accounts/login.py): a rotated link signs out.
        holder = holder & (member.c.link_selector == bindparam("link_selector"))
    source = source.where(exists().where(holder))
    statement = insert(answer).from_select(["attempt_id", *values], source)
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={name: statement.excluded[name] for name in values if name != "question_id"},
    )
    # RETURNING rather than rowcount, which psycopg reports as -1 for INSERT … SELECT.
    return statement.returning(answer.c.id)


_question_cache: WeakKeyDictionary[Engine, dict[int, Question]] = WeakKeyDictionary()


def cached_question(session: Session, question_id: int) -> Question:
    """A question version as grading sees it, kept per database for the life of the process:
    versions never change (a changed question is a new row: trainer/courses/loading.py)."""
    engine = session.get_bind()
    known = _question_cache.setdefault(engine, {})
    question = known.get(question_id)
    if question is None:
        row = session.get(QuizQuestion, question_id)
        if row is None:
            raise NotFound("問題が見つかりません。")
        question = known[question_id] = question_of(row)
    return question


class PrefixedForm:
    """One question's fields of a page that shows every question (names like q12-choice), as
    the plain field names parse_answer reads."""

    def __init__(self, form: Any, question_id: int) -> None:
        self._form, self._prefix = form, f"q{question_id}-"

    def get(self, name: str, default: Any = None) -> Any:
        return self._form.get(self._prefix + name, default)

    def getlist(self, name: str) -> list[Any]:
        return self._form.getlist(self._prefix + name)

    def answered(self, question: Question) -> bool:
        """Whether the page holds a whole answer (a half-answered 事例 question is not one)."""
        if question.type == "multi":
            return bool(self.getlist("choice"))
        if question.type == "truefalse":
            return all(self.get(f"case-{c.key}") for c in question.cases)
        return bool(self.get("choice" if question.type == "single" else "value"))


def save_answers(session: Session, *, attempt: Attempt, form: Any) -> int:
    """Every whole answer on a one-page test, in one transaction; returns how many.

    All are checked first: one that does not fit its question (a tampered form) is reported
    with its number and nothing is saved. Unanswered questions are simply left out."""
    if attempt.status != "open":
        raise Conflict(ALREADY_SUBMITTED)
    answers = []
    for position, row in enumerate(attempt_questions(session, attempt), start=1):
        fields = PrefixedForm(form, row.id)
        if not fields.answered(cached_question(session, row.id)):
            continue
        try:
            answers.append(_graded(session, position, row.id, fields))
        except DomainError as error:
            raise DomainError(f"問{position}: {error.message}") from None
    if not answers:
        return 0
    if not _store_answers(
        session, attempt_id=attempt.id, member_id=attempt.member_id, answers=answers
    ):
        raise _not_stored(session, attempt.member_id)
    return len(answers)


def answers_by_question(session: Session, attempt: Attempt) -> dict[int, Answer]:
    return {
        a.question_id: a
        for a in session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    }


def missing_positions(session: Session, attempt: Attempt) -> list[int]:
    """1-based positions of required questions not answered yet."""
    answered = answers_by_question(session, attempt)
    return [
        i
        for i, q in enumerate(attempt_questions(session, attempt), start=1)
        if q.id not in answered and q.body.get("required", True)
    ]


def submit(
    session: Session,
    *,
    attempt: Attempt,
    key: str,
    course: Course,
    unconfirmed: ColumnElement[bool] | None = None,
) -> Attempt:
    """Submit once. A repeat (double tap, back button, retry) finds it submitted and changes
    nothing; of two concurrent submits, the conditional UPDATE lets exactly one through.

    `unconfirmed` is SQL (from the workshop that is the attempt's context) that is true while
    nobody has confirmed who took it. It is evaluated by the flipping UPDATE itself, under the
    attempt row's lock, so a confirmation either lands before the flip (and the result is
    confirmed) or waits for it and then finds the result and its certificate to confirm."""
    if not tokens_equal(key or "", attempt.idempotency_key):  # bytes: see _check_key
        raise DomainError(TAMPERED)
    if attempt.status == "submitted":
        return attempt
    member = session.get(Member, attempt.member_id)
    ensure_not_ended(member)  # no result and no certificate after the end
    missing = missing_positions(session, attempt)
    if missing:
        numbers = "、".join(f"問{n}" for n in missing)
        raise DomainError(f"まだ答えていない問題があります（{numbers}）。")
    # Flip first, then read the answers in the same transaction: the UPDATE holds the attempt
    # row (PostgreSQL) or the database's write lock (SQLite), and answer saves only write while
    # the attempt is open (_store_answers), so the result below counts exactly the answers
    # that are stored. 0 rows updated means another request submitted first: its result stands.
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
    if flipped is None:
        session.rollback()
        session.refresh(attempt)
        return attempt
    awaiting_confirmation = bool(flipped[0])
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
    scored = [q for q in questions if q.type != "likert"]
    score = sum(answered[q.id].score for q in scored if q.id in answered)
    percent = 100 * score / len(scored) if scored else 0
    passed = percent >= course.pass_mark if attempt.phase == "post" else None
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
    # Only the request that flipped the attempt issues, in the same transaction: a pass always
    # has its certificate, and never two.
    if passed:
        try:
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


# --- the result page -----------------------------------------------------------------------------


@dataclass
class TopicRate:
    topic: str
    label: str
    before: float | None = None
    after: float | None = None


@dataclass
class ReviewItem:
    position: int
    question: Question
    row: QuizQuestion
    answer: Answer | None
    order: list[str] = field(default_factory=list)


@dataclass
class Result:
    attempt: Attempt
    items: list[ReviewItem]
    topics: list[TopicRate]
    pre_attempt: Attempt | None

    @property
    def scored_items(self) -> list[ReviewItem]:
        return [i for i in self.items if i.question.scored]


def _topic_rates(session: Session, attempt: Attempt | None) -> dict[str, float]:
    if attempt is None:
        return {}
    totals: dict[str, list[float]] = defaultdict(list)
    answered = answers_by_question(session, attempt)
    for row in attempt_questions(session, attempt):
        if row.type != "likert":
            answer = answered.get(row.id)
            totals[row.topic].append(answer.score if answer else 0.0)
    return {t: sum(v) / len(v) for t, v in totals.items()}


def result(session: Session, member: Member, attempt: Attempt) -> Result:
    if attempt.status != "submitted":
        raise Conflict("このテストはまだ提出されていません。")
    course = session.get(Course, attempt.course_id)
    pre = submitted_attempts(session, member, course, "pre")
    pre_attempt = pre[0] if pre else None
    answered = answers_by_question(session, attempt)
    items = [
        ReviewItem(
            position=i,
            question=question_of(row),
            row=row,
            answer=answered.get(row.id),
            order=attempt.choice_order.get(str(row.id), []),
        )
        for i, row in enumerate(attempt_questions(session, attempt), start=1)
    ]
    now = _topic_rates(session, attempt)
    before = _topic_rates(session, pre_attempt) if attempt.phase == "post" else {}
    topics = [
        TopicRate(topic=t, label=TOPICS[t], before=before.get(t), after=now.get(t))
        for t in TOPICS
        if t in now
    ]
    return Result(attempt=attempt, items=items, topics=topics, pre_attempt=pre_attempt)
