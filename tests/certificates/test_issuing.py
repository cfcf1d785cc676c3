"""Issuing: a passed post-quiz issues one certificate; a failed one none; a retake after expiry a
new one; serials are consecutive per network, also when members finish at the same moment."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.quizzes.helpers import (
    answer_all,
    load_repository_content,
    read_all_modules,
    start,
    submit,
)
from trainer.accounts.models import Network
from trainer.certificates import service
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import Attempt
from trainer.timeutil import today_jst

COURSE = "mimamori-basic"


def certificates() -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


@pytest.fixture
def learner(app, client, make_network, make_member):
    load_repository_content()
    network = make_network()
    member = make_member(network, name="佐藤 恵子")
    client.get(f"/m/{member.link_token}")
    return member


def pass_post_quiz(client, *, right: bool = True) -> int:
    read_all_modules(client)
    attempt_id = start(client, COURSE, "post")
    answer_all(client, attempt_id, right=right)
    assert submit(client, attempt_id).status_code == 302
    return attempt_id


def test_passing_the_post_quiz_issues_a_certificate(client, learner):
    attempt_id = pass_post_quiz(client)
    [certificate] = certificates()
    course = db.session.scalar(select(Course).where(Course.slug == COURSE))
    assert certificate.member_id == learner.id and certificate.attempt_id == attempt_id
    assert certificate.serial == 1 and certificate.serial_label == "第00001号"
    assert certificate.issued_on == today_jst()
    assert certificate.valid_until == service.valid_until_for(
        today_jst(), course.certificate_months
    )
    # 128 random bits, URL-safe, and looked up by its hash only.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", certificate.token)
    assert certificate.token_hash != certificate.token and len(certificate.token_hash) == 64
    page = client.get(f"/learn/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "修了証を開く（第00001号）" in page
    sheet = client.get(f"/learn/certificates/{certificate.id}").get_data(as_text=True)
    assert "佐藤 恵子" in sheet and "第00001号" in sheet
    assert f"http://trainer.test/verify/{certificate.token}" in sheet


def test_a_failed_post_quiz_issues_nothing(client, learner):
    pass_post_quiz(client, right=False)
    assert certificates() == []
    assert "まだ修了証はありません" in client.get("/learn/certificates/").get_data(as_text=True)


def test_no_retake_while_the_certificate_is_valid(client, learner):
    pass_post_quiz(client)
    page = client.get(f"/learn/{COURSE}/quiz/post").get_data(as_text=True)
    assert "修了証は有効です" in page


def test_retaking_after_expiry_issues_a_new_certificate_and_keeps_the_old(client, learner):
    pass_post_quiz(client)
    [old] = certificates()
    old.issued_on = date(2023, 4, 1)
    old.valid_until = today_jst() - timedelta(days=1)
    db.session.commit()
    course_page = client.get(f"/learn/{COURSE}").get_data(as_text=True)
    assert "修了証：期限切れ" in course_page and "新しい修了証が発行されます" in course_page
    attempt_id = start(client, COURSE, "post")
    answer_all(client, attempt_id)
    submit(client, attempt_id)
    first, second = certificates()
    assert (first.id, first.serial) == (old.id, 1)
    assert second.serial == 2 and second.attempt_id == attempt_id
    assert second.token != first.token and second.valid_until > today_jst()
    assert first.status_on(today_jst()).label == "期限切れ"
    assert second.status_on(today_jst()).label == "有効"


def test_repeated_submits_of_a_pass_issue_one_certificate(app, client, learner):
    read_all_modules(client)
    attempt_id = start(client, COURSE, "post")
    answer_all(client, attempt_id)
    key = db.session.get(Attempt, attempt_id).idempotency_key
    cookies = {c.key: c.value for c in client._cookies.values()}

    def send() -> None:
        phone = app.test_client()
        for name, value in cookies.items():
            phone.set_cookie(name, value)
        phone.post(f"/learn/attempts/{attempt_id}/submit", data={"key": key})

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [c.attempt_id for c in certificates()] == [attempt_id]
    assert db.session.get(Network, learner.network_id).last_certificate_serial == 1


def test_concurrent_completions_get_consecutive_unique_serials(
    app: Flask, make_network, make_member
):
    load_repository_content()
    network, other = make_network(), make_network()
    members = [make_member(network) for _ in range(8)] + [make_member(other) for _ in range(4)]
    ids = [(m.id, m.network_id) for m in members]
    course_id = db.session.scalar(select(Course.id).where(Course.slug == COURSE))
    db.session.commit()
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def complete(member_id: int) -> None:
        # Each thread is its own request with its own connection, as in a server's workers.
        with app.app_context():
            try:
                from trainer.accounts.models import Member

                member = db.session.get(Member, member_id)
                course = db.session.get(Course, course_id)
                barrier.wait(timeout=30)
                service.issue_for_attempt(db.session, member=member, course=course, attempt_id=None)
                db.session.commit()
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=complete, args=(member_id,)) for member_id, _ in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    rows = db.session.execute(
        select(Certificate.network_id, Certificate.serial).order_by(Certificate.serial)
    ).all()
    assert sorted(s for n, s in rows if n == network.id) == list(range(1, 9))
    assert sorted(s for n, s in rows if n == other.id) == list(range(1, 5))
    assert db.session.get(Network, network.id).last_certificate_serial == 8
    assert db.session.scalar(select(func.count(func.distinct(Certificate.token_hash)))) == 12


def test_a_failed_issue_gives_its_serial_back(app, make_network, make_member):
    """The serial counter and the certificate commit together: no gaps after a rollback."""
    load_repository_content()
    network = make_network()
    member = make_member(network)
    course = db.session.scalar(select(Course).where(Course.slug == COURSE))
    service.issue_for_attempt(db.session, member=member, course=course, attempt_id=None)
    db.session.rollback()
    certificate = service.issue_for_attempt(
        db.session, member=member, course=course, attempt_id=None
    )
    db.session.commit()
    assert certificate.serial == 1


@pytest.mark.parametrize(
    ("issued", "months", "last_day"),
    [
        (date(2026, 11, 23), 24, date(2028, 11, 22)),
        (date(2026, 1, 31), 1, date(2026, 2, 27)),  # no 31 February: the last day is the 27th
        (date(2024, 2, 29), 12, date(2025, 2, 27)),
        (date(2026, 4, 1), 12, date(2027, 3, 31)),
    ],
)
def test_validity_is_the_course_months_less_a_day(issued, months, last_day):
    assert service.valid_until_for(issued, months) == last_day
