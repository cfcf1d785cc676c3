"""Security every page shares: headers, no inline code, cookies, CSRF on every POST, error pages
that reveal nothing, secrets, and the health check."""

from __future__ import annotations

import os
import re
import stat
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from tests.conftest import BASE_URL, PASSWORD, sign_in
from trainer import create_app
from trainer.accounts import invitations, passwords
from trainer.accounts.models import (
    Member,
    Network,
    NetworkRole,
    Organisation,
    PasswordResetToken,
    Role,
    StaffInvitation,
    User,
)
from trainer.audit.models import AuditEvent
from trainer.config import ConfigError
from trainer.courses.loading import load_courses
from trainer.extensions import db
from trainer.learning.models import Course, CourseModule

REPO = Path(__file__).resolve().parents[1]
CSRF_EXPIRED = "ページの有効期限が切れました"
SAFE_REFERRER_POLICIES = {"same-origin", "no-referrer", "strict-origin"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def count_open_invitations() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(StaffInvitation)
        .where(StaffInvitation.accepted_at.is_(None), StaffInvitation.cancelled_at.is_(None))
    )


@pytest.fixture
def world(app, make_network, make_user, make_org, make_member):
    """A network with content loaded, an organisation, a member, a secretariat (also platform
    admin) and a trainer."""
    load_courses(db.session, REPO / "courses", REPO / "quizzes")
    network = make_network(name="みどり市見守りネットワーク")
    secretariat = make_user(network, Role.SECRETARIAT, email="jimu@example.jp", admin=True)
    trainer = make_user(network, Role.TRAINER, email="koushi@example.jp", name="講師 一郎")
    org = make_org(network, name="みどり信用金庫")
    member = make_member(network, org, name="佐藤 恵子")
    course = db.session.scalar(select(Course).order_by(Course.id))
    return {
        "network": network,
        "secretariat": secretariat,
        "trainer": trainer,
        "organisation": org,
        "member": member,
        "course": course,
    }


# --- headers ---------------------------------------------------------------------------------


def assert_security_headers(response, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d for d in (p.strip() for p in csp.split(";")) if d}
    assert directives.get("default-src") == "default-src 'self'", (what, csp)
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", (what, csp)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (what, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") in SAFE_REFERRER_POLICIES, what


def test_security_headers_on_every_kind_of_response(client, login, world):
    network, member = world["network"], world["member"]
    anonymous = [
        ("html page", "/login", 200),
        ("json", "/healthz", 200),
        ("not found", "/no-such-page", 404),
        ("static file", "/static/css/app.css", 200),
        ("learner signed out", "/learn", 401),
        ("wrong method", "/logout", 405),
        ("invalid link", "/m/not-a-real-token-at-all", 404),
    ]
    for what, url, status in anonymous:
        response = client.get(url)
        assert response.status_code == status, (what, url)
        assert_security_headers(response, what)
        response.close()
    login(client, world["trainer"])
    forbidden = client.get(f"/n/{network.id}/members/{member.id}")
    assert forbidden.status_code == 403
    assert_security_headers(forbidden, "forbidden")
    login(client, world["secretariat"])
    page = client.get(f"/n/{network.id}/members/{member.id}/link")
    assert page.status_code == 200
    assert_security_headers(page, "signed-in page with a QR code")
    redirect = client.post("/logout")
    assert redirect.status_code == 302
    assert_security_headers(redirect, "redirect")


# --- no inline script or style (the CSP would block them) ------------------------------------


