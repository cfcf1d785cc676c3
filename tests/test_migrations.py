"""The Alembic migrations build exactly the schema that the models describe.

A model changed without a migration (or a migration that drifts from its model) fails here, on
SQLite always and on PostgreSQL too when TEST_DATABASE_URL points at a server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from tests.conftest import BASE_URL
from tests.tools import postgresql_server, throwaway_postgresql
from trainer import create_app
from trainer.accounts.models import Network
from trainer.extensions import db


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not postgresql_server(), reason="TEST_DATABASE_URL is not set"
            ),
        ),
    ]
)
def empty_database_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    with throwaway_postgresql(postgresql_server(), "trainer_migrations") as url:
        yield url


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


def test_earlier_passes_get_certificates_when_migrating(migrated_app):
    """A member who passed the post-quiz before certificates existed keeps that achievement."""
    upgrade(revision="864a1a53eeef")  # the schema before certificates
    rows = [
        "INSERT INTO network (id, name, prefecture, municipality, created_at, consumer_centre_name,"
        " consumer_centre_address, consumer_centre_phone, consumer_centre_hours, police_name,"
        " police_phone, police_address, community_support_name, community_support_phone,"
        " community_support_address) VALUES (1, '協議会', 'さくら県', 'みどり市',"
        " '2026-01-01 00:00:00', '', '', '', '', '', '', '', '', '', '')",
        "INSERT INTO organisation (id, network_id, kind, name, name_key, created_at)"
        " VALUES (1, 1, 'financial', '信金', '信金', '2026-01-01 00:00:00')",
        "INSERT INTO course (id, slug, title, summary, pass_mark, certificate_months, source_hash,"
        " is_active, loaded_at) VALUES (1, 'c', '研修', '', 80, 24, 'x', true,"
        " '2026-01-01 00:00:00')",
    ]
    for n in (1, 2):
        rows.append(
            "INSERT INTO member (id, network_id, organisation_id, name, kana, name_key, kana_key,"
            " job_type, age_band, gender, membership_start, end_reason, link_selector,"
            f" link_verifier, link_rotated_at, created_at, updated_at) VALUES ({n}, 1, 1,"
            f" '構成員{n}', '', 'k{n}', '', 'unknown', 'unknown', 'unknown', '2025-04-01', '',"
            f" 'sel{n}', 'ver', '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00')"
        )
    # Member 2 passed first (15:30 UTC is the next day in Japan), member 1 later; a failed
    # attempt and a pre-quiz get nothing.
    for attempt_id, member_id, phase, passed, submitted in (
        (1, 1, "post", "true", "2026-03-01 02:00:00"),
        (2, 2, "post", "true", "2026-02-27 15:30:00"),
        (3, 1, "post", "false", "2026-02-20 02:00:00"),
        (4, 2, "pre", "null", "2026-02-01 02:00:00"),
    ):
        rows.append(
            "INSERT INTO attempt (id, member_id, course_id, phase, status, idempotency_key,"
            " question_ids, choice_order, passed, started_at, submitted_at) VALUES"
            f" ({attempt_id}, {member_id}, 1, '{phase}', 'submitted', 'key{attempt_id}', '[]',"
            f" '{{}}', {passed}, '{submitted}', '{submitted}')"
        )
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(text(row))
    upgrade()
    with db.engine.connect() as conn:
        certificates = conn.execute(
            text(
                "SELECT member_id, attempt_id, serial, issued_on, valid_until, token, token_hash "
                "FROM certificate ORDER BY serial"
            )
        ).all()
        last = conn.execute(text("SELECT last_certificate_serial FROM network")).scalar_one()
    assert [(c.member_id, c.attempt_id, c.serial) for c in certificates] == [(2, 2, 1), (1, 1, 2)]
    assert [str(c.issued_on) for c in certificates] == ["2026-02-28", "2026-03-01"]
    assert [str(c.valid_until) for c in certificates] == ["2028-02-27", "2028-02-29"]
    assert all(len(c.token) == 22 and len(c.token_hash) == 64 for c in certificates)
    assert last == 2
    # 0005 (workshops): the same rows are members on the roster and attempts taken on one's own.
    with db.engine.connect() as conn:
        flags = conn.execute(text("SELECT needs_review FROM member ORDER BY id")).scalars().all()
        contexts = conn.execute(text("SELECT workshop_id FROM attempt")).scalars().all()
    assert [bool(f) for f in flags] == [False, False]
    assert contexts == [None] * 4


def test_result_codes_are_written_for_earlier_attempts(migrated_app):
    """0007 writes each submitted attempt's result codes from its answers: downgraded past it
    (the columns dropped) and upgraded again, every attempt gets back exactly the codes its
    submit wrote."""
    from tests.quizzes.helpers import load_repository_content, take
    from trainer.accounts import roster
    from trainer.learning.models import Course
    from trainer.quizzes.models import Attempt, QuizQuestion

    upgrade()
    load_repository_content()
    network = Network(name="移行協議会", prefecture="さくら県", municipality="みどり市")
    db.session.add(network)
    db.session.commit()
    org = roster.create_organisation(
        db.session, network_id=network.id, kind="financial", name="信金", actor=None
    )
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    keys = sorted({q.key for q in db.session.scalars(select(QuizQuestion))})
    for n in range(3):
        member = roster.create_member(
            db.session,
            network_id=network.id,
            data=roster.MemberInput(
                organisation_id=org.id, name=f"構成員{n}", membership_start=date(2025, 4, 1)
            ),
            actor=None,
        )
        take(member, course, "pre", right=set(keys[n::2]), likert=n + 1)
        if n < 2:
            take(member, course, "post", right=set(keys), likert=5)
        else:
            take(member, course, "post", right=set(), submit=False)  # open: no codes
    written = db.session.execute(
        select(Attempt.id, Attempt.status, Attempt.result_layout, Attempt.result_codes).order_by(
            Attempt.id
        )
    ).all()
    assert sum(row.result_codes is not None for row in written) == 5
    db.session.remove()

    downgrade(revision="fcc112078640")
    columns = {c["name"] for c in inspect(db.engine).get_columns("attempt")}
    assert "result_codes" not in columns
    upgrade()
    again = db.session.execute(
        select(Attempt.id, Attempt.status, Attempt.result_layout, Attempt.result_codes).order_by(
            Attempt.id
        )
    ).all()
    assert again == written
