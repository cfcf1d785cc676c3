"""The phase poll's cache and seat token (workshops/phase_poll.py): the database stays the truth,
read again within the cache's second, and a seat token opens one workshop's phase only."""

from __future__ import annotations

from sqlalchemy import event, update

from tests.workshops.helpers import join, phone
from trainer.extensions import db
from trainer.workshops import phase_poll
from trainer.workshops.models import Workshop


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def set_phase_elsewhere(workshop_id: int, phase: str) -> None:
    """What another worker, or another host, does: the row changes under this process."""
    db.session.execute(update(Workshop).where(Workshop.id == workshop_id).values(phase=phase))
    db.session.commit()


def test_a_phase_changed_by_another_process_is_seen_within_the_second(app, room):
    clock = Clock()
    cache = phase_poll.PhaseCache(1.0, clock=clock)
    assert cache.get(db.session, room.code).phase == "reception"
    set_phase_elsewhere(room.workshop.id, "pre")
    clock.now += 0.5
    assert cache.get(db.session, room.code).phase == "reception"  # kept for its second
    clock.now += 0.6
    fresh = cache.get(db.session, room.code)
    assert fresh.phase == "pre" and fresh.label == "事前テスト"
    # With 0 seconds nothing is kept: every poll reads the row.
    uncached = phase_poll.PhaseCache(0)
    set_phase_elsewhere(room.workshop.id, "training")
    assert uncached.get(db.session, room.code).phase == "training"


def test_a_cached_poll_reads_nothing_from_the_database(app, room):
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    page = p.get(f"/join/{room.code}/me").get_data(as_text=True)
    url = page.split('data-phase-url="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert p.get(url).status_code == 200  # the first poll of the second reads the row
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for _ in range(5):
            assert p.get(url).get_json()["phase"] == "reception"
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []


def test_an_unknown_code_is_remembered_as_unknown(app, room):
    cache = phase_poll.PhaseCache(1.0, clock=Clock())
    assert cache.get(db.session, "ZZZZZZ") is None
    assert cache.get(db.session, "not a code!") is None


def test_a_seat_token_opens_its_own_workshop_only():
    key = "k" * 40
    token = phase_poll.seat_token(key, 7, 42)
    assert phase_poll.seat_is_valid(key, 7, token)
    assert not phase_poll.seat_is_valid(key, 8, token)  # another workshop
    assert not phase_poll.seat_is_valid("another key" * 4, 7, token)
    _participant, mac = token.split(".")
    assert not phase_poll.seat_is_valid(key, 7, f"43.{mac}")  # another seat's id
    for broken in ("", ".", "42", "42.", "x.y", f"{'9' * 13}.{mac}", token + "A"):
        assert not phase_poll.seat_is_valid(key, 7, broken)
