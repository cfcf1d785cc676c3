"""What the projector shows: counts, never names (it is on the wall). Who joined, how far each
test has got, every scored question's share of right answers before and after, and from the
survey on, the survey's figures.

The projector link's pages (views/projector.py) and the trainer's control page (views/control.py)
render it from here. The live part is rendered at most once a second per workshop and process
(live_cache.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, render_template, url_for
from sqlalchemy import case, func, select

from trainer.content.placeholders import fill_text
from trainer.content.question_types import question_type
from trainer.database import Session
from trainer.learning.models import Course
from trainer.qr import absolute_url, qr_svg
from trainer.quizzes import forms
from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion
from trainer.quizzes.withheld import withheld_keys
from trainer.workshops import codes, projector_link
from trainer.workshops.live_cache import LiveFragment, LiveFragmentCache
from trainer.workshops.models import Participant, Phase, Workshop, WorkshopFeedback
from trainer.workshops.survey import feedback_summary

# --- the counts ----------------------------------------------------------------------------------


@dataclass
class QuestionBars:
    """One question's bars. Not quizzes.course_stats.QuestionStats: the wall numbers the
    questions and shows whole percents rounded from the counts."""

    number: int
    key: str
    topic: str
    text: str
    pre_n: int = 0
    pre_right: int = 0
    post_n: int = 0
    post_right: int = 0

    @staticmethod
    def _percent(right: int, n: int) -> int | None:
        return round(100 * right / n) if n else None

    @property
    def pre_percent(self) -> int | None:
        return self._percent(self.pre_right, self.pre_n)

    @property
    def post_percent(self) -> int | None:
        return self._percent(self.post_right, self.post_n)

    def count(self, phase: str, n: int, right: int) -> None:
        if phase == "pre":
            self.pre_n += n
            self.pre_right += right
        else:
            self.post_n += n
            self.post_right += right


@dataclass
class TestProgress:
    started: int = 0
    submitted: int = 0


@dataclass(frozen=True)
class ShownForm:
    """Whose wording the bars show: the bank the room answers in the test of the phase
    (text_phase), and for a counterbalanced course how many of the room's attempts at that
    test are on it and on the other form."""

    quiz_phase: str  # "pre" or "post"
    bank: QuizBank | None
    label: str = ""  # "A" or "B" for a counterbalanced course, else ""
    other_label: str = ""
    on_shown: int = 0
    on_other: int = 0

    @property
    def note(self) -> str:
        """One short line for a counterbalanced course: which form the text is, and that the
        others answer a parallel version. "" otherwise."""
        if not self.label:
            return ""
        test = forms.PHASE_NAMES[self.quiz_phase]
        if self.on_shown:
            line = f"{test}の問題文は、テスト{self.label}（{self.on_shown}人）のものです。"
        else:
            line = f"問題文は、テスト{self.label}のものです。"
        if self.on_other:
            line += (
                f"ほかの{self.on_other}人には、同じ内容の別の問題"
                f"（テスト{self.other_label}）が出ています。"
            )
        return line


@dataclass
class ProjectorState:
    phase: Phase
    joined: int
    tests: dict[str, TestProgress] = field(default_factory=dict)
    questions: list[QuestionBars] = field(default_factory=list)
    feedback_count: int = 0
    # Half the room answers form A, half the parallel form B (course.counterbalance): the bars
    # pool both, the text is the form most of the room got (shown_form).
    parallel_forms: bool = False
    shown_form: ShownForm | None = None


def projector_state(session: Session, workshop: Workshop) -> ProjectorState:
    """Counts only, no names: this is on the wall. Answers count as they are saved, so the bars
    move while people answer; each question counts each attempt once (one answer per question)."""
    joined = session.scalar(
        select(func.count()).select_from(Participant).where(Participant.workshop_id == workshop.id)
    )
    tests = _test_progress(session, workshop)
    shown = shown_form(session, workshop)
    questions = _question_bars(session, workshop, shown.bank)
    feedback_count = session.scalar(
        select(func.count())
        .select_from(WorkshopFeedback)
        .join(Participant, Participant.id == WorkshopFeedback.participant_id)
        .where(Participant.workshop_id == workshop.id)
    )
    return ProjectorState(
        phase=workshop.current_phase,
        joined=joined or 0,
        tests=tests,
        questions=questions,
        feedback_count=feedback_count or 0,
        parallel_forms=workshop.course.counterbalance,
        shown_form=shown,
    )


def _test_progress(session: Session, workshop: Workshop) -> dict[str, TestProgress]:
    """Started means answered at least one question (attempts are opened for the whole room
    when the test begins); submitted is the attempt's status."""
    tests = {"pre": TestProgress(), "post": TestProgress()}
    answered = (
        select(Answer.attempt_id).where(Answer.attempt_id == Attempt.id).exists().correlate(Attempt)
    )
    for phase, submitted, started in session.execute(
        select(
            Attempt.phase,
            func.sum(case((Attempt.status == "submitted", 1), else_=0)),
            func.sum(case((answered | (Attempt.status == "submitted"), 1), else_=0)),
        )
        .where(Attempt.workshop_id == workshop.id)
        .group_by(Attempt.phase)
    ):
        tests[phase].started = int(started or 0)
        tests[phase].submitted = int(submitted or 0)
    return tests


