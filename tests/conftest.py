"""Fixtures: a fresh app and database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL),
and callable factories for networks, users, organisations and members."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from tests.tools import postgresql_server, throwaway_postgresql
from trainer import create_app
from trainer.accounts import roster
from trainer.accounts.models import Member, Network, NetworkRole, Organisation, Role, User
from trainer.extensions import db
from trainer.security import hash_password

PASSWORD = "correct-horse-battery"
# scrypt is slow on purpose: hash the test password once per run, not once per user.
PASSWORD_HASH = hash_password(PASSWORD)
BASE_URL = "http://trainer.test"


@pytest.fixture(scope="session")
def database_url_factory() -> Iterator[Callable[[Path], str]]:
    """SQLite files under each test's tmp_path; or, with TEST_DATABASE_URL, one throwaway
    PostgreSQL database for the run, whose tables each test creates and drops."""
    server = postgresql_server()
    if not server:
        yield lambda tmp: f"sqlite:///{tmp / 'test.sqlite3'}"
        return
    with throwaway_postgresql(server, "trainer_test") as url:
        yield lambda _tmp: url


@pytest.fixture
def app_config(tmp_path: Path, database_url_factory: Callable[[Path], str]) -> dict[str, object]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url_factory(tmp_path),
        "WTF_CSRF_ENABLED": False,
        "TRAINER_BASE_URL": BASE_URL,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


class RequestPerContextClient(FlaskClient):
    """Each request runs in a fresh context, as it does in a real server.

    The tests hold an app context open for their own database work; Flask would otherwise reuse
    it for requests, sharing `g` (and Flask-Login's cached user) between requests, which hides
    real bugs. Before a request the test's transaction ends, and afterwards its objects are
    expired, so the test reads what the request stored.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect being followed: already in a fresh context
            return super().open(*args, **kwargs)
        db.session.rollback()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


# The PostgreSQL databases whose tables this run has created (one per run: database_url_factory).
_TABLES_CREATED: set[str] = set()


def _empty_postgresql_tables(url: str) -> None:
    """An empty database as the test expects it, ids counting from 1 again.

    The tables are created once a run; each test then starts by deleting every row and
    restarting the sequences: some 0.05 s, where creating and dropping 22 tables took about a
    second a test (TRUNCATE, about as slow). A test that failed half way leaves nothing behind
    for the next, because the emptying happens before each test, not after.
    """
    if url not in _TABLES_CREATED:
        db.create_all()
        _TABLES_CREATED.add(url)
        return
    with db.engine.begin() as connection:
        # A cycle (course_module.current_version_id → module_version → course_module) is
        # broken first, as the schema itself does it: the foreign keys created after the tables.
        for table in db.metadata.sorted_tables:
            for constraint in table.foreign_key_constraints:
                if constraint.use_alter:
                    connection.execute(
                        table.update().values(dict.fromkeys(constraint.columns.keys()))
                    )
        for table in reversed(db.metadata.sorted_tables):  # children before their parents
            connection.execute(table.delete())
        sequences = connection.scalars(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ).all()
        for sequence in sequences:
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    app = create_app(app_config)
    app.test_client_class = RequestPerContextClient
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # a new file under tmp_path: goes with it
            db.create_all()
        else:
            _empty_postgresql_tables(str(app_config["SQLALCHEMY_DATABASE_URI"]))
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(app_config: dict[str, object]) -> Iterator[Callable[..., Flask]]:
    """More apps on the same database with other settings; their connections are closed after."""
    made: list[Flask] = []

    def make(**overrides: object) -> Flask:
        extra = create_app({**app_config, **overrides})
        made.append(extra)
        return extra

    yield make
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_network(app: Flask) -> Callable[..., Network]:
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, municipality: str = "みどり市") -> Network:
        n = next(counter)
        network = Network(
            name=name or f"テスト協議会{n}", prefecture="さくら県", municipality=municipality
        )
        db.session.add(network)
        db.session.commit()
        return network

    return make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        network: Network | None = None,
        role: Role | str | None = Role.SECRETARIAT,
        *,
        email: str | None = None,
        name: str = "職員 テスト",
        admin: bool = False,
    ) -> User:
        user = User(
            email=email or f"staff{next(counter)}@example.jp",
            name=name,
            password_hash=PASSWORD_HASH,
            is_platform_admin=admin,
        )
        db.session.add(user)
        db.session.flush()
        if network is not None and role is not None:
            db.session.add(
                NetworkRole(user_id=user.id, network_id=network.id, role=Role(role).value)
            )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    counter = iter(range(1, 10_000))

    def make(
        network: Network, name: str | None = None, kind: str = "care_management"
    ) -> Organisation:
        org = roster.create_organisation(
            db.session,
            network_id=network.id,
            kind=kind,
            name=name or f"テスト事業所{next(counter)}",
            actor=None,
        )
        return org

    return make


@pytest.fixture
def make_member(app: Flask, make_org: Callable[..., Organisation]) -> Callable[..., Member]:
    counter = iter(range(1, 10_000))

    def make(
        network: Network,
        organisation: Organisation | None = None,
        *,
        name: str | None = None,
        kana: str = "",
        start: date = date(2025, 4, 1),
    ) -> Member:
        org = organisation or make_org(network)
        return roster.create_member(
            db.session,
            network_id=network.id,
            data=roster.MemberInput(
                organisation_id=org.id,
                name=name or f"構成員 {next(counter)}号",
                kana=kana,
                membership_start=start,
            ),
            actor=None,
        )

    return make


def sign_in(client: FlaskClient, principal: User | Member) -> None:
    """Put a principal into the client's session (the sign-in form is tested on its own)."""
    with client.session_transaction() as session:
        session["_user_id"] = principal.get_id()
        session["_fresh"] = True


@pytest.fixture
def login() -> Callable[[FlaskClient, User | Member], None]:
    return sign_in


def pytest_terminal_summary(terminalreporter) -> None:
    """The hostile-input walk's figures (routes, principals, requests, statuses), after the run."""
    import sys

    walk = sys.modules.get("tests.test_fuzz_routes")
    if walk is None or not walk.SUMMARY:
        return
    terminalreporter.section("hostile-input walk (tests/test_fuzz_routes.py)")
    for line in walk.SUMMARY:
        terminalreporter.write_line(line)
