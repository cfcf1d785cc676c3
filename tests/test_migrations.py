"""The Alembic migrations build exactly the schema that the models describe.

A model changed without a migration (or a migration that drifts from its model) fails here, on
SQLite always and on PostgreSQL too when TEST_DATABASE_URL points at a server.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text

from tests.conftest import BASE_URL
from trainer import create_app
from trainer.accounts.models import Network
from trainer.extensions import db


def _postgresql_server() -> str:
    server = os.environ.get("TEST_DATABASE_URL", "").strip()
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", server)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not _postgresql_server(), reason="TEST_DATABASE_URL is not set"
            ),
        ),
    ]
)
def empty_database_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    server = _postgresql_server()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"trainer_migrations_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_on(url: str, tmp_path: Path) -> Flask:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key-not-for-production",
            "TRAINER_BASE_URL": BASE_URL,
        }
    )


@pytest.fixture
def migrated_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database, inside its app context (upgrade() runs against it)."""
    app = app_on(empty_database_url, tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_differences() -> list[object]:
    """What autogenerate would put into a new migration: nothing, if migrations match models."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def head_revisions() -> tuple[str, ...]:
    config = current_app.extensions["migrate"].migrate.get_config()
    return tuple(ScriptDirectory.from_config(config).get_heads())


def current_revisions() -> tuple[str, ...]:
    with db.engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def test_the_migrations_have_a_single_head(tmp_path):
    app = app_on(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path)
    with app.app_context():
        heads = head_revisions()
        db.engine.dispose()
    assert len(heads) == 1, f"two migrations share a parent; merge them: {heads}"


def test_migrations_build_exactly_the_models_schema(migrated_app):
    assert table_names() == set()
    upgrade()
    assert current_revisions() == head_revisions()
    assert table_names() == set(db.metadata.tables) | {"alembic_version"}
    differences = schema_differences()
    assert differences == [], "models and migrations differ:\n" + "\n".join(map(str, differences))


def test_downgrade_to_base_and_upgrade_again(migrated_app):
    upgrade()
    db.session.add(Network(name="消える協議会", prefecture="さくら県", municipality="みどり市"))
    db.session.commit()
    db.session.remove()

    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
    assert current_revisions() == ()

    upgrade()
    assert current_revisions() == head_revisions()
    assert schema_differences() == []
    # The tables are new and usable again.
    assert db.session.scalars(select(Network)).all() == []
    db.session.add(Network(name="新しい協議会", prefecture="さくら県", municipality="みどり市"))
    db.session.commit()
    assert db.session.scalars(select(Network.name)).all() == ["新しい協議会"]


def test_upgrading_an_up_to_date_database_changes_nothing(migrated_app):
    upgrade()
    db.session.add(Network(name="残る協議会", prefecture="さくら県", municipality="みどり市"))
    db.session.commit()
    db.session.remove()
    upgrade()
    assert current_revisions() == head_revisions()
    assert db.session.scalars(select(Network.name)).all() == ["残る協議会"]
