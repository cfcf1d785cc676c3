"""The member's side: the personal page lists the bulletins for them (注意喚起 first, unread said
in words), the bulletin's page records the first open and shows the attachment, a bulletin not
for them (or a draft, or another network's) is 404, and the mail switch needs its CSRF token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.bulletins.helpers import PDF, PNG, publish, with_address, write
from trainer.accounts import roster
from trainer.bulletins import attachments, audience, mail_stop
from trainer.bulletins.models import BulletinRead
from trainer.extensions import db
from trainer.timeutil import today_jst, utcnow


@pytest.fixture
def town(app, make_network, make_org, make_member):
    network = make_network(name="みどり市見守りネットワーク")
    bank = make_org(network, name="みどり信用金庫", kind="financial")
    care = make_org(network, name="ケアプランみどり", kind="care_management")
    return {
        "network": network,
        "bank": bank,
        "care": care,
        "banker": with_address(make_member(network, bank, name="金融 一郎")),
        "carer": make_member(network, care, name="介護 花子"),
    }


def home(client) -> str:
    return client.get("/learn").get_data(as_text=True)


def test_the_personal_page_lists_warnings_first_and_marks_unread(client, login, town):
    old_news = write(town["network"], title="11月の見守り通信")
    publish(old_news, now=utcnow() - timedelta(days=20))
    warning = write(town["network"], kind="warning", title="還付金詐欺の電話に注意")
    publish(warning, now=utcnow() - timedelta(days=10))
    news = write(town["network"], title="12月の見守り通信")
    publish(news)
    write(town["network"], title="まだ下書き")
    login(client, town["banker"])
    page = home(client)
    positions = [
        page.index(t) for t in ("還付金詐欺の電話に注意", "12月の見守り通信", "11月の見守り通信")
    ]
    assert positions == sorted(positions)
    assert "まだ下書き" not in page
    assert "未読 3件" in page and page.count(">未読<") == 3
    assert client.get(f"/me/bulletins/{warning.id}").status_code == 200
    page = home(client)
    assert "未読 2件" in page and page.count(">未読<") == 2


def test_opening_records_the_first_read_only(client, login, town):
    bulletin = write(town["network"], body="!!! 注意\n    その場で契約しないでください。")
    publish(bulletin)
    login(client, town["banker"])
    page = client.get(f"/me/bulletins/{bulletin.id}").get_data(as_text=True)
    assert "その場で契約しないでください。" in page and "admonition caution" in page
    first = db.session.scalar(select(BulletinRead.read_at))
    client.get(f"/me/bulletins/{bulletin.id}")
    assert db.session.scalar(select(func.count()).select_from(BulletinRead)) == 1
    assert db.session.scalar(select(BulletinRead.read_at)) == first


def test_outside_the_audience_a_draft_or_another_network_is_404(
    client, login, town, make_network, make_member
):
    for_care = write(town["network"], mode=audience.KINDS, kinds=["care_management"])
    publish(for_care)
    draft = write(town["network"])
    login(client, town["banker"])
    assert client.get(f"/me/bulletins/{for_care.id}").status_code == 404
    assert client.get(f"/me/bulletins/{draft.id}").status_code == 404
    assert client.get(f"/me/bulletins/{for_care.id}/attachment").status_code == 404
    assert "還付金" not in home(client) and for_care.title not in home(client)
    login(client, town["carer"])
    assert client.get(f"/me/bulletins/{for_care.id}").status_code == 200
    other = make_network(name="となり町")
    login(client, make_member(other))
    assert client.get(f"/me/bulletins/{for_care.id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(BulletinRead)) == 1


def test_an_ended_member_sees_the_ended_page(client, login, town):
    bulletin = write(town["network"])
    publish(bulletin)
    roster.end_membership(
        db.session, member=town["banker"], end_date=today_jst(), reason="異動", actor=None
    )
    login(client, town["banker"])
    assert client.get(f"/me/bulletins/{bulletin.id}").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(BulletinRead)) == 0


def test_attachments_image_inline_pdf_as_download(client, login, town):
    image = write(town["network"], title="チラシ", attachment=attachments.Upload("チラシ.png", PNG))
    pdf = write(town["network"], title="資料", attachment=attachments.Upload("資料.pdf", PDF))
    publish(image)
    publish(pdf)
    login(client, town["banker"])
    page = client.get(f"/me/bulletins/{image.id}").get_data(as_text=True)
    assert f'<img src="/me/bulletins/{image.id}/attachment"' in page
    response = client.get(f"/me/bulletins/{image.id}/attachment")
    assert response.data == PNG and response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("inline")
    page = client.get(f"/me/bulletins/{pdf.id}").get_data(as_text=True)
    assert "添付のPDFを保存する" in page
    response = client.get(f"/me/bulletins/{pdf.id}/attachment")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"


def test_the_mail_switch_on_the_personal_page(client, login, town):
    login(client, town["banker"])
    assert "お知らせは、登録されたメールアドレスにも届きます" in home(client)
    client.post("/me/bulletins/mail", data={"action": "stop"})
    assert mail_stop.is_stopped(db.session, town["banker"].id)
    assert "お知らせのメールは止めています" in home(client)
    client.post("/me/bulletins/mail", data={"action": "resume"})
    assert not mail_stop.is_stopped(db.session, town["banker"].id)
    login(client, town["carer"])  # no address: no switch on the personal page
    assert "メールの設定" not in home(client)
    page = client.get("/me/bulletins/").get_data(as_text=True)
    assert "メールアドレスが登録されていない" in page
