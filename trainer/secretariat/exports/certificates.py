"""The certificates download: one row per certificate, in serial order, with its /verify address."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from trainer import tables
from trainer.accounts.models import Member, Organisation, User
from trainer.certificates.models import Certificate
from trainer.certificates.service import CERTIFICATE_FILTERS
from trainer.certificates.service import status_clause as certificate_status_clause
from trainer.database import Session
from trainer.errors import DomainError
from trainer.learning.models import Course
from trainer.secretariat.exports.common import id_choice, named_filters, record_export
from trainer.timeutil import to_jst, today_jst

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


@dataclass(frozen=True)
class CertificateFilter:
    course_id: int | None = None
    organisation_id: int | None = None
    status: str = "all"

    def details(self, session: Session) -> dict[str, object]:
        """The filters as an audit event shows them: names, not ids."""
        details = named_filters(session, self.course_id, self.organisation_id)
        if self.status != "all":
            details["status"] = CERTIFICATE_FILTERS[self.status]
        return details


def certificate_filter(
    session: Session, *, network_id: int, course: str = "", organisation: str = "", status: str = ""
) -> CertificateFilter:
    """The filters as typed in the query string; raises DomainError (with the field) if one is
    not one of the choices."""
    status = (status or "all").strip()
    if status not in CERTIFICATE_FILTERS:
        raise DomainError("一覧から選んでください。", "status")
    return CertificateFilter(
        course_id=id_choice(session, Course, course, "course", network_id=None),
        organisation_id=id_choice(
            session, Organisation, organisation, "organisation", network_id=network_id
        ),
        status=status,
    )


def certificate_count(session: Session, network_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Certificate.id)).where(Certificate.network_id == network_id)
        )
        or 0
    )


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


def export_certificates(
    session: Session,
    *,
    network_id: int,
    network_name: str,
    actor: User,
    kind: str,
    filters: CertificateFilter,
    verify_url: Callable[[str], str],
) -> bytes:
    """The certificates as CSV or xlsx, logged as export.certificates before the file is made."""
    rows = certificate_rows(session, network_id=network_id, filters=filters, verify_url=verify_url)
    record_export(
        session,
        network_id=network_id,
        network_name=network_name,
        actor=actor,
        action="export.certificates",
        kind=kind,
        rows=len(rows),
        filters=filters.details(session),
    )
    if kind == "csv":
        return tables.csv_bytes(CERTIFICATE_HEADER, rows)
    return tables.xlsx_bytes(
        CERTIFICATE_HEADER, rows, sheet_title="修了証", widths=CERTIFICATE_WIDTHS
    )
