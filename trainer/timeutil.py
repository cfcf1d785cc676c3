"""Time helpers. Columns take these as callables, never a value computed at import."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what both SQLite and PostgreSQL columns store here)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today_jst() -> date:
    """Today's date in Japan: membership and certificate dates are Japanese calendar dates."""
    return datetime.now(JST).date()


def to_jst(value: datetime) -> datetime:
    """A stored naive-UTC datetime as Japan time, for display."""
    return value.replace(tzinfo=UTC).astimezone(JST)


def jdate(value: date | datetime | None) -> str:
    """2026年11月22日 (日本の日付の書き方)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_jst(value).date()
    return f"{value.year}年{value.month}月{value.day}日"


def jdatetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_jst(value)
    return f"{local.year}年{local.month}月{local.day}日 {local.hour}:{local.minute:02d}"
