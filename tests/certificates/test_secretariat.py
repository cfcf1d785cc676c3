"""The secretariat's side: lists and filters, revocation, member page, print views and PDFs with
decodable QR codes, badge sheets; and the learner's own certificates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.certificates.helpers import make_certificate
from tests.certificates.test_printing import decode, poppler_text, render, text_of
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


def test_revoking_needs_a_reason_asks_once_more_and_changes_verify(client, office):
    cert = office["certs"]["valid"]
    url = f"{office['url']}/{cert.id}"
    response = client.post(url, data={"reason": "　"})
    assert response.status_code == 422 and "取り消す理由を入力してください" in response.get_data(
        as_text=True
    )
    assert db.session.get(Certificate, cert.id).revoked_at is None

    # The first press shows what will be recorded, and records nothing.
    reason = "構成員証の紛失\r\n（再発行のため）"
    response = client.post(url, data={"reason": reason})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>修了証の取り消しの確認</h1>" in html
    for fact in ("<dt>氏名</dt><dd>青木 花子</dd>", f"<dd>{cert.serial_label}</dd>"):
        assert fact in html, fact
    assert "<dd>構成員証の紛失<br>（再発行のため）</dd>" in html
    assert 'name="confirmed" value="1"' in html
    assert '<button type="submit" class="danger">取り消す</button>' in html
    assert ">戻って直す</button>" in html
    assert db.session.get(Certificate, cert.id).revoked_at is None
    assert ">有効<" in client.get(f"/verify/{cert.token}").get_data(as_text=True)
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
        is None
    )

    # 「戻って直す」: the detail page with the reason as typed, still nothing recorded.
    back = client.post(url, data={"reason": "構成員証の紛失\n（再発行のため）", "back": "1"})
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and "<h1>修了証 " in page
    assert "構成員証の紛失\n（再発行のため）</textarea>" in page
    assert 'name="back" value="1"' not in page and 'value="1" name="confirmed"' not in page
    assert db.session.get(Certificate, cert.id).revoked_at is None

    # Confirmed: revoked.
    response = client.post(
        url, data={"reason": "構成員証の紛失\n（再発行のため）", "confirmed": "1"}
    )
    assert response.status_code == 302
    stored = db.session.get(Certificate, cert.id)
    assert stored.revoked_at is not None and stored.revoked_by_id == office["user"].id
    assert stored.revoked_reason == "構成員証の紛失\n（再発行のため）"
    assert ">取消<" in client.get(f"/verify/{cert.token}").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert event.target_id == cert.id
    assert event.details["reason"] == "構成員証の紛失\n（再発行のため）"
    log = client.get(f"/n/{office['network'].id}/audit/").get_data(as_text=True)
    assert "修了証の取り消し" in log
    # A second revocation, asked or confirmed, changes nothing and says why.
    for data in ({"reason": "もう一度"}, {"reason": "もう一度", "confirmed": "1"}):
        again = client.post(url, data=data).get_data(as_text=True)
        assert "すでに取り消されています" in again and "取り消す理由" not in again
        assert "の確認</h1>" not in again
    assert db.session.get(Certificate, cert.id).revoked_reason == "構成員証の紛失\n（再発行のため）"


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
    page = render(response.data, 1, tmp_path)
    assert decode(page, tmp_path) == [expected]
    assert band_darkness(page) == 255  # valid: no 取消/期限切れ band


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
    # Each back: the verification code, and the member's report code (tests/concerns).
    assert {u for u in back if "/verify/" in u} == {
        f"http://trainer.test/verify/{t}" for t in tokens
    }
    assert len([u for u in back if u.startswith("http://trainer.test/r/")]) == 2
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


# --- what a printed certificate says when it is not valid (L1) -----------------------------------

BAND = (19, 29.5, 191, 31)  # mm: the top strip of the red band under the serial, above its text


def band_darkness(page) -> int:
    """The lightest grey in a patch of the band's area (0 black … 255 white)."""
    left, top, right, bottom = (round(mm / 25.4 * 200) for mm in BAND)
    return page.crop((left, top, right, bottom)).getextrema()[1]


