"""The trainer's pages around the workshop: the new-workshop form names the network's own
workshop as its example and starts the date at today (the newcomer review's L8); the control
page stops offering the join code and QR once nobody can join (L14)."""

from __future__ import annotations

from datetime import timedelta

from tests.workshops.helpers import move_to
from trainer.extensions import db
from trainer.timeutil import today_jst


def test_the_new_workshop_form_starts_at_today_with_the_networks_own_example(client, login, room):
    login(client, room.trainer)
    page = client.get(f"/n/{room.network.id}/workshops/new").get_data(as_text=True)
    assert f"例：{room.network.name}研修会" in page
    assert "例：公民館 大会議室" in page
    assert "小松島" not in page
    assert f'value="{today_jst().isoformat()}"' in page
    # The date is still the trainer's to change, and still required.
    response = client.post(
        f"/n/{room.network.id}/workshops/new",
        data={"title": "研修会", "course_id": room.course.id, "held_on": ""},
    )
    assert response.status_code == 422
    assert "開催日を入力してください。" in response.get_data(as_text=True)


def test_the_control_page_stops_offering_to_join_when_joining_is_over(client, login, room):
    login(client, room.trainer)
    page = client.get(room.base).get_data(as_text=True)
    assert "<h2>参加のしかた</h2>" in page and room.code[:3] in page
    assert 'aria-label="参加用QRコード"' in page

    room.workshop.held_on = today_jst() - timedelta(days=1)  # the day is over, not 終了
    db.session.commit()
    page = client.get(room.base).get_data(as_text=True)
    assert "参加のしかた" not in page and 'aria-label="参加用QRコード"' not in page
    assert (
        "この参加コードの有効期限が切れています（開催日を過ぎました）。"
        "参加コードとQRコードは使えません。"
    ) in page

    room.workshop.held_on = today_jst()
    db.session.commit()
    move_to(client, room, "closed")
    page = client.get(room.base).get_data(as_text=True)
    assert "参加のしかた" not in page and 'aria-label="参加用QRコード"' not in page
    assert "使えます。" not in page.split('id="projector-link"')[0]
    assert (
        "この研修会は終了しました。参加の受付も締め切っています（参加コードとQRコードは使えません）。"
    ) in page
    assert "有効期限" not in page
