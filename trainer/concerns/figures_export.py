"""The download of the concern figures: the period's reports one row each, with codes as
labels and nothing personal (no name, contact, area, free text or member), as CSV; as xlsx the
same sheet and then one sheet per table of the page. Logged as concern.export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from trainer.accounts.models import ORGANISATION_KIND_LABELS, User
from trainer.audit import service as audit
from trainer.concerns.figures import (
    NOT_RECORDED,
    WITHIN_HOURS,
    Figures,
    Period,
    build_figures,
    hours_between,
    in_period,
    month_value,
)
from trainer.concerns.models import ConcernReport, ConcernSign
from trainer.concerns.vocabulary import SIGN_LABELS, ConcernStatus, ConnectedTo, Consent, Urgency
from trainer.database import Session
from trainer.errors import DomainError
from trainer.tables import XlsxSheet, csv_bytes, xlsx_book
from trainer.timeutil import to_jst

EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_HEADER = (
    "受付番号",
    "受付月",
    "団体の種別",
    "気づいたこと",
    "緊急度",
    "本人の同意",
    "状況",
    "つないだ先",
    "最初の指示までの時間（時間）",
)
EXPORT_WIDTHS = (10, 10, 22, 60, 20, 16, 10, 22, 16)


def _label(enum: Any, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def export_rows(session: Session, network_id: int, period: Period) -> list[list[object]]:
    """One row per report of the period, in the order received: codes as labels, no personal
    data (the columns are EXPORT_HEADER; nothing the member typed is among them)."""
    where = in_period(network_id, period)
    reports = session.execute(
        select(
            ConcernReport.id,
            ConcernReport.number,
            ConcernReport.received_at,
            ConcernReport.organisation_kind,
            ConcernReport.urgency,
            ConcernReport.consent,
            ConcernReport.status,
            ConcernReport.connected_to,
            ConcernReport.first_instruction_at,
        )
        .where(*where)
        .order_by(ConcernReport.received_at, ConcernReport.number)
    ).all()
    signs: dict[int, list[str]] = {}
    for report_id, sign in session.execute(
        select(ConcernSign.report_id, ConcernSign.sign)
        .join(ConcernReport, ConcernReport.id == ConcernSign.report_id)
        .where(*where)
        .order_by(ConcernSign.id)
    ):
        signs.setdefault(report_id, []).append(SIGN_LABELS.get(sign, sign))
    kinds = {kind.value: text for kind, text in ORGANISATION_KIND_LABELS.items()}
    rows: list[list[object]] = []
    for r in reports:
        instructed = r.first_instruction_at
        rows.append(
            [
                f"{r.number:05d}",
                month_value(to_jst(r.received_at).date()),
                kinds.get(r.organisation_kind, r.organisation_kind),
                "・".join(signs.get(r.id, [])),
                _label(Urgency, r.urgency),
                _label(Consent, r.consent),
                _label(ConcernStatus, r.status),
                _label(ConnectedTo, r.connected_to) if r.connected_to else NOT_RECORDED,
                "" if instructed is None else round(hours_between(r.received_at, instructed), 1),
            ]
        )
    return rows


def _summary_sheets(figures: Figures) -> list[XlsxSheet]:
    sheets = [
        XlsxSheet(
            t.caption,
            (t.heading, "件数"),
            [*t.rows, ("合計", t.total)],
            title=f"{t.caption}（{figures.period.label}）" + (f" {t.note}" if t.note else ""),
            widths=(40, 10),
        )
        for t in figures.tables
    ]
    i = figures.instruction
    sheets.append(
        XlsxSheet(
            "最初の指示までの時間",
            ("項目", "値"),
            [
                ("指示をした報告（件）", i.instructed),
                ("受付から最初の指示までの時間の中央値（時間）", _round(i.median_hours)),
                (f"{WITHIN_HOURS}時間以内に指示をした報告（件）", i.within),
                ("まだ指示をしていない報告（件）", i.waiting),
            ],
            title=f"最初の指示までの時間（{figures.period.label}）",
            widths=(48, 12),
        )
    )
    return sheets


def _round(hours: float | None) -> object:
    return "" if hours is None else round(hours, 1)


def export(
    session: Session,
    *,
    network_id: int,
    network_name: str,
    period: Period,
    fmt: str,
    actor: User,
) -> bytes:
    """The period's reports as CSV (one row each), or xlsx (that sheet, then one sheet per
    summary table); logged as concern.export and committed before the file is sent."""
    if fmt not in EXPORT_FORMATS:
        raise DomainError("書き出しの形式は CSV か Excel を選んでください。")
    rows = export_rows(session, network_id, period)
    if fmt == "csv":
        data = csv_bytes(EXPORT_HEADER, rows)
    else:
        figures = build_figures(session, network_id, period)
        reports = XlsxSheet("報告ごと", EXPORT_HEADER, rows, widths=EXPORT_WIDTHS)
        data = xlsx_book([reports, *_summary_sheets(figures)])
    audit.record(
        session,
        actor=actor,
        action="concern.export",
        target_type="network",
        target_id=network_id,
        target_label=network_name,
        network_id=network_id,
        details={"format": fmt, "rows": len(rows), "period": period.label},
    )
    session.commit()
    return data
