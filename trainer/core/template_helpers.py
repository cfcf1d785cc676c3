"""Jinja filters and globals: Japanese dates, the signed-in principal's navigation."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g
from flask_login import current_user

from trainer.timeutil import to_jst


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


def register(app: Flask) -> None:
    app.jinja_env.filters["jdate"] = jdate
    app.jinja_env.filters["jdatetime"] = jdatetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def navigation() -> dict[str, object]:
        is_staff = current_user.is_authenticated and getattr(current_user, "is_staff", False)
        return {
            "is_staff": is_staff,
            "is_learner": current_user.is_authenticated and not is_staff,
            "current_network": g.get("network"),
            "current_role": g.get("role"),
        }
