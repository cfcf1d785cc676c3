"""Hostile input, walked over the whole app: no value anyone sends gives a 500, and a refused
request stores nothing.

Every rule of the URL map, with every method, is requested as each kind of principal
(anonymous, learner, workshop participant, trainer, secretariat, platform admin) with values
drawn by Hypothesis for its URL arguments and for the parameters its module reads (request.args
and request.form keys, and the fields of the WTForms forms it uses): huge and negative numbers,
non-ASCII digits, control characters, long and empty strings, dates at the calendar's ends,
wrong types, and the world's real ids and tokens (so that requests also get past the lookups).
A route added tomorrow is walked by construction. A request answered 4xx must not have committed
any INSERT, UPDATE or DELETE (watched on the engine, so nothing escapes).

CSRF and rate limits are off here (tests/test_security.py checks them): with them on, almost
every generated request would stop at the door and prove nothing about what lies behind it.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from tests.certificates.helpers import make_certificate
from tests.conftest import sign_in
from tests.quizzes.helpers import load_repository_content
from trainer.accounts import invitations
from trainer.accounts.models import Role
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.secretariat.models import RosterImport
from trainer.timeutil import today_jst
from trainer.workshops import creating as workshops
from trainer.workshops.models import Participant, Workshop
from trainer.workshops.projector_link import page_path

# Examples per (rule, method, principal). 2 walks every route as everyone twice over, deep
# enough with the real ids mixed in; the total is printed at the end of the run.
EXAMPLES_PER_CASE = 4
# What each part of the walk did, printed after the run (tests/conftest.py).
SUMMARY: list[str] = []
PRINCIPALS = ("anonymous", "learner", "participant", "trainer", "secretariat", "admin")

HOSTILE_STRINGS = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "²",
    "፩",
    "１２",
    "9" * 25,
    "1" * 5000,
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "10000-01-01",
    "é",
    "\x00",
    "a\x00b",
    "\x1b[31m赤\x1b[0m",
    "\u202e逆向き",
    "\ud7ff",
    "🙂",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "=HYPERLINK(1)",
    "../../etc/passwd",
    "%00",
    "null",
    "true",
    "[]",
    "{}",
    "NaN",
    "1e309",
    "見守り" * 400,
]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False}


class CommittedWrites:
    """INSERT/UPDATE/DELETE statements that were committed, seen on the engine itself."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.pending: dict[int, list[str]] = {}
        self.committed: list[str] = []

    def before(self, conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip()[:6].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            self.pending.setdefault(id(conn), []).append(" ".join(statement.split()[:4]))

    def commit(self, conn):
        self.committed.extend(self.pending.pop(id(conn), []))

    def rollback(self, conn):
        self.pending.pop(id(conn), None)

    def __enter__(self) -> CommittedWrites:
        event.listen(self.engine, "before_cursor_execute", self.before)
        event.listen(self.engine, "commit", self.commit)
        event.listen(self.engine, "rollback", self.rollback)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "commit", self.commit)
        event.remove(self.engine, "rollback", self.rollback)

    def take(self) -> list[str]:
        taken, self.committed = self.committed, []
        return taken


def parameters_of(app: Flask, endpoint: str, *, query: bool = False) -> list[str]:
    """The request parameters the endpoint's module reads, and its forms' fields.

    query=True: only what a GET's query string can reach. Flask-WTF fills a form from the
    request only when it is submitted (POST and the like), so a form's fields are query
    parameters only where the module builds it from request.args itself (the report's filters).
    """
    view = inspect.unwrap(app.view_functions[endpoint])
    module = sys.modules[view.__module__]
    source = inspect.getsource(module)
    where = "args|values" if query else "args|form|values|files"
    names = set(re.findall(rf"request\.(?:{where})\.get(?:list)?\(\s*[\"']([^\"']+)", source))
    names |= set(re.findall(rf"request\.(?:{where})\[\s*[\"']([^\"']+)", source))
    form_call = r"\b([A-Z]\w*Form)\(\s*request\.args" if query else r"\b([A-Z]\w*Form)\("
    for form_name in set(re.findall(form_call, source)):
        form_class = getattr(module, form_name, None)
        if form_class is None or not hasattr(form_class, "_unbound_fields"):
            continue
        with app.test_request_context():
            form = form_class(meta={"csrf": False})
            names |= {name for name in form._fields if name != "csrf_token"}
    return sorted(names)