def text_phase(phase: Phase) -> str:
    """The test whose wording the bars show: the pre-test's until the post-test starts (in 受付
    the room is about to answer it, in 研修 its bars are the ones on the wall), the
    post-test's from then on (its answers are the latest)."""
    return "post" if phase.position >= Phase.POST.position else "pre"


def shown_form(session: Session, workshop: Workshop) -> ShownForm:
    """The bank whose wording the bars show in the workshop's phase.

    A course whose before and after tests differ: the test of the phase (M2 of the newcomer
    review: the pre-test used to show the post-test's wording). A counterbalanced course: the
    form most of the room's attempts at that test are on (a tie, or no attempt yet, is form A),
    as each member's form is fixed by a hash or by their earlier attempts (quizzes/forms.py),
    not by the room."""
    course = workshop.course
    quiz_phase = text_phase(workshop.current_phase)
    a, b = forms.course_banks(session, course)
    if not course.counterbalance or a is None or b is None:
        bank = (a if quiz_phase == "pre" else b) or b or a
        return ShownForm(quiz_phase, bank)
    on = _attempts_per_form(session, workshop, quiz_phase, (a.id, b.id))
    shown, other, label, other_label = (a, b, "A", "B")
    if on.get(b.id, 0) > on.get(a.id, 0):
        shown, other, label, other_label = (b, a, "B", "A")
    return ShownForm(
        quiz_phase,
        shown,
        label,
        other_label,
        on_shown=on.get(shown.id, 0),
        on_other=on.get(other.id, 0),
    )


def _attempts_per_form(
    session: Session, workshop: Workshop, quiz_phase: str, bank_ids: tuple[int, int]
) -> dict[int, int]:
    """Per bank id, how many of the workshop's attempts at this test are on that form (an
    attempt's form is the bank of its questions; the survey's come after them)."""
    asked = list(
        session.scalars(
            select(Attempt.question_ids).where(
                Attempt.workshop_id == workshop.id, Attempt.phase == quiz_phase
            )
        )
    )
    firsts = {ids[0] for ids in asked if ids}
    if not firsts:
        return {}
    bank_of_question = dict(
        session.execute(
            select(QuizQuestion.id, QuizQuestion.bank_id).where(QuizQuestion.id.in_(firsts))
        ).all()
    )
    on: dict[int, int] = {}
    for ids in asked:
        bank_id = bank_of_question.get(ids[0]) if ids else None
        if bank_id in bank_ids:
            on[bank_id] = on.get(bank_id, 0) + 1
    return on


