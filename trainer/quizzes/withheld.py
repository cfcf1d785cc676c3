"""Questions withheld in a network until its local facts are filled in.

A question whose choices or cases name the network's own consumer centre, police station or
地域包括支援センター (placeholders) has no right answer while those are unset: the choices would
read 「事務局にお問い合わせください」. Such a question is not served, so not scored, in that network
until the secretariat fills the facts in on 地域の窓口; the secretariat's home says which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from trainer.content.placeholders import LocalFact, facts_in_options, unset_facts
from trainer.database import Session
from trainer.quizzes.models import QuizBank, QuizQuestion


@dataclass(frozen=True)
class WithheldQuestion:
    bank_title: str
    key: str
    text: str  # the main version's question, as in the bank file (placeholders unfilled)
    missing: tuple[LocalFact, ...]

    @property
    def missing_labels(self) -> str:
        return "・".join(f.label for f in self.missing)


def withheld_keys(rows: Sequence[QuizQuestion], facts: Mapping[str, str | None]) -> set[str]:
    """The keys of the questions (any version) that need a fact the network has not set."""
    return {row.key for row in rows if unset_facts(facts_in_options(row.body), facts)}


def withheld_questions(
    session: Session, banks: Sequence[QuizBank], facts: Mapping[str, str | None]
) -> list[WithheldQuestion]:
    """Per bank, the questions withheld in a network with these facts, and what they miss."""
    found: list[WithheldQuestion] = []
    for bank in banks:
        ids = bank.all_version_ids
        rows = session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))
        missing: dict[str, set[str]] = {}
        texts: dict[str, str] = {}
        for row in rows:
            needed = facts_in_options(row.body)
            if unset_facts(needed, facts):
                missing.setdefault(row.key, set()).update(needed)
            if row.id in bank.question_ids:
                texts[row.key] = row.body["text"]
        for key in sorted(missing):
            found.append(
                WithheldQuestion(
                    bank.title, key, texts.get(key, key), tuple(unset_facts(missing[key], facts))
                )
            )
    return found
