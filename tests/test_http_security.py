"""Security that every page shares: headers, cookies, CSRF on every form, error pages, secrets."""

from __future__ import annotations

import os
import re
import stat

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from trainer import create_app
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.config import ConfigError
from trainer.extensions import db


@pytest.fixture
def signed_in_secretariat(client, login, make_network, make_user, make_member):
    network = make_network()
    user = make_user(network, Role.SECRETARIAT)
    member = make_member(network)
    login(client, user)
    return network, member


def test_security_headers_on_every_kind_of_response(client, signed_in_secretariat):
    network, _member = signed_in_secretariat
    for url in (
        "/",
        "/login",
        f"/n/{network.id}/members",
        "/healthz",
        "/nope",
        "/static/css/app.css",
    ):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        response.close()


def test_pages_have_no_inline_script_or_style(client, signed_in_secretariat):
    network, member = signed_in_secretariat
    for url in (
        f"/n/{network.id}/",
        f"/n/{network.id}/members",
        f"/n/{network.id}/members/{member.id}",
        f"/n/{network.id}/members/{member.id}/link",
        f"/n/{network.id}/members/new",
        f"/n/{network.id}/staff/",
        f"/n/{network.id}/settings/",
    ):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html, url
        assert '<html lang="ja">' in html


def test_session_cookie_flags(client, make_network, make_user):
    make_user(make_network(), email="jimu@example.jp")
    response = client.post("/login", data={"email": "jimu@example.jp", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_under_https(make_app):
    app = make_app(TRAINER_BASE_URL="https://mimamori.example.jp")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_every_post_route_requires_a_csrf_token(
    make_app, app, make_network, make_user, make_member
):
    from tests.conftest import sign_in

    network = make_network()
    user = make_user(network, Role.SECRETARIAT)
    member = make_member(network)
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    with protected.app_context():
        sign_in(client, user)
        ids = {
            "network_id": network.id,
            "member_id": member.id,
            "organisation_id": member.organisation_id,
            "user_id": user.id,
            "token": member.link_token,
            "course_slug": "x",
            "module_slug": "y",
            "phase": "pre",
            "attempt_id": 1,
            "n": 1,
        }
        checked = []
        for rule in protected.url_map.iter_rules():
            if "POST" not in rule.methods:
                continue
            url = rule.build({k: ids[k] for k in rule.arguments})[1]
            response = client.post(url, data={"name": "x", "role": "trainer"})
            assert response.status_code == 400, url
            assert "ページの有効期限が切れました" in response.get_data(as_text=True), url
            checked.append(url)
    assert len(checked) >= 15
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_404_and_500_pages_are_japanese_and_leak_nothing(make_app):
    app = make_app(TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret-database-password-xyz")

    client = app.test_client()
    missing = client.get("/does-not-exist")
    assert missing.status_code == 404 and "ページが見つかりません" in missing.get_data(as_text=True)
    broken = client.get("/boom")
    html = broken.get_data(as_text=True)
    assert broken.status_code == 500
    assert "システムでエラーが発生しました" in html
    assert "secret-database-password" not in html and "Traceback" not in html


def test_403_page_is_japanese(client, login, make_network, make_user):
    network = make_network()
    login(client, make_user(network, Role.TRAINER))
    response = client.get(f"/n/{network.id}/members")
    assert response.status_code == 403
    assert "このページを見る権限がありません" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_generates_a_private_key_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("TRAINER_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    from trainer.config import load_config

    first = load_config(tmp_path / "instance")["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_config(tmp_path / "instance")["SECRET_KEY"] == first and len(first) >= 40


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(app_config):
    app = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/nope"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
