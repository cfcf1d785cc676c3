"""The satisfaction survey, the projector's view of it, and the trainer's exports."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from tests.workshops.helpers import answer_test, join, move_to, phone, projector_live
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.quizzes.models import Attempt
from trainer.workshops.models import WorkshopFeedback


def feedback_rows():
    return db.session.scalars(select(WorkshopFeedback)).all()


def test_the_survey_is_taken_in_its_phase_only(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    data = {"satisfaction": "5", "understanding": "4", "comment": "分かりやすかったです"}
    response = p.post(f"/join/{room.code}/feedback", data=data, follow_redirects=True)
    assert "いまはアンケートの時間ではありません（現在は「受付」です）" in response.get_data(
        as_text=True
    )
    assert feedback_rows() == []
    move_to(client, room, "survey")
    page = p.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert "研修の感想をお聞かせください" in page and "とても良かった" in page
    for bad in ({**data, "satisfaction": "6"}, {**data, "understanding": ""}):
        response = p.post(f"/join/{room.code}/feedback", data=bad, follow_redirects=True)
        assert "5つの中から選んでください" in response.get_data(as_text=True)
    assert feedback_rows() == []
    response = p.post(f"/join/{room.code}/feedback", data=data, follow_redirects=True)
    assert "ありがとうございました" in response.get_data(as_text=True)
    p.post(f"/join/{room.code}/feedback", data={**data, "satisfaction": "4"})  # sent again
    (only,) = feedback_rows()
    assert (only.satisfaction, only.understanding, only.comment) == (4, 4, "分かりやすかったです")


def run_workshop(app, client, login, room) -> list:
    login(client, room.trainer)
    phones = [phone(app) for _ in range(3)]
    names = ["見守 花子1", "見守 花子2", "=HYPERLINK(1)"]
    for p, name in zip(phones, names, strict=True):
        join(p, room, org=room.orgs[0], name=name)
    move_to(client, room, "pre")
    for p in phones:
        answer_test(p, room, "pre", right=False)
    move_to(client, room, "post")
    answer_test(phones[0], room, "post", right=True)
    answer_test(phones[1], room, "post", right=False)
    move_to(client, room, "survey")
    for p, (s, u) in zip(phones, [("5", "5"), ("4", "3"), ("5", "4")], strict=True):
        p.post(
            f"/join/{room.code}/feedback",
            data={"satisfaction": s, "understanding": u, "comment": f"感想{s}{u}"},
        )
    return phones


def test_the_trainer_sees_the_survey_summary(app, client, login, room):
    run_workshop(app, client, login, room)
    page = client.get(room.base).get_data(as_text=True)
    assert "研修の感想</strong>（3人、平均 4.7）" in page
    assert "理解できましたか</strong>（3人、平均 4.0）" in page
    assert "ご意見・ご感想（3件）" in page and "感想43" in page
    projector = projector_live(client, room)
    assert "研修の感想</strong>（3人、平均 4.7）" in projector
    assert "感想43" not in projector  # comments stay off the wall


def test_the_projector_is_anonymous_and_counts_live(app, client, login, room):
    login(client, room.trainer)
    phones = [phone(app) for _ in range(2)]
    for i, p in enumerate(phones, start=1):
        join(p, room, org=room.orgs[0], name=f"見守 花子{i}")
    move_to(client, room, "pre")
    answer_test(phones[0], room, "pre", right=True)
    answer_test(phones[1], room, "pre", right=False, submit=False)  # still answering
    live = projector_live(client, room)
    assert "1</span> / 2人 提出（回答中 1人）" in live
    assert "問1：事前 50%（2人）" in live  # one right, one wrong, both counted as saved
    assert "花子" not in live
    page = client.get(f"{room.base}/projector").get_data(as_text=True)
    # The page polls the projector link, the same rendering every screen gets.
    assert f'data-live-url="/projector/{room.workshop.id}/' in page and "js/live.js" in page
    assert '<meta http-equiv="refresh" content="10">' in page  # without JavaScript
    move_to(client, room, "post")
    answer_test(phones[0], room, "post", right=True)
    live = projector_live(client, room)
    assert "問1：事前 50%（2人）、事後 100%（1人）" in live


def test_exports_read_back_as_the_trainer_saw_them(app, client, login, room):
    run_workshop(app, client, login, room)
    response = client.get(f"{room.base}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["番号", "氏名", "ふりがな", "所属", "名簿との照合"]
    assert len(body) == 3
    first = dict(zip(header, body[0], strict=True))
    assert first["氏名"] == "見守 花子1" and first["名簿との照合"] == "名簿と一致"
    scored = str(db.session.scalar(select(Attempt.max_score).where(Attempt.phase == "pre")))
    assert first["事前テスト正答数"] == "0" and first["事前テスト問題数"] == scored
    assert first["事後テスト正答数"] == scored and first["事後テスト合否"] == "合格"
    assert first["修了証番号"] == "第00001号（確認中）"  # a typed name nobody confirmed
    assert first["本人確認"] == "未確認"
    assert first["研修の感想"] == "とても良かった" and first["感想（自由記述）"] == "感想55"
    second = dict(zip(header, body[1], strict=True))
    assert second["事後テスト合否"] == "不合格" and second["修了証番号"] == ""
    third = dict(zip(header, body[2], strict=True))
    assert third["氏名"] == "'=HYPERLINK(1)"  # not a formula in Excel
    assert third["名簿との照合"] == "名簿にない（事務局が確認）"
    assert third["事後テスト正答数"] == ""  # never took it

    response = client.get(f"{room.base}/export.xlsx")
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book["参加者"]
    values = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert values[0] == header
    assert values[1][:2] == [1, "見守 花子1"] and values[1][7] == int(scored)
    assert values[3][1] == "'=HYPERLINK(1)"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "workshop.export")
    ).all()
    assert [e.details["format"] for e in events] == ["csv", "xlsx"]
    assert all(e.details["rows"] == 3 for e in events)
