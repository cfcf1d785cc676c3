"""Saving a learner's answers while the attempt is open, graded as they are saved.

A question page (one question per page, sent after every question: 21 times a quiz on every
phone) is saved on one of two paths:

- the fast path, save_answer_quickly: the page names its question version (a hidden field), the
  version comes from the per-process cache, and one INSERT … SELECT checks everything else
  itself (the session's link, the membership, the attempt's owner and status, the question at
  that position), with no read before it;
- the checked path, save_answer_at: what the fast path did not store. Every fact is read first,
  so that the learner is told why (submitted meanwhile, past the end, an answer that does not
  fit, someone else's attempt).

A workshop's one-page test saves every whole answer on the page at once (save_answers). All
paths end in store_answers, whose statement repeats the checks under the attempt row's lock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    bindparam,
    exists,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import ReturningInsert

from trainer.accounts.login import SessionMember
from trainer.accounts.models import Member
from trainer.accounts.roster import ended_message, ensure_not_ended
from trainer.content.question_types import Grade, InvalidAnswer, question_type
from trainer.content.quizzes import Question
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.parsing import parse_id
from trainer.quizzes.attempts import ALREADY_SUBMITTED, TAMPERED
from trainer.quizzes.models import Answer, Attempt
from trainer.quizzes.questions import cached_question
from trainer.timeutil import today_jst, utcnow


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
        answer = grade_answer(session, position, claimed, form)
    except DomainError:
        return None  # told by save_answer_at, against the question really at that position
    stored = store_answers(
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
        answer = grade_answer(session, position, question_id, form)
    except DomainError as error:
        return SavedAnswer("invalid", error.message)
    if not store_answers(session, attempt_id=attempt_id, member_id=member.id, answers=[answer]):
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


def grade_answer(session: Session, position: int, question_id: int, form: Any) -> GradedAnswer:
    """The answer on the form to this question version, at this position, graded; DomainError
    (with the message for the learner) when it does not fit the question."""
    question = cached_question(session, question_id)
    kind = question_type(question.type)
    try:
        value = kind.parse(question, form)
        return GradedAnswer(position, question_id, question, value, kind.grade(question, value))
    except InvalidAnswer as error:
        raise DomainError(str(error)) from None


def store_answers(
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
    session was signed in with). not_stored tells a caller which.

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
                "likert": answer.value if _on_a_scale(answer.question) else None,
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


def _on_a_scale(question: Question) -> bool:
    """Whether the answer is a point of a scale, stored as a plain number too (Answer.likert)."""
    return question_type(question.type).statistics == "scale"


def not_stored(session: Session, member_id: int) -> Conflict:
    """Why store_answers stored nothing for an attempt that was open when read: the membership
    has ended (the member is read again, the rollback expired it), else it was submitted."""
    member = session.get(Member, member_id)
    if member is not None and member.membership_ended:
        return Conflict(ended_message(member))
    return Conflict(ALREADY_SUBMITTED)


@functools.cache
def _upsert_answer(dialect: str, check_link: bool) -> ReturningInsert:
    """The statement of store_answers, built once per dialect (building it per save cost more
    than running it)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    answer, attempt = Answer.__table__, Attempt.__table__
    # A mapped class declares its table as any FromClause; an INSERT needs to know it is a Table.
    assert isinstance(answer, Table)
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


class PrefixedForm:
    """One question's fields of a page that shows every question (names like q12-choice), as
    the plain field names a question type reads (QuestionType.parse)."""

    def __init__(self, form: Any, question_id: int) -> None:
        self._form, self._prefix = form, f"q{question_id}-"

    def get(self, name: str, default: Any = None) -> Any:
        return self._form.get(self._prefix + name, default)

    def getlist(self, name: str) -> list[Any]:
        return self._form.getlist(self._prefix + name)


def save_answers(session: Session, *, attempt: Attempt, form: Any) -> int:
    """Every whole answer on a one-page test that differs from the stored one, in one
    transaction; returns how many were written.

    All are checked first: one that does not fit its question (a tampered form) is reported
    with its number and nothing is saved. Unanswered questions are simply left out."""
    if attempt.status != "open":
        raise Conflict(ALREADY_SUBMITTED)
    answers = []
    # The attempt's own list of question versions, in order; each version from the cache.
    for position, question_id in enumerate(attempt.question_ids, start=1):
        fields = PrefixedForm(form, question_id)
        question = cached_question(session, question_id)
        if not question_type(question.type).answered(question, fields):
            continue
        try:
            answers.append(grade_answer(session, position, question_id, fields))
        except DomainError as error:
            raise DomainError(f"問{position}: {error.message}") from None
    # Only what changed is written: a phone's autosave has usually stored every answer by the
    # time 提出 sends the whole page again (and the result reads the stored answers anyway).
    stored = _stored_values(session, attempt.id)
    answers = [
        a for a in answers if a.question_id not in stored or stored[a.question_id] != a.value
    ]
    if not answers:
        return 0
    if not store_answers(
        session, attempt_id=attempt.id, member_id=attempt.member_id, answers=answers
    ):
        raise not_stored(session, attempt.member_id)
    return len(answers)


_NOTHING = object()  # no answer stored: differs from every value, None included


def _stored_values(session: Session, attempt_id: int) -> dict[int, object]:
    rows = session.execute(
        select(Answer.question_id, Answer.value).where(Answer.attempt_id == attempt_id)
    )
    return {question_id: value for question_id, value in rows}
