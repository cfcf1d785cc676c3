"""The secretariat's pages: writing (with bad input answered in Japanese, nothing stored), the
attachment checked by its bytes, the preview, publishing and scheduling from the page, no edit
after publishing, who has opened it per organisation, and the network home page's card."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.bulletins.helpers import PDF, PNG, mails_of, publish, with_address, write
from trainer.accounts.models import Member, Role
from trainer.audit.models import AuditEvent
from trainer.bulletins import attachments, audience, reading
from trainer.bulletins.models import Bulletin, BulletinRead
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.timeutil import today_jst, utcnow


@pytest.fixture
def office(app, make_network, make_user, make_org, make_member):
    network = make_network(name="みどり市見守りネットワーク")
    bank = make_org(network, name="みどり信用金庫", kind="financial")
    care = make_org(network, name="ケアプランみどり", kind="care_management")
    members = [with_address(make_member(network, bank)) for _ in range(3)]
    members += [make_member(network, care) for _ in range(2)]
    return {
        "network": network,
        "user": make_user(network, Role.SECRETARIAT),
        "bank": bank,
        "care": care,
        "members": members,
    }


def form(**overrides):
    data = {
        "kind": "warning",
        "title": "「屋根の無料点検」に注意",
        "body": "## 点検商法\n\n!!! 注意\n    その場で契約しないでください。",
        "audience": "everyone",
    }
    data.update(overrides)
    return data


def base(office):
    return f"/n/{office['network'].id}/bulletins"


def test_writing_previewing_and_publishing(client, login, office):
    login(client, office["user"])
    response = client.post(
        f"{base(office)}/new",
        data=form(attachment=(io.BytesIO(PNG), "チラシ.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    bulletin = db.session.scalar(select(Bulletin))
    assert bulletin.attachment_type == "image/png" and bulletin.attachment_name == "チラシ.png"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "下書き" in page and "構成員に見える形" in page
    assert '<div class="admonition caution">' in page  # the course's Markdown, rendered
    assert "公開すると 3人に送ります" in page and "今日の時点で 5人" in page
    assert client.get(f"{base(office)}/{bulletin.id}/attachment").data == PNG
    response = client.post(f"{base(office)}/{bulletin.id}/publish")
    assert response.status_code == 302
    assert len(mails_of(bulletin)) == 3
    page = client.get(f"{base(office)}/{bulletin.id}").get_data(as_text=True)
    assert "公開済み" in page and "送信待ち 3通" in page and "0 / 3人" in page
    listing = client.get(f"{base(office)}/").get_data(as_text=True)
    assert "「屋根の無料点検」に注意" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "題名を入力してください。"),
        ({"title": "あ" * 201}, "題名は200文字以内で入力してください。"),
        ({"body": "   "}, "本文を入力してください。"),
        ({"kind": "spam"}, "一覧から選んでください。"),
        ({"audience": "kinds"}, "構成団体の種別を1つ以上選んでください。"),
        ({"audience": "organisations"}, "構成団体を1つ以上選んでください。"),
        ({"audience": "organisations", "organisation_ids": "99999"}, "一覧から選んでください。"),
        ({"audience": "organisations", "organisation_ids": "１２"}, "一覧から選んでください。"),
        ({"body": "電話は {{ centre_phone }} へ"}, "「{{ centre_phone }}」は差し込めません。"),
        ({"title": "{{ police }} からのお知らせ"}, "「{{ police }}」は差し込めません。"),
        (
            {"attachment": (io.BytesIO(b"MZ\x90\x00evil"), "flyer.png")},
            "画像（PNG・JPEG）とPDFだけ",
        ),
    ],
)
def test_bad_input_is_answered_in_japanese_and_nothing_is_stored(
    client, login, office, overrides, message
):
    login(client, office["user"])
    response = client.post(
        f"{base(office)}/new", data=form(**overrides), content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Bulletin)) == 0


def test_an_attachment_over_the_limit_is_refused(client, login, office, monkeypatch):
    # The limit lowered to 1 kB: the test client keeps a 5 MB upload in a file it never closes.
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT", 1024)
    login(client, office["user"])
    response = client.post(
        f"{base(office)}/new",
        data=form(attachment=(io.BytesIO(PDF + b"0" * 1024), "big.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "5MBまで" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Bulletin)) == 0
    with pytest.raises(DomainError, match="5MBまで"):
        attachments.checked(attachments.Upload("a.pdf", PDF + b"0" * 1024))


def test_a_pdf_is_recognised_by_its_bytes_and_saved_as_a_download(client, login, office):
    login(client, office["user"])
    client.post(
        f"{base(office)}/new",
        data=form(attachment=(io.BytesIO(PDF), "notice.txt")),
        content_type="multipart/form-data",
    )
    bulletin = db.session.scalar(select(Bulletin))
    assert (bulletin.attachment_type, bulletin.attachment_name) == (
        "application/pdf",
        "notice.txt.pdf",
    )
    response = client.get(f"{base(office)}/{bulletin.id}/attachment")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"{base(office)}/{bulletin.id}").status_code == 200


def test_editing_a_draft_then_no_edit_after_publishing(client, login, office):
    login(client, office["user"])
    bulletin = write(office["network"])
    response = client.post(
        f"{base(office)}/{bulletin.id}/edit",
        data=form(title="直した題名", audience="kinds", org_kinds="financial"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(bulletin)
    assert bulletin.title == "直した題名" and bulletin.audience_org_kinds == ["financial"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bulletin.edit"))
    assert (
        "題名名" not in str(event.details) and event.details["changes"]["title"][1] == "直した題名"
    )
    publish(bulletin)
    response = client.post(
        f"{base(office)}/{bulletin.id}/edit",
        data=form(title="こっそり"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(bulletin)
    assert bulletin.title == "直した題名"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "公開したお知らせは変更できません" in page


def test_scheduling_from_the_page(client, login, office):
    login(client, office["user"])
    bulletin = write(office["network"])
    url = f"{base(office)}/{bulletin.id}/schedule"
    response = client.post(url, data={"publish_at": "2020-01-01T09:00"})
    assert response.status_code == 400
    assert "今より後にしてください" in response.get_data(as_text=True)
    response = client.post(url, data={"publish_at": "あした"})
    assert response.status_code == 400 and "2026-12-05 09:00 の形" in response.get_data(
        as_text=True
    )
    assert db.session.get(Bulletin, bulletin.id).publish_at is None
    when = (utcnow() + timedelta(days=1, hours=9)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, data={"publish_at": when}).status_code == 302
    db.session.refresh(bulletin)
    assert bulletin.publish_at is not None and bulletin.publish_at > utcnow()
    assert "公開予約" in client.get(f"{base(office)}/{bulletin.id}").get_data(as_text=True)
    assert client.post(f"{base(office)}/{bulletin.id}/cancel").status_code == 302
    db.session.refresh(bulletin)
    assert bulletin.publish_at is None


def test_unknown_ids_are_404_not_500(client, login, office):
    login(client, office["user"])
    assert client.get(f"{base(office)}/99999").status_code == 404
    assert client.post(f"{base(office)}/99999/publish").status_code == 404
    bulletin = write(office["network"])
    assert client.get(f"{base(office)}/{bulletin.id}/attachment").status_code == 404


def test_reads_per_organisation_equal_a_plain_count(client, login, office, make_member):
    bulletin = write(office["network"])
    publish(bulletin)
    readers = office["members"][:2] + office["members"][3:4]
    for member in readers:
        reading.record_open(db.session, bulletin, member)
        reading.record_open(db.session, bulletin, member)  # a second open changes nothing
    rows = {
        r.organisation.id: r
        for r in reading.reads_by_organisation(db.session, bulletin, today_jst())
    }
    for org in (office["bank"], office["care"]):
        plain_opened = db.session.scalar(
            select(func.count())
            .select_from(BulletinRead)
            .join(Member, Member.id == BulletinRead.member_id)
            .where(BulletinRead.bulletin_id == bulletin.id, Member.organisation_id == org.id)
        )
        plain_audience = db.session.scalar(
            select(func.count()).select_from(Member).where(Member.organisation_id == org.id)
        )
        assert (rows[org.id].opened, rows[org.id].audience) == (plain_opened, plain_audience)
    assert (rows[office["bank"].id].opened, rows[office["care"].id].opened) == (2, 1)
    login(client, office["user"])
    page = client.get(f"{base(office)}/{bulletin.id}").get_data(as_text=True)
    assert "2 / 3人" in page and "1 / 2人" in page
    for member in readers:
        assert member.name in page
    assert office["members"][2].name not in page


def dashboard(client, office) -> str:
    return client.get(f"/n/{office['network'].id}/").get_data(as_text=True)


def test_network_home_warns_after_thirty_days(client, login, office):
    login(client, office["user"])
    page = dashboard(client, office)
    assert "最後の見守り通信" in page and "まだ一度もお知らせを送っていません" in page
    bulletin = write(office["network"])
    publish(bulletin, now=utcnow() - timedelta(days=30))
    page = dashboard(client, office)
    assert re.search(r"30<small> 日前", page) and "⚠ 注意" not in page
    bulletin.published_at = utcnow() - timedelta(days=31)
    db.session.commit()
    page = dashboard(client, office)
    assert re.search(r"31<small> 日前", page) and "30日以上、お知らせを送っていません" in page
    newer = write(office["network"], mode=audience.KINDS, kinds=["financial"])
    publish(newer)
    page = dashboard(client, office)
    assert "今日" in page and "⚠ 注意" not in page


def test_trainers_see_no_card_and_no_bulletin_pages(client, login, office, make_user):
    trainer = make_user(office["network"], Role.TRAINER)
    login(client, trainer)
    assert "最後の見守り通信" not in dashboard(client, office)
    assert client.get(f"{base(office)}/").status_code == 403


def test_the_audit_log_names_each_step(client, login, office):
    login(client, office["user"])
    bulletin = write(office["network"], actor=office["user"])
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"{base(office)}/{bulletin.id}/schedule", data={"publish_at": when})
    client.post(f"{base(office)}/{bulletin.id}/cancel")
    client.post(f"{base(office)}/{bulletin.id}/publish")
    page = client.get(f"/n/{office['network'].id}/audit/").get_data(as_text=True)
    for label in ("お知らせの下書き作成", "お知らせの公開予約", "予約の取り消し", "お知らせの公開"):
        assert label in page
    assert "送ったメール（通）: 3" in page


def test_a_published_bulletin_can_be_taken_off_the_public_page(client, login, office):
    login(client, office["user"])
    bulletin = write(office["network"], title="古い注意喚起", public=True)
    publish(bulletin)
    public_page = f"/p/{office['network'].id}/bulletins"
    assert "古い注意喚起" in client.get(public_page).get_data(as_text=True)
    detail = client.get(f"{base(office)}/{bulletin.id}").get_data(as_text=True)
    assert "一般公開をやめる" in detail
    response = client.post(f"{base(office)}/{bulletin.id}/withdraw-public", follow_redirects=True)
    assert "公開ページとフィードから外しました" in response.get_data(as_text=True)
    assert "古い注意喚起" not in client.get(public_page).get_data(as_text=True)
    feed = client.get(f"/p/{office['network'].id}/bulletins.atom").get_data(as_text=True)
    assert "古い注意喚起" not in feed
    # Members still have it; the audit log says who took it off.
    db.session.refresh(bulletin)
    assert bulletin.published_at is not None and bulletin.public is False
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "bulletin.withdraw_public")
    )
    assert event.target_id == bulletin.id
    again = client.post(f"{base(office)}/{bulletin.id}/withdraw-public", follow_redirects=True)
    assert "一般公開していません" in again.get_data(as_text=True)
