"""A whole workshop through the pages: join, every phase, answers, certificate, survey."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.workshops.helpers import answer_test, join, move_to, phone, projector_live
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.quizzes.models import Attempt


def test_a_small_workshop_from_join_to_certificate(app, client, login, room):
    login(client, room.trainer)
    phones = [phone(app) for _ in range(3)]
    for i, p in enumerate(phones, start=1):
        response = join(p, room, org=room.orgs[0], name=f"見守　花子{i}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/join/{room.code}/me")
        page = p.get(f"/join/{room.code}/me").get_data(as_text=True)
        assert "受付が完了しました" in page
        assert f"見守 花子{i}さん" in page

    # Roll call: the trainer sees the three in the room and confirms them (names typed on a
    # phone prove nothing until someone has).
    page = client.get(room.base).get_data(as_text=True)
    assert "未確認の3人を、まとめて確認済みにする" in page
    assert client.post(f"{room.base}/participants/confirm-all").status_code == 302
    assert "未確認" not in client.get(room.base).get_data(as_text=True)

    move_to(client, room, "pre")
    for p in phones:
        attempt = answer_test(p, room, "pre", right=False)
        assert attempt.status == "submitted"
    move_to(client, room, "post")
    for p in phones[:2]:
        attempt = answer_test(p, room, "post", right=True)
        assert attempt.passed is True
    page = phones[0].get(f"/join/{room.code}/me").get_data(as_text=True)
    assert "合格です" in page and "修了証を開く（第00001号）" in page
    certificate = phones[0].get(f"/join/{room.code}/certificate")
    assert certificate.status_code == 200
    assert "/verify/" in certificate.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.workshop_id == room.workshop.id, Attempt.status == "submitted")
        )
        == 5
    )
    projector = projector_live(client, room)
    assert "3</span>人 参加" in projector
    assert "2</span> / 3人 提出" in projector
