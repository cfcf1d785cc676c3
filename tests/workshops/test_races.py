"""Phones that send at the same moment, as separate requests with their own connections (on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from tests.workshops.helpers import join, move_to, open_attempt_id, page_form, phone
from trainer.accounts.models import Member
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.quizzes.models import Attempt
from trainer.workshops.models import Participant

THREADS = 6


def at_once(work: Callable[[int], int]) -> list[int]:
    """Run work(i) in THREADS threads released together; returns their status codes."""
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            codes.append(work(i))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return codes


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_many_taps_on_join_by_someone_new_make_one_member(app, room):
    db.session.commit()
    members_before = count(Member)
    phones = [phone(app) for _ in range(THREADS)]
    url, data = f"/join/{room.code}", {"organisation_id": room.orgs[1].id, "name": "信金 一郎"}
    db.session.commit()
    codes = at_once(lambda i: phones[i].post(url, data=data).status_code)
    assert codes == [302] * THREADS
    assert count(Member) == members_before + 1
    assert count(Participant) == 1


def test_the_name_and_its_kana_typed_at_once_give_the_member_one_seat(app, room):
    """Two phones type the same roster member at the same moment, one in kanji and one in kana:
    they take turns on the member, so one holds the seat and the other waits for the trainer."""
    member = room.members[0]
    member_id, name_key, org_id = member.id, member.name_key, room.orgs[0].id
    spellings = [member.name, member.kana] * (THREADS // 2)
    phones = [phone(app) for _ in range(THREADS)]
    url = f"/join/{room.code}"
    db.session.commit()
    codes = at_once(
        lambda i: phones[i].post(url, data={"organisation_id": org_id, "name": spellings[i]})
    )
    assert [c.status_code for c in codes] == [302] * THREADS
    assert sorted(c.headers["Location"].rsplit("/", 1)[1] for c in codes) == ["me"] + ["wait"] * (
        THREADS - 1
    )
    assert count(Participant, Participant.member_id == member_id) == 1
    assert count(Member, Member.name_key == name_key) == 1


def test_different_people_joining_at_once_are_all_seated(app, room):
    phones = [phone(app) for _ in range(THREADS)]
    url, org_id = f"/join/{room.code}", room.orgs[1].id
    db.session.commit()
    codes = at_once(
        lambda i: (
            phones[i]
            .post(url, data={"organisation_id": org_id, "name": f"同時 参加者{i}"})
            .headers["Location"]
        )
    )
    assert sorted(codes) == [f"/join/{room.code}/me"] * THREADS
    assert count(Participant) == THREADS


def test_many_taps_on_submit_store_one_result_and_one_certificate(app, client, login, room):
    login(client, room.trainer)
    first = phone(app)
    join(first, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "post")
    attempt_id = open_attempt_id(first, room)
    data = page_form(attempt_id)
    data["action"] = "submit"
    cookie = first.get_cookie("session")
    phones = [phone(app) for _ in range(THREADS)]
    for p in phones:  # the same phone's session, sending six times at once
        p.set_cookie("session", cookie.value, domain=cookie.domain)
    url = f"/join/{room.code}/answers/post"
    db.session.commit()
    codes = at_once(lambda i: phones[i].post(url, data=data).status_code)
    assert codes == [302] * THREADS
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.status == "submitted" and attempt.passed is True
    assert count(Attempt, Attempt.phase == "post") == 1
    assert count(Certificate) == 1
