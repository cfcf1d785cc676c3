"""Jinja filters and globals: Japanese dates, the signed-in principal's navigation."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user

from trainer.timeutil import jdate, jdatetime


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
