"""Figures for the council and the prefecture (気づき報告の集計): counts of one network's reports
over a period of months, and the same reports one row each for a download. Counts only: no
name, no contact, no area, no free text, no member.

The period is whole months of Japan time: a report received at 2026-03-31 15:30 UTC (4月1日
0:30 in Japan) counts in April. received_at is stored as naive UTC (trainer/timeutil.py), so each
month's first moment in Japan is turned into UTC here, in Python (zoneinfo), and the database
only compares received_at with those bounds. The months are counted in SQL with a CASE over
the bounds (GROUP BY its result): the same statement on SQLite and PostgreSQL, exact at any
boundary, and using the (network_id, received_at) index, without date functions that differ by
database (strftime / to_char) or a time zone the database would have to know.

The download (one row per report, and the tables as sheets) is in figures_export.py.

The time to the first instruction needs every value for its median (PostgreSQL has
percentile_cont, SQLite nothing alike), so those pairs of times are read and worked out in
Python: a network receives tens to a few thousand reports a year, two datetimes each.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.sql.elements import ColumnElement

from trainer.accounts.models import ORGANISATION_KIND_LABELS
from trainer.concerns.models import ConcernReport, ConcernSign
from trainer.concerns.vocabulary import (
    SIGN_LABELS,
    ConcernStatus,
    ConnectedTo,
    Consent,
    Urgency,
)
from trainer.database import Session
from trainer.errors import DomainError
from trainer.timeutil import JST

DEFAULT_MONTHS = 12
MAX_MONTHS = 60  # five years on one page is plenty; a longer table is a typo
SIGNS_NOTE = "1件の報告で複数選べるため、合計は報告数より多くなります"
NOT_RECORDED = "未記録"
WITHIN_HOURS = 24

_MONTH = re.compile(r"\s*([0-9]{4})\s*[-/年]\s*([0-9]{1,2})\s*月?\s*")


# --- the period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole months of Japan time, from the month of `first` to the month of `last` (both the
    1st of their month)."""

    first: date
    last: date

    @property
    def months(self) -> list[date]:
        out, month = [], self.first
        while month <= self.last:
            out.append(month)
            month = _add_months(month, 1)
        return out

    @property
    def label(self) -> str:
        return f"{month_label(self.first)}〜{month_label(self.last)}"

    @property
    def args(self) -> dict[str, str]:
        """The period as the page's query string (from=2025-04&to=2026-03)."""
        return {"from": month_value(self.first), "to": month_value(self.last)}

    def bounds(self) -> list[datetime]:
        """Each month's first moment in Japan as naive UTC, and the end of the last month."""
        return [_utc_start(m) for m in self.months] + [_utc_start(_add_months(self.last, 1))]


def month_label(month: date) -> str:
    return f"{month.year}年{month.month}月"


