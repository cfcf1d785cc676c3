"""The answers download: one row per answer of the submitted attempts.

The answers of a large network run to hundreds of thousands of rows (40,000 attempts × 21
questions), so they are produced as a generator: attempts are read in chunks of ATTEMPT_CHUNK by
id (keyset, not OFFSET), each chunk's answers in one query, and question texts, courses and
workshops come from dictionaries loaded once. Nothing is read per row. The CSV is streamed as it
is made; an xlsx is built in memory, so it has a row limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session as OrmSession

from trainer import tables
from trainer.accounts.models import (
    AgeBand,
    JobType,
    Member,
    Network,
    Organisation,
    OrganisationKind,
    User,
)
from trainer.content.placeholders import fill_text
from trainer.content.question_types import question_type
from trainer.content.quizzes import Question
from trainer.database import Session
from trainer.errors import DomainError
from trainer.learning.models import Course
from trainer.parsing import clamp_date
from trainer.quizzes.models import Answer, Attempt, QuizQuestion
from trainer.quizzes.questions import question_of
from trainer.secretariat.exports.common import (
    PHASE_LABELS,
    filter_day,
    id_choice,
    label,
    local_time,
    named_filters,
    record_export,
    utc_start_of,
    whole_percent,
)
from trainer.workshops.models import Workshop

# An xlsx is built in memory before it is sent, at about 3,500 answer rows a second here
# (openpyxl, with or without lxml), so 50,000 rows take ~15 s, inside a worker's timeout.
# Larger sets go to the streamed CSV, which has no limit (Excel itself stops at 1,048,576 rows).
XLSX_MAX_ROWS = 50_000
ATTEMPT_CHUNK = 1_000
CHUNK_BYTES = 64 * 1024  # of the streamed CSV: one write per block, not per answer

ANSWER_HEADER = (
    "受験番号",
    "構成員番号",
    "氏名",
    "構成団体",
    "種別",
    "職種",
    "年代",
    "研修",
    "事前/事後",
    "研修会",
    "提出日時",
    "問題ID",
    "問題文",
    "回答",
    "正誤",
    "得点（%）",  # the answer's credit, full marks = 100 (common.whole_percent)
)
ANSWER_WIDTHS = (10, 10, 16, 28, 20, 22, 10, 28, 8, 28, 20, 18, 60, 40, 8, 6)


@dataclass(frozen=True)
class AnswerFilter:
    course_id: int | None = None
    organisation_id: int | None = None
    submitted_from: date | None = None  # Japanese calendar days, both ends included
    submitted_to: date | None = None

    def details(self, session: Session) -> dict[str, object]:
        """The filters as an audit event shows them: names and dates, not ids."""
        details = named_filters(session, self.course_id, self.organisation_id)
        if self.submitted_from:
            details["submitted_from"] = self.submitted_from.isoformat()
        if self.submitted_to:
            details["submitted_to"] = self.submitted_to.isoformat()
        return details


def answer_filter(
    session: Session,
    *,
    network_id: int,
    course: str = "",
    organisation: str = "",
    submitted_from: str = "",
    submitted_to: str = "",
) -> AnswerFilter:
    first = filter_day(submitted_from, "submitted_from")
    last = filter_day(submitted_to, "submitted_to")
    if first and last and first > last:
        raise DomainError("「から」の日付は「まで」の日付より前にしてください。", "submitted_from")
    return AnswerFilter(
        course_id=id_choice(session, Course, course, "course", network_id=None),
        organisation_id=id_choice(
            session, Organisation, organisation, "organisation", network_id=network_id
        ),
        submitted_from=first,
        submitted_to=last,
    )


def _filtered(stmt: Select, filters: AnswerFilter) -> Select:
    if filters.course_id:
        stmt = stmt.where(Attempt.course_id == filters.course_id)
    if filters.organisation_id:
        stmt = stmt.where(Member.organisation_id == filters.organisation_id)
    # Clamped: answer_filter refuses dates out of range, but an AnswerFilter can be built
    # without it, and a day before 0001-01-02 or after 9999-12-30 cannot be shifted to UTC.
    if filters.submitted_from:
        stmt = stmt.where(Attempt.submitted_at >= utc_start_of(clamp_date(filters.submitted_from)))
    if filters.submitted_to:
        end = utc_start_of(clamp_date(filters.submitted_to) + timedelta(days=1))
        stmt = stmt.where(Attempt.submitted_at < end)
    return stmt


def answer_count(session: Session, *, network_id: int, filters: AnswerFilter) -> int:
    """How many rows the answers export has: checked before an xlsx is built, and logged."""
    stmt = (
        select(func.count(Answer.id))
        .select_from(Answer)
        .join(Attempt, Answer.attempt_id == Attempt.id)
        .join(Member, Attempt.member_id == Member.id)
        .where(Member.network_id == network_id, Attempt.status == "submitted")
    )
    return int(session.scalar(_filtered(stmt, filters)) or 0)


def submitted_attempt_count(session: Session, network_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Attempt.id))
            .join(Member, Attempt.member_id == Member.id)
            .where(Member.network_id == network_id, Attempt.status == "submitted")
        )
        or 0
    )


# --- the file ------------------------------------------------------------------------------------


def export_answers(
    session: Session,
    *,
    network_id: int,
    network_name: str,
    actor: User,
    kind: str,
    filters: AnswerFilter,
) -> bytes | Iterator[bytes]:
    """The answers as an xlsx, or as a CSV streamed while it is sent; logged as export.answers
    first. An xlsx of more than XLSX_MAX_ROWS rows is refused with a DomainError that says what
    to do instead."""
    count = answer_count(session, network_id=network_id, filters=filters)
    if kind == "xlsx" and count > XLSX_MAX_ROWS:
        raise DomainError(
            f"回答が{count:,}行あり、Excel形式（{XLSX_MAX_ROWS:,}行まで）では"
            "書き出せません。CSV形式で書き出すか（Excelでも開けます）、提出日の期間や構成団体で"
            "絞ってください。",
            "submitted_from",
        )
    record_export(
        session,
        network_id=network_id,
        network_name=network_name,
        actor=actor,
        action="export.answers",
        kind=kind,
        rows=count,
        filters=filters.details(session),
    )
    if kind == "csv":
        return _streamed_csv(session.get_bind(), network_id, filters)
    rows = answer_rows(session, network_id=network_id, filters=filters)
    return tables.xlsx_bytes(ANSWER_HEADER, rows, sheet_title="回答", widths=ANSWER_WIDTHS)


def _streamed_csv(bind: Any, network_id: int, filters: AnswerFilter) -> Iterator[bytes]:
    """The CSV, made while it is sent, with a database session of its own: the request (and its
    session) has ended by the time the server asks for the rows, and a Flask context held open
    across the yields would be entered and left in different contexts by the server."""
    with OrmSession(bind) as session:
        rows = answer_rows(session, network_id=network_id, filters=filters)
        yield from _blocks(tables.csv_lines(ANSWER_HEADER, rows))


def _blocks(lines: Iterator[bytes]) -> Iterator[bytes]:
    """Lines gathered into blocks of about CHUNK_BYTES."""
    block: list[bytes] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(block)
            block, size = [], 0
    if block:
        yield b"".join(block)


# --- the rows ------------------------------------------------------------------------------------


def _questions(session: Session, network_id: int) -> dict[int, Question]:
    """Every stored question version (a few dozen rows), read once per export, with the
    network's local facts put in its text and its options' as learners see them
    ("{{ consumer_centre_name }}" → its name)."""
    facts = session.get_one(Network, network_id).local_facts()
    out = {}
    for row in session.scalars(select(QuizQuestion)):
        question = question_of(row)
        out[row.id] = replace(
            question,
            text=fill_text(question.text, facts),
            choices=tuple(replace(c, text=fill_text(c.text, facts)) for c in question.choices),
        )
    return out


def _verdict(question: Question, answer: Any) -> tuple[str, object]:
    if not question_type(question.type).scored:
        return "—", ""
    if answer.fully_right:
        return "正解", whole_percent(answer.score)
    return ("部分正解" if answer.score > 0 else "不正解"), whole_percent(answer.score)


def _attempt_query(network_id: int, filters: AnswerFilter) -> Select:
    stmt = (
        select(
            Attempt.id,
            Attempt.member_id,
            Attempt.course_id,
            Attempt.phase,
            Attempt.workshop_id,
            Attempt.submitted_at,
            Attempt.question_ids,
            Member.name,
            Member.job_type,
            Member.age_band,
            Organisation.name,
            Organisation.kind,
        )
        .join(Member, Attempt.member_id == Member.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .where(Member.network_id == network_id, Attempt.status == "submitted")
    )
    return _filtered(stmt, filters)


def _attempt_chunks(
    session: Session, network_id: int, filters: AnswerFilter
) -> Iterator[tuple[list[Any], dict[int, dict[int, Any]]]]:
    """The attempts ATTEMPT_CHUNK at a time, by id, with their answers by question id."""
    base = _attempt_query(network_id, filters).order_by(Attempt.id).limit(ATTEMPT_CHUNK)
    after = 0
    while True:
        attempts = list(session.execute(base.where(Attempt.id > after)).all())
        if not attempts:
            return
        after = attempts[-1][0]
        answers: dict[int, dict[int, Any]] = {a[0]: {} for a in attempts}
        for answer in session.execute(
            select(
                Answer.attempt_id,
                Answer.question_id,
                Answer.value,
                Answer.score,
                Answer.fully_right,
            ).where(Answer.attempt_id.in_(list(answers)))
        ):
            answers[answer.attempt_id][answer.question_id] = answer
        yield attempts, answers


def answer_rows(
    session: Session, *, network_id: int, filters: AnswerFilter
) -> Iterator[list[object]]:
    """One row per answer of the submitted attempts, attempt by attempt, each attempt's answers
    in the order the questions were asked. A generator: rows are made as they are sent."""
    questions = _questions(session, network_id)
    courses = {row[0]: row[1] for row in session.execute(select(Course.id, Course.title))}
    workshops = {
        row[0]: row[1]
        for row in session.execute(
            select(Workshop.id, Workshop.title).where(Workshop.network_id == network_id)
        )
    }
    for attempts, answers in _attempt_chunks(session, network_id, filters):
        for attempt in attempts:
            (attempt_id, member_id, course_id, phase, workshop_id, submitted_at, question_ids,
             name, job_type, age_band, organisation, kind) = attempt  # fmt: skip
            given = answers[attempt_id]
            # Asked order first; an answer to a question no longer listed (never expected)
            # still appears, after the others.
            order = [q for q in question_ids if q in given]
            order += sorted(set(given) - set(order))
            head = [
                attempt_id,
                member_id,
                name,
                organisation,
                label(OrganisationKind, kind),
                label(JobType, job_type),
                label(AgeBand, age_band),
                courses.get(course_id, ""),
                PHASE_LABELS.get(phase, phase),
                workshops.get(workshop_id, "") if workshop_id else "",
                local_time(submitted_at),
            ]
            for question_id in order:
                answer = given[question_id]
                question = questions[question_id]
                yield [
                    *head,
                    question.id,
                    question.text,
                    # The answer as the learner saw it: the option's text, not its key.
                    question_type(question.type).describe(question, answer.value),
                    *_verdict(question, answer),
                ]
