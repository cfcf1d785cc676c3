"""The workshop test page's questions, each rendered once per process for each way it can look.

When the trainer starts a test, a whole hall loads the same 21 questions within a few seconds;
rendering them (the choice macro, escaping every text) was most of the page's time. A question
looks the same for everyone who sees its choices in the same order with the same saved answer
and the same local facts (the consumer centre's number, …), so that rendering is kept and
reused. Question versions never change (a changed question is a new row), so the question's row
id stands for its text; the network's facts are part of the key, so an edit shows at once.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from flask import get_template_attribute
from markupsafe import Markup
from sqlalchemy.engine import Engine

from trainer.content.placeholders import fill_text
from trainer.database import Session
from trainer.quizzes.models import Attempt
from trainer.quizzes.questions import answers_by_question, cached_question

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


def test_items(
    session: Session, attempt: Attempt, facts: dict[str, str | None]
) -> list[dict[str, Any]]:
    """The test's questions in the attempt's order, each with its fields drawn (or reused) as
    this phone shows them: its choice order and what it saved."""
    saved = answers_by_question(session, attempt)
    fields = get_template_attribute("_macros.html", "question_fields")
    local = functools.partial(fill_text, values=facts)
    items = []
    for n, question_id in enumerate(attempt.question_ids, start=1):
        question = cached_question(session, question_id)
        order = attempt.choice_order.get(str(question_id), [])
        value = saved[question_id].value if question_id in saved else None
        html = question_html(
            session,
            question_id=question_id,
            order=order,
            saved=value,
            facts=facts,
            render=functools.partial(
                fields, question, order, value, local, prefix=f"q{question_id}-", required=False
            ),
        )
        items.append({"n": n, "question": question, "html": html})
    return items
