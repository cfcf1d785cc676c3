"""Joining from a phone: the code, the roster match, people not on the roster, the limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.workshops.helpers import join, move_to, phone, projector_link
from trainer.accounts import roster
from trainer.accounts.models import Member
from trainer.extensions import db
from trainer.timeutil import today_jst
from trainer.workshops.models import Participant


def twin_of(room, kana: str) -> Member:
    """A second 見守 花子1 in the same organisation (the roster allows it when told)."""
    return roster.create_member(
        db.session,
        network_id=room.network.id,
        data=roster.MemberInput(
            organisation_id=room.orgs[0].id,
            name="見守 花子1",
            kana=kana,
            membership_start=date(2025, 4, 1),
        ),
        actor=None,
        allow_same_name=True,
    )


def participants(room) -> list[Participant]:
    return db.session.scalars(
        select(Participant).where(Participant.workshop_id == room.workshop.id)
    ).all()


def member_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Member))


def test_the_join_page_lists_the_invited_organisations(app, room):
    page = phone(app).get(f"/join/{room.code}").get_data(as_text=True)
    assert "見守り研修会" in page
    assert "みどり居宅介護支援事業所" in page and "さくら信用金庫" in page
    assert 'name="name"' in page and 'name="kana"' in page and "パスワード" in page


def test_the_same_person_typed_in_many_ways_is_the_roster_member(app, room):
    花子 = room.members[0]  # 見守 花子1 (みまもり はなこ1), みどり居宅介護支援事業所
    typed = [
        ("見守 花子1", ""),  # as on the roster
        ("見守　花子１", ""),  # full-width space and digit
        ("見守花子1", ""),  # no space
        (" 見守  花子1 ", ""),  # blanks around and between
        ("ミマモリ ハナコ1", ""),  # the name in katakana: matches the roster's kana
        ("ﾐﾏﾓﾘ ﾊﾅｺ1", ""),  # half-width katakana
        ("みまもりはなこ１", ""),  # hiragana, full-width digit
    ]
    for name, kana in typed:
        p = phone(app)
        assert join(p, room, org=room.orgs[0], name=name, kana=kana).status_code == 302, name
        (only,) = participants(room)
        assert only.member_id == 花子.id, name
        assert only.matched_by == "roster"
    assert member_count() == 3  # nobody new


def test_same_name_members_are_told_apart_by_kana(app, room):
    twin = twin_of(room, "みもり はなこ")
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守花子1", kana="ミモリ ハナコ")
    (only,) = participants(room)
    assert only.member_id == twin.id


def test_same_name_without_kana_is_kept_for_the_secretariat(app, room):
    twin_of(room, "みもり はなこ")
    join(phone(app), room, org=room.orgs[0], name="見守 花子1")
    (only,) = participants(room)
    assert only.matched_by == "new"
    assert only.member.needs_review is True  # never a guess between two people


def test_someone_not_on_the_roster_is_kept_and_joining_again_resumes(app, room):
    before = member_count()
    first = phone(app)
    # Typed in katakana; kept for the secretariat in hiragana, as the roster stores kana.
    join(first, room, org=room.orgs[1], name="信金 一郎", kana="シンキン イチロウ")
    (only,) = participants(room)
    assert only.matched_by == "new"
    new_member = only.member
    assert new_member.needs_review is True
    assert (new_member.name, new_member.kana, new_member.organisation_id) == (
        "信金 一郎",
        "しんきん いちろう",
        room.orgs[1].id,
    )
    assert member_count() == before + 1
    # The phone died: on another phone the same name finds the same participant.
    second = phone(app)
    join(second, room, org=room.orgs[1], name="信金　一郎")
    assert [p.id for p in participants(room)] == [only.id]
    assert member_count() == before + 1
    # The same name in another organisation is another person.
    join(phone(app), room, org=room.orgs[0], name="信金 一郎")
    assert len(participants(room)) == 2


def test_a_phone_that_joined_goes_straight_to_its_page(app, room):
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子2")
    response = p.get(f"/join/{room.code}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{room.code}/me")
    page = p.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert "見守 花子2さん（みどり居宅介護支援事業所）" in page


def test_leave_lets_someone_else_join_on_the_same_phone(app, room):
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    p.post(f"/join/{room.code}/leave")
    assert p.get(f"/join/{room.code}").status_code == 200
    join(p, room, org=room.orgs[0], name="見守 花子2")
    assert "見守 花子2さん" in p.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert len(participants(room)) == 2


def test_a_personal_link_joins_as_that_member(app, login, room):
    p = phone(app)
    login(p, room.members[2])
    page = p.get(f"/join/{room.code}").get_data(as_text=True)
    assert "見守 花子3さんとして参加する" in page
    assert p.post(f"/join/{room.code}", data={"as_member": "1"}).status_code == 302
    (only,) = participants(room)
    assert (only.member_id, only.matched_by) == (room.members[2].id, "link")


def test_a_learner_of_another_network_is_not_offered_the_link_join(
    app, login, room, make_network, make_member
):
    stranger = make_member(make_network())
    p = phone(app)
    login(p, stranger)
    assert "として参加する" not in p.get(f"/join/{room.code}").get_data(as_text=True)
    response = p.post(f"/join/{room.code}", data={"as_member": "1"})
    assert response.status_code == 422
    assert "個人用リンクでの参加は" in response.get_data(as_text=True)
    assert participants(room) == []


def test_bad_join_forms_store_nothing(app, room, make_org, make_network):
    before = member_count()
    p = phone(app)
    cases = [
        ({"organisation_id": room.orgs[0].id, "name": ""}, "お名前を入力してください。"),
        ({"organisation_id": room.orgs[0].id, "name": "　 "}, "お名前を入力してください。"),
        ({"organisation_id": 0, "name": "見守 花子1"}, "所属を一覧から選んでください。"),
        ({"organisation_id": make_org(make_network()).id, "name": "見守 花子1"}, "一覧から選"),
        ({"organisation_id": room.orgs[0].id, "name": "あ" * 101}, "100文字以内"),
    ]
    for data, message in cases:
        response = p.post(f"/join/{room.code}", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert participants(room) == []
    assert member_count() == before + 0


def test_only_invited_organisations_can_join(app, client, login, room, make_org):
    uninvited = make_org(room.network, "よその事業所")
    room.workshop.organisation_ids = [room.orgs[0].id]
    db.session.commit()
    p = phone(app)
    assert "よその事業所" not in p.get(f"/join/{room.code}").get_data(as_text=True)
    response = join(p, room, org=uninvited, name="よその 人")
    assert response.status_code == 422
    assert participants(room) == []


def test_codes_are_forgiving_to_type_and_wrong_ones_say_so(app, room):
    p = phone(app)
    typed = room.code.lower()
    assert (
        p.get(f"/join/?code={typed[:3]} {typed[3:]}")
        .headers["Location"]
        .endswith(f"/join/{room.code}")
    )
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in room.code)
    response = p.get(f"/join/{full_width}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{room.code}")
    for wrong in ("AAAAAA", "ABC", "<script>", "0O1IL5"):
        response = p.get(f"/join/{wrong}")
        assert response.status_code == 404
        assert "参加コードが見つかりません" in response.get_data(as_text=True)
    response = p.post("/join/AAAAAA", data={"organisation_id": room.orgs[0].id, "name": "x"})
    assert response.status_code == 404
    assert participants(room) == []


def test_a_closed_or_past_workshop_takes_no_one(app, client, login, room):
    room.workshop.held_on = today_jst() - timedelta(days=1)
    db.session.commit()
    p = phone(app)
    response = join(p, room, org=room.orgs[0], name="見守 花子1")
    assert response.status_code == 410
    assert "有効期限が切れています" in response.get_data(as_text=True)
    room.workshop.held_on = today_jst()
    db.session.commit()
    login(client, room.trainer)
    move_to(client, room, "closed")
    response = join(p, room, org=room.orgs[0], name="見守 花子1")
    assert response.status_code == 410
    assert "この研修会は終了しました" in response.get_data(as_text=True)
    assert participants(room) == []


def test_a_hall_of_2000_phones_behind_one_address_all_join(client, login, make_app, room):
    """A joint training day: 2,000 phones on the venue's Wi-Fi reach the server from one
    address (NAT), some after a typo in the code, some typos before anyone has joined. The
    projector, on the same network, has made the room's code known there. None is refused."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("rate limits are counted apart from the database; 2,000 joins take a minute")
    limited = make_app(RATELIMIT_ENABLED=True)
    trainer = limited.test_client()
    login(trainer, room.trainer)
    assert trainer.get(projector_link(trainer, room)).status_code == 200
    for typo in range(40):  # more wrong codes than a guesser may send in a minute
        assert limited.test_client().get(f"/join/ZZZZ{typo:02d}").status_code in (404, 429)
    assert limited.test_client().get("/join/ZZZZZZ").status_code == 429  # still counted
    for i in range(2000):
        p = limited.test_client()
        response = join(p, room, org=room.orgs[1], name=f"参加者 {i}")
        assert response.status_code == 302, (i, response.status_code)
    assert len(participants(room)) == 2000
    # …and when the phase changes, their phones spread their reloads over 8 seconds.
    assert p.get(f"/join/{room.code}/state").get_json()["spread_ms"] == 8000


