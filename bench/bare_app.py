"""The yardstick for bench/production_bench.py: a bare Flask + Flask-SQLAlchemy app.

GET /ok answers "ok"; POST /insert stores one row in one table and answers 201. It is served by
the same gunicorn settings as the real app, on the same kind of database, so that the real app's
figures can be read as a fraction of what Flask, SQLAlchemy and the database allow here.

The database comes from BENCH_BARE_DATABASE_URL. SQLite connections get exactly the app's pragmas
(WAL, synchronous=NORMAL, foreign keys, busy timeout) and PostgreSQL the app's engine options,
because both come from the app's own trainer.database: copied settings would drift.

    BENCH_BARE_DATABASE_URL=sqlite:////tmp/bare.sqlite3 \
        .venv/bin/gunicorn --chdir bench 'bare_app:create_app()'
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trainer.database import configure_engine_events

DATABASE_URL_VARIABLE = "BENCH_BARE_DATABASE_URL"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class BenchRow(db.Model):
    """One inserted row per POST /insert; the benchmark counts them afterwards."""

    __tablename__ = "bench_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)


def create_app(database_url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ[DATABASE_URL_VARIABLE]
    # In the app's order (trainer/__init__.py): the same engine settings take effect here.
    db.init_app(app)
    configure_engine_events(app)

    @app.get("/ok")
    def ok() -> str:
        return "ok"

    @app.post("/insert")
    def insert() -> tuple[str, int]:
        db.session.add(BenchRow(note="bench", created_at=datetime.now(UTC).replace(tzinfo=None)))
        db.session.commit()
        return "created", 201

    return app
