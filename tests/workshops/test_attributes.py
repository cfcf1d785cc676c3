"""Age band, gender and job type asked on the phone while waiting, once per member: the report's
breakdowns need them for workshop participants too."""

from __future__ import annotations

from tests.workshops.helpers import join, move_to, phone
from trainer.extensions import db

ASKED = "あなたについて3つだけ"


def test_asked_in_reception_stored_and_not_asked_again(app, room, login):
    trainer, p = phone(app), phone(app)
    login(trainer, room.trainer)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    page = p.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert ASKED in page and "60代以上" in page and "外勤（訪問・営業・配達）" in page

    response = p.post(
        f"/join/{room.code}/attributes",
        data={"age_band": "60plus", "gender": "female", "job_type": "support"},
        follow_redirects=True,
    )
    assert "ありがとうございました。" in response.get_data(as_text=True)
    member = room.members[0]
    db.session.refresh(member)
    assert (member.age_band, member.gender, member.job_type) == ("60plus", "female", "support")
    assert member.attributes_answered_at is not None
    assert ASKED not in p.get(f"/join/{room.code}/me").get_data(as_text=True)


def test_bad_values_change_nothing(app, room):
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    response = p.post(
        f"/join/{room.code}/attributes",
        data={"age_band": "90s", "gender": "female", "job_type": "support"},
        follow_redirects=True,
    )
    assert "一覧から選んでください。（年代・性別・職種）" in response.get_data(as_text=True)
    member = room.members[0]
    db.session.refresh(member)
    assert member.attributes_answered_at is None and member.gender == "unknown"


def test_not_asked_during_a_test(app, room, login):
    trainer, p = phone(app), phone(app)
    login(trainer, room.trainer)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(trainer, room, "pre")
    page = p.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert "提出する" in page and ASKED not in page


def test_only_a_joined_phone_can_answer(app, room):
    stranger = phone(app)
    response = stranger.post(
        f"/join/{room.code}/attributes",
        data={"age_band": "60plus", "gender": "female", "job_type": "support"},
        follow_redirects=True,
    )
    assert "参加登録が見つかりません" in response.get_data(as_text=True)
    member = room.members[0]
    db.session.refresh(member)
    assert member.attributes_answered_at is None