def test_guessing_codes_is_rate_limited(make_app, room):
    limited = make_app(RATELIMIT_ENABLED=True)
    p = limited.test_client()
    # Guesses through any of the /join/<code> pages count together.
    for i in range(15):
        assert p.get(f"/join/{room.code}").status_code == 200  # right codes do not count
        assert p.get(f"/join/AAAA{i:02d}").status_code == 404
        assert p.get(f"/join/CCCC{i:02d}/me").status_code == 404
    response = p.get("/join/AAAAAA/certificate")  # the 31st guess
    assert response.status_code == 429
    assert "操作の回数が多すぎます" in response.get_data(as_text=True)
    other_address = limited.test_client()
    environ = {"REMOTE_ADDR": "192.0.2.7"}
    assert other_address.get(f"/join/{room.code}", environ_base=environ).status_code == 200


def test_typos_in_the_hall_never_refuse_the_rooms_code(make_app, room):
    """The room's code worked from the hall's address (one router for every phone): after more
    typos than the wrong-code limit allows, the phones still arriving join with it."""
    limited = make_app(RATELIMIT_ENABLED=True)
    assert limited.test_client().get(f"/join/{room.code}").status_code == 200
    typist = limited.test_client()
    for i in range(35):
        status = typist.get(f"/join/AAAA{i:02d}").status_code
        assert status == (404 if i < 30 else 429), (i, status)
    for i in range(5):
        late = limited.test_client()
        assert late.get(f"/join/{room.code.lower()}").status_code == 302  # typed in lower case
        assert late.get(f"/join/{room.code}").status_code == 200
        assert join(late, room, org=room.orgs[1], name=f"遅れて来た人 {i}").status_code == 302
        assert late.get(f"/join/{room.code}/me").status_code == 200
    assert typist.get(f"/join/{room.code}").status_code == 200
    assert typist.get("/join/AAAAAA").status_code == 429  # a wrong code still is not looked up


