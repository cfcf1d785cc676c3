"""Facts kept beside Flask-Limiter's counts, in the same storage (each worker's memory, or Redis
shared by every worker and host), for the limits that must tell who is who.

Flask-Limiter's decorators count and refuse; what they cannot do alone is let a request through
an exhausted bucket because of something learnt earlier. The join code needs that: a hall full
of phones behind one address (NAT) must not be refused the room's code after typos, while a
guesser who exhausted the same bucket must learn nothing (workshops/views/join.py).
"""

from __future__ import annotations

from flask import current_app
from limits import RateLimitItem, parse

from trainer.extensions import limiter

# A mark is a counter of one: present until its window ends.
_MARK = parse("1 per 1 day")


def _enabled() -> bool:
    return bool(limiter.enabled and limiter.initialized)


def _identifiers(scope: str, identity: tuple[str, ...]) -> list[str]:
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX") or "")
    return [part for part in (prefix, "mark", scope, *identity) if part]


def remembered(scope: str, *identity: str, mark: RateLimitItem = _MARK) -> bool:
    """Whether remember(scope, *identity) was called within the mark's window (a day)."""
    if not _enabled():
        return False
    try:
        return not limiter.limiter.test(mark, *_identifiers(scope, identity))
    except Exception:  # storage down: nothing is known, the ordinary limits apply
        current_app.logger.warning("回数制限の記録を読めませんでした (%s)", scope)
        return False


def remember(scope: str, *identity: str, mark: RateLimitItem = _MARK) -> None:
    """Mark scope/identity for a day (limits' key expires then: nothing to clean up)."""
    if not _enabled():
        return
    try:
        limiter.limiter.hit(mark, *_identifiers(scope, identity))
    except Exception:  # storage down: the mark is simply not kept
        current_app.logger.warning("回数制限の記録を書けませんでした (%s)", scope)
