"""The secretariat's downloads: certificates (one row per certificate) and answers (one row per
answer), as rows that trainer/tables.py turns into CSV or xlsx.

The answers of a large network run to hundreds of thousands of rows (40,000 attempts × 21
questions), so they are produced as a generator: attempts are read in chunks of ATTEMPT_CHUNK by
id (keyset, not OFFSET), each chunk's answers in one query, and question texts, courses and
workshops come from dictionaries loaded once. Nothing is read per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from trainer.accounts.models import (
    AgeBand,
    JobType,
    Member,
    Network,
    Organisation,
    OrganisationKind,
    User,
)
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.certificates.service import CERTIFICATE_FILTERS
from trainer.certificates.service import status_clause as certificate_status_clause
from trainer.content.placeholders import fill_text
from trainer.content.quizzes import LIKERT_SCALES
from trainer.database import Session
from trainer.errors import DomainError
from trainer.learning.models import Course
from trainer.parsing import DATE_OUT_OF_RANGE, clamp_date, date_in_range, parse_date, parse_id
from trainer.quizzes.models import Answer, Attempt, QuizQuestion
from trainer.timeutil import JST, to_jst, today_jst
from trainer.workshops.models import Workshop

# An xlsx is built in memory before it is sent, at about 3,500 answer rows a second here
# (openpyxl, with or without lxml), so 50,000 rows take ~15 s, inside a worker's timeout.
# Larger sets go to the streamed CSV, which has no limit (Excel itself stops at 1,048,576 rows).
XLSX_MAX_ROWS = 50_000
ATTEMPT_CHUNK = 1_000
PHASE_LABELS = {"pre": "事前", "post": "事後"}

CERTIFICATE_HEADER = (
    "修了証番号",
    "通し番号",
    "構成員番号",
    "氏名",
    "ふりがな",
    "構成団体",
    "研修",
    "交付日",
    "有効期限",
    "状況",
    "取消日",
    "取消理由",
    "確認用URL",
)
CERTIFICATE_WIDTHS = (12, 8, 10, 16, 18, 28, 28, 12, 12, 10, 12, 30, 60)

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
    "得点",
)
ANSWER_WIDTHS = (10, 10, 16, 28, 20, 22, 10, 28, 8, 28, 20, 18, 60, 40, 8, 6)


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFilter:
    course_id: int | None = None
    organisation_id: int | None = None
    status: str = "all"


@dataclass(frozen=True)
class AnswerFilter:
    course_id: int | None = None
    organisation_id: int | None = None
    submitted_from: date | None = None  # Japanese calendar days, both ends included
    submitted_to: date | None = None


def _id_choice(session: Session, model: Any, raw: str, field: str, *, network_id: int | None):
    """An id from a select box, checked against what the page offered (another network's
    organisation is as unknown as a made-up number)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    record_id = parse_id(raw)  # '²' or 25 digits: no such record, without asking the database
    record = session.get(model, record_id) if record_id is not None else None
    if record is None or (network_id is not None and record.network_id != network_id):
        raise DomainError("一覧から選んでください。", field)
    return record.id