@pytest.fixture
def world(app, make_network, make_user, make_org, make_member, client):
    """One network with one of everything a URL can name, and a second network beside it."""
    load_repository_content()
    network = make_network(name="ファズ協議会")
    other = make_network(name="よその協議会")
    secretariat = make_user(network, Role.SECRETARIAT, email="sec@example.jp")
    trainer = make_user(network, Role.TRAINER, email="trainer@example.jp")
    admin = make_user(None, None, email="admin@example.jp", admin=True)
    make_user(other, Role.SECRETARIAT, email="other@example.jp")
    org = make_org(network, "みどり居宅介護支援事業所")
    learner = make_member(network, org, name="学習 花子", kana="がくしゅう はなこ")
    walker = make_member(network, org, name="参加 太郎", kana="さんか たろう")
    certificate = make_certificate(learner)
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    workshop = workshops.create_workshop(
        db.session,
        network_id=network.id,
        data=workshops.WorkshopInput(course_id=course.id, title="研修会", held_on=today_jst()),
        actor=trainer,
    )
    draft = RosterImport(
        network_id=network.id,
        user_id=secretariat.id,
        filename="名簿.csv",
        sha256="0" * 64,
        rows=[{"line": 2, "organisation": org.name, "name": "日向 花子", "errors": []}],
        summary={},
    )
    db.session.add(draft)
    db.session.commit()
    link = invitations.invite(
        db.session,
        network_id=network.id,
        email="invited@example.jp",
        name="招待 次郎",
        role=Role.TRAINER,
        actor=secretariat,
    )
    phone = client.application.test_client()
    joined = phone.post(
        f"/join/{workshop.join_code}", data={"organisation_id": org.id, "name": walker.name}
    )
    assert joined.status_code == 302, joined.get_data(as_text=True)
    participant = db.session.scalar(select(Participant))
    with phone.session_transaction() as session:
        participant_session = dict(session)
    with app.test_request_context():
        projector_token = page_path(workshop).rsplit("/", 1)[-1]
    real = {
        "network_id": [network.id],  # another network's ids: tests/test_isolation.py
        "member_id": [learner.id, walker.id],
        "organisation_id": [org.id],
        "user_id": [secretariat.id, trainer.id, admin.id],
        "certificate_id": [certificate.id],
        "workshop_id": [workshop.id],
        "draft_id": [draft.id],
        "invitation_id": [link.invitation.id],
        "participant_id": [participant.id],
        "device_id": [1],
        "attempt_id": [1, 2],
        "n": [1, 2, 13],
        "code": [workshop.join_code],
        "course_slug": [course.slug],
        "module_slug": ["01-mimamori-network", "03-cooling-off"],
        "token": [
            learner.link_token,
            certificate.token,
            link.token,
            projector_token,
        ],
        "quiz_phase": ["pre", "post"],
        "phase": ["pre", "post"],
        "decision": ["approve", "reject", "separate"],
        "filename": ["css/app.css"],
    }
    return {
        "network": network,
        "learner": learner,
        "trainer": trainer,
        "secretariat": secretariat,
        "admin": admin,
        "participant_session": participant_session,
        "real": real,
    }


def values_for(real: list) -> st.SearchStrategy[str]:
    """A value for one parameter: anything hostile, or one of the world's real ids and tokens."""
    hostile = st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(max_size=40),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str),
    )
    return st.one_of(st.sampled_from(real), hostile) if real else hostile


ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_path(rule, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda m: quote(values[m.group(1)], safe=""), rule.rule)


def become(client, principal: str, world) -> None:
    """Put the principal back as it was before each request (a request may have signed out)."""
    with client.session_transaction() as session:
        session.clear()
        if principal == "participant":
            session.update(world["participant_session"])
    if principal in ("learner", "trainer", "secretariat", "admin"):
        subject = world[principal]
        db.session.refresh(subject)
        sign_in(client, subject)