def _empty_bars(
    session: Session, course: Course, facts: Mapping[str, str | None], shown: QuizBank | None
) -> tuple[dict[str, QuestionBars], dict[int, str]]:
    """A bar per scored question key, with the key of every version that counts toward it: both
    banks, each question as written and its variants (a retake asks another version).

    The text and the numbering are those of `shown`, the bank the room answers in this phase
    (shown_form), so 問4 on the wall is 問4 on the phones. For a counterbalanced course the
    other half of the room answers the parallel question of the other form (the page says
    so: ShownForm.note). Both forms' answers to a key count toward one bar: the halves are
    assigned at random, so the pooled share is the room's, and one bar per form would halve
    each bar's people and double the bars on the wall. Placeholders in the text read as on
    the phones (the network's own facts)."""
    a, b = forms.course_banks(session, course)
    other = a if shown is not None and b is not None and shown.id == b.id else b
    banks = [bank for bank in (shown, other) if bank is not None]
    written = [i for bank in banks for i in bank.question_ids]
    as_written = set(written)
    counted = [i for bank in banks for ids in bank.variant_ids.values() for i in ids]
    rows = {
        q.id: q
        for q in session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(written + counted)))
    }
    scored = [i for i in written + counted if question_type(rows[i].type).scored]
    asked = _asked_keys(banks, rows, facts)
    bars: dict[str, QuestionBars] = {}
    for qid in scored:
        q = rows[qid]
        if q.key not in bars and qid in as_written and q.key in asked:
            text = fill_text(q.body["text"], facts)
            bars[q.key] = QuestionBars(len(bars) + 1, q.key, q.topic, text)
    return bars, {qid: rows[qid].key for qid in scored if rows[qid].key in bars}


def _asked_keys(
    banks: list[QuizBank], rows: Mapping[int, QuizQuestion], facts: Mapping[str, str | None]
) -> set[str]:
    """The keys some form asks in this network: a question withheld in every form that has it
    (its options need local facts the network has not set) has no bar, as nobody answers it."""
    asked: set[str] = set()
    for bank in banks:
        versions = [rows[i] for i in bank.all_version_ids]
        asked |= {q.key for q in versions} - withheld_keys(versions, facts)
    return asked


def _question_bars(
    session: Session, workshop: Workshop, shown: QuizBank | None
) -> list[QuestionBars]:
    bars, key_of = _empty_bars(session, workshop.course, workshop.network.local_facts(), shown)
    if key_of:
        counted = session.execute(
            select(
                Attempt.phase,
                Answer.question_id,
                func.count(),
                func.sum(case((Answer.fully_right, 1), else_=0)),
            )
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(Attempt.workshop_id == workshop.id, Answer.question_id.in_(list(key_of)))
            .group_by(Attempt.phase, Answer.question_id)
        )
        for phase, question_id, n, right in counted:
            bars[key_of[question_id]].count(phase, n, int(right or 0))
    return list(bars.values())


# --- the pages -----------------------------------------------------------------------------------


def join_url(workshop: Workshop) -> str:
    """The address on the join QR code (the projector's and the trainer's page)."""
    return absolute_url(url_for("join.join", code=workshop.join_code))


def projector_context(session: Session, workshop: Workshop) -> dict[str, Any]:
    url = join_url(workshop)
    return {
        "workshop": workshop,
        "Phase": Phase,
        "join_url": url,
        "spaced": codes.spaced(workshop.join_code),
        "qr": qr_svg(url, label="参加用QRコード"),
        "state": projector_state(session, workshop),
        # The survey's figures are on the wall only from アンケート on.
        "summary": feedback_summary(session, workshop)
        if workshop.current_phase.position >= Phase.SURVEY.position
        else None,
    }


def render_projector_page(session: Session, workshop: Workshop) -> str:
    return render_template(
        "workshops/projector/page.html",
        live_url=projector_link.live_path(workshop),
        **projector_context(session, workshop),
    )


def render_live(session: Session, workshop: Workshop) -> LiveFragment:
    return LiveFragment(
        html=render_template(
            "workshops/projector/_live.html", **projector_context(session, workshop)
        ),
        phase=workshop.phase,
        projector_version=workshop.projector_version,
        held_on=workshop.held_on,
    )


def live_response(fragment: LiveFragment) -> Response:
    response = Response(fragment.html)
    response.headers["Cache-Control"] = "no-store"
    return response


def live_fragments() -> LiveFragmentCache:
    """This process's cache of live fragments, made on first use with the app's settings."""
    cache = current_app.extensions.get("trainer.live_fragments")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "trainer.live_fragments",
            LiveFragmentCache(current_app.config["PROJECTOR_CACHE_SECONDS"]),
        )
    return cache
