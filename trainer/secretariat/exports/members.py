"""The members download: the active members of a course's completion pages, with their status,
scores and certificate, filtered as those pages are.

The roster import reads 構成員番号 / 構成団体 / 氏名 / ふりがな / 職種 / 年代 / 加入日 by these
headers, so an export can be corrected in Excel and imported again (matched by 構成員番号).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from trainer.accounts.models import AgeBand, JobType, Member, User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import DomainError
from trainer.learning.models import Course
from trainer.quizzes.models import Attempt
from trainer.secretariat import completion
from trainer.secretariat.completion_status import (
    MEMBER_ORDER,
    STATUSES,
    Filters,
    certificates_of,
    members_statement,
)
from trainer.tables import csv_bytes, xlsx_bytes

EXPORT_HEADER = (
    "構成員番号",
    "構成団体",
    "種別",
    "氏名",
    "ふりがな",
    "職種",
    "年代",
    "加入日",
    "状況",
    "事前テスト正答率（%）",  # whole percent, as every export writes numbers (common.py)
    "事後テスト正答率（%）",
    "修了証番号",
    "有効期限",
)
EXPORT_WIDTHS = (10, 28, 20, 16, 18, 24, 10, 12, 18, 14, 14, 12, 12)
EXPORT_FORMATS = ("csv", "xlsx")


def members_filter(
    session: Session,
    network_id: int,
    *,
    course_id: int | None,
    kind: str | None,
    organisation_id: int | None,
    status: str | None,
) -> tuple[Course, Filters]:
    """The course and the filters of the completion page the download was asked from. A value
    no page offers raises NotFound or DomainError, as on the page; so does a network without
    a course."""
    _courses, course, filters = completion.choices(
        session,
        network_id,
        course_id=course_id,
        kind=kind,
        organisation_id=organisation_id,
        status=status,
    )
    if course is None:
        raise DomainError("研修がまだありません。")
    return course, filters


def _percent(score: float | None, max_score: int | None) -> int | None:
    """Whole percent, rounded as Attempt.percent (what the learner was shown)."""
    if score is None or not max_score:
        return None
    return round(100 * score / max_score)


def _scores(
    session: Session, network_id: int, course: Course
) -> dict[int, tuple[int | None, int | None]]:
    """Per member: the first submitted pre-test's percent, and the best submitted post-test's."""
    submitted = (
        select(Attempt.id, Attempt.member_id, Attempt.phase)
        .join(Member, Member.id == Attempt.member_id)
        .where(
            Member.network_id == network_id,
            Attempt.course_id == course.id,
            Attempt.status == "submitted",
        )
        .subquery()
    )
    first_pre = (
        select(func.min(submitted.c.id))
        .where(submitted.c.phase == "pre")
        .group_by(submitted.c.member_id)
    )
    pre = aliased(Attempt)
    scores: dict[int, tuple[int | None, int | None]] = {}
    for member_id, score, max_score in session.execute(
        select(pre.member_id, pre.score, pre.max_score).where(pre.id.in_(first_pre))
    ):
        scores[member_id] = (_percent(score, max_score), None)
    post = (
        select(
            Attempt.member_id,
            func.max(Attempt.score * 100.0 / func.nullif(Attempt.max_score, 0)),
        )
        .where(Attempt.id.in_(select(submitted.c.id).where(submitted.c.phase == "post")))
        .group_by(Attempt.member_id)
    )
    for member_id, best in session.execute(post):
        before = scores.get(member_id, (None, None))[0]
        scores[member_id] = (before, None if best is None else round(best))
    return scores


def _export_rows(
    session: Session, network_id: int, course: Course, filters: Filters, *, for_csv: bool
) -> list[list[object]]:
    stmt = members_statement(network_id, course, filters)
    rows = session.execute(stmt.order_by(*MEMBER_ORDER)).all()
    certificates = certificates_of(session, course, [r[0].id for r in rows])
    scores = _scores(session, network_id, course)

    # A CSV cell is text (ISO dates, "" for nothing); an xlsx cell a real date or empty.
    blank = "" if for_csv else None

    def day(value: date | None) -> object:
        if value is None:
            return blank
        return value.isoformat() if for_csv else value

    out = []
    for member, status, *_dates in rows:
        certificate = certificates.get(member.id)
        pre, post = scores.get(member.id, (None, None))
        out.append(
            [
                member.id,
                member.organisation.name,
                member.organisation.kind_label,
                member.name,
                member.kana,
                JobType(member.job_type).label,
                AgeBand(member.age_band).label,
                day(member.membership_start),
                STATUSES[status],
                blank if pre is None else pre,
                blank if post is None else post,
                certificate.serial_label if certificate else blank,
                day(certificate.valid_until if certificate else None),
            ]
        )
    return out


def export_members(
    session: Session,
    *,
    network_id: int,
    course: Course,
    filters: Filters,
    fmt: str,
    actor: User,
) -> tuple[bytes, int]:
    """The active members with their status as CSV or xlsx, logged as export.members."""
    if fmt not in EXPORT_FORMATS:
        raise DomainError("書き出しの形式は CSV か Excel を選んでください。")
    rows = _export_rows(session, network_id, course, filters, for_csv=fmt == "csv")
    if fmt == "csv":
        data = csv_bytes(EXPORT_HEADER, rows)
    else:
        # No title line: the header stays on row 1, where the roster import looks for it.
        data = xlsx_bytes(EXPORT_HEADER, rows, sheet_title="構成員と受講状況", widths=EXPORT_WIDTHS)
    audit.record(
        session,
        actor=actor,
        action="export.members",
        target_type="course",
        target_id=course.id,
        target_label=course.title,
        network_id=network_id,
        details={"format": fmt, "rows": len(rows), "course": course.title},
    )
    session.commit()
    return data, len(rows)
