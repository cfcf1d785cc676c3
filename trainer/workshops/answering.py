"""The participant's tests on their phone: which test each phase shows, starting it, and saving
and submitting its answers on one page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from trainer.database import Session
from trainer.errors import Conflict, DomainError
from trainer.quizzes import attempts as quizzes
from trainer.quizzes.answers import save_answers
from trainer.quizzes.models import Answer, Attempt
from trainer.workshops import confirming
from trainer.workshops.models import Participant, Phase

# The phases in which a test's answers are taken. A post-test still open when the trainer moves
# on to the survey can be finished (a certificate must not be lost to a slow phone); a pre-test
# cannot once the training has started, or "before" would no longer mean before.
ANSWERING_PHASES = {"pre": {Phase.PRE}, "post": {Phase.POST, Phase.SURVEY}}
# A test is started only in its own phase: someone who had not begun the post-test when the
# survey opened goes to the survey (and can take the post-test later with their personal link).
STARTING_PHASES = {"pre": Phase.PRE, "post": Phase.POST}


@dataclass
class TestState:
    """What a participant's phone shows for a test phase."""

    attempt: Attempt | None
    reason: str | None = None  # why there is no test to take (already done, certificate valid)


def test_state(session: Session, participant: Participant, quiz_phase: str) -> TestState:
    workshop = participant.workshop
    try:
        attempt = quizzes.start_workshop_attempt(
            session,
            member=participant.member,
            course=workshop.course,
            phase=quiz_phase,
            workshop_id=workshop.id,
            # Only someone confirmed may continue a test the member began on their own.
            take_over_open=participant.confirmed_via is not None,
        )
    except Conflict as refusal:
        return TestState(attempt=None, reason=refusal.message)
    return TestState(attempt=attempt)


def has_begun(session: Session, attempt: Attempt) -> bool:
    """Submitted, or at least one answer saved (attempts are opened for the whole room)."""
    if attempt.status == "submitted":
        return True
    return (
        session.scalar(select(Answer.id).where(Answer.attempt_id == attempt.id).limit(1))
        is not None
    )


def workshop_attempt(session: Session, participant: Participant, quiz_phase: str) -> Attempt | None:
    """The attempt this participant made at this phase in this workshop, if any (no creating)."""
    return session.scalar(
        select(Attempt).where(
            Attempt.member_id == participant.member_id,
            Attempt.workshop_id == participant.workshop_id,
            Attempt.phase == quiz_phase,
        )
    )


@dataclass(frozen=True)
class PhoneState:
    """What the participant's page shows in the workshop's phase as it is now."""

    phase: Phase
    tests: dict[str, TestState]  # by quiz phase: the test this phase shows, or why there is none
    pre: Attempt | None  # this participant's attempts in this workshop, whatever the phase
    post: Attempt | None

    @property
    def open_test(self) -> tuple[str, Attempt] | None:
        """The test to answer now (its quiz phase and attempt), if any."""
        return next(
            (
                (quiz_phase, t.attempt)
                for quiz_phase, t in self.tests.items()
                if t.attempt is not None and t.attempt.status == "open"
            ),
            None,
        )


def phone_state(session: Session, participant: Participant) -> PhoneState:
    """Opening the page in a test's own phase starts the test (once) or says why there is none;
    in the survey a post-test begun in time can still be finished."""
    phase = participant.workshop.current_phase
    tests = {}
    for quiz_phase, starting in STARTING_PHASES.items():
        if phase is starting:
            tests[quiz_phase] = test_state(session, participant, quiz_phase)
    started = {p: t.attempt for p, t in tests.items() if t.attempt is not None}
    pre = started.get("pre") or workshop_attempt(session, participant, "pre")
    post = started.get("post") or workshop_attempt(session, participant, "post")
    if phase is Phase.SURVEY and post is not None and has_begun(session, post):
        tests["post"] = TestState(attempt=post)
    return PhoneState(phase=phase, tests=tests, pre=pre, post=post)


def answer(
    session: Session, *, participant: Participant, quiz_phase: str, form: Any, submit: bool
) -> Attempt:
    """Save the page's answers and, when asked, submit. Refused outside the test's phase.

    A refusal after the answers were saved (a question left out of a submit) rolls back: the
    saved answers stay (saving commits) and the participant row's lock is let go."""
    try:
        return _answer(
            session, participant=participant, quiz_phase=quiz_phase, form=form, submit=submit
        )
    except DomainError:
        session.rollback()
        raise


def _answer(
    session: Session, *, participant: Participant, quiz_phase: str, form: Any, submit: bool
) -> Attempt:
    workshop = participant.workshop  # read in this request: the phase as it is now
    if quiz_phase not in ANSWERING_PHASES:
        raise DomainError("テストが見つかりません。")
    attempt = workshop_attempt(session, participant, quiz_phase)
    if attempt is not None and attempt.status == "submitted":
        # A double tap on 提出, or a retry whose first reply was lost: it is in, say so.
        return attempt
    if workshop.current_phase not in ANSWERING_PHASES[quiz_phase]:
        label = "事前テスト" if quiz_phase == "pre" else "事後テスト"
        raise Conflict(
            f"いまは{label}の時間ではありません（現在は「{workshop.current_phase.label}」です）。"
            "回答は保存されていません。"
        )
    if attempt is None:
        if workshop.current_phase is not STARTING_PHASES[quiz_phase]:
            raise Conflict("テストの時間は終わりました。回答は保存されていません。")
        state = test_state(session, participant, quiz_phase)
        if state.attempt is None:
            raise Conflict(state.reason or "テストを始められません。")
        attempt = state.attempt
    save_answers(session, attempt=attempt, form=form)
    if submit:
        # Take turns with a confirmation of this participant (confirming.py), then flip: the
        # result is marked awaiting confirmation exactly when nobody has confirmed them yet.
        confirming.lock_for_submit(session, participant)
        quizzes.submit(
            session,
            attempt=attempt,
            key=attempt.idempotency_key,
            course=workshop.course,
            unconfirmed=confirming.unconfirmed_clause(),
        )
    return attempt
