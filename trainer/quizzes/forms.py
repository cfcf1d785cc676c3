"""Which questions an attempt asks: the form (bank) of each phase, the version of each question,
and the questions left out until the network's local facts are set.

Forms. A course whose two banks are parallel forms (course.counterbalance) gives half its
learners form A (pre_quiz) before and form B (post_quiz) after, the other half B then A, so
that a gain cannot come from an easier after-test. The order is stable per learner: once they
have an attempt in the course, its form decides (the after-test is the form not taken before;
a retake stays on its form); until then a hash of course and member does, which splits any
group about in half without storing anything. The form of an attempt is the bank of its
questions (QuizQuestion.bank_id), so nothing else records it.

Versions. A learner's first attempt at a phase asks every question as written (variant 1), so
that a form is equally hard for everyone who takes it first; a retake (and every refresher
test, on the after-test's form) asks, per question, a
version they have not yet seen in this course (random among those; if they have seen every
one, the one seen longest ago). The report pairs before and after by question key, whatever
the version.

Local facts. A question whose choices or cases name a fact the network has not set is left
out of new attempts (withheld.py), so it is neither asked nor scored there.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from trainer.accounts.models import Member, Network
from trainer.content.quizzes import DONT_KNOW
from trainer.database import Session
from trainer.learning.models import Course
from trainer.quizzes.models import REFRESHER, Attempt, QuizBank, QuizQuestion
from trainer.quizzes.questions import bank_of
from trainer.quizzes.withheld import withheld_keys

PHASE_NAMES = {"pre": "事前テスト", "post": "事後テスト"}


@dataclass(frozen=True)
class Forms:
    """A learner's bank for each phase of a course (None where the course has none)."""

    pre: QuizBank | None
    post: QuizBank | None

    def bank(self, phase: str) -> QuizBank | None:
        return self.pre if phase == "pre" else self.post


@dataclass(frozen=True)
class NewAttempt:
    """What a new attempt asks: its form, the question versions (the form's, then the
    survey's) and the order of each one's choices."""

    bank: QuizBank
    question_ids: list[int]
    choice_order: dict[str, list[str]]


@dataclass(frozen=True)
class _Earlier:
    """One of a learner's earlier attempts in the course (open or submitted), oldest first."""

    attempt_id: int
    phase: str
    question_ids: list[int]


def hashed_reverse(course: Course, member_id: int) -> bool:
    """True for the learners who take form B before and form A after, before any attempt of
    theirs decides: the lowest bit of a hash of course and member (stable, about half)."""
    digest = hashlib.sha256(f"form-order:{course.slug}:{member_id}".encode()).digest()
    return bool(digest[-1] & 1)


def course_banks(session: Session, course: Course) -> tuple[QuizBank | None, QuizBank | None]:
    """Form A (pre_quiz) and form B (post_quiz)."""
    return bank_of(session, course.pre_quiz), bank_of(session, course.post_quiz)


def form_order(session: Session, member: Member, course: Course) -> Forms:
    """The member's bank before and after training in this course."""
    a, b = course_banks(session, course)
    if not course.counterbalance:
        return Forms(a, b)
    earlier = _earlier_attempts(session, [member.id], course).get(member.id, [])
    return _forms(course, member.id, a, b, earlier, _bank_of_questions(session, earlier))


def bank_for(session: Session, member: Member, course: Course, phase: str) -> QuizBank | None:
    """The bank this member answers in this phase of the course."""
    return form_order(session, member, course).bank(phase)


def new_attempt(session: Session, member: Member, course: Course, phase: str) -> NewAttempt | None:
    """What this member's new attempt at this phase asks (None: the course has no test)."""
    return new_attempts(session, [member], course, phase).get(member.id)


def new_attempts(
    session: Session, members: Sequence[Member], course: Course, phase: str
) -> dict[int, NewAttempt]:
    """Per member id, what a new attempt at this phase asks. A few queries whatever the number
    of members (a workshop opens a whole room's at once): their earlier attempts, the banks of
    the questions those asked, the versions of both forms. Members without an earlier attempt
    at the phase share one list per form."""
    a, b = course_banks(session, course)
    if (a if phase == "pre" else b) is None:
        return {}
    survey = bank_of(session, course.survey)
    earlier = _earlier_attempts(session, [m.id for m in members], course)
    bank_of_question = _bank_of_questions(session, (e for es in earlier.values() for e in es))
    banks = [bank for bank in (a, b) if bank is not None]
    rows = _versions(session, [*banks, *([survey] if survey else [])])
    withheld: dict[tuple[int, int], set[str]] = {}  # (network, bank) → keys left out
    first: dict[tuple[int, int], NewAttempt] = {}  # (network, bank) → a first attempt's
    # The attitude survey is asked before and after the training, not again at the refresher.
    survey_ids = list(survey.question_ids) if survey and phase != REFRESHER else []
    planned: dict[int, NewAttempt] = {}
    for member in members:
        mine = earlier.get(member.id, [])
        if course.counterbalance:
            bank = _forms(course, member.id, a, b, mine, bank_of_question).bank(phase)
        else:
            bank = a if phase == "pre" else b
        if bank is None:
            continue
        place = (member.network_id, bank.id)
        if place not in withheld:
            facts = session.get_one(Network, member.network_id).local_facts()
            withheld[place] = withheld_keys([rows[i] for i in bank.all_version_ids], facts)
        left_out = withheld[place]
        # The refresher asks versions not seen in any earlier attempt, as a retake does.
        if phase != REFRESHER and not any(e.phase == phase for e in mine):
            if place not in first:
                ids = [i for i in bank.question_ids if rows[i].key not in left_out]
                first[place] = _planned(bank, ids + survey_ids, rows)
            planned[member.id] = first[place]
            continue
        ids = _retake_versions(bank, rows, mine, left_out)
        planned[member.id] = _planned(bank, ids + survey_ids, rows)
    return planned


