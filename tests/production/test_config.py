"""Production settings (trainer/config.py): what TRAINER_ENV=production refuses to start
without, with a Japanese message naming the variable, and what it sets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.live_server import free_port
from trainer import create_app
from trainer.config import ConfigError, load_config

# Everything of the process's own environment that the configuration reads.
READ = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RATELIMIT_ENABLED")
PRODUCTION = {
    "TRAINER_ENV": "production",
    "SECRET_KEY": "production-secret-" + "x" * 32,
    "TRAINER_BASE_URL": "https://mimamori.example.jp",
    "DATABASE_URL": "postgresql://trainer:s3cret-pw@db.example.jp/mimamori",
}


def set_environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str | None]) -> None:
    """Exactly these variables (None: unset), none of the developer's own."""
    for name in os.environ:
        if name in READ or name.startswith("TRAINER_"):
            monkeypatch.delenv(name)
    for name, value in values.items():
        if value is not None:
            monkeypatch.setenv(name, value)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def test_a_complete_production_environment_starts(monkeypatch, instance):
    set_environment(monkeypatch, PRODUCTION)
    config = load_config(instance)
    assert config["TRAINER_ENV"] == "production"
    assert config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://trainer:s3cret-pw@db.example.jp/mimamori"
    )
    assert config["TRAINER_BASE_URL"] == "https://mimamori.example.jp"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"  # no REDIS_URL: one process's memory
    assert not instance.exists()  # nothing generated: no key file, no database file


@pytest.mark.parametrize(
    ("change", "variable", "explains"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY", "32文字以上"),
        ({"TRAINER_BASE_URL": None}, "TRAINER_BASE_URL", "が設定されていません"),
        ({"TRAINER_BASE_URL": "http://mimamori.example.jp"}, "TRAINER_BASE_URL", "https://"),
        ({"TRAINER_BASE_URL": "mimamori.example.jp"}, "TRAINER_BASE_URL", "https://"),
        ({"TRAINER_BASE_URL": "https://example.jp/mimamori"}, "TRAINER_BASE_URL", "ホスト名まで"),
        ({"DATABASE_URL": None}, "DATABASE_URL", "TRAINER_ALLOW_SQLITE=1"),
        ({"DATABASE_URL": "sqlite:////srv/mimamori.sqlite3"}, "DATABASE_URL", "PostgreSQL"),
        (
            {"DATABASE_URL": "sqlite:////srv/m.sqlite3", "TRAINER_ALLOW_SQLITE": "0"},
            "TRAINER_ALLOW_SQLITE=1",
            "SQLite",
        ),
        ({"DATABASE_URL": "mysql://trainer:s3cret-pw@db/m"}, "DATABASE_URL", "PostgreSQL"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL", "redis://"),
        ({"RATELIMIT_ENABLED": "0"}, "RATELIMIT_ENABLED=0", "production"),
        ({"TRAINER_PROXY_COUNT": "nginx"}, "TRAINER_PROXY_COUNT", "リバースプロキシの数"),
        ({"TRAINER_PROJECTOR_CACHE_SECONDS": "2s"}, "TRAINER_PROJECTOR_CACHE_SECONDS", "秒数"),
        ({"TRAINER_PROJECTOR_CACHE_SECONDS": "60"}, "TRAINER_PROJECTOR_CACHE_SECONDS", "0 から 10"),
    ],
)
def test_production_refuses_to_start(monkeypatch, instance, change, variable, explains):
    set_environment(monkeypatch, PRODUCTION | change)
    with pytest.raises(ConfigError) as refused:
        create_app({"INSTANCE_PATH": str(instance)})
    message = str(refused.value)
    assert variable in message
    assert explains in message
    assert "s3cret-pw" not in message  # a URL's password never goes into a log
    assert not instance.exists()  # no fallback key or SQLite file was made instead


def test_sqlite_in_production_only_when_explicitly_allowed(monkeypatch, instance, tmp_path):
    office = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    for allowed in ("1", "true", "YES", "on"):
        set_environment(monkeypatch, PRODUCTION | {"DATABASE_URL": office})
        monkeypatch.setenv("TRAINER_ALLOW_SQLITE", allowed)
        assert load_config(instance)["SQLALCHEMY_DATABASE_URI"] == office
    monkeypatch.delenv("DATABASE_URL")
    default = load_config(instance)["SQLALCHEMY_DATABASE_URI"]
    assert default == f"sqlite:///{instance / 'mimamori.sqlite3'}"


def test_redis_url_is_where_production_counts_rate_limits(monkeypatch, instance):
    for url in ("redis://127.0.0.1:6379/3", "rediss://:pw@cache.example.jp:6380/0"):
        set_environment(monkeypatch, PRODUCTION | {"REDIS_URL": url})
        assert load_config(instance)["RATELIMIT_STORAGE_URI"] == url


def test_development_keeps_the_laptop_defaults(monkeypatch, instance):
    set_environment(monkeypatch, {"RATELIMIT_ENABLED": "0"})
    config = load_config(instance)
    assert config["TRAINER_ENV"] == "development"
    assert config["TRAINER_BASE_URL"] == "http://127.0.0.1:5000"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'mimamori.sqlite3'}"
    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["RATELIMIT_ENABLED"] is False  # allowed while developing
    assert config["PROJECTOR_CACHE_SECONDS"] == 1.0


