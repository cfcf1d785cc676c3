"""What every download shares: ids and dates from the page's filters, values as a spreadsheet
shows them, and the audit row that records who took which personal data out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from trainer.accounts.models import Organisation, User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import DomainError
from trainer.learning.models import Course
from trainer.parsing import DATE_OUT_OF_RANGE, date_in_range, parse_date, parse_id
from trainer.timeutil import JST, to_jst

PHASE_LABELS = {"pre": "事前", "post": "事後"}


# --- filters -------------------------------------------------------------------------------------


def id_choice(
    session: Session, model: Any, raw: str, field: str, *, network_id: int | None
) -> int | None:
    """An id from a select box, checked against what the page offered (another network's
    organisation is as unknown as a made-up number)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    record_id = parse_id(raw)  # '²' or 25 digits: no such record, without asking the database
    record = session.get(model, record_id) if record_id is not None else None
    if record is None or (network_id is not None and record.network_id != network_id):
        raise DomainError("一覧から選んでください。", field)
    return int(record.id)


def filter_day(raw: str, field: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    day = parse_date(raw)
    if day is None:
        raise DomainError("日付を 2026-04-01 の形で入力してください。", field)
    if not date_in_range(day):  # the day after 9999-12-31 is no date (see answers._filtered)
        raise DomainError(DATE_OUT_OF_RANGE, field)
    return day


def named_filters(
    session: Session, course_id: int | None, organisation_id: int | None
) -> dict[str, object]:
    """The course and organisation a download was filtered by, as an audit event shows them:
    names, not ids."""
    details: dict[str, object] = {}
    course = session.get(Course, course_id) if course_id else None
    if course is not None:
        details["course"] = course.title
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is not None:
        details["organisation"] = organisation.name
    return details


def utc_start_of(day: date) -> datetime:
    """Midnight in Japan of that day, as the naive UTC the columns store."""
    return datetime.combine(day, time(), tzinfo=JST).astimezone(UTC).replace(tzinfo=None)


# --- values as a spreadsheet shows them ----------------------------------------------------------


def local_time(value: datetime | None) -> datetime | None:
    """Stored UTC as Japan time, whole seconds, without a zone (openpyxl cannot write one)."""
    if value is None:
        return None
    return to_jst(value).replace(tzinfo=None, microsecond=0)


# One number format for every CSV and xlsx the app hands out (the secretariat's downloads and
# the workshop's table): whole numbers only. Counts (people, questions, questions right) as they
# are; anything fractional (a rate, a score with partial credit) as whole percent, rounded as
# learners are shown it (Attempt.percent), with （%） in the column's header. So a CSV never
# mixes 3.67 with 4.7, and the xlsx holds the same value as a real number.


def whole_percent(share: float | None) -> int | None:
    """A 0–1 share (one answer's score, a rate) as whole percent: 1/3 → 33, None → None."""
    return None if share is None else round(100 * share)


def label(enum: Any, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


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
