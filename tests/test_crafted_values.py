"""Crafted values that used to end in a 500 (security review L-1): each is now a 404 or a page
with a Japanese message, and nothing is stored.

Five families, each fixed in one place:

* str.isdigit() then int(): '²' and '፩' are "digits" that int() refuses, and int() refuses
  more than 4,300 digits (trainer/parsing.py reads ASCII digits only, bounded).
* ids too large for their column reach the database: beyond 64 bits on SQLite, beyond
  2**31 − 1 on PostgreSQL, whose id columns are INTEGER (the <int:...> converter, trainer/web.py,
  and parse_id for query strings and forms).
* dates at the calendar's ends, where a day more or a UTC midnight is no date (every typed date
  is between 2000-01-01 and 2100-12-31; the filters clamp).
* hmac.compare_digest on a non-ASCII str raises TypeError (trainer/security.tokens_equal).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import event, func, select

from tests.quizzes.helpers import load_repository_content, page_fields, start
from tests.secretariat.fixtures.roster_files import csv_file, digest_of, text, upload, uploaded
from tests.workshops.helpers import join, make_room, move_to, open_attempt_id, phone
from trainer.accounts.models import Member, Role
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.parsing import (
    DATE_OUT_OF_RANGE,
    MAX_ID,
    clamp_date,
    form_id,
    parse_date,
    parse_id,
    parse_int,
)
from trainer.quizzes.models import Answer, Attempt, QuizQuestion
from trainer.secretariat import report as reports
from trainer.secretariat.exports import answers as exports
from trainer.workshops import projector_link
from trainer.workshops.models import Workshop

HUGE = "9" * 25  # beyond 64 bits
BEYOND_INTEGER = str(MAX_ID + 1)  # 2**31: "integer out of range" on PostgreSQL
NOT_ASCII = ["²", "፩", "١٢"]  # str.isdigit() is true for all three; int() reads only the last
TAMPERED = "送信内容が正しくありません。"
CHOOSE = "一覧から選んでください。"


class Writes:
    """INSERT, UPDATE and DELETE statements sent to the database while it is on, whichever
    session or connection sent them (so a request's writes are seen too)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def _seen(self, _conn, _cursor, statement: str, *_args) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            self.statements.append(" ".join(statement.split()[:3]))

    def __enter__(self) -> Writes:
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(db.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def content(app) -> None:
    load_repository_content()


@pytest.fixture
def no_writes(app) -> Iterator[None]:
    """Around the test's requests (after the fixtures it names first): nothing may be written."""
    with Writes() as writes:
        yield
    assert writes.statements == []


def page_text(response) -> str:
    return text(response.get_data(as_text=True))


@pytest.fixture
def network(make_network):
    return make_network()


@pytest.fixture
def secretariat(client, login, network, make_user):
    user = make_user(network, Role.SECRETARIAT)
    login(client, user)
    return user


# --- the parser itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["", " 1", "1 ", "-1", "+1", "1_0", "1.0", "²", "፩", "١٢", "1" * 20, str(MAX_ID + 1)]
)
def test_parse_int_reads_ascii_digits_only_and_ids_a_column_can_hold(raw):
    assert parse_int(raw) is None
    with pytest.raises(ValueError):
        form_id(raw)


def test_parse_int_bounds_and_form_ids():
    assert parse_int("0") == 0 and parse_id("0") is None
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_int("7", maximum=5) is None and parse_int("007") == 7
    assert parse_id(None) is None and parse_id(12) is None  # only what a form or a URL sends
    assert form_id("12") == 12 and form_id(0) == 0  # the choices' own values are ints
    with pytest.raises(ValueError):
        form_id(MAX_ID + 1)


def test_dates_are_read_and_clamped_far_from_the_calendars_ends():
    assert parse_date("2026/4/1") == date(2026, 4, 1) == parse_date(" 2026-04-01 ")
    assert parse_date("２０２６-04-01") is None and parse_date("2026-02-30") is None
    assert clamp_date(date.max) == date(2100, 12, 31) and clamp_date(date.min) == date(2000, 1, 1)
    assert projector_link.last_day(date.max) == date.max


# --- ids in URLs: the <int:...> converter ----------------------------------------------------


# MAX_ID passes the converter: the lookups themselves must say 404 on both databases.
@pytest.mark.parametrize("bad", [HUGE, "١", "0", "9" * 5000, BEYOND_INTEGER, str(MAX_ID)])
def test_ids_in_staff_urls_too_large_or_not_ascii_are_not_found(
    client, secretariat, network, no_writes, bad
):
    n = network.id
    for method, path in [
        ("get", f"/n/{n}/members/{bad}"),
        ("get", f"/n/{n}/certificates/{bad}"),
        ("get", f"/n/{n}/certificates/{bad}.pdf"),
        ("get", f"/n/{n}/workshops/{bad}"),
        ("get", f"/n/{bad}/members"),
        ("post", f"/n/{n}/members/{bad}/end"),
        ("post", f"/n/{n}/workshops/review/{bad}/merge"),
        ("post", f"/n/{n}/roster/import/{bad}/confirm"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 404, (path[:60], response.status_code)
        assert "見つかりません" in page_text(response)


def test_ids_in_a_learners_urls_too_large_are_not_found(client, network, make_member):
    load_repository_content()
    member = make_member(network)
    client.get(f"/m/{member.link_token}")
    attempt_id = start(client, "mimamori-basic", "pre")
    with Writes() as writes:
        for method, path in [
            ("get", f"/learn/attempts/{HUGE}/1"),
            ("post", f"/learn/attempts/{HUGE}/1"),
            ("get", f"/learn/attempts/{attempt_id}/{HUGE}"),
            ("post", f"/learn/attempts/{HUGE}/submit"),
            ("get", f"/learn/certificates/{HUGE}"),
            ("get", f"/learn/certificates/{MAX_ID}"),
        ]:
            assert getattr(client, method)(path).status_code == 404, path
        # A question number the converter lets through, past the end: the review page.
        for method in ("get", "post"):
            response = getattr(client, method)(f"/learn/attempts/{attempt_id}/{MAX_ID}")
            assert response.headers["Location"].endswith(f"/learn/attempts/{attempt_id}/review")
    assert writes.statements == []


def test_the_projector_link_with_a_huge_id_or_a_non_ascii_token_is_not_found(
    app, make_network, make_user, make_org, make_member
):
    room = make_room(make_network, make_user, make_org, make_member, members=1)
    anonymous = app.test_client()
    with Writes() as writes:
        for path in [
            f"/projector/{HUGE}/x",
            f"/projector/{HUGE}/x/live",
            f"/projector/{MAX_ID}/x",
            f"/projector/{room.workshop.id}/é",
            f"/projector/{room.workshop.id}/é/live",
            f"/projector/{room.workshop.id}/{'é' * 22}",
        ]:
            assert anonymous.get(path).status_code == 404, path
    assert writes.statements == []


# --- ids in query strings and forms ----------------------------------------------------------


@pytest.mark.parametrize("bad", [HUGE, BEYOND_INTEGER, *NOT_ASCII])
def test_filters_by_an_id_that_cannot_be_one_are_ignored_or_refused_in_japanese(
    client, secretariat, network, no_writes, bad
):
    n = network.id
    for path in [
        f"/n/{n}/members?organisation={bad}",
        f"/n/{n}/members?page={bad}",
        f"/n/{n}/members/new?organisation={bad}",
        f"/n/{n}/certificates/?organisation={bad}&page={bad}",
        f"/n/{n}/certificates/badges?organisation_id={bad}&course_id={bad}",
        f"/n/{n}/completion/?course={bad}",
        f"/n/{n}/completion/members?organisation={bad}&page={bad}",
    ]:
        # As Werkzeug's type=int did for 'abc': no such filter, the whole list.
        assert client.get(path).status_code == 200, path
    for path in [
        f"/n/{n}/exports/answers.csv?organisation={bad}",
        f"/n/{n}/exports/answers.xlsx?course={bad}",
        f"/n/{n}/exports/certificates.csv?organisation={bad}",
    ]:
        response = client.get(path)
        assert response.status_code == 422, path
        assert CHOOSE in page_text(response)


@pytest.mark.parametrize("bad", [HUGE, BEYOND_INTEGER, "²"])
def test_a_new_member_in_an_organisation_that_cannot_exist_is_refused(
    client, secretariat, network, no_writes, bad
):
    response = client.post(
        f"/n/{network.id}/members/new",
        data={
            "organisation_id": bad,
            "name": "見守 太郎",
            "job_type": "support",
            "age_band": "50s",
            "membership_start": "2026-04-01",
        },
    )
    assert response.status_code == 200  # the roster's forms are shown again with a 200
    assert CHOOSE in page_text(response)


# --- dates at the calendar's ends --------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["date_to=9999-12-31", "date_from=0001-01-01", "date_from=1999-12-31"]
)
def test_report_dates_out_of_range_are_refused_in_japanese(
    client, secretariat, network, content, no_writes, query
):
    for view in ("", "print"):
        response = client.get(f"/n/{network.id}/report/{view}?{query}")
        assert response.status_code == 422, view
        assert DATE_OUT_OF_RANGE in page_text(response)


@pytest.mark.parametrize("query", ["submitted_to=9999-12-31", "submitted_from=0001-01-01"])
def test_answer_export_dates_out_of_range_are_refused_in_japanese(
    client, secretariat, network, no_writes, query
):
    for kind in ("csv", "xlsx"):
        response = client.get(f"/n/{network.id}/exports/answers.{kind}?{query}")
        assert response.status_code == 422
        assert DATE_OUT_OF_RANGE in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_the_filters_clamp_dates_built_without_a_form(network, content):
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    wide = exports.AnswerFilter(submitted_from=date.min, submitted_to=date.max)
    assert exports.answer_count(db.session, network_id=network.id, filters=wide) == 0
    filters = reports.ReportFilters(course_id=course.id, date_from=date.min, date_to=date.max)
    assert reports.build_report(db.session, network=network, filters=filters) is not None


@pytest.mark.parametrize("day", ["9999-12-31", "2101-01-01"])
def test_a_workshop_dated_at_the_calendars_end_is_refused(
    client, login, network, make_user, content, day
):
    login(client, make_user(network, Role.TRAINER))
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    with Writes() as writes:
        response = client.post(
            f"/n/{network.id}/workshops/new",
            data={"title": "見守り研修会", "course_id": course.id, "held_on": day},
        )
    assert writes.statements == []
    assert response.status_code == 422
    assert DATE_OUT_OF_RANGE in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(Workshop)) == 0


def test_a_workshop_already_stored_on_9999_12_31_still_has_its_pages(
    app, client, login, make_network, make_user, make_org, make_member
):
    room = make_room(make_network, make_user, make_org, make_member, members=1)
    room.workshop.held_on = date.max  # stored before the form refused such dates
    db.session.commit()
    login(client, room.trainer)
    control = client.get(room.base)
    assert control.status_code == 200
    page = control.get_data(as_text=True)
    link = re.search(r"/projector/\d+/[A-Za-z0-9_-]+", page).group(0)
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 200
    assert anonymous.get(f"{link}/live").status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_member_dates_out_of_range_are_refused(
    client, secretariat, network, make_org, make_member, day
):
    org = make_org(network)
    member = make_member(network, org)
    with Writes() as writes:
        created = client.post(
            f"/n/{network.id}/members/new",
            data={
                "organisation_id": org.id,
                "name": "見守 次郎",
                "job_type": "support",
                "age_band": "50s",
                "membership_start": day,
            },
        )
        ended = client.post(f"/n/{network.id}/members/{member.id}/end", data={"end_date": day})
    assert writes.statements == []
    for response in (created, ended):
        assert response.status_code == 200  # the roster's forms are shown again with a 200
        assert DATE_OUT_OF_RANGE in page_text(response)


# --- learners' quizzes: answer values, question ids, keys -------------------------------------


@pytest.fixture
def learner_attempt(client, network, make_member, content) -> Attempt:
    member = make_member(network)
    client.get(f"/m/{member.link_token}")
    return db.session.get(Attempt, start(client, "mimamori-basic", "pre"))


def likert_position(attempt: Attempt) -> int:
    for n, question_id in enumerate(attempt.question_ids, start=1):
        if db.session.get(QuizQuestion, question_id).type == "likert":
            return n
    raise AssertionError("no likert question")


@pytest.mark.parametrize("value", [*NOT_ASCII, "9" * 5000, HUGE])
def test_a_learners_answer_value_that_only_looks_like_a_number_is_refused(
    client, learner_attempt, value
):
    n = likert_position(learner_attempt)
    with Writes() as writes:
        response = client.post(
            f"/learn/attempts/{learner_attempt.id}/{n}",
            data={"value": value, **page_fields(learner_attempt, n)},
        )
    assert writes.statements == []
    assert response.status_code == 422
    assert "1つ選んでください。" in page_text(response)


@pytest.mark.parametrize("question_id", ["²", "፩", HUGE, BEYOND_INTEGER, "9" * 5000])
def test_a_learners_question_id_that_cannot_be_one_is_refused(client, learner_attempt, question_id):
    with Writes() as writes:
        response = client.post(
            f"/learn/attempts/{learner_attempt.id}/1",
            data={"choice": "a", "question_id": question_id},
        )
    assert writes.statements == []
    assert response.status_code == 422
    assert TAMPERED in page_text(response)


@pytest.mark.parametrize("key", ["a.é", "é", "a." + "é" * 32])
def test_a_quiz_key_that_is_not_ascii_is_refused(client, learner_attempt, key):
    with Writes() as writes:
        started = client.post("/learn/mimamori-basic/quiz/post/start", data={"key": key})
        submitted = client.post(f"/learn/attempts/{learner_attempt.id}/submit", data={"key": key})
    assert writes.statements == []
    assert started.status_code == submitted.status_code == 302
    flashed = client.get(submitted.headers["Location"]).get_data(as_text=True)
    assert TAMPERED in text(flashed) or "ページを開き直して" in text(flashed)
    db.session.refresh(learner_attempt)
    assert learner_attempt.status == "open"
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


# --- workshops: a participant's answers, the review merge -------------------------------------


@pytest.mark.parametrize("value", ["²", "፩", "9" * 5000])
def test_a_participants_answer_value_that_only_looks_like_a_number_is_refused(
    app, client, login, make_network, make_user, make_org, make_member, value
):
    room = make_room(make_network, make_user, make_org, make_member, members=1)
    login(client, room.trainer)
    participant = phone(app)
    join(participant, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "pre")
    attempt = db.session.get(Attempt, open_attempt_id(participant, room))
    likert = attempt.question_ids[likert_position(attempt) - 1]
    with Writes() as writes:
        response = participant.post(
            f"/join/{room.code}/answers/pre",
            data={f"q{likert}-value": value, "action": "save"},
            headers={"X-Requested-With": "fetch"},
        )
    assert writes.statements == []
    assert response.status_code == 409
    assert "1つ選んでください。" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


@pytest.mark.parametrize("into", ["፩", "²", HUGE, BEYOND_INTEGER])
def test_a_review_merge_into_an_id_that_cannot_be_one_is_refused(
    app, client, login, make_network, make_user, make_org, make_member, into
):
    room = make_room(make_network, make_user, make_org, make_member, members=1)
    join(phone(app), room, org=room.orgs[0], name="初めて 来た人")
    entry = db.session.scalar(select(Member).where(Member.needs_review.is_(True)))
    login(client, make_user(room.network, Role.SECRETARIAT))
    with Writes() as writes:
        response = client.post(
            f"/n/{room.network.id}/workshops/review/{entry.id}/merge", data={"into": into}
        )
    assert writes.statements == []
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "統合先の構成員を選んでください。" in text(shown)
    assert db.session.get(Member, entry.id) is not None


# --- the roster import -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"kind-፩": "police"},
        {"kind-²": "police"},
        {f"kind-{HUGE}": "police"},
        {"end": "²"},
        {"end": HUGE},
        {"end": BEYOND_INTEGER},
        {"end": "9" * 5000},
    ],
)
def test_import_confirmation_fields_the_page_did_not_send_import_nothing(
    client, secretariat, network, fields
):
    draft_id, page = uploaded(client, network, csv_file(["団体名,氏名", "ひまわり会,日向 花子"]))
    with Writes() as writes:
        response = client.post(
            f"/n/{network.id}/roster/import/{draft_id}/confirm",
            data={"digest": digest_of(page), "end_date": "2026-03-31", **fields},
        )
    assert writes.statements == []
    assert response.status_code == 422
    assert TAMPERED in page_text(response)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_import_end_date_out_of_range_is_refused(
    client, secretariat, network, make_org, make_member, day
):
    org = make_org(network, name="ひまわり会")
    make_member(network, org, name="日向 花子")
    leaving = make_member(network, org, name="日向 次郎")
    draft_id, page = uploaded(client, network, csv_file(["団体名,氏名", "ひまわり会,日向 花子"]))
    with Writes() as writes:
        response = client.post(
            f"/n/{network.id}/roster/import/{draft_id}/confirm",
            data={"digest": digest_of(page), "end": str(leaving.id), "end_date": day},
        )
    assert writes.statements == []
    assert response.status_code == 422
    assert DATE_OUT_OF_RANGE in page_text(response)


@pytest.mark.parametrize("number", ["፩", "9" * 5000])
def test_an_imported_member_number_that_only_looks_like_a_number_is_a_row_error(
    client, secretariat, network, number
):
    lines = ["団体名,氏名,構成員番号", f"ひまわり会,日向 花子,{number}"]
    _response, draft_id = upload(client, network, csv_file(lines))
    assert draft_id is not None
    shown = page_text(client.get(f"/n/{network.id}/roster/import/{draft_id}"))
    assert "は数字ではありません。" in shown