def cookie_attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def set_cookie(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))


def test_production_cookies_are_secure_whatever_the_base_url_override(
    monkeypatch, make_app, make_network, make_user, make_member
):
    network = make_network()
    user, member = make_user(network), make_member(network)
    set_environment(monkeypatch, PRODUCTION)
    # The test settings put TRAINER_BASE_URL back to http://trainer.test: production still
    # marks both cookies Secure.
    production = make_app()
    assert production.config["TRAINER_ENV"] == "production"
    assert not production.config["TRAINER_BASE_URL"].startswith("https://")

    staff = production.test_client().post(
        "/login", data={"email": user.email, "password": PASSWORD}
    )
    assert staff.status_code == 302
    assert {"secure", "httponly"} <= cookie_attributes(set_cookie(staff, "session"))
    learner = production.test_client().get(f"/m/{member.link_token}")
    assert learner.status_code == 302
    assert {"secure", "httponly"} <= cookie_attributes(set_cookie(learner, "remember_token"))
    assert {"secure", "httponly"} <= cookie_attributes(set_cookie(learner, "session"))
    assert "max-age=" in learner.headers.get("Strict-Transport-Security", "")


def test_rate_limits_go_on_in_each_worker_while_redis_is_down(app, make_app):
    nothing_there = free_port()  # a port of 127.0.0.1 where nothing listens
    cut_off = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{nothing_there}/0")
    client = cut_off.test_client()
    answers = [client.get(f"/reset/not-a-token-{i}").status_code for i in range(31)]
    # No error page for anyone: the reset link's own 404 ... until its limit (30 per 15
    # minutes), counted in this process's memory until Redis answers again.
    assert answers == [404] * 30 + [429]


def test_the_trainer_command_says_what_is_missing_without_a_traceback(tmp_path):
    """An operator who runs `trainer init-db` with production half configured gets one
    Japanese line and exit status 1."""
    import subprocess
    import sys

    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TRAINER_ENV": "production"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "trainer"), "init-db"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Error: SECRET_KEY が設定されていません。" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_postgresql_connections_are_checked_before_use(make_app):
    """A pooled connection the server closed (a restart, an idle timeout) is replaced before a
    request uses it, rather than failing that request: pool_pre_ping reaches the engine."""
    from trainer.extensions import db

    app = make_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pool_pre_ping is set for PostgreSQL only")
        assert db.engine.pool._pre_ping is True