def month_value(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _utc_start(month: date) -> datetime:
    return datetime.combine(month, time(), tzinfo=JST).astimezone(UTC).replace(tzinfo=None)


def _parse_month(raw: str, field: str) -> date | None:
    raw = unicodedata.normalize("NFKC", raw or "").strip()  # ２０２６－０４ as 2026-04
    if not raw:
        return None
    found = _MONTH.fullmatch(raw)
    if found is None or not 1 <= int(found[2]) <= 12 or not 2000 <= int(found[1]) <= 2100:
        raise DomainError("月は 2026-04 の形で入力してください（2000年〜2100年）。", field)
    return date(int(found[1]), int(found[2]), 1)


def parse_period(raw_from: str, raw_to: str, *, today: date) -> Period:
    """The period asked for: `from`/`to` as 2026-04 (also 2026/4, 2026年4月). Without them, the
    last 12 months including this one; with one of them, 12 months from or to it. Raises
    DomainError (a Japanese message and the field) for anything else."""
    first = _parse_month(raw_from, "from")
    last = _parse_month(raw_to, "to")
    this_month = today.replace(day=1)
    if first is None and last is None:
        last = this_month
    if first is None:
        assert last is not None
        first = _add_months(last, 1 - DEFAULT_MONTHS)
    if last is None:
        last = min(_add_months(first, DEFAULT_MONTHS - 1), max(first, this_month))
    if last < first:
        raise DomainError("終わりの月は、始まりの月と同じか後の月にしてください。", "to")
    if len(Period(first, last).months) > MAX_MONTHS:
        raise DomainError(f"期間は {MAX_MONTHS} か月（5年）までにしてください。", "to")
    return Period(first, last)


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One count table: (label, count) rows in a fixed order, zeros included."""

    key: str
    caption: str
    heading: str  # the first column's header
    counts_what: str  # what the figures count, said on the page and in the print
    rows: list[tuple[str, int]]
    note: str = ""

    @property
    def total(self) -> int:
        return sum(count for _label, count in self.rows)

    @property
    def largest(self) -> int:
        return max((count for _label, count in self.rows), default=0)


@dataclass(frozen=True)
class Instruction:
    """Time from receipt to the first instruction, over the period's reports."""

    instructed: int  # reports with an instruction
    median_hours: float | None  # of those, None when there is none
    within: int  # of those, within WITHIN_HOURS hours
    waiting: int  # reports still without an instruction


@dataclass(frozen=True)
class Figures:
    period: Period
    total: int
    tables: list[Table]
    instruction: Instruction


def in_period(network_id: int, period: Period) -> list[ColumnElement[bool]]:
    bounds = period.bounds()
    return [
        ConcernReport.network_id == network_id,
        ConcernReport.received_at >= bounds[0],
        ConcernReport.received_at < bounds[-1],
    ]


def _grouped(session: Session, column: Any, where: Sequence[Any], *, signs: bool = False) -> dict:
    """{value: count} of the column over the rows in `where` (the period's reports, or with
    signs=True their ticked signs). Grouped on a subquery's column, so that an expression with
    bound values (the months' CASE) is written once: PostgreSQL does not take a GROUP BY whose
    expression's parameters are numbered apart from the SELECT's."""
    inner = select(column.label("value")).where(*where)
    if signs:
        inner = inner.select_from(ConcernSign).join(
            ConcernReport, ConcernReport.id == ConcernSign.report_id
        )
    value = inner.subquery().c.value
    stmt = select(value, func.count()).group_by(value)
    return {key: int(count) for key, count in session.execute(stmt)}


def _ordered(counts: dict, labels: Iterable[tuple[Any, str]]) -> list[tuple[str, int]]:
    """Every known value in its order (zeros included), then any stored code no list has."""
    rows, seen = [], set()
    for key, text in labels:
        rows.append((text, counts.get(key, 0)))
        seen.add(key)
    rows += [(str(key), count) for key, count in sorted(counts.items()) if key not in seen]
    return rows


def _month_table(session: Session, network_id: int, period: Period) -> Table:
    bounds = period.bounds()
    index = case(
        *[(ConcernReport.received_at < bound, i) for i, bound in enumerate(bounds[1:])],
        else_=-1,
    )
    counts = _grouped(session, index, in_period(network_id, period))
    return Table(
        "months",
        "月ごとの報告数",
        "受付月",
        "期間に受け付けた報告の件数を、受け付けた月（日本時間）ごとに数えています。",
        [(month_label(m), counts.get(i, 0)) for i, m in enumerate(period.months)],
    )


def _code_tables(session: Session, where: list[Any]) -> list[Table]:
    def codes(column: Any, signs: bool = False) -> dict:
        return _grouped(session, column, where, signs=signs)

    counted = "期間に受け付けた報告を1件ずつ数えています。"
    connected = codes(ConcernReport.connected_to)
    return [
        Table(
            "kinds",
            "報告した構成員の団体の種別",
            "団体の種別",
            "報告した構成員が、報告したときに所属していた団体の種別です。" + counted,
            _ordered(codes(ConcernReport.organisation_kind), ORGANISATION_KIND_LABELS.items()),
        ),
        Table(
            "signs",
            "気づいたこと",
            "気づいたこと",
            "報告でチェックされた項目ごとの件数です。",
            _ordered(codes(ConcernSign.sign, signs=True), SIGN_LABELS.items()),
            note=SIGNS_NOTE,
        ),
        Table(
            "urgency",
            "緊急度",
            "緊急度",
            "構成員が報告で選んだ緊急度です。" + counted,
            _ordered(codes(ConcernReport.urgency), ((u.value, u.label) for u in Urgency)),
        ),
        Table(
            "consent",
            "本人の同意",
            "本人の同意",
            "本人が情報を伝えることに同意したかどうか（構成員の報告による）です。" + counted,
            _ordered(codes(ConcernReport.consent), ((c.value, c.label) for c in Consent)),
        ),
        Table(
            "connected",
            "つないだ先",
            "つないだ先",
            "事務局が記録したつないだ先です。まだ記録のない報告は「未記録」です。" + counted,
            _ordered(connected, [(c.value, c.label) for c in ConnectedTo] + [("", NOT_RECORDED)]),
        ),
        Table(
            "status",
            "いまの状況",
            "状況",
            "報告のいまの状況です（集計した時点のもの）。" + counted,
            _ordered(codes(ConcernReport.status), ((s.value, s.label) for s in ConcernStatus)),
        ),
    ]


def hours_between(received: datetime, instructed: datetime) -> float:
    return (instructed - received).total_seconds() / 3600


def _instruction(session: Session, where: list[Any]) -> Instruction:
    pairs = session.execute(
        select(ConcernReport.received_at, ConcernReport.first_instruction_at).where(
            *where, ConcernReport.first_instruction_at.is_not(None)
        )
    ).all()
    hours = [hours_between(received, instructed) for received, instructed in pairs if instructed]
    waiting = session.scalar(
        select(func.count())
        .select_from(ConcernReport)
        .where(*where, ConcernReport.first_instruction_at.is_(None))
    )
    return Instruction(
        instructed=len(hours),
        median_hours=statistics.median(hours) if hours else None,
        within=sum(1 for h in hours if h <= WITHIN_HOURS),
        waiting=int(waiting or 0),
    )


def build_figures(session: Session, network_id: int, period: Period) -> Figures:
    """Every figure of the page for the network's reports received in the period."""
    where = in_period(network_id, period)
    months = _month_table(session, network_id, period)
    return Figures(
        period=period,
        total=months.total,
        tables=[months, *_code_tables(session, where)],
        instruction=_instruction(session, where),
    )


def hours_label(hours: float | None) -> str:
    return "—" if hours is None else f"{hours:.1f}時間"