class InlineCodeFinder(HTMLParser):
    """Collects what a `default-src 'self'` CSP blocks, and the same-site links of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name: value or "" for name, value in attrs}
        text = self.get_starttag_text() or tag
        if tag == "html":
            self.lang = names.get("lang")
        if tag == "script" and "src" not in names:
            self.problems.append(f"inline script: {text}")
        if tag == "style":
            self.problems.append(f"style element: {text}")
        if "style" in names:
            self.problems.append(f"style attribute: {text}")
        for name in names:
            if name.startswith("on"):
                self.problems.append(f"event handler attribute: {text}")
        for name in ("href", "src", "action"):
            if names.get(name, "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL: {text}")
        href = names.get("href", "")
        if tag == "a" and href.startswith("/") and not href.startswith("//"):
            self.links.append(href)


def inspect_page(html: str) -> InlineCodeFinder:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder


def assert_no_inline_code(url: str, html: str) -> InlineCodeFinder:
    finder = inspect_page(html)
    assert finder.problems == [], (url, finder.problems)
    # The brief's plain checks too: no <script> without src, no style= anywhere in a tag.
    assert not re.search(r"<script(?![^>]*\bsrc\s*=)[^>]*>", html, re.IGNORECASE), url
    assert not re.search(r"<[^>]*\sstyle\s*=", html, re.IGNORECASE), url
    return finder


def crawl(client, starts: list[str], *, limit: int = 150) -> dict[str, str]:
    """GET every same-site page reachable by links from `starts`; returns {url: html}."""
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue and len(seen) < limit:
        url = urldefrag(queue.pop(0))[0]
        path = urlsplit(url).path
        if url in seen or path.startswith(("/static/", "/m/")):
            continue
        if path.endswith((".csv", ".xlsx", ".pdf")):  # downloads, not pages
            continue
        response = client.get(url)
        assert response.status_code in (200, 302, 401, 403, 404), (url, response.status_code)
        if response.status_code == 302:
            seen[url] = ""
            queue.append(response.headers["Location"])
            continue
        assert response.mimetype == "text/html", url
        html = response.get_data(as_text=True)
        seen[url] = html
        finder = assert_no_inline_code(url, html)
        assert finder.lang == "ja", url
        queue.extend(link for link in finder.links if link not in seen)
    return seen


def test_public_pages_have_no_inline_script_or_style(client, world):
    pages = crawl(
        client,
        [
            "/",
            "/login",
            "/learn",
            "/no-such-page",
            f"/m/{'x' * 40}",
            "/reset/bad-token",
            "/invite/bad-token",
        ],
    )
    assert {"/", "/login", "/learn"} <= pages.keys()
    failed = client.post("/login", data={"email": "jimu@example.jp", "password": "wrong-pass"})
    assert failed.status_code == 401
    assert_no_inline_code("failed login", failed.get_data(as_text=True))
    invalid_link = client.get(f"/m/{'x' * 40}")  # crawl() never opens /m/ links itself
    assert invalid_link.status_code == 404
    assert_no_inline_code("invalid personal link", invalid_link.get_data(as_text=True))


def test_staff_pages_have_no_inline_script_or_style(app, client, login, world):
    network, member, secretariat = world["network"], world["member"], world["secretariat"]
    login(client, secretariat)
    pages = crawl(client, ["/", f"/n/{network.id}/", "/admin/", "/account/password"])
    must_see = {
        f"/n/{network.id}/members",
        f"/n/{network.id}/members/{member.id}",
        f"/n/{network.id}/members/{member.id}/link",
        f"/n/{network.id}/members/{member.id}/edit",
        f"/n/{network.id}/organisations",
        f"/n/{network.id}/settings/",
        f"/n/{network.id}/staff/",
        f"/n/{network.id}/audit/",
        f"/n/{network.id}/courses/",
        f"/n/{network.id}/completion/",
        f"/n/{network.id}/report/",
        f"/n/{network.id}/exports/",
        f"/n/{network.id}/roster/import/",
        "/admin/",
    }
    assert must_see <= pages.keys(), must_see - pages.keys()
    assert any(url.startswith(f"/n/{network.id}/courses/{world['course'].slug}/") for url in pages)

    # Pages that only a form submission shows: validation errors, one-time links.
    prefix = f"/n/{network.id}"
    submitted = {
        "member form errors": client.post(f"{prefix}/members/new", data={"name": ""}),
        "organisation form errors": client.post(f"{prefix}/organisations/new", data={}),
        "staff form errors": client.post(f"{prefix}/staff/new", data={"email": "x"}),
        "end membership errors": client.post(
            f"{prefix}/members/{member.id}/end", data={"end_date": "not a date"}
        ),
        "password form errors": client.post("/account/password", data={}),
        "staff reset link": client.post(f"{prefix}/staff/{world['trainer'].id}/reset-link"),
        "admin network form errors": client.post("/admin/networks/new", data={}),
        "admin network created": client.post(
            "/admin/networks/new",
            data={
                "name": "あおば市見守りネットワーク",
                "prefecture": "さくら県",
                "municipality": "あおば市",
                "secretariat_email": "aoba@example.jp",
                "secretariat_name": "青葉 花子",
            },
        ),
        "switch to learner": client.get(f"/m/{member.link_token}"),
    }
    for what, response in submitted.items():
        assert response.status_code in (200, 400, 422), (what, response.status_code)
        assert_no_inline_code(what, response.get_data(as_text=True))
    created = submitted["admin network created"]
    assert "/invite/" in created.get_data(as_text=True)
    invite_path = re.search(
        r"http://trainer\.test(/invite/[\w\-]+)", created.get_data(as_text=True)
    )
    # The trainer (who has a password) invited to another network: the pages for signing in,
    # for someone else signed in, and for accepting.
    existing = invitations.invite(
        db.session,
        network_id=db.session.scalar(select(Network.id).where(Network.name.like("あおば市%"))),
        email=world["trainer"].email,
        name="講師",
        role=Role.TRAINER,
        actor=world["secretariat"],
    )
    existing_path = f"/invite/{existing.token}"
    trainer = app.test_client()
    login(trainer, world["trainer"])
    invitation_pages = {
        "staff invitation link": client.post(
            f"{prefix}/staff/new",
            data={"email": "new@example.jp", "name": "新人", "role": "trainer"},
        ),
        "invitation, choose a password": app.test_client().get(invite_path.group(1)),
        "invitation, sign in first": app.test_client().get(existing_path),
        "invitation, someone else signed in": client.get(existing_path),
        "invitation, accept": trainer.get(existing_path),
    }
    for what, response in invitation_pages.items():
        assert response.status_code == 200, (what, response.status_code)
        assert_no_inline_code(what, response.get_data(as_text=True))
    assert f'action="{existing_path}/accept"' in invitation_pages["invitation, accept"].text


class FormReader(HTMLParser):
    """The POST forms of a page, each filled in the way a hurried user would: the first choice of
    every radio group, checkbox group and select, "1" in text boxes, no named submit button."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._fields: dict[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._fields = {}
            self.forms.append((a.get("action") or self.page_url, self._fields))
        elif self._fields is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox", "hidden"):
                self._fields.setdefault(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button", "reset", "file"):
                self._fields.setdefault(a["name"], a.get("value") or "1")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and a.get("value"):
            self._fields.setdefault(self._select, a["value"])
        elif tag == "textarea" and a.get("name"):
            self._fields.setdefault(a["name"], "1")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


def post_forms(url: str, html: str) -> list[tuple[str, dict[str, str]]]:
    reader = FormReader(url)
    reader.feed(html)
    reader.close()
    return [(action, fields) for action, fields in reader.forms if action != "/logout"]


def test_learner_pages_have_no_inline_script_or_style(client, world):
    """A learner reads the course and takes the pre-test to the end, and every page is clean."""
    member, course = world["member"], world["course"]
    assert client.get(f"/m/{member.link_token}").status_code == 302
    pages = crawl(client, ["/learn"])
    assert f"/learn/{course.slug}" in pages
    modules = [u for u in pages if re.fullmatch(rf"/learn/{re.escape(course.slug)}/[^/]+", u)]
    assert modules, sorted(pages)

    # The quiz is reached through forms, not links: fill in each form and follow where it goes.
    url = f"/learn/{course.slug}/quiz/pre"
    visited: list[str] = []
    for _ in range(80):
        response = client.get(url)
        if response.status_code == 302:
            url = response.headers["Location"]
            continue
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert_no_inline_code(url, html)
        visited.append(url)
        forms = post_forms(url, html)
        if not forms:
            break
        action, fields = forms[0]
        sent = client.post(action, data=fields)
        if sent.status_code != 302:  # a page with a message: check it, then stop
            assert_no_inline_code(f"POST {action}", sent.get_data(as_text=True))
            break
        url = sent.headers["Location"]
    assert any(re.fullmatch(r"/learn/attempts/\d+/\d+", u) for u in visited), visited
    assert any(u.endswith("/result") for u in visited), visited
    crawl(client, [visited[-1]])


# --- cookies ---------------------------------------------------------------------------------


def cookie_attributes(response, name: str) -> set[str]:
    """The attributes of the Set-Cookie header for `name`, lower-cased ("httponly",
    "samesite=lax", "secure", ...)."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def test_session_cookie_is_httponly_and_samesite_lax(client, make_network, make_user):
    user = make_user(make_network())
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    attributes = cookie_attributes(response, "session")
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # served over http: a Secure cookie would never come back


def test_cookies_are_secure_when_the_site_is_https(make_app, make_network, make_user, make_member):
    network = make_network()
    user = make_user(network)
    member = make_member(network)
    https = make_app(TRAINER_BASE_URL="https://mimamori.example.jp")
    staff = https.test_client()
    response = staff.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    attributes = cookie_attributes(response, "session")
    assert {"secure", "httponly", "samesite=lax"} <= attributes
    learner = https.test_client().get(f"/m/{member.link_token}")
    assert learner.status_code == 302
    assert {"secure", "httponly", "samesite=lax"} <= cookie_attributes(learner, "remember_token")
    assert {"secure", "httponly"} <= cookie_attributes(learner, "session")
    assert "max-age=" in learner.headers.get("Strict-Transport-Security", "")


# --- CSRF on every POST route ----------------------------------------------------------------


def route_values(world) -> dict[str, dict[str, object]]:
    """URL values per endpoint ("" for any endpoint): real records of the world's network."""
    network, member, course = world["network"], world["member"], world["course"]
    module = db.session.scalar(
        select(CourseModule).where(CourseModule.course_id == course.id).order_by(CourseModule.id)
    )
    reset_token = passwords.issue_password_reset(db.session, user=world["trainer"], issuer=None)
    # A real invitation of an account without a password: without CSRF, a cross-site form
    # must not be able to choose its password, accept it or decline it.
    invite_token = invitations.invite(
        db.session,
        network_id=network.id,
        email="invited@example.jp",
        name="招待 花子",
        role=Role.SECRETARIAT,
        actor=world["secretariat"],
    ).token
    return {
        "": {
            "network_id": network.id,
            "member_id": member.id,
            "organisation_id": world["organisation"].id,
            "user_id": world["trainer"].id,
            "token": member.link_token,
            "course_slug": course.slug,
            "module_slug": module.slug,
            "phase": "pre",
        },
        "auth.reset_password": {"token": reset_token},
        "auth.invitation": {"token": invite_token},
        "auth.invitation_accept": {"token": invite_token},
        "auth.invitation_decline": {"token": invite_token},
    }


def snapshot(world) -> dict[str, object]:
    member, trainer, secretariat = world["member"], world["trainer"], world["secretariat"]
    db.session.rollback()  # read afresh what the other app committed
    return {
        "audit events": count(AuditEvent),
        "networks": count(Network),
        "organisations": count(Organisation),
        "members": count(Member),
        "users": count(User),
        "reset tokens": count(PasswordResetToken),
        "roles": count(NetworkRole),
        "open invitations": count_open_invitations(),
        "passwords set": db.session.scalar(
            select(func.count()).select_from(User).where(User.password_hash.is_not(None))
        ),
        "member": (member.name, member.link_token, member.membership_end),
        "trainer": (trainer.name, trainer.role_in(world["network"].id), trainer.session_version),
        "secretariat": (secretariat.password_hash, secretariat.session_version),
        "trainer password": trainer.password_hash,
        "local facts": world["network"].local_facts(),
    }


# The one POST without a CSRF token: RFC 8058's one-click unsubscribe, which a mail client sends
# with no cookie and no token; its signed URL token authorises it (trainer/bulletins/views/
# mail_stop.py). Tested there: tests/bulletins/test_mail_stop.py.
CSRF_EXEMPT = {"bulletin_mail.stop"}


def test_only_the_one_click_unsubscribe_is_exempt_from_csrf(app):
    from trainer.extensions import csrf

    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    assert exempt == CSRF_EXEMPT
    assert not csrf._exempt_blueprints


def post_targets(app, values: dict[str, dict[str, object]]) -> list[str]:
    """Every URL that accepts POST, filled with `values`; an argument nobody gave a value for
    (a new route) gets 1 or "x", since the CSRF check comes before the view looks at it."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint in CSRF_EXEMPT:
            continue
        given = {**values[""], **values.get(rule.endpoint, {})}
        args = {}
        for name in rule.arguments:
            number = isinstance(rule._converters[name], IntegerConverter)  # ours subclasses it
            args[name] = given.get(name, 1 if number else "x")
        urls.append(rule.build(args, append_unknown=False)[1])
    return urls


FORM_DATA = {
    "name": "書き換え",
    "kana": "かきかえ",
    "kind": "police",
    "role": "secretariat",
    "email": "jimu@example.jp",
    "password": PASSWORD,
    "current_password": PASSWORD,
    "new_password": "another-password-1",
    "confirm": "another-password-1",
    "end_date": "2025-04-01",
    "reason": "異動",
    "prefecture": "さくら県",
    "municipality": "あおば市",
    "secretariat_email": "new@example.jp",
    "secretariat_name": "新 事務局",
    "consumer_centre_name": "書き換え",
}


@pytest.mark.parametrize("principal", ["secretariat", "member", None])
def test_every_post_route_refuses_a_request_without_a_csrf_token(make_app, world, principal):
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    if principal is not None:
        sign_in(client, world[principal])
    urls = post_targets(protected, route_values(world))
    assert len(urls) >= 15, urls
    before = snapshot(world)
    for url in urls:
        response = client.post(url, data=FORM_DATA)
        assert response.status_code == 400, (url, response.status_code)
        html = response.get_data(as_text=True)
        assert CSRF_EXPIRED in html, url
        assert '<html lang="ja">' in html, url
        assert_security_headers(response, url)
    assert snapshot(world) == before
    # Nobody was signed in or out either (/logout, /login and /m/<token> accept POST).
    if principal == "secretariat":
        assert client.get(f"/n/{world['network'].id}/").status_code == 200
    elif principal == "member":
        assert "佐藤 恵子さんのページ" in client.get("/learn").get_data(as_text=True)
    else:
        assert client.get("/learn").status_code == 401
        assert client.get(f"/n/{world['network'].id}/").status_code == 302


def test_the_same_posts_do_change_things_when_csrf_is_off(client, login, world):
    """The control for the test above: without CSRF protection the walk would have acted."""
    network, member = world["network"], world["member"]
    login(client, world["secretariat"])
    old = member.link_token
    response = client.post(f"/n/{network.id}/members/{member.id}/link/rotate", data=FORM_DATA)
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.link_token != old


def test_a_post_with_the_page_token_is_accepted(make_app, world):
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, page
    response = client.post(
        "/login",
        data={"csrf_token": token.group(1), "email": "jimu@example.jp", "password": PASSWORD},
    )
    assert response.status_code == 302


# --- error pages -----------------------------------------------------------------------------


def test_404_page_is_japanese(client, login, world):
    for url in ("/no-such-page", f"/n/{world['network'].id}/members/999999"):
        if url.startswith("/n/"):
            login(client, world["secretariat"])
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 404, url
        assert "ページが見つかりません" in html, url
        assert '<html lang="ja">' in html, url
        assert "Not Found" not in html, url


def test_500_page_is_japanese_and_reveals_nothing(make_app, caplog):
    broken = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    secret = "password=hunter2-do-not-show@db.internal:5432"

    @broken.get("/boom")
    def boom():
        raise RuntimeError(secret)

    response = broken.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "システムでエラーが発生しました" in html
    assert '<html lang="ja">' in html
    for leak in ("hunter2", "db.internal", "RuntimeError", "Traceback", "boom"):
        assert leak not in html, leak
    assert_security_headers(response, "500")
    # The operator still finds the details in the log.
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert any(str(error) == secret for error in logged), caplog.records


@pytest.mark.parametrize(
    "principal", ["u:1:1", "m:1:selector"], ids=["staff session", "learner session"]
)
def test_500_page_renders_for_a_signed_in_visitor_when_the_database_is_down(app_config, principal):
    """The error page must not need the database: when it is down, signed-in visitors (every
    learner's phone stays signed in) still get the Japanese page, not the server's bare one."""
    down = create_app(
        {
            **app_config,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": False,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/nope",
        }
    )
    client = down.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = principal
        session["_fresh"] = True
    try:
        escaped = None
        try:
            response = client.get("/learn" if principal.startswith("m:") else "/")
        except Exception as error:  # a WSGI server answers this with its own bare English page
            escaped = f"{type(error).__name__} escaped the error handlers"
        assert escaped is None, escaped
        html = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "システムでエラーが発生しました" in html
        for leak in ("127.0.0.1", "refused", "psycopg", "OperationalError", "Traceback"):
            assert leak not in html, leak
        assert_security_headers(response, "500 with the database down")
    finally:
        with down.app_context():
            db.engine.dispose()


# --- secrets ---------------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(
            {
                "INSTANCE_PATH": str(instance),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            }
        )
    assert not (instance / "secret_key").exists()  # no silent fallback key either
    monkeypatch.setenv("SECRET_KEY", "   ")
    with pytest.raises(ConfigError):
        create_app(
            {
                "INSTANCE_PATH": str(instance),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            }
        )


def test_development_generates_a_private_secret_key_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINER_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite3'}",
    }
    first = create_app(config)
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]
    second = create_app(config)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    for made in (first, second):
        with made.app_context():
            db.engine.dispose()


# --- health check ----------------------------------------------------------------------------


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database_without_details(app_config):
    down = create_app(
        {**app_config, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/nope"}
    )
    try:
        response = down.test_client().get("/healthz")
        body = response.get_data(as_text=True)
        assert response.status_code == 503
        assert response.get_json()["status"] == "error"
        assert response.get_json().get("database") != "ok"
        for leak in ("127.0.0.1", "refused", "psycopg", "OperationalError", "nope", "Traceback"):
            assert leak not in body, leak
        assert_security_headers(response, "healthz 503")
    finally:
        with down.app_context():
            db.engine.dispose()


def test_base_url_is_used_for_links_not_the_host_header(client, world):
    """Printed links come from TRAINER_BASE_URL even when the request names another host."""
    network, member = world["network"], world["member"]
    other = "http://evil.example"
    with client.session_transaction(base_url=other) as session:
        session["_user_id"] = world["secretariat"].get_id()
        session["_fresh"] = True
    response = client.get(f"/n/{network.id}/members/{member.id}/link", base_url=other)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"{BASE_URL}/m/{member.link_token}" in html
    assert "evil.example" not in html


def test_403_page_is_japanese(client, login, make_network, make_user):
    network = make_network()
    login(client, make_user(network, Role.TRAINER))
    response = client.get(f"/n/{network.id}/members")
    assert response.status_code == 403
    assert "このページを見る権限がありません" in response.get_data(as_text=True)
