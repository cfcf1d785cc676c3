"""Who a bulletin reaches, and what publishing queues: exactly one mail per current audience
member with an address who has not stopped them, each with its own stop link; scheduled ones
published by publish_due at a given time, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.bulletins.helpers import mails_of, publish, with_address, write
from trainer.accounts import roster
from trainer.accounts.models import Member
from trainer.audit.models import AuditEvent
from trainer.bulletins import audience, mail_stop, publishing
from trainer.bulletins.models import Bulletin
from trainer.errors import Conflict, DomainError
from trainer.extensions import db
from trainer.mail import outbox
from trainer.timeutil import today_jst, utcnow


@pytest.fixture
def world(app, make_network, make_org, make_member):
    """A network with a bank, a care office and a post office; members with addresses, one
    without, one ended, one awaiting review; and a second network."""
    network = make_network(name="みどり市見守りネットワーク")
    bank = make_org(network, name="みどり信用金庫", kind="financial")
    care = make_org(network, name="ケアプランみどり", kind="care_management")
    post = make_org(network, name="みどり郵便局", kind="post_office")
    people = {
        "bank1": with_address(make_member(network, bank, name="金融 一郎")),
        "bank2": with_address(make_member(network, bank, name="金融 二郎")),
        "care1": with_address(make_member(network, care, name="介護 花子")),
        "care_no_mail": make_member(network, care, name="介護 無線"),
        "post1": with_address(make_member(network, post, name="郵便 太郎")),
        "ended": with_address(make_member(network, post, name="退会 済子")),
        "review": with_address(make_member(network, post, name="確認 待子")),
    }
    roster.end_membership(
        db.session, member=people["ended"], end_date=today_jst(), reason="異動", actor=None
    )
    people["review"].needs_review = True
    db.session.commit()
    other = make_network(name="となり町ネットワーク")
    with_address(make_member(other, make_org(other, kind="financial"), name="他町 一郎"))
    return {"network": network, "bank": bank, "care": care, "post": post, "other": other, **people}


def addresses(bulletin):
    return sorted(mail.to_address for mail in mails_of(bulletin))


def test_everyone_means_current_members_with_an_address(world):
    bulletin = write(world["network"])
    assert audience.size(db.session, bulletin, today_jst()) == 5  # not ended, not in review
    assert audience.mail_recipient_count(db.session, bulletin, today_jst()) == 4
    assert publish(bulletin) == 4
    expected = sorted(world[k].email for k in ("bank1", "bank2", "care1", "post1"))
    assert addresses(bulletin) == expected


def test_organisation_kinds(world):
    bulletin = write(world["network"], mode=audience.KINDS, kinds=["financial", "post_office"])
    assert audience.size(db.session, bulletin, today_jst()) == 3
    publish(bulletin)
    assert addresses(bulletin) == sorted(world[k].email for k in ("bank1", "bank2", "post1"))


def test_chosen_organisations(world):
    bulletin = write(
        world["network"], mode=audience.ORGANISATIONS, organisations=[world["care"].id]
    )
    publish(bulletin)
    assert addresses(bulletin) == [world["care1"].email]
    assert bulletin.audience_organisation_ids == [world["care"].id]


def test_another_networks_organisation_is_refused_and_nothing_is_stored(world):
    foreign = world["other"].organisations[0]
    with pytest.raises(DomainError) as error:
        write(world["network"], mode=audience.ORGANISATIONS, organisations=[foreign.id])
    assert error.value.message == "構成団体を一覧から選んでください。"
    db.session.rollback()
    assert db.session.scalar(select(Bulletin.id)) is None
    with pytest.raises(DomainError, match="種別を1つ以上"):
        write(world["network"], mode=audience.KINDS, kinds=[])
    with pytest.raises(DomainError, match="一覧から"):
        write(world["network"], mode=audience.KINDS, kinds=["nonsense"])


def test_each_mail_has_its_own_stop_link_and_no_personal_link(app, world):
    bulletin = write(world["network"], kind="warning", title="還付金詐欺の電話が増えています")
    publish(bulletin)
    mails = mails_of(bulletin)
    assert len({m.list_unsubscribe for m in mails}) == len(mails) == 4
    for mail in mails:
        member = db.session.scalar(select(Member).where(Member.email == mail.to_address))
        assert mail.list_unsubscribe.startswith("http://trainer.test/bulletins/stop/")
        assert (
            mail_stop.member_of_token(db.session, mail.list_unsubscribe.rsplit("/", 1)[1]).id
            == member.id
        )
        assert mail.list_unsubscribe in mail.body
        assert member.link_token not in mail.body and member.link_verifier not in mail.body
        assert mail.subject == "【注意喚起】還付金詐欺の電話が増えています"
        assert mail.sender_name == "みどり市見守りネットワーク"
        assert (mail.kind, mail.network_id) == ("bulletin", world["network"].id)
        assert f"http://trainer.test/me/bulletins/{bulletin.id}" in mail.body
        assert "点検商法" in mail.body  # the body, as plain text


def test_a_stopped_member_gets_no_mail(world):
    mail_stop.stop(db.session, world["bank1"])
    bulletin = write(world["network"], mode=audience.KINDS, kinds=["financial"])
    assert publish(bulletin) == 1
    assert addresses(bulletin) == [world["bank2"].email]


def test_publishing_twice_is_refused_and_queues_nothing_more(world):
    bulletin = write(world["network"])
    publish(bulletin)
    with pytest.raises(Conflict):
        publish(bulletin)
    assert len(mails_of(bulletin)) == 4
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "bulletin")
    ).all()
    assert events == ["bulletin.create", "bulletin.publish"]


def test_scheduled_bulletins_are_published_when_due_once(world):
    now = utcnow()
    soon = write(world["network"], title="予約1")
    later = write(world["network"], title="予約2")
    publishing.schedule(
        db.session, bulletin=soon, publish_at=now + timedelta(hours=1), actor=None, now=now
    )
    publishing.schedule(
        db.session, bulletin=later, publish_at=now + timedelta(days=2), actor=None, now=now
    )
    assert publishing.publish_due(db.session, now) == 0
    assert mails_of(soon) == []
    assert publishing.publish_due(db.session, now + timedelta(hours=1)) == 1
    db.session.refresh(soon)
    assert soon.published_at == now + timedelta(hours=1)
    assert len(mails_of(soon)) == 4
    assert publishing.publish_due(db.session, now + timedelta(hours=2)) == 0  # idempotent
    assert len(mails_of(soon)) == 4 and mails_of(later) == []
    assert publishing.publish_due(db.session, now + timedelta(days=3)) == 1
    assert len(mails_of(later)) == 4


def test_a_cancelled_schedule_is_not_published(world):
    now = utcnow()
    bulletin = write(world["network"])
    publishing.schedule(
        db.session, bulletin=bulletin, publish_at=now + timedelta(hours=1), actor=None, now=now
    )
    publishing.cancel_schedule(db.session, bulletin=bulletin, actor=None)
    assert publishing.publish_due(db.session, now + timedelta(days=1)) == 0
    assert bulletin.published_at is None and mails_of(bulletin) == []
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["bulletin.schedule", "bulletin.schedule_cancel"]


def test_a_time_in_the_past_is_refused(world):
    now = utcnow()
    bulletin = write(world["network"])
    for when, message in (
        (now - timedelta(minutes=1), "今より後"),
        (now + timedelta(days=400), "1年以内"),
        (None, "2026-12-05 09:00"),
    ):
        with pytest.raises(DomainError, match=message):
            publishing.schedule(db.session, bulletin=bulletin, publish_at=when, actor=None, now=now)
    db.session.rollback()
    assert db.session.get(Bulletin, bulletin.id).publish_at is None


def test_japan_time_is_stored_as_utc():
    assert publishing.parse_jst("2026-12-05T09:00") == publishing.parse_jst("2026/12/05 09:00")
    assert str(publishing.parse_jst("2026-12-05T09:00")) == "2026-12-05 00:00:00"
    assert publishing.parse_jst("2026-13-05T09:00") is None
    assert publishing.parse_jst("明日") is None
    assert publishing.parse_jst("9999-12-05T09:00") is None


def test_the_mail_counts_follow_the_outbox(world):
    bulletin = write(world["network"])
    publish(bulletin)
    first = mails_of(bulletin)[0]
    first.status = "sent"
    db.session.commit()
    assert publishing.mail_counts(db.session, bulletin.id) == {"queued": 3, "sent": 1, "failed": 0}
    assert outbox.counts_by_status(db.session)["queued"] == 3


def test_a_member_who_starts_later_is_in_the_audience(world, make_member):
    future = with_address(
        make_member(world["network"], world["bank"], start=today_jst() + timedelta(days=10))
    )
    bulletin = write(world["network"], mode=audience.KINDS, kinds=["financial"])
    publish(bulletin)
    assert future.email in addresses(bulletin)