def _day(raw: str, field: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    day = parse_date(raw)
    if day is None:
        raise DomainError("日付を 2026-04-01 の形で入力してください。", field)
    if not date_in_range(day):  # the day after 9999-12-31 is no date (see _filtered)
        raise DomainError(DATE_OUT_OF_RANGE, field)
    return day


def certificate_filter(
    session: Session, *, network_id: int, course: str = "", organisation: str = "", status: str = ""
) -> CertificateFilter:
    """The filters as typed in the query string; raises DomainError (with the field) if one is
    not one of the choices."""
    status = (status or "all").strip()
    if status not in CERTIFICATE_FILTERS:
        raise DomainError("一覧から選んでください。", "status")
    return CertificateFilter(
        course_id=_id_choice(session, Course, course, "course", network_id=None),
        organisation_id=_id_choice(
            session, Organisation, organisation, "organisation", network_id=network_id
        ),
        status=status,
    )


def answer_filter(
    session: Session,
    *,
    network_id: int,
    course: str = "",
    organisation: str = "",
    submitted_from: str = "",
    submitted_to: str = "",
) -> AnswerFilter:
    first, last = _day(submitted_from, "submitted_from"), _day(submitted_to, "submitted_to")
    if first and last and first > last:
        raise DomainError("「から」の日付は「まで」の日付より前にしてください。", "submitted_from")
    return AnswerFilter(
        course_id=_id_choice(session, Course, course, "course", network_id=None),
        organisation_id=_id_choice(
            session, Organisation, organisation, "organisation", network_id=network_id
        ),
        submitted_from=first,
        submitted_to=last,
    )


def _utc_start_of(day: date) -> datetime:
    """Midnight in Japan of that day, as the naive UTC the columns store."""
    return datetime.combine(day, time(), tzinfo=JST).astimezone(UTC).replace(tzinfo=None)


# --- values as a spreadsheet shows them ----------------------------------------------------------


def _local(value: datetime | None) -> datetime | None:
    """Stored UTC as Japan time, whole seconds, without a zone (openpyxl cannot write one)."""
    if value is None:
        return None
    return to_jst(value).replace(tzinfo=None, microsecond=0)


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _label(enum: Any, value: str) -> str:
    try:
        return enum(value).label
    except ValueError:
        return value


# --- certificates --------------------------------------------------------------------------------


def _certificate_query(network_id: int, filters: CertificateFilter, today: date) -> Select:
    stmt = (
        select(Certificate)
        .join(Member, Certificate.member_id == Member.id)
        .where(Certificate.network_id == network_id)
    )
    if filters.course_id:
        stmt = stmt.where(Certificate.course_id == filters.course_id)
    if filters.organisation_id:
        stmt = stmt.where(Member.organisation_id == filters.organisation_id)
    clause = certificate_status_clause(filters.status, today)
    if clause is not None:
        stmt = stmt.where(clause)
    return stmt


def certificate_rows(
    session: Session,
    *,
    network_id: int,
    filters: CertificateFilter,
    verify_url: Callable[[str], str],
) -> list[list[object]]:
    """One row per certificate, in serial order. verify_url turns a token into the absolute
    /verify address (the caller knows the configured base URL)."""
    today = today_jst()
    certificates = session.scalars(
        _certificate_query(network_id, filters, today)
        .options(
            joinedload(Certificate.member).joinedload(Member.organisation),
            joinedload(Certificate.course),
        )
        .order_by(Certificate.serial)
    ).unique()
    return [
        [
            c.serial_label,
            c.serial,
            c.member_id,
            c.member.name,
            c.member.kana,
            c.member.organisation.name,
            c.course.title,
            c.issued_on,
            c.valid_until,
            c.status_on(today).label,
            to_jst(c.revoked_at).date() if c.revoked_at else None,
            c.revoked_reason or "",
            verify_url(c.token),
        ]
        for c in certificates
    ]


# --- answers -------------------------------------------------------------------------------------


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


def _filtered(stmt: Select, filters: AnswerFilter) -> Select:
    if filters.course_id:
        stmt = stmt.where(Attempt.course_id == filters.course_id)
    if filters.organisation_id:
        stmt = stmt.where(Member.organisation_id == filters.organisation_id)
    # Clamped: answer_filter refuses dates out of range, but an AnswerFilter can be built
    # without it, and a day before 0001-01-02 or after 9999-12-30 cannot be shifted to UTC.
    if filters.submitted_from:
        stmt = stmt.where(Attempt.submitted_at >= _utc_start_of(clamp_date(filters.submitted_from)))
    if filters.submitted_to:
        end = _utc_start_of(clamp_date(filters.submitted_to) + timedelta(days=1))
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


def certificate_count(session: Session, network_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Certificate.id)).where(Certificate.network_id == network_id)
        )
        or 0
    )


@dataclass(frozen=True)
class _Question:
    key: str
    text: str
    type: str
    choices: dict[str, str]
    cases: list[str]
    scale: tuple[str, ...]


