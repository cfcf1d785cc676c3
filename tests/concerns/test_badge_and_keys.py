"""The reporting key (the badge's second QR code): made once per member, found by its token only
while the member may report, rotated by the secretariat; printed on the badge back beside the
verification code, both decoded from a 300 dpi render by zbar."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.certificates.helpers import make_certificate
from tests.certificates.test_printing import CARD_H, CARD_W, CERT, assert_quiet_zone, decode
from tests.certificates.test_printing import render as render_page
from tests.quizzes.helpers import load_repository_content
from trainer.accounts import roster
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.certificates import badge_sheet
from trainer.certificates.badge_sheet import (
    BADGE_BACK_FREE_AREA,
    BADGE_BACK_QR,
    BADGE_BACK_REPORT_QR,
    badge_sheet_pdf,
)
from trainer.concerns import keys
from trainer.concerns.models import ReportingKey
from trainer.extensions import db
from trainer.timeutil import today_jst

DPI = 300


@pytest.fixture
def office(app, client, login, make_network, make_org, make_member, make_user):
    load_repository_content()
    network = make_network(name="みどり市消費者安全確保地域協議会")
    bank = make_org(network, name="みどり信用金庫", kind="financial")
    member = make_member(network, bank, name="青木 花子", kana="あおき はなこ")
    certificate = make_certificate(member)
    secretariat = make_user(network, Role.SECRETARIAT, name="事務局 太郎")
    login(client, secretariat)
    return {
        "network": network,
        "member": member,
        "certificate": certificate,
        "user": secretariat,
        "badges": f"/n/{network.id}/certificates/badges",
        "rotate": f"/n/{network.id}/members/{member.id}/reporting-key/rotate",
    }


@pytest.fixture
def dpi300(monkeypatch):
    """The printing tests' render() at 300 dpi: what the brief asks both codes to survive."""
    from tests.certificates import test_printing

    monkeypatch.setattr(test_printing, "DPI", DPI)


def px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def back_of_first_card(client, office, tmp_path):
    """The first card's back (top right of page 2: backs mirror the columns)."""
    response = client.post(office["badges"], data={"course_id": 1, "organisation_id": 0})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    page = render_page(response.data, 2, tmp_path)
    left, top = 14.0 + CARD_W, 11.0
    return page.crop((px(left), px(top), px(left + CARD_W), px(top + CARD_H)))


def test_the_badge_back_carries_both_codes(client, office, tmp_path, dpi300):
    card = back_of_first_card(client, office, tmp_path)
    found = decode(card, tmp_path)
    key = db.session.scalar(select(ReportingKey))
    verify = f"http://trainer.test/verify/{office['certificate'].token}"
    report = f"http://trainer.test/r/{key.token}"
    assert sorted(found) == sorted([verify, report])
    assert_quiet_zone(card, *BADGE_BACK_QR, verify)
    assert_quiet_zone(card, *BADGE_BACK_REPORT_QR, report)
    # The /r/ code is the member's: the form opens for them, and only the form.
    assert keys.member_by_report_token(db.session, report.rsplit("/", 1)[1]) == office["member"]
    form = client.application.test_client().get(f"/r/{key.token}")  # a phone, no session
    assert form.status_code == 200, form.headers.get("Location")
    assert "気づいたこと" in form.get_data(as_text=True)
    # Printing again keeps the same key (one per member).
    again = back_of_first_card(client, office, tmp_path)
    assert sorted(decode(again, tmp_path, "again")) == sorted([verify, report])
    assert db.session.scalar(select(db.func.count()).select_from(ReportingKey)) == 1


def test_the_token_is_long_random_and_hashed(app, office):
    key = keys.ensure_key(db.session, office["member"])
    db.session.commit()
    assert len(key.token) >= 22 and key.token_hash != key.token
    assert keys.ensure_key(db.session, office["member"]).id == key.id
    assert keys.report_url(key.token) == f"http://trainer.test/r/{key.token}"
    for wrong in ("", "x", key.token[:-1], key.token + "x", "a" * 5000, key.token_hash):
        assert keys.member_by_report_token(db.session, wrong) is None, wrong


def test_rotation_replaces_the_token_and_is_audited(app, office):
    member = office["member"]
    old = keys.ensure_key(db.session, member).token
    db.session.commit()
    new = keys.rotate_key(db.session, member=member, actor=office["user"]).token
    assert new != old
    assert keys.member_by_report_token(db.session, old) is None
    assert keys.member_by_report_token(db.session, new) == member
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concern.key_rotate"))
    assert event.target_id == member.id and event.actor_user_id == office["user"].id


