"""What a network's staff are told about questions held back until its local facts are set.

A question whose choices name the network's own consumer centre, police station or
地域包括支援センター is not served while those facts are unset (trainer.quizzes.withheld).
The network's home lists those questions and the missing facts; the 地域の窓口 page marks
the facts questions use, so the secretariat knows which blanks cost questions and which
only change the course text.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from trainer.accounts.models import Network
from trainer.content.placeholders import facts_in_options, fill_text
from trainer.database import Session
from trainer.learning.service import active_courses
from trainer.quizzes.models import QuizBank, QuizQuestion
from trainer.quizzes.withheld import WithheldQuestion, withheld_questions


def _scored_banks(session: Session) -> list[QuizBank]:
    """The banks of the active courses' tests, in course order (the survey names no facts in its
    options: a scale has none)."""
    slugs: list[str] = []
    for course in active_courses(session):
        for slug in (course.pre_quiz, course.post_quiz):
            if slug and slug not in slugs:
                slugs.append(slug)
    if not slugs:
        return []
    by_slug = {b.slug: b for b in session.scalars(select(QuizBank).where(QuizBank.slug.in_(slugs)))}
    return [by_slug[s] for s in slugs if s in by_slug]


def withheld_in(session: Session, network: Network) -> list[WithheldQuestion]:
    """The questions not served in this network now, with the stem as its learners would read it
    (placeholders in the stem filled, or their neutral wording while unset)."""
    facts = network.local_facts()
    return [
        WithheldQuestion(q.bank_title, q.key, fill_text(q.text, facts), q.missing)
        for q in withheld_questions(session, _scored_banks(session), facts)
    ]


def facts_questions_use(session: Session) -> set[str]:
    """The local facts some current question (any variant) offers as a choice or a case."""
    used: set[str] = set()
    for bank in _scored_banks(session):
        ids = bank.all_version_ids
        if ids:
            for body in session.scalars(select(QuizQuestion.body).where(QuizQuestion.id.in_(ids))):
                used |= facts_in_options(body)
    return used


def banks_of(questions: Sequence[WithheldQuestion]) -> list[tuple[str, list[WithheldQuestion]]]:
    """The questions grouped by bank title, in the order they came."""
    grouped: dict[str, list[WithheldQuestion]] = {}
    for q in questions:
        grouped.setdefault(q.bank_title, []).append(q)
    return list(grouped.items())