def _questions(session: Session, network_id: int) -> dict[int, _Question]:
    """Every stored question version (a few dozen rows), read once per export, with the
    network's local facts put in as learners see them ("{{ consumer_centre_name }}" → its name)."""
    facts = session.get(Network, network_id).local_facts()
    out = {}
    for row in session.scalars(select(QuizQuestion)):
        body = row.body
        out[row.id] = _Question(
            key=row.key,
            text=fill_text(body.get("text", ""), facts),
            type=row.type,
            choices={c["key"]: fill_text(c["text"], facts) for c in body.get("choices", [])},
            cases=[c["key"] for c in body.get("cases", [])],
            scale=LIKERT_SCALES.get(body.get("scale") or "", ()),
        )
    return out


def shown_answer(question: _Question, value: object) -> str:
    """The answer as the learner saw it: the option's text, not its key."""
    if question.type == "single":
        return question.choices.get(str(value), str(value))
    if question.type == "multi" and isinstance(value, list):
        # In the order the options are in the file, so equal answers read the same.
        return "／".join(text for key, text in question.choices.items() if key in value)
    if question.type == "truefalse" and isinstance(value, dict):
        return "／".join(
            f"事例{n}:{'はい' if value[key] else 'いいえ'}"
            for n, key in enumerate(question.cases, start=1)
            if key in value
        )
    if question.type == "likert" and isinstance(value, int) and 1 <= value <= len(question.scale):
        return question.scale[value - 1]
    return "" if value is None else str(value)


def _verdict(question: _Question, answer: Any) -> tuple[str, object]:
    if question.type == "likert":
        return "—", ""
    if answer.fully_right:
        return "正解", _number(answer.score)
    return ("部分正解" if answer.score > 0 else "不正解"), _number(answer.score)


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
    base = _attempt_query(network_id, filters).order_by(Attempt.id).limit(ATTEMPT_CHUNK)
    after = 0
    while True:
        attempts = session.execute(base.where(Attempt.id > after)).all()
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
        for (
            attempt_id,
            member_id,
            course_id,
            phase,
            workshop_id,
            submitted_at,
            question_ids,
            name,
            job_type,
            age_band,
            organisation,
            kind,
        ) in attempts:
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
                _label(OrganisationKind, kind),
                _label(JobType, job_type),
                _label(AgeBand, age_band),
                courses.get(course_id, ""),
                PHASE_LABELS.get(phase, phase),
                workshops.get(workshop_id, "") if workshop_id else "",
                _local(submitted_at),
            ]
            for question_id in order:
                answer = given[question_id]
                question = questions[question_id]
                yield [
                    *head,
                    question.key,
                    question.text,
                    shown_answer(question, answer.value),
                    *_verdict(question, answer),
                ]


# --- the audit trail -----------------------------------------------------------------------------


def record_export(
    session: Session,
    *,
    network_id: int,
    network_name: str,
    actor: User,
    action: str,
    kind: str,
    rows: int,
    filters: dict[str, object],
) -> None:
    """Who took which personal data out, in what form and how much. Committed before the file is
    sent, so a download that is cut off halfway is still on record."""
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="network",
        target_id=network_id,
        target_label=network_name,
        network_id=network_id,
        details={"format": kind, "rows": rows, **{k: v for k, v in filters.items() if v}},
    )
    session.commit()


def filter_details(
    session: Session, filters: CertificateFilter | AnswerFilter
) -> dict[str, object]:
    """The filters as an audit event shows them: names and dates, not ids."""
    details: dict[str, object] = {}
    if filters.course_id:
        details["course"] = session.get(Course, filters.course_id).title
    if filters.organisation_id:
        details["organisation"] = session.get(Organisation, filters.organisation_id).name
    if isinstance(filters, CertificateFilter):
        if filters.status != "all":
            details["status"] = CERTIFICATE_FILTERS[filters.status]
    else:
        if filters.submitted_from:
            details["submitted_from"] = filters.submitted_from.isoformat()
        if filters.submitted_to:
            details["submitted_to"] = filters.submitted_to.isoformat()
    return details
