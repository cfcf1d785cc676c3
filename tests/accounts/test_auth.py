"""Staff sign-in, sign-out, password change and one-time reset links, through the real forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from trainer.accounts import passwords, users
from trainer.accounts.models import PasswordResetToken, Role, User
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.timeutil import utcnow


def post_login(client, email, password, environ_base=None, **extra):
    return client.post(
        "/login",
        data={"email": email, "password": password, **extra},
        environ_base=environ_base or {},
    )


def test_login_page_is_japanese(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "職員ログイン" in html and "メールアドレス" in html


def test_secretariat_signs_in_and_lands_on_their_network(client, make_network, make_user):
    network = make_network(name="みどり市見守りネットワーク")
    user = make_user(network, Role.SECRETARIAT, email="jimu@example.jp")
    response = post_login(client, "JIMU@example.jp ", PASSWORD)
    assert response.status_code == 302
    home = client.get(response.headers["Location"])
    assert home.headers["Location"].endswith(f"/n/{network.id}/")
    page = client.get(home.headers["Location"])
    assert "みどり市見守りネットワーク" in page.get_data(as_text=True)
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_shows_japanese_message_and_no_session(client, make_network, make_user):
    make_user(make_network(), email="jimu@example.jp")
    response = post_login(client, "jimu@example.jp", "wrong-password-123")
    assert response.status_code == 401
    assert "メールアドレスまたはパスワードが正しくありません。" in response.get_data(as_text=True)
    assert client.get("/n/1/").status_code == 302  # still signed out: sent to the login page


def test_unknown_email_gets_the_same_message(client):
    response = post_login(client, "nobody@example.jp", "whatever-password")
    assert response.status_code == 401
    assert "メールアドレスまたはパスワードが正しくありません。" in response.get_data(as_text=True)


def test_empty_fields_get_messages_at_the_fields(client):
    html = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert html.count("入力してください。") == 2


def test_next_only_accepts_local_paths(client, make_network, make_user):
    network = make_network()
    make_user(network, email="jimu@example.jp")
    bad = post_login(client, "jimu@example.jp", PASSWORD, next="https://evil.example/")
    assert bad.headers["Location"] == "/"
    client.post("/logout")
    good = post_login(client, "jimu@example.jp", PASSWORD, next=f"/n/{network.id}/members")
    assert good.headers["Location"] == f"/n/{network.id}/members"


def test_logout_ends_the_session(client, make_network, make_user):
    network = make_network()
    make_user(network, email="jimu@example.jp")
    post_login(client, "jimu@example.jp", PASSWORD)
    assert client.get(f"/n/{network.id}/").status_code == 200
    response = client.post("/logout", follow_redirects=True)
    assert "ログアウトしました。" in response.get_data(as_text=True)
    assert client.get(f"/n/{network.id}/").status_code == 302


def test_logout_is_post_only(client):
    assert client.get("/logout").status_code == 405


def test_a_strangers_failures_do_not_lock_the_owner_out(client, app, make_network, make_user):
    """Ten wrong passwords from one address lock that address, not the account: the owner signs
    in from another address, in a browser that has never signed in before."""
    make_user(make_network(), email="jimu@example.jp")
    for i in range(10):
        response = client.post(
            "/login",
            data={"email": "jimu@example.jp", "password": f"wrong-{i}-xxxxxx"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        assert response.status_code == 401
    same_address = post_login(
        client, "jimu@example.jp", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert same_address.status_code == 429
    owner = app.test_client()
    signed_in = owner.post(
        "/login",
        data={"email": "jimu@example.jp", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert signed_in.status_code == 302


def guess_from_many_addresses(client, email: str, count: int = 30) -> None:
    for i in range(count):
        response = client.post(
            "/login",
            data={"email": email, "password": f"wrong-{i}-xxxxxx"},
            environ_base={"REMOTE_ADDR": f"10.0.{i}.1"},  # one guess an address: none locked
        )
        assert response.status_code == 401, i


def test_guesses_from_many_addresses_lock_the_account_for_unknown_browsers_only(
    app, make_network, make_user
):
    make_user(make_network(), email="jimu@example.jp")
    owner = app.test_client()
    assert post_login(owner, "jimu@example.jp", PASSWORD).status_code == 302
    owner.post("/logout")
    guess_from_many_addresses(app.test_client(), "jimu@example.jp")
    # A browser that never signed in to the account: refused, even with the right password.
    stranger = app.test_client().post(
        "/login",
        data={"email": "jimu@example.jp", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.99.1"},
    )
    assert stranger.status_code == 429
    html = stranger.get_data(as_text=True)
    assert "以前このアカウントでログインした端末から" in html
    # The owner's own browser, known to the account since it signed in: not counted there.
    again = owner.post(
        "/login",
        data={"email": "jimu@example.jp", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.99.2"},
    )
    assert again.status_code == 302
    # Another account from a fresh address is not affected.
    other = app.test_client().post(
        "/login",
        data={"email": "someone@example.jp", "password": "x" * 12},
        environ_base={"REMOTE_ADDR": "10.0.99.3"},
    )
    assert other.status_code == 401


def test_a_known_browser_has_its_own_limit(app, make_network, make_user):
    make_user(make_network(), email="jimu@example.jp")
    owner = app.test_client()
    assert post_login(owner, "jimu@example.jp", PASSWORD).status_code == 302
    owner.post("/logout")
    for i in range(10):
        response = owner.post(
            "/login",
            data={"email": "jimu@example.jp", "password": f"typo-{i}-xxxxxx"},
            environ_base={"REMOTE_ADDR": f"10.1.0.{i}"},
        )
        assert response.status_code == 401
    locked = owner.post(
        "/login",
        data={"email": "jimu@example.jp", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert locked.status_code == 429
    assert "15分ほど待って" in locked.get_data(as_text=True)


def test_the_known_browser_cookie_cannot_be_forged_or_moved_to_another_account(
    app, make_network, make_user
):
    network = make_network()
    make_user(network, email="jimu@example.jp")
    make_user(network, email="attacker@example.jp")
    attacker = app.test_client()
    assert post_login(attacker, "attacker@example.jp", PASSWORD).status_code == 302
    attacker.post("/logout")
    guess_from_many_addresses(attacker, "jimu@example.jp")  # known to their own account only
    refused = post_login(attacker, "jimu@example.jp", PASSWORD)
    assert refused.status_code == 429
    forged = app.test_client()
    forged.set_cookie("known_browser", "eyJiIjoieCIsImEiOlsiMSJdfQ.forged.sig", path="/login")
    assert post_login(forged, "jimu@example.jp", PASSWORD).status_code == 429


def test_a_reset_link_makes_the_browser_known(app, client, make_network, make_user):
    user = make_user(make_network(), email="jimu@example.jp")
    token = passwords.issue_password_reset(db.session, user=user, issuer=None)
    guess_from_many_addresses(app.test_client(), "jimu@example.jp")
    assert post_login(client, "jimu@example.jp", PASSWORD).status_code == 429
    done = client.post(
        f"/reset/{token}",
        data={"new_password": "a-new-long-password", "confirm": "a-new-long-password"},
    )
    assert done.status_code == 302
    client.post("/logout")
    assert post_login(client, "jimu@example.jp", "a-new-long-password").status_code == 302


def test_ten_failures_from_one_address_lock_that_address(client, make_network, make_user):
    network = make_network()
    make_user(network, email="real@example.jp")
    for i in range(10):
        post_login(client, f"guess{i}@example.jp", "wrong-password-x")
    locked = post_login(client, "real@example.jp", PASSWORD)
    assert locked.status_code == 429
    assert "15分ほど待って" in locked.get_data(as_text=True)


def test_successful_logins_are_not_counted(client, make_network, make_user):
    make_user(make_network(), email="jimu@example.jp")
    for _ in range(12):
        assert post_login(client, "jimu@example.jp", PASSWORD).status_code == 302
        client.post("/logout")


def test_change_password_signs_out_other_sessions(app, client, make_network, make_user):
    network = make_network()
    make_user(network, email="jimu@example.jp")
    other_device = app.test_client()
    post_login(other_device, "jimu@example.jp", PASSWORD)
    post_login(client, "jimu@example.jp", PASSWORD)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm": "a-new-long-password",
        },
    )
    assert response.status_code == 302
    assert client.get(f"/n/{network.id}/").status_code == 200  # this device stays in
    assert other_device.get(f"/n/{network.id}/").status_code == 302  # the other is out
    assert post_login(client, "jimu@example.jp", "a-new-long-password").status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_change"))


def test_change_password_rejects_short_and_wrong_current(client, make_network, make_user, login):
    user = make_user(make_network())
    login(client, user)
    short = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert "パスワードは10文字以上にしてください。" in short.get_data(as_text=True)
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not-it-at-all",
            "new_password": "long-enough-password",
            "confirm": "long-enough-password",
        },
    )
    assert "現在のパスワードが正しくありません。" in wrong.get_data(as_text=True)
    mismatch = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "long-enough-password",
            "confirm": "long-enough-passwordX",
        },
    )
    assert "確認用のパスワードが一致しません。" in mismatch.get_data(as_text=True)
    assert db.session.get(User, user.id).session_version == 1  # nothing changed


def test_reset_link_sets_a_password_once(client, make_network, make_user):
    user = make_user(make_network(), email="jimu@example.jp")
    token = passwords.issue_password_reset(db.session, user=user, issuer=None)
    page = client.get(f"/reset/{token}")
    assert page.status_code == 200 and "jimu@example.jp" in page.get_data(as_text=True)
    done = client.post(
        f"/reset/{token}",
        data={"new_password": "brand-new-password", "confirm": "brand-new-password"},
    )
    assert done.status_code == 302
    client.post("/logout")
    assert post_login(client, "jimu@example.jp", "brand-new-password").status_code == 302
    again = client.get(f"/reset/{token}")
    assert again.status_code == 404
    assert "このリンクは使えません" in again.get_data(as_text=True)


def test_expired_and_replaced_reset_links_do_not_work(client, make_network, make_user):
    user = make_user(make_network())
    first = passwords.issue_password_reset(db.session, user=user, issuer=None)
    second = passwords.issue_password_reset(db.session, user=user, issuer=None)
    assert client.get(f"/reset/{first}").status_code == 404  # replaced by the second
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.used_at.is_(None)))
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/reset/{second}").status_code == 404
    assert client.get("/reset/not-a-token").status_code == 404


def test_reset_token_is_stored_hashed(make_network, make_user):
    user = make_user(make_network())
    token = passwords.issue_password_reset(db.session, user=user, issuer=None)
    stored = db.session.scalars(select(PasswordResetToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_passwords_are_hashed_with_scrypt(make_network):
    user = users.create_user(db.session, email="a@example.jp", name="A", password="long-password-1")
    assert user.password_hash.startswith("scrypt:")
    assert "long-password-1" not in user.password_hash


def redis_available() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_the_lockout_is_shared_between_processes(
    make_app, make_network, make_user, monkeypatch
):
    """Two app instances stand for two gunicorn workers: failures on one count on the other too
    (the account's bucket for browsers that never signed in to it)."""
    import uuid

    from trainer.extensions import limiter

    # The limiter is one object for every app of the run: a test that made Redis unreachable
    # leaves it on its in-memory fallback, which it would leave again halfway through this test.
    monkeypatch.setattr(limiter, "_storage_dead", False)

    make_user(make_network(), email="shared@example.jp")
    prefix = f"test-{uuid.uuid4().hex}"
    first = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=prefix)
    second = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=prefix)
    for i in range(30):
        worker = (first if i % 2 else second).test_client()
        response = worker.post(
            "/login",
            data={"email": "shared@example.jp", "password": "wrong-password"},
            environ_base={"REMOTE_ADDR": f"10.9.{i}.1"},
        )
        assert response.status_code == 401
    locked = second.test_client().post(
        "/login",
        data={"email": "shared@example.jp", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.99.1"},
    )
    assert locked.status_code == 429
    import redis

    connection = redis.Redis(host="127.0.0.1", port=6379, db=0)
    stored = connection.keys(f"*{prefix}*")
    assert stored, "the failures were not counted in Redis"
    connection.delete(*stored)
    connection.close()
