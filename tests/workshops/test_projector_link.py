"""The projector link: the projector on the venue's PC without signing in, its token, its end,
a new link, and the one rendering per second that every screen is served from."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from tests.workshops.helpers import (
    a_second_passes,
    answer_test,
    join,
    move_to,
    phone,
    projector_link,
)
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.timeutil import today_jst
from trainer.workshops.live_cache import LiveFragment, LiveFragmentCache
from trainer.workshops.models import Workshop


def test_the_link_opens_the_projector_without_signing_in(app, client, login, room):
    login(client, room.trainer)
    link = projector_link(client, room)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "pre")
    answer_test(p, room, "pre", right=True)

    venue = app.test_client()  # nobody signed in
    page = venue.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "見守り研修会" in html and "1</span> / 1人 提出" in html
    assert f'data-live-url="{link}/live"' in html
    assert "花子" not in html  # counts only, no names
    live = venue.get(f"{link}/live")
    assert live.status_code == 200 and live.headers["Cache-Control"] == "no-store"
    assert "問1：事前 100%（1人）" in live.get_data(as_text=True)


def test_a_wrong_or_another_workshops_token_is_not_found(app, client, login, room):
    login(client, room.trainer)
    link = projector_link(client, room)
    _, _, workshop_id, token = link.split("/")
    other = Workshop(
        network_id=room.network.id,
        course_id=room.course.id,
        title="別の研修会",
        held_on=today_jst(),
        join_code="KXM4PRZ",
    )
    db.session.add(other)
    db.session.commit()
    venue = app.test_client()
    for path in (
        f"/projector/{workshop_id}/{token[:-1]}A",
        f"/projector/{workshop_id}/x",
        f"/projector/{other.id}/{token}",  # the token names its workshop
        f"/projector/999999/{token}",
    ):
        for url in (path, f"{path}/live"):
            response = venue.get(url)
            assert response.status_code == 404, url
    assert "ページが見つかりません" in venue.get(f"/projector/{other.id}/{token}").get_data(
        as_text=True
    )


def test_a_new_link_ends_the_old_one_and_is_audited(app, client, login, room):
    login(client, room.trainer)
    old = projector_link(client, room)
    venue = app.test_client()
    assert venue.get(f"{old}/live").status_code == 200  # now in the cache, too
    response = client.post(f"{room.base}/projector-link", follow_redirects=True)
    assert "プロジェクター用リンクを新しくしました" in response.get_data(as_text=True)
    new = projector_link(client, room)
    assert new != old
    a_second_passes()
    assert venue.get(old).status_code == 404
    assert venue.get(f"{old}/live").status_code == 404
    assert venue.get(new).status_code == 200
    assert venue.get(f"{new}/live").status_code == 200
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "workshop.projector_link")
    )
    assert event is not None and event.target_id == room.workshop.id


def test_the_link_works_until_the_day_after_the_workshop(app, client, login, room):
    login(client, room.trainer)
    link = projector_link(client, room)
    page = client.get(room.base).get_data(as_text=True)
    tomorrow = today_jst() + timedelta(days=1)
    assert f"研修会の翌日（{tomorrow.month}月{tomorrow.day}日）まで使えます" in page
    venue = app.test_client()
    workshop = db.session.get(Workshop, room.workshop.id)
    workshop.held_on = today_jst() - timedelta(days=1)  # yesterday's workshop: still works
    db.session.commit()
    assert venue.get(link).status_code == 200
    workshop.held_on = today_jst() - timedelta(days=2)
    db.session.commit()
    a_second_passes()
    expired = venue.get(link)
    assert expired.status_code == 410
    assert "期限が切れました" in expired.get_data(as_text=True)
    assert venue.get(f"{link}/live").status_code == 410


def test_a_phase_change_shows_once_the_cached_rendering_expires(app, client, login, room):
    login(client, room.trainer)
    link = projector_link(client, room)
    venue = app.test_client()
    assert "受付" in venue.get(f"{link}/live").get_data(as_text=True)
    move_to(client, room, "pre")
    a_second_passes()
    again = venue.get(f"{link}/live").get_data(as_text=True)
    assert "事前テスト" in again and "参加コード" not in again


def test_one_rendering_serves_every_screen_for_its_seconds():
    now = [100.0]
    cache = LiveFragmentCache(1.0, clock=lambda: now[0])
    renders = []

    def render(text: str):
        def make() -> LiveFragment:
            renders.append(text)
            return LiveFragment(text, "pre", 1, date(2026, 11, 23))

        return make

    assert cache.fetch(7, render("a")).html == "a"
    now[0] += 0.5
    assert cache.fetch(7, render("b")).html == "a"  # fresh: not rendered again
    assert cache.fetch(8, render("c")).html == "c"  # another workshop has its own
    assert cache.fetch(7, render("d"), usable=lambda f: f.phase == "post").html == "d"
    now[0] += 1.01
    assert cache.get(7) is None  # expired
    assert cache.fetch(7, render("e")).html == "e"
    assert renders == ["a", "c", "d", "e"]
    off = LiveFragmentCache(0)
    assert off.fetch(7, render("f")).html == "f" and off.fetch(7, render("g")).html == "g"
