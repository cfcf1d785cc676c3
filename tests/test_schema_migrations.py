"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from trainer import create_app
from trainer.extensions import db


def migrated_app(tmp_path, url):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "x",
            "TRAINER_BASE_URL": "http://trainer.test",
        }
    )


def assert_migrations_match_models(app):
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"network", "member", "user", "audit_event", "module_version"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_migrations_match_models_on_sqlite(tmp_path):
    assert_migrations_match_models(migrated_app(tmp_path, f"sqlite:///{tmp_path / 'm.sqlite3'}"))


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set")
def test_migrations_match_models_on_postgresql(tmp_path):
    server = re.sub(
        r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", os.environ["TEST_DATABASE_URL"]
    )
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"trainer_migrate_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        assert_migrations_match_models(migrated_app(tmp_path, f"{server.rsplit('/', 1)[0]}/{name}"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
