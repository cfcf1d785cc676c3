"""What a joined phone polls every 3 seconds (/join/<code>/state), answered without the database
or the session cookie for as long as a second-old answer is good enough.

In a hall of 1,000 phones the poll is a third of all requests (333 a second), so each must cost
next to nothing. Three things make it cheap:

- The phase comes from a per-process cache, read from the database at most once a second per
  workshop (PHASE_POLL_CACHE_SECONDS). The workshop's row stays the truth: every process, on
  every host, reads it again within the second, and the trainer's own process forgets its copy
  as soon as the phase changes (forget()). Phones poll every 3 s, so one second more is not seen.
- The phone proves that it joined with a seat token in the URL, an HMAC of the workshop and the
  participant under the app's secret key, made when its page was rendered: checking it needs no
  session cookie (whose decoding and re-signing was a third of the request), and a guesser who
  has the join code but no seat still gets the same 404 as for an unknown code.
- The answer carries the phase as its ETag: the browser asks again with If-None-Match and gets
  304 Not Modified until the phase changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import func, select

from trainer.database import Session
from trainer.workshops import codes
from trainer.workshops.models import Participant, Phase, Workshop

# Workshops whose phase one process keeps at a time: far more than run at once.
MAX_WORKSHOPS = 1024
# A join code's unknown answer is kept too, so that a poll for a deleted workshop or a typo
# does not reach the database every time; it is the same None as any other unknown code.
_UNKNOWN = "unknown"


@dataclass(frozen=True)
class PhaseState:
    workshop_id: int
    join_code: str
    phase: str
    label: str
    spread_ms: int

    @property
    def etag(self) -> str:
        return f'"{self.phase}"'

    def as_json(self) -> dict[str, object]:
        return {"phase": self.phase, "label": self.label, "spread_ms": self.spread_ms}


def reload_spread_ms(joined: int) -> int:
    """How long phones should spread their page loads after a phase change: nothing to speak of
    for 20 people, 6 seconds for 300, so that a whole room does not land in the same second."""
    return min(8000, 20 * joined)


def read_state(session: Session, code: str) -> PhaseState | None:
    """The workshop's phase and room size as the database has them now (one query)."""
    code = codes.normalise(code)
    if not codes.is_well_formed(code):
        return None
    joined = (
        select(func.count())
        .select_from(Participant)
        .where(Participant.workshop_id == Workshop.id)
        .scalar_subquery()
    )
    row = session.execute(
        select(Workshop.id, Workshop.join_code, Workshop.phase, joined).where(
            Workshop.join_code == code
        )
    ).first()
    if row is None:
        return None
    workshop_id, join_code, phase, count = row
    return PhaseState(workshop_id, join_code, phase, Phase(phase).label, reload_spread_ms(count))


class PhaseCache:
    """One process's phases by join code, each kept for `seconds` (0: always read)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._entries: TTLCache[str, PhaseState | str] = TTLCache(
            maxsize=MAX_WORKSHOPS, ttl=max(seconds, 0.001), timer=clock
        )
        self._lock = threading.Lock()

    def get(self, session: Session, code: str) -> PhaseState | None:
        code = codes.normalise(code)
        if self.seconds > 0:
            with self._lock:
                cached = self._entries.get(code)
            if cached is not None:
                return cached if isinstance(cached, PhaseState) else None
        state = read_state(session, code)
        if self.seconds > 0:
            with self._lock:
                self._entries[code] = state if state is not None else _UNKNOWN
        return state

    def forget(self, code: str) -> None:
        with self._lock:
            self._entries.pop(codes.normalise(code), None)


def phase_cache() -> PhaseCache:
    """This process's cache, made on first use with the app's setting (the same freshness as
    the projector's counts: PROJECTOR_CACHE_SECONDS)."""
    cache = current_app.extensions.get("trainer.phase_cache")
    if cache is None:
        seconds = current_app.config["PROJECTOR_CACHE_SECONDS"]
        cache = current_app.extensions.setdefault("trainer.phase_cache", PhaseCache(seconds))
    return cache


def seated_state(
    session: Session,
    code: str,
    *,
    seat: str | None,
    key: str,
    in_session: Callable[[int], bool],
) -> PhaseState | None:
    """The workshop's phase if the asking phone has a seat in it, else None (whatever the
    reason): with a seat token, the token decides; without one (a page from before seat
    tokens), the phone's session."""
    polled = phase_cache().get(session, code)
    if polled is None:
        return None
    if seat is not None:
        joined = seat_is_valid(key, polled.workshop_id, seat)
    else:
        joined = in_session(polled.workshop_id)
    return polled if joined else None


# --- the seat token --------------------------------------------------------------------------


# The poll's path; with a seat token in its query string it needs no session (core/sessions.py).
POLL_PATH = re.compile(r"/join/[^/]+/state")


def is_seat_poll(path: str, args: Mapping[str, str]) -> bool:
    return "seat" in args and POLL_PATH.fullmatch(path) is not None


def _mac(secret_key: str | bytes, workshop_id: int, participant_id: int) -> str:
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    message = f"mimamori.phase-poll:{workshop_id}:{participant_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def seat_token(secret_key: str | bytes, workshop_id: int, participant_id: int) -> str:
    """The token a seat's page puts in its poll URL: the participant and a MAC over both ids.
    It lets the phone read its workshop's phase and nothing else."""
    return f"{participant_id}.{_mac(secret_key, workshop_id, participant_id)}"


def seat_is_valid(secret_key: str | bytes, workshop_id: int, token: str) -> bool:
    participant, _, mac = token.partition(".")
    if not participant.isdigit() or len(participant) > 12 or not mac:
        return False
    return hmac.compare_digest(mac, _mac(secret_key, workshop_id, int(participant)))