def test_a_full_bucket_tells_a_guesser_nothing_about_a_code(make_app, room):
    """A code that has not worked from this address is refused like any other while the bucket
    is full: the answer does not say whether it is right."""
    limited = make_app(RATELIMIT_ENABLED=True)
    guesser = limited.test_client()
    for i in range(30):
        assert guesser.get(f"/join/CCCC{i:02d}").status_code == 404
    right, wrong = guesser.get(f"/join/{room.code}"), guesser.get("/join/CCCCCC")
    assert right.status_code == wrong.status_code == 429
    assert right.get_data() == wrong.get_data()
    other_address = limited.test_client()
    environ = {"REMOTE_ADDR": "192.0.2.7"}
    assert other_address.get(f"/join/{room.code}", environ_base=environ).status_code == 200


def test_a_seat_that_is_not_there_is_not_a_guessed_code(make_app, room):
    limited = make_app(RATELIMIT_ENABLED=True)
    p = limited.test_client()
    for _ in range(35):  # the right code, no seat on this phone: 404, but not a guess
        assert p.get(f"/join/{room.code}/me").status_code == 404
    assert p.get(f"/join/{room.code}").status_code == 200


def redis_available() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_every_worker_knows_the_rooms_code(make_app, room, monkeypatch):
    """Two app instances stand for two gunicorn workers sharing Redis: the code that worked on
    one is known on the other, and the typos counted on one fill the bucket of both."""
    import uuid

    import redis

    from trainer.extensions import limiter

    monkeypatch.setattr(limiter, "_storage_dead", False)  # see test_auth's Redis test
    # Its own address rather than a key prefix: Flask-Limiter keeps the first prefix it was given
    # for every later app of the test run, which would move another test's keys.
    address = {"REMOTE_ADDR": f"2001:db8::{uuid.uuid4().hex[:4]}"}
    shared = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    first, second = make_app(**shared), make_app(**shared)
    try:
        hall = first.test_client()
        assert hall.get(f"/join/{room.code}", environ_base=address).status_code == 200
        for i in range(30):
            typo = second.test_client().get(f"/join/EEEE{i:02d}", environ_base=address)
            assert typo.status_code == 404
        assert first.test_client().get("/join/EEEEEE", environ_base=address).status_code == 429
        late = second.test_client().get(f"/join/{room.code}", environ_base=address)
        assert late.status_code == 200
    finally:
        connection = redis.Redis(host="127.0.0.1", port=6379, db=0)
        stored = connection.keys(f"*{address['REMOTE_ADDR']}*")
        assert len(stored) == 2, stored  # the wrong codes' count and the room code's mark
        connection.delete(*stored)
        connection.close()
