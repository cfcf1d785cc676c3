"""Reminders 90 and 30 days before a certificate's last valid day, each once, with a fake
clock; none for revoked, superseded, renewed or pending certificates or ended memberships; and
the banner on the personal page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.quizzes.helpers import load_repository_content
from tests.refresher.helpers import certificate_until
from trainer.certificates.models import CertificateSupersession
from trainer.extensions import db
from trainer.mail.models import OutgoingMail
from trainer.refresher import reminders
from trainer.refresher.models import CertificateReminder
from trainer.timeutil import jdate, today_jst, utcnow

LAST = date(2027, 6, 30)  # every certificate's last valid day in these tests


@pytest.fixture
def network(app, make_network):
    load_repository_content()
    return make_network(name="みどり市見守りネットワーク")


def mails() -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.kind == reminders.KIND)
            .order_by(OutgoingMail.id)
        )
    )


def day(before: int) -> date:
    return LAST - timedelta(days=before)


def test_reminders_at_90_and_30_days_each_once(network, make_member):
    with_mail = make_member(network, name="佐藤 恵子")
    with_mail.email = "keiko@example.jp"
    without = make_member(network, name="鈴木 一郎")
    db.session.commit()
    first = certificate_until(with_mail, LAST)
    certificate_until(without, LAST)

    counts = [
        reminders.send_due_reminders(db.session, day(b))
        for b in (120, 91, 90, 90, 89, 60, 31, 30, 30, 29, 1, 0, -1)
    ]
    assert counts == [0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0]
    rows = db.session.scalars(select(CertificateReminder).order_by(CertificateReminder.id)).all()
    assert [(r.threshold, r.due_on) for r in rows] == [
        (90, day(90)),
        (90, day(90)),
        (30, day(30)),
        (30, day(30)),
    ]
    # Mail only where there is an address; the rows are recorded either way.
    sent_mail = mails()
    assert [m.to_address for m in sent_mail] == ["keiko@example.jp"] * 2
    no_address = [r.mail_id for r in rows if r.certificate_id != first.id]
    assert no_address == [None, None]
    assert sent_mail[0].subject_id == first.id
    assert sent_mail[0].sender_name == "みどり市見守りネットワーク"
    assert sent_mail[0].subject == (
        "【みどり市見守りネットワーク】修了証の有効期限が近づいています（2027年6月30日まで）"
    )
    body = sent_mail[0].body
    assert "佐藤 恵子 様" in body
    assert f"修了証（{first.serial_label}）の有効期限は2027年6月30日です（あと90日）。" in body
    assert "更新研修（約" in body and "/learn/mimamori-basic/refresher" in body
    assert "（あと30日）" in sent_mail[1].body


def test_a_job_that_missed_the_90th_day_sends_only_the_30_day_one(network, make_member):
    certificate_until(make_member(network), LAST)
    assert reminders.send_due_reminders(db.session, day(25)) == 1
    assert reminders.send_due_reminders(db.session, day(24)) == 0
    assert db.session.scalars(select(CertificateReminder.threshold)).all() == [30]


def test_no_reminder_for_revoked_ended_renewed_superseded_or_pending(network, make_member):
    revoked = certificate_until(make_member(network), LAST)
    revoked.revoked_at = utcnow()
    ended = make_member(network)
    certificate_until(ended, LAST)
    ended.membership_end = day(100)
    renewed = make_member(network)
    certificate_until(renewed, LAST)
    again = certificate_until(renewed, LAST + timedelta(days=730))  # passed the post-test again
    superseded = make_member(network)
    old = certificate_until(superseded, LAST)
    new = certificate_until(superseded, LAST + timedelta(days=730))
    db.session.add(CertificateSupersession(old_certificate_id=old.id, new_certificate_id=new.id))
    pending = certificate_until(make_member(network), LAST)
    pending.awaiting_confirmation = True
    db.session.commit()
    for before in (90, 30):
        assert reminders.send_due_reminders(db.session, day(before)) == 0
    # The newer certificates are reminded of in their own time.
    assert reminders.send_due_reminders(db.session, day(90) + timedelta(days=730)) == 2
    reminded = db.session.scalars(select(CertificateReminder.certificate_id)).all()
    assert sorted(reminded) == sorted([again.id, new.id])
    assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_threshold_rule():
    assert reminders.threshold_on(LAST, day(91)) is None
    assert reminders.threshold_on(LAST, day(90)) == 90
    assert reminders.threshold_on(LAST, day(31)) == 90
    assert reminders.threshold_on(LAST, day(30)) == 30
    assert reminders.threshold_on(LAST, day(0)) == 30
    assert reminders.threshold_on(LAST, day(-1)) is None


def test_the_banner_from_90_days_before(client, network, make_member):
    member = make_member(network)
    certificate = certificate_until(member, today_jst() + timedelta(days=91))
    client.get(f"/m/{member.link_token}")
    assert "更新研修を始める" not in client.get("/learn").get_data(as_text=True)

    certificate.valid_until = today_jst() + timedelta(days=90)
    db.session.commit()
    page = client.get("/learn").get_data(as_text=True)
    minutes = reminders.banners(db.session, member, today_jst())[0].minutes
    assert minutes >= 10
    expected = (
        f"修了証の有効期限は{jdate(certificate.valid_until)}です。"
        f"更新研修（約{minutes}分）を受けてください"
    )
    assert expected in page
    assert 'href="/learn/mimamori-basic/refresher"' in page


def test_an_expired_certificate_still_shows_the_refresher(client, network, make_member):
    member = make_member(network)
    certificate = certificate_until(member, today_jst() - timedelta(days=10))
    client.get(f"/m/{member.link_token}")
    page = client.get("/learn").get_data(as_text=True)
    last = jdate(certificate.valid_until + timedelta(days=365))
    assert f"修了証の有効期限（{jdate(certificate.valid_until)}）が過ぎました。{last}までは" in page
    certificate.valid_until = today_jst() - timedelta(days=366)
    db.session.commit()
    assert "更新研修を始める" not in client.get("/learn").get_data(as_text=True)