@pytest.mark.parametrize(
    ("key", "label", "sentence"),
    [
        ("revoked", "取消", "この修了証は取り消されています。"),
        ("expired", "期限切れ", "この修了証は有効期限が過ぎています。"),
        ("lapsed", "失効", "構成員の登録が終わったため、この修了証は失効しています。"),
    ],
)
def test_a_certificate_that_is_not_valid_is_marked_on_its_pdf_and_print_view(
    client, office, tmp_path, key, label, sentence
):
    cert = office["certs"][key]
    expected = f"http://trainer.test/verify/{cert.token}"
    html = client.get(f"{office['url']}/{cert.id}/print").get_data(as_text=True)
    # The band is inside the printed sheet, not in the screen-only tools.
    sheet = html[html.index('<main class="sheet not-valid">') :]
    assert f'<p class="status-band-head">【{label}】{sentence}</p>' in sheet
    assert f'<p class="status-stamp" aria-hidden="true">{label}</p>' in sheet
    today = today_jst()
    assert f"{today.year}年{today.month}月{today.day}日の状態です。" in sheet

    pdf = client.get(f"{office['url']}/{cert.id}.pdf").data
    text = "".join(poppler_text(pdf, tmp_path).split())
    assert f"【{label}】{sentence}" in text
    assert f"{today.year}年{today.month}月{today.day}日の状態です。" in text
    if key == "revoked":  # the picture once (rendering costs seconds): same drawing for all
        page = render(pdf, 1, tmp_path)
        assert band_darkness(page) < 100  # solid red, printed grey on a black-and-white printer
        assert decode(page, tmp_path) == [expected]  # the QR code still opens the live check


def test_a_valid_certificate_prints_clean(client, office, tmp_path):
    cert = office["certs"]["valid"]
    html = client.get(f"{office['url']}/{cert.id}/print").get_data(as_text=True)
    assert "status-band" not in html and "status-stamp" not in html
    text = poppler_text(client.get(f"{office['url']}/{cert.id}.pdf").data, tmp_path)
    assert "【" not in text and "の状態です" not in text
    # Its rendered page: test_the_print_view_and_pdf_carry_the_verify_qr (no band there).


def test_the_learner_pdf_of_a_revoked_certificate_is_marked(client, office, tmp_path):
    cert = office["certs"]["revoked"]
    client.post(f"/m/{office['people']['revoked'].link_token}")
    pdf = client.get(f"/learn/certificates/{cert.id}.pdf").data
    assert "【取消】" in poppler_text(pdf, tmp_path)
    html = client.get(f"/learn/certificates/{cert.id}").get_data(as_text=True)
    assert "【取消】この修了証は取り消されています。" in html


# --- the issuer on the certificate, the secretariat's phone on the badge (L15, L16) -------------


def test_the_issuer_and_the_phone_are_set_on_the_settings_page_and_printed(
    client, office, tmp_path
):
    network, url = office["network"], f"/n/{office['network'].id}/settings/"
    page = client.get(url).get_data(as_text=True)
    for label in ("事務局の電話番号", "修了証の発行者の役職", "修了証の発行者の氏名"):
        assert label in page, label
    # Before: the badge page says the phone is missing; the certificate names the network.
    badges = client.get(office["url"] + "/badges").get_data(as_text=True)
    assert "事務局の電話番号が未設定です" in badges
    detail = client.get(f"{office['url']}/{office['certs']['valid'].id}").get_data(as_text=True)
    assert "修了証の発行者（役職・氏名）が未設定" in detail

    too_long = client.post(url, data={"secretariat_phone": "0" * 101})
    assert too_long.status_code == 200 and "100文字以内" in too_long.get_data(as_text=True)
    assert db.session.get(type(network), network.id).secretariat_phone == ""

    response = client.post(
        url,
        data={
            "secretariat_phone": " 0120-000-000 ",
            "certificate_issuer_title": "みどり市見守りネットワーク協議会 会長",
            "certificate_issuer_name": "森 一郎",
        },
    )
    assert response.status_code == 302
    stored = db.session.get(type(network), network.id)
    assert (
        stored.secretariat_phone,
        stored.certificate_issuer_title,
        stored.certificate_issuer_name,
    ) == ("0120-000-000", "みどり市見守りネットワーク協議会 会長", "森 一郎")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "network.settings_update")
    )
    assert event.details["changes"]["certificate_issuer_name"] == ["", "森 一郎"]

    cert = office["certs"]["valid"]
    pdf = client.get(f"{office['url']}/{cert.id}.pdf").data
    text = "".join(poppler_text(pdf, tmp_path).split())
    assert "みどり市見守りネットワーク協議会会長" in text and "森一郎" in text and "印" in text
    html = client.get(f"{office['url']}/{cert.id}/print").get_data(as_text=True)
    assert '<p class="issuer-title">みどり市見守りネットワーク協議会 会長</p>' in html
    assert '森 一郎<span class="seal"' in html

    badges = client.get(office["url"] + "/badges").get_data(as_text=True)
    assert "未設定" not in badges and "事務局 0120-000-000" in badges
    sheet = client.post(office["url"] + "/badges", data={"course_id": 1, "organisation_id": 0})
    front = "".join(poppler_text(sheet.data, tmp_path).split())
    assert front.count("確認のお問い合わせ：事務局0120-000-000") == 2  # one per badge
