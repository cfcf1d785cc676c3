"""The secretariat's refresher list: counts per organisation equal to a plain count, the
organisation filter, the QR slips of the chosen members (links not replaced, logged)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.quizzes.helpers import load_repository_content
from tests.refresher.helpers import certificate_until
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.certificates.models import Certificate, CertificateSupersession
from trainer.extensions import db
from trainer.refresher import due
from trainer.timeutil import today_jst, utcnow


@pytest.fixture
def world(app, make_network, make_org, make_member, make_user):
    load_repository_content()
    network = make_network()
    today = today_jst()
    north, south = make_org(network, "北ケアプラン"), make_org(network, "南信用金庫")
    offsets = {north: [5, 30, 89, 90, 91, 400, -1, -365, -366], south: [60, -100, 200]}
    for org, days in offsets.items():
        for n, offset in enumerate(days):
            certificate_until(
                make_member(network, org, name=f"{org.name}{n}"), today + timedelta(days=offset)
            )
    # Not due: revoked, ended, superseded (its renewal lasts), pending.
    revoked = certificate_until(make_member(network, north), today + timedelta(days=10))
    revoked.revoked_at = utcnow()
    ended = make_member(network, north)
    certificate_until(ended, today + timedelta(days=10))
    ended.membership_end = today
    renewed = make_member(network, south)
    old = certificate_until(renewed, today + timedelta(days=10))
    new = certificate_until(renewed, today + timedelta(days=740))
    db.session.add(CertificateSupersession(old_certificate_id=old.id, new_certificate_id=new.id))
    pending = certificate_until(make_member(network, south), today + timedelta(days=10))
    pending.awaiting_confirmation = True
    db.session.commit()
    other = make_network()
    certificate_until(make_member(other), today + timedelta(days=10))
    return {
        "network": network,
        "north": north,
        "south": south,
        "secretariat": make_user(network, Role.SECRETARIAT),
        "trainer": make_user(network, Role.TRAINER),
    }


def plain_counts(network_id: int) -> dict[str, tuple[int, int]]:
    """Counted in Python from every certificate, with the rules written out."""
    today = today_jst()
    every = db.session.scalars(select(Certificate)).all()
    superseded = set(db.session.scalars(select(CertificateSupersession.old_certificate_id)))
    found: dict[str, list[int]] = {}
    for c in every:
        settled = c.revoked_at is None and not c.awaiting_confirmation
        if c.network_id != network_id or not settled or c.id in superseded:
            continue
        if not c.member.is_active_on(today):
            continue
        if not -365 <= (c.valid_until - today).days <= 90:
            continue
        row = found.setdefault(c.member.organisation.name, [0, 0])
        row[1 if c.valid_until < today else 0] += 1
    return {name: (a, b) for name, (a, b) in found.items()}


def test_counts_equal_a_plain_count(world):
    counted = due.counts(db.session, network_id=world["network"].id, today=today_jst())
    assert {c.organisation.name: (c.due, c.expired) for c in counted} == plain_counts(
        world["network"].id
    )
    assert {c.organisation.name: (c.due, c.expired) for c in counted} == {
        "北ケアプラン": (4, 2),  # 5, 30, 89, 90 days left; 1 and 365 days past
        "南信用金庫": (1, 1),
    }


def test_the_page_and_its_filter(world, client, login):
    login(client, world["secretariat"])
    base = f"/n/{world['network'].id}/refresher/"
    page = client.get(base).get_data(as_text=True)
    assert "更新研修の対象" in page and "すべての構成団体：8件" in page
    page = client.get(f"{base}?organisation={world['south'].id}").get_data(as_text=True)
    assert "南信用金庫：2件" in page and "北ケアプラン0" not in page
    login(client, world["trainer"])
    assert client.get(base).status_code == 403


def test_slips_for_the_chosen_members(world, client, login):
    login(client, world["secretariat"])
    chosen = due.due_certificates(
        db.session,
        network_id=world["network"].id,
        today=today_jst(),
        organisation_id=world["north"].id,
    )[:3]
    selectors = {c.member_id: c.member.link_selector for c in chosen}
    response = client.post(
        f"/n/{world['network'].id}/refresher/sheet.pdf",
        data={"organisation": world["north"].id, "member": [c.member_id for c in chosen]},
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(
        PdfReader(io.BytesIO(response.data)).pages[0].extract_text().replace("\x00", "").split()
    )
    for c in chosen:
        assert "".join(c.member.name.split()) in text
    assert "更新研修" in text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "refresher.link_sheet"))
    assert event.details["count"] == 3 and event.target_id == world["north"].id
    for c in chosen:  # printed as they are, not replaced
        db.session.refresh(c.member)
        assert c.member.link_selector == selectors[c.member_id]

    everyone = client.post(f"/n/{world['network'].id}/refresher/sheet.pdf", data={})
    assert len(PdfReader(io.BytesIO(everyone.data)).pages) == 1  # 8 members, 8 to a page


def test_no_one_due_is_said_not_failed(world, client, login, make_org):
    login(client, world["secretariat"])
    empty = make_org(world["network"], "だれもいない事業所")
    response = client.post(
        f"/n/{world['network'].id}/refresher/sheet.pdf", data={"organisation": empty.id}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "この条件では、更新研修の対象の構成員はいません。" in page
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "refresher.link_sheet"))
        is None
    )


def test_the_list_is_paged_and_the_pages_make_the_whole_list(world, client, login, app):
    """A network of 100,000 has thousands due: the page shows a page of them, in the list's
    order, with the total from the counts."""
    login(client, world["secretariat"])
    app.config["MEMBERS_PER_PAGE"] = 3
    base = f"/n/{world['network'].id}/refresher/"
    whole = due.due_certificates(db.session, network_id=world["network"].id, today=today_jst())
    shown = []
    for page in (1, 2, 3):
        text = client.get(f"{base}?page={page}").get_data(as_text=True)
        assert "すべての構成団体：8件" in text and f"{page} / 3 ページ" in text
        shown += [int(i) for i in re.findall(r'id="member-(\d+)"', text)]
    assert shown == [c.id for c in whole]
    last = client.get(f"{base}?page=99").get_data(as_text=True)  # past the end: the last page
    assert "3 / 3 ページ" in last