# --- the form ------------------------------------------------------------------------------------


def _forms(
    course: Course,
    member_id: int,
    a: QuizBank | None,
    b: QuizBank | None,
    earlier: Sequence[_Earlier],
    bank_of_question: Mapping[int, int],
) -> Forms:
    """A counterbalanced course's forms for one learner: decided by their first attempt whose
    form is one of the two, else by the hash."""
    if a is None or b is None:
        return Forms(a, b)
    for attempt in earlier:
        form = next(
            (
                bank_of_question.get(q)
                for q in attempt.question_ids
                if bank_of_question.get(q) in (a.id, b.id)
            ),
            None,
        )
        if form is None:
            continue
        taken, other = (a, b) if form == a.id else (b, a)
        return Forms(taken, other) if attempt.phase == "pre" else Forms(other, taken)
    return Forms(b, a) if hashed_reverse(course, member_id) else Forms(a, b)


def _earlier_attempts(
    session: Session, member_ids: Sequence[int], course: Course
) -> dict[int, list[_Earlier]]:
    """Per member, their attempts in the course, oldest first."""
    found: dict[int, list[_Earlier]] = {}
    if not member_ids:
        return found
    for member_id, attempt_id, phase, question_ids in session.execute(
        select(Attempt.member_id, Attempt.id, Attempt.phase, Attempt.question_ids)
        .where(Attempt.member_id.in_(list(member_ids)), Attempt.course_id == course.id)
        .order_by(Attempt.id)
    ):
        found.setdefault(member_id, []).append(_Earlier(attempt_id, phase, list(question_ids)))
    return found


def _bank_of_questions(session: Session, earlier: Iterable[_Earlier]) -> dict[int, int]:
    """The bank of every question version the earlier attempts asked (few distinct versions,
    however many attempts)."""
    ids = {q for e in earlier for q in e.question_ids}
    if not ids:
        return {}
    query = select(QuizQuestion.id, QuizQuestion.bank_id).where(QuizQuestion.id.in_(ids))
    return {question_id: bank_id for question_id, bank_id in session.execute(query)}


# --- the versions --------------------------------------------------------------------------------


def _versions(session: Session, banks: Sequence[QuizBank]) -> dict[int, QuizQuestion]:
    ids = [i for bank in banks for i in bank.all_version_ids]
    return {q.id: q for q in session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))}


def _retake_versions(
    bank: QuizBank,
    rows: Mapping[int, QuizQuestion],
    earlier: Sequence[_Earlier],
    left_out: set[str],
) -> list[int]:
    """A retake's version of each question: one this learner has not seen in the course, at
    random; if they have seen every one, the one seen longest ago."""
    last_seen: dict[int, int] = {}
    for attempt in earlier:  # oldest first: a later attempt overwrites
        for q in attempt.question_ids:
            last_seen[q] = attempt.attempt_id
    pick = random.SystemRandom()
    chosen: list[int] = []
    for main in bank.question_ids:
        key = rows[main].key
        if key in left_out:
            continue
        versions = [main, *bank.variant_ids.get(key, [])]
        unseen = [v for v in versions if v not in last_seen]
        chosen.append(pick.choice(unseen) if unseen else min(versions, key=last_seen.__getitem__))
    return chosen


def _planned(bank: QuizBank, ids: list[int], rows: Mapping[int, QuizQuestion]) -> NewAttempt:
    return NewAttempt(bank, ids, choice_order(bank, (rows[i] for i in ids)))


def choice_order(bank: QuizBank, rows: Iterable[QuizQuestion]) -> dict[str, list[str]]:
    """Each question's choice keys in the order shown: shuffled for the bank's own questions
    when the bank says so, as in the file otherwise (the survey's scales never move). A
    「わからない」 choice stays last, where someone who does not know looks for it."""
    order: dict[str, list[str]] = {}
    for row in rows:
        choices = row.body.get("choices", [])
        keys = [c["key"] for c in choices if c["text"] != DONT_KNOW]
        if keys and bank.shuffle and row.bank_id == bank.id:
            random.SystemRandom().shuffle(keys)
        order[str(row.id)] = keys + [c["key"] for c in choices if c["text"] == DONT_KNOW]
    return order
