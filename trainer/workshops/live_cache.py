"""The projector's live fragment, rendered at most once per workshop, process and
PROJECTOR_CACHE_SECONDS (1 s by default).

The projector fetches its live part every 2 seconds, on every screen that shows it (the
projector, the trainer's laptop, a second hall), and the fragment is the same for all of them:
counts only, no names. Counting a workshop's answers is most of that request's time, so one
rendering serves every viewer for a second. With the fragment the entry keeps what the request
checks access against (the projector link's version and the workshop's date, projector_link.py)
as read from the database with it: a refresh within the second needs no database at all. A
phase change or new answers show at the next refresh after that.

Each gunicorn worker keeps its own cache; with several workers a workshop is counted at most
once a second per worker, which needs no shared store and no invalidation between hosts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from cachetools import TTLCache

# Workshops whose fragments one process keeps at a time: far more than run at once.
MAX_WORKSHOPS = 512


@dataclass(frozen=True)
class LiveFragment:
    html: str
    phase: str
    projector_version: int
    held_on: date


class LiveFragmentCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._entries: TTLCache[int, LiveFragment] = TTLCache(
            maxsize=MAX_WORKSHOPS, ttl=max(seconds, 0.001), timer=clock
        )
        self._lock = threading.Lock()
        # One rendering at a time per process: rendering holds the GIL anyway, and a thread that
        # waits here then finds the fragment another thread has just rendered.
        self._render_lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, workshop_id: int) -> LiveFragment | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            return self._entries.get(workshop_id)

    def fetch(
        self,
        workshop_id: int,
        render: Callable[[], LiveFragment],
        usable: Callable[[LiveFragment], bool] = lambda _fragment: True,
    ) -> LiveFragment:
        """The cached fragment if it is still fresh and `usable`, else `render`'s, kept."""
        cached = self.get(workshop_id)
        if cached is not None and usable(cached):
            return cached
        with self._render_lock:
            cached = self.get(workshop_id)
            if cached is not None and usable(cached):
                return cached
            fragment = render()
            if self.seconds > 0:
                with self._lock:
                    self._entries[workshop_id] = fragment
            return fragment
