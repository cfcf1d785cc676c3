"""The workshop test page's questions, each rendered once per process for each way it can look.

When the trainer starts a test, a whole hall loads the same 21 questions within a few seconds;
rendering them (the choice macro, escaping every text) was most of the page's time. A question
looks the same for everyone who sees its choices in the same order with the same saved answer
and the same local facts (the consumer centre's number, …), so that rendering is kept and
reused. Question versions never change (a changed question is a new row), so the question's row
id stands for its text; the network's facts are part of the key, so an edit shows at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from markupsafe import Markup
from sqlalchemy.engine import Engine

from trainer.database import Session

# About 2 KB each: at most some 16 MB a process. A course's question with 4 choices has 24
# orders, and a few saved answers are common; far fewer than this are in use at once.
MAX_FRAGMENTS = 8192

_caches: WeakKeyDictionary[Engine, LRUCache[tuple[Any, ...], Markup]] = WeakKeyDictionary()
_lock = threading.Lock()


def _cache(session: Session) -> LRUCache[tuple[Any, ...], Markup]:
    """Per database, as questions.cached_question: the same row id in another database (a test's)
    is another question."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = LRUCache(maxsize=MAX_FRAGMENTS)
        return cache


def question_html(
    session: Session,
    *,
    question_id: int,
    order: Sequence[str],
    saved: Any,
    facts: Mapping[str, str | None],
    render: Callable[[], Markup],
) -> Markup:
    """The question's fields as `render` draws them, from the cache when drawn before."""
    key = (
        question_id,
        tuple(order),
        json.dumps(saved, sort_keys=True, ensure_ascii=False),
        tuple(sorted(facts.items())),
    )
    cache = _cache(session)
    with _lock:
        html = cache.get(key)
    if html is None:
        html = render()
        with _lock:
            cache[key] = html
    return html