def test_ended_and_unconfirmed_members_cannot_report(app, office, make_member):
    member = office["member"]
    token = keys.ensure_key(db.session, member).token
    db.session.commit()
    roster.end_membership(
        db.session, member=member, end_date=today_jst(), reason="退職", actor=None
    )
    assert keys.member_by_report_token(db.session, token) is None
    walk_in = make_member(office["network"], name="飛び入り 一郎")
    walk_in.needs_review = True
    db.session.commit()
    assert keys.badge_report_urls(db.session, [walk_in]) == {}
    assert (
        db.session.scalar(select(ReportingKey).where(ReportingKey.member_id == walk_in.id)) is None
    )
    walk_key = keys.ensure_key(db.session, walk_in)
    db.session.commit()
    assert keys.member_by_report_token(db.session, walk_key.token) is None


def test_the_secretariat_rotates_from_the_member_page(client, office, tmp_path, dpi300):
    member = office["member"]
    page_url = f"/n/{office['network'].id}/members/{member.id}"
    assert "まだ作られていません" in client.get(page_url).get_data(as_text=True)
    back_of_first_card(client, office, tmp_path)  # printing makes the key
    old = db.session.scalar(select(ReportingKey)).token
    page = client.get(page_url).get_data(as_text=True)
    assert "報告用QRコードを作り直す" in page
    assert (
        "前の構成員証の報告用QRコードは使えなくなります。構成員証を印刷し直してください。" in page
    )

    # The first press asks in words; nothing changes yet.
    ask = client.post(office["rotate"])
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "まだ作り直していません" in html
    assert 'name="confirmed" type="hidden" value="1"' in html or 'value="1"' in html
    assert db.session.scalar(select(ReportingKey)).token == old

    done = client.post(office["rotate"], data={"confirmed": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(page_url)
    new = db.session.scalar(select(ReportingKey)).token
    assert new != old
    assert keys.member_by_report_token(db.session, old) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concern.key_rotate"))

    # The badge printed after rotation carries the new token.
    card = back_of_first_card(client, office, tmp_path)
    assert f"http://trainer.test/r/{new}" in decode(card, tmp_path, "after")
    assert f"http://trainer.test/r/{old}" not in decode(card, tmp_path, "after2")


def test_only_the_secretariat_rotates(client, office, make_user, login):
    trainer = make_user(office["network"], Role.TRAINER)
    login(client, trainer)
    assert client.post(office["rotate"], data={"confirmed": "1"}).status_code == 403
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concern.key_rotate"))
        is None
    )


def test_another_networks_member_is_404(client, office, make_network, make_member):
    other = make_member(make_network())
    url = f"/n/{office['network'].id}/members/{other.id}/reporting-key/rotate"
    assert client.post(url, data={"confirmed": "1"}).status_code == 404


def test_a_card_without_report_url_leaves_the_square_empty(tmp_path, dpi300):
    x, y, side = BADGE_BACK_FREE_AREA
    page = render_page(badge_sheet_pdf([CERT]), 2, tmp_path)
    left, top = 14.0 + CARD_W, 11.0
    area = page.crop((px(left + x), px(top + y), px(left + x + side), px(top + y + side)))
    assert area.getextrema() == (255, 255)


def test_the_report_code_and_caption_stay_in_their_place(tmp_path):
    """The code's quiet zone is inside the square, the caption under it and inside the card's
    margin, clear of the first code and its caption."""
    import subprocess

    from tests.tools import need

    card = replace(CERT, report_url="https://mimamori.city.example.lg.jp/r/" + "A" * 22)
    source = tmp_path / "card.pdf"
    source.write_bytes(badge_sheet_pdf([card]))
    html = subprocess.run(
        [need("pdftotext"), "-bbox", "-f", "2", "-l", "2", str(source), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    mm = 25.4 / 72
    left, top = 14.0 + CARD_W, 11.0
    words = {}
    for line in html.splitlines():
        if line.strip().startswith("<word "):
            box = {
                k: float(line.split(f'{k}="')[1].split('"')[0]) * mm
                for k in ("xMin", "xMax", "yMin", "yMax")
            }
            words[line.split(">")[1].split("<")[0]] = box
    caption = [w for text, w in words.items() if "事務局" in text or "気づいたら" in text]
    assert len(caption) == 2, words.keys()
    x, y, side = BADGE_BACK_FREE_AREA
    for box in caption:
        assert box["yMin"] >= top + y + side and box["yMax"] <= top + CARD_H - 2
        assert box["xMin"] >= left + x - 1 and box["xMax"] <= left + CARD_W - 3
    assert badge_sheet.REPORT_CAPTION == ("気づいたら、", "ここから事務局へ")


def test_an_ended_member_has_no_rotate_button(client, office):
    member = office["member"]
    keys.ensure_key(db.session, member)
    db.session.commit()
    roster.end_membership(db.session, member=member, end_date=today_jst(), reason="", actor=None)
    page = client.get(f"/n/{office['network'].id}/members/{member.id}").get_data(as_text=True)
    assert "退会した構成員の報告用QRコードは使えません" in page
    assert "報告用QRコードを作り直す</button>" not in page
    refused = client.post(office["rotate"], data={"confirmed": "1"})
    assert refused.status_code == 302
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concern.key_rotate"))
        is None
    )
