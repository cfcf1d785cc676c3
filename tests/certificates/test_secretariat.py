"""The secretariat's side: lists and filters, revocation, member page, print views and PDFs with
decodable QR codes, badge sheets; and the learner's own certificates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.certificates.helpers import make_certificate
from tests.certificates.test_printing import decode, render, text_of
from tests.quizzes.helpers import load_repository_content
from trainer.accounts import roster
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.timeutil import today_jst


@pytest.fixture
def office(app, client, login, make_network, make_org, make_member, make_user):
    """A network with two organisations and certificates in every state, and its secretariat."""
    load_repository_content()
    network = make_network(name="みどり市消費者安全確保地域協議会")
    bank = make_org(network, name="みどり信用金庫", kind="financial")
    care = make_org(network, name="ひまわり居宅介護支援事業所")
    people = {
        "valid": make_member(network, bank, name="青木 花子", kana="あおき はなこ"),
        "expiring": make_member(network, bank, name="井上 一郎", kana="いのうえ いちろう"),
        "expired": make_member(network, care, name="上田 誠", kana="うえだ まこと"),
        "lapsed": make_member(network, care, name="江口 和子", kana="えぐち かずこ"),
        "revoked": make_member(network, care, name="大野 隆", kana="おおの たかし"),
        "none": make_member(network, care, name="加藤 由美"),
    }
    certs = {key: make_certificate(m) for key, m in people.items() if key != "none"}
    certs["expiring"].valid_until = today_jst() + timedelta(days=30)
    certs["expired"].valid_until = today_jst() - timedelta(days=1)
    certs["revoked"].revoked_at = certs["revoked"].issued_at
    certs["revoked"].revoked_reason = "紛失"
    db.session.commit()
    roster.end_membership(
        db.session, member=people["lapsed"], end_date=today_jst(), reason="退職", actor=None
    )
    secretariat = make_user(network, Role.SECRETARIAT, name="事務局 太郎")
    login(client, secretariat)
    return {
        "network": network,
        "bank": bank,
        "care": care,
        "people": people,
        "certs": certs,
        "url": f"/n/{network.id}/certificates",
        "user": secretariat,
    }


def test_the_list_counts_and_filters_by_status(client, office):
    html = client.get(office["url"] + "/").get_data(as_text=True)
    for label, count in (
        ("すべて", 5),
        ("有効", 2),
        ("90日以内に期限切れ", 1),
        ("期限切れ", 1),
        ("失効（退会）", 1),
        ("取消", 1),
    ):
        assert f"{label} <strong>{count}</strong>" in html, label
    expiring = client.get(office["url"] + "/?status=expiring").get_data(as_text=True)
    assert "井上 一郎" in expiring and "あと30日" in expiring and "青木 花子" not in expiring
    lapsed = client.get(office["url"] + "/?status=lapsed").get_data(as_text=True)
    assert "江口 和子" in lapsed and "上田 誠" not in lapsed
    by_org = client.get(f"{office['url']}/?organisation={office['bank'].id}").get_data(as_text=True)
    assert "青木 花子" in by_org and "井上 一郎" in by_org and "上田 誠" not in by_org


def test_the_member_page_lists_their_certificates(client, office):
    member = office["people"]["lapsed"]
    html = client.get(f"/n/{office['network'].id}/members/{member.id}").get_data(as_text=True)
    assert office["certs"]["lapsed"].serial_label in html and ">失効<" in html


def test_revoking_needs_a_reason_and_changes_verify(client, office):
    cert = office["certs"]["valid"]
    url = f"{office['url']}/{cert.id}"
    response = client.post(url, data={"reason": "　"})
    assert response.status_code == 422 and "取り消す理由を入力してください" in response.get_data(
        as_text=True
    )
    assert db.session.get(Certificate, cert.id).revoked_at is None
    assert ">有効<" in client.get(f"/verify/{cert.token}").get_data(as_text=True)

    response = client.post(url, data={"reason": "構成員証の紛失（再発行のため）"})
    assert response.status_code == 302
    stored = db.session.get(Certificate, cert.id)
    assert stored.revoked_at is not None and stored.revoked_by_id == office["user"].id
    assert stored.revoked_reason == "構成員証の紛失（再発行のため）"
    assert ">取消<" in client.get(f"/verify/{cert.token}").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert (
        event.target_id == cert.id and event.details["reason"] == "構成員証の紛失（再発行のため）"
    )
    log = client.get(f"/n/{office['network'].id}/audit/").get_data(as_text=True)
    assert "修了証の取り消し" in log
    # A second revocation changes nothing and says why.
    again = client.post(url, data={"reason": "もう一度"}).get_data(as_text=True)
    assert "すでに取り消されています" in again and "取り消す理由" not in again
    assert db.session.get(Certificate, cert.id).revoked_reason == "構成員証の紛失（再発行のため）"


def test_the_print_view_and_pdf_carry_the_verify_qr(client, office, tmp_path):
    cert = office["certs"]["valid"]
    expected = f"http://trainer.test/verify/{cert.token}"
    html = client.get(f"{office['url']}/{cert.id}/print").get_data(as_text=True)
    assert "修了証" in html and "青木 花子" in html and expected in html
    response = client.get(f"{office['url']}/{cert.id}.pdf")
    assert response.mimetype == "application/pdf"
    text = text_of(response.data, 0)
    for part in ("修了証", "青木 花子", "みどり信用金庫", "みどり市消費者安全確保地域協議会"):
        assert part in text, part
    assert decode(render(response.data, 1, tmp_path), tmp_path) == [expected]


def test_badge_sheet_for_everyone_certified(client, office, tmp_path):
    page = client.get(office["url"] + "/badges").get_data(as_text=True)
    assert "対象：<strong>2人</strong>" in page
    response = client.post(office["url"] + "/badges", data={"course_id": 1, "organisation_id": 0})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    front = text_of(response.data, 0)
    assert "青木 花子" in front and "井上 一郎" in front
    for name in ("上田 誠", "江口 和子", "大野 隆", "加藤 由美"):
        assert name not in front, name
    back = decode(render(response.data, 2, tmp_path), tmp_path)
    tokens = {office["certs"][k].token for k in ("valid", "expiring")}
    assert set(back) == {f"http://trainer.test/verify/{t}" for t in tokens}
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "certificate.badges_print")
    )
    assert event.details["count"] == 2 and event.target_label == "全構成団体"


def test_badge_sheet_for_one_organisation_and_an_empty_choice(client, office):
    url = office["url"] + "/badges"
    page = client.get(f"{url}?course_id=1&organisation_id={office['care'].id}").get_data(
        as_text=True
    )
    assert "修了証が有効な構成員はいません" in page
    response = client.post(url, data={"course_id": 1, "organisation_id": office["care"].id})
    assert response.mimetype == "text/html"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.badges_print"))
        is None
    )
    bad = client.post(url, data={"course_id": 1, "organisation_id": 99999})
    assert bad.status_code == 422 and "一覧から選んでください" in bad.get_data(as_text=True)


def test_learners_see_only_their_own_certificates(app, client, office, tmp_path):
    mine, other = office["certs"]["valid"], office["certs"]["expiring"]
    client.post(f"/m/{office['people']['valid'].link_token}")  # staff confirm the switch
    listing = client.get("/learn/certificates/").get_data(as_text=True)
    assert mine.serial_label in listing and other.serial_label not in listing
    assert client.get(f"/learn/certificates/{other.id}").status_code == 404
    assert client.get(f"/learn/certificates/{other.id}.pdf").status_code == 404
    response = client.get(f"/learn/certificates/{mine.id}.pdf")
    assert response.mimetype == "application/pdf" and "青木 花子" in text_of(response.data, 0)
    # Staff pages stay closed to learners.
    assert client.get(office["url"] + "/").status_code == 404