def cases(app: Flask) -> Iterator[tuple[object, str, str]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for principal in PRINCIPALS:
                yield rule, method, principal


class Walk:
    """What the walk saw: every status, and every request that broke the rules."""

    def __init__(self, client, world, writes: CommittedWrites) -> None:
        self.client, self.world, self.writes = client, world, writes
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.requests = 0

    def request(self, rule, method: str, principal: str, path_values, sent) -> None:
        path = build_path(rule, path_values)
        become(self.client, principal, self.world)
        self.writes.take()
        if method == "GET":
            response = self.client.get(path, query_string=sent)
        else:
            response = self.client.open(path, method=method, data=sent)
        stored = self.writes.take()
        self.requests += 1
        self.statuses[response.status_code] += 1
        where = f"{principal} {method} {path[:120]} {str(sent)[:200]}"
        if os.environ.get("FUZZ_TRACE"):  # FUZZ_TRACE=1 pytest -s …: every request as it goes
            print(response.status_code, where)
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code}: {where}")
        elif response.status_code >= 400 and stored:
            self.failures.append(f"refused ({response.status_code}), stored {stored}: {where}")

    def case(self, rule, method: str, principal: str, params: list[str]):
        """A Hypothesis test for one rule, method and principal."""
        real = self.world["real"]
        everything_real = sorted({str(v) for values in real.values() for v in values})
        arguments = sorted(rule.arguments)

        @settings(
            max_examples=EXAMPLES_PER_CASE,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples in every run: CI fails for a reason
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def walk(data):
            # Mostly the world's real ids, so the request gets past the lookups to what lies
            # behind; now and then one argument hostile.
            odd_one = data.draw(st.sampled_from([None, None, *arguments]), label="hostile argument")
            path_values = {
                name: data.draw(
                    values_for([])
                    if name == odd_one or not real.get(name)
                    else st.sampled_from([str(v) for v in real[name]]),
                    label=name,
                )
                for name in arguments
            }
            sent = data.draw(
                st.dictionaries(
                    st.sampled_from(params) if params else st.nothing(),
                    st.lists(values_for(everything_real), min_size=1, max_size=2),
                    max_size=len(params),
                ),
                label="parameters",
            )
            self.request(rule, method, principal, path_values, sent)

        return walk


def test_no_value_gives_a_500_and_a_refused_request_stores_nothing(app, client, world):
    params_by_endpoint: dict[str, list[str]] = {}
    with CommittedWrites(db.engine) as writes:
        walk = Walk(client, world, writes)
        for rule, method, principal in cases(app):
            if rule.endpoint not in params_by_endpoint:
                params_by_endpoint[rule.endpoint] = parameters_of(app, rule.endpoint)
            walk.case(rule, method, principal, params_by_endpoint[rule.endpoint])()
    routes = len({(r.rule, m) for r, m, _ in cases(app)})
    SUMMARY.append(
        f"Hypothesis walk: {routes} routes × methods, {len(PRINCIPALS)} principals,"
        f" {EXAMPLES_PER_CASE} examples each: {walk.requests} requests, 500s: "
        f"{sum(n for s, n in walk.statuses.items() if s >= 500)}; "
        f"statuses {dict(sorted(walk.statuses.items()))}"
    )
    assert not walk.failures, "\n".join(walk.failures[:40])


# --- every form on every page, one field at a time ----------------------------------------------

SWEEP_VALUES = ["²", "9" * 25, "-1", "9999-12-31", "0001-01-01", "a\x00b", "é", "x" * 5000]
NATURAL = (  # who naturally opens a URL: the one the sweep sends it as
    ("/admin", "admin"),
    ("/n/", "secretariat"),
    ("/join", "participant"),
    ("/learn", "learner"),
    ("/my", "learner"),
)


class Forms(HTMLParser):
    """The POST forms of a page: their action and their fields with the values a user sends."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.current: list[tuple[str, str]] | None = None
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.current = []
            self.forms.append(
                (urljoin(self.page_url, a.get("action") or self.page_url), self.current)
            )
        elif self.current is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind != "file":
                self.current.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self.current.append((a["name"], ""))
        elif tag == "select":
            self.select, self.first_option = a["name"], None
        elif tag == "option" and self.select and self.first_option is None:
            self.first_option = a.get("value") or ""
        elif tag == "button" and a.get("name"):
            self.current.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "select" and self.select and self.current is not None:
            self.current.append((self.select, self.first_option or ""))
            self.select = None
        elif tag == "form":
            self.current = None


def natural_principal(path: str) -> str:
    return next((who for prefix, who in NATURAL if path.startswith(prefix)), "anonymous")


def test_every_form_field_with_each_hostile_value(app, client, world):
    """Every POST form found on the pages the world's people open, submitted as they would,
    with one field at a time replaced by each hostile value: no 500, and a refusal stores
    nothing. A form added to any page is swept by construction."""
    real = world["real"]
    forms: dict[tuple[str, str, tuple[str, ...]], list[tuple[str, str]]] = {}
    pages = 0
    for rule, method, principal in cases(app):
        if method != "GET" or any(not real.get(name) for name in rule.arguments):
            continue
        path = build_path(rule, {name: str(real[name][0]) for name in rule.arguments})
        become(client, principal, world)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        pages += 1
        parser = Forms(f"http://localhost{path}")
        parser.feed(response.get_data(as_text=True))
        for action, fields in parser.forms:
            key = (principal, urlsplit(action).path, tuple(sorted({n for n, _ in fields})))
            forms.setdefault(key, fields)
    sent = 0
    failures: list[str] = []
    with CommittedWrites(db.engine) as writes:
        for (principal, action, _), fields in sorted(forms.items()):
            for name in sorted({n for n, _ in fields}):
                for value in SWEEP_VALUES:
                    data: dict[str, list[str]] = {}
                    for field, default in fields:
                        data.setdefault(field, []).append(value if field == name else default)
                    become(client, principal, world)
                    writes.take()
                    response = client.post(action, data=data)
                    stored = writes.take()
                    sent += 1
                    where = f"{principal} POST {action} {name}={value[:30]!r}"
                    if response.status_code >= 500:
                        failures.append(f"{response.status_code}: {where}")
                    elif response.status_code >= 400 and stored:
                        failures.append(
                            f"refused ({response.status_code}), stored {stored}: {where}"
                        )
    SUMMARY.append(
        f"form sweep: {pages} pages, {len(forms)} forms, {sent} submissions "
        f"({len(SWEEP_VALUES)} hostile values a field), failures: {len(failures)}"
    )
    assert len(forms) > 20  # the sweep found the app's forms (it means nothing otherwise)
    assert not failures, "\n".join(failures[:40])


def test_every_query_parameter_with_each_hostile_value(app, client, world):
    """Every GET route, as the person who naturally opens it, with each parameter its module
    reads set to each hostile value in turn."""
    real = world["real"]
    sent = 0
    failures: list[str] = []
    for rule, method, principal in cases(app):
        if method != "GET" or principal != natural_principal(rule.rule):
            continue
        if any(not real.get(name) for name in rule.arguments):
            continue
        path = build_path(rule, {name: str(real[name][0]) for name in rule.arguments})
        for name in parameters_of(app, rule.endpoint, query=True):
            for value in SWEEP_VALUES:
                become(client, principal, world)
                response = client.get(path, query_string={name: value})
                sent += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{response.status_code}: {principal} GET {path}?{name}={value[:30]!r}"
                    )
    SUMMARY.append(f"query sweep: {sent} requests, failures: {len(failures)}")
    assert not failures, "\n".join(failures[:40])


def test_the_walk_reaches_past_the_door(app, client, world):
    """The walk means something only if requests get in: the real ids and tokens open pages."""
    become(client, "secretariat", world)
    network_id = world["network"].id
    assert client.get(f"/n/{network_id}/members").status_code == 200
    become(client, "participant", world)
    code = world["real"]["code"][0]
    assert client.get(f"/join/{code}/me").status_code == 200
    become(client, "learner", world)
    assert client.get("/learn").status_code == 200
    assert parameters_of(app, "roster.members")  # the module's query parameters are found
    assert "name" in parameters_of(app, "join.join")  # and its forms' fields
    # A query string reaches the report's filter form (built from request.args), not a form
    # that is only ever posted.
    assert {"course", "attempt"} <= set(parameters_of(app, "report.index", query=True))
    assert "reason" not in parameters_of(app, "certificates.detail", query=True)
    assert timedelta(0) == timedelta(0)
    workshop = db.session.scalar(select(Workshop))
    assert workshop is not None
