"""Workshops: create, join (matching the roster), move through the phases, take the tests on
one page, the satisfaction survey, and what the projector shows.

Every piece of live state is in the database, so any worker on any host can serve any phone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from trainer.accounts.models import Member, User
from trainer.accounts.roster import get_organisation
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.learning.models import Course
from trainer.parsing import DATE_OUT_OF_RANGE, date_in_range
from trainer.quizzes import attempts as quizzes
from trainer.quizzes.answers import save_answers
from trainer.quizzes.models import Answer, Attempt, QuizQuestion
from trainer.quizzes.questions import bank_of
from trainer.text import clean_multiline, clean_text
from trainer.timeutil import today_jst, utcnow
from trainer.workshops import codes, seats
from trainer.workshops.models import PHASE_ORDER, Participant, Phase, Workshop, WorkshopFeedback

# The phases in which a test's answers are taken. A post-test still open when the trainer moves
# on to the survey can be finished (a certificate must not be lost to a slow phone); a pre-test
# cannot once the training has started, or "before" would no longer mean before.
ANSWERING_PHASES = {"pre": {Phase.PRE}, "post": {Phase.POST, Phase.SURVEY}}
# A test is started only in its own phase: someone who had not begun the post-test when the
# survey opened goes to the survey (and can take the post-test later with their personal link).
STARTING_PHASES = {"pre": Phase.PRE, "post": Phase.POST}

SATISFACTION_LABELS = ("良くなかった", "あまり良くなかった", "ふつう", "良かった", "とても良かった")
UNDERSTANDING_LABELS = (
    "理解できなかった",
    "あまり理解できなかった",
    "どちらともいえない",
    "おおむね理解できた",
    "よく理解できた",
)


# --- creating and finding ------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkshopInput:
    course_id: int
    title: str
    held_on: date | None
    place: str = ""
    organisation_ids: tuple[int, ...] = ()


def create_workshop(
    session: Session, *, network_id: int, data: WorkshopInput, actor: User
) -> Workshop:
    title, place = clean_text(data.title), clean_text(data.place)
    if not title:
        raise DomainError("研修会の名前を入力してください。", "title")
    if len(title) > 200 or len(place) > 200:
        raise DomainError(
            "200文字以内で入力してください。", "title" if len(title) > 200 else "place"
        )
    course = session.get(Course, data.course_id)
    if course is None or not course.is_active or not course.post_quiz:
        raise DomainError("研修を一覧から選んでください。", "course_id")
    if data.held_on is None:
        raise DomainError("開催日を入力してください。", "held_on")
    if data.held_on < today_jst():
        raise DomainError("開催日は今日以降の日付にしてください。", "held_on")
    if not date_in_range(data.held_on):  # for callers without the form, which checks it too
        raise DomainError(DATE_OUT_OF_RANGE, "held_on")
    for organisation_id in data.organisation_ids:
        try:
            get_organisation(session, network_id, organisation_id)
        except NotFound:
            raise DomainError("構成団体を一覧から選んでください。", "organisation_ids") from None
    for _ in range(5):  # a clash among 34 million codes is rare; try again if it happens
        workshop = Workshop(
            network_id=network_id,
            course_id=course.id,
            title=title,
            held_on=data.held_on,
            place=place,
            organisation_ids=sorted(set(data.organisation_ids)),
            join_code=codes.new_code(),
            created_by_id=actor.id,
        )
        session.add(workshop)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            continue
        audit.record(
            session,
            actor=actor,
            action="workshop.create",
            target_type="workshop",
            target_id=workshop.id,
            target_label=title,
            network_id=network_id,
            details={"held_on": data.held_on.isoformat(), "course": course.title},
        )
        session.commit()
        return workshop
    raise Conflict("参加コードを作れませんでした。もう一度お試しください。")


def workshops_of(session: Session, network_id: int) -> list[Workshop]:
    return list(
        session.scalars(
            select(Workshop)
            .where(Workshop.network_id == network_id)
            .order_by(Workshop.held_on.desc(), Workshop.id.desc())
        )
    )


def get_workshop(session: Session, network_id: int, workshop_id: int) -> Workshop:
    workshop = session.scalar(
        select(Workshop).where(Workshop.id == workshop_id, Workshop.network_id == network_id)
    )
    if workshop is None:
        raise NotFound("研修会が見つかりません。")
    return workshop


def by_code(session: Session, typed: str) -> Workshop:
    """The workshop a join code names. Unknown, malformed and another workshop's code all read
    the same: the page cannot be used to learn which codes exist."""
    code = codes.normalise(typed)
    workshop = None
    if codes.is_well_formed(code):
        workshop = session.scalar(select(Workshop).where(Workshop.join_code == code))
    if workshop is None:
        raise NotFound("参加コードが見つかりません。コードをもう一度お確かめください。")
    return workshop


# --- the room ------------------------------------------------------------------------------------
# Joining and the phones' seats are in seats.py.


def reload_spread_ms(session: Session, workshop: Workshop) -> int:
    """How long phones should spread their page loads after a phase change: nothing to speak of
    for 20 people, 6 seconds for 300, so that a whole room does not land in the same second."""
    joined = session.scalar(
        select(func.count()).select_from(Participant).where(Participant.workshop_id == workshop.id)
    )
    return min(8000, 20 * (joined or 0))


# --- phases --------------------------------------------------------------------------------------


def allowed_moves(phase: Phase) -> list[Phase]:
    """Forward one step, or back one step to undo a click too early. 終了 is final."""
    if phase is Phase.CLOSED:
        return []
    i = phase.index
    moves = [PHASE_ORDER[i + 1]]
    if i > 0:
        moves.append(PHASE_ORDER[i - 1])
    return moves


def renew_projector_link(session: Session, *, workshop: Workshop, actor: User) -> Workshop:
    """A new projector link: every earlier one stops working (projector_link.py)."""
    session.execute(
        update(Workshop)
        .where(Workshop.id == workshop.id)
        .values(projector_version=Workshop.projector_version + 1)
    )
    audit.record(
        session,
        actor=actor,
        action="workshop.projector_link",
        target_type="workshop",
        target_id=workshop.id,
        target_label=workshop.title,
        network_id=workshop.network_id,
    )
    session.commit()
    session.refresh(workshop)
    return workshop


def move_phase(
    session: Session, *, workshop: Workshop, from_phase: str, to_phase: str, actor: User
) -> Workshop:
    """Move from the phase the trainer saw to the one chosen. The UPDATE is conditional on the
    phase seen, so a double click, or two trainers clicking at once, moves it one step only."""
    try:
        seen, wanted = Phase(from_phase), Phase(to_phase)
    except ValueError:
        raise DomainError("段階を選び直してください。") from None
    if wanted not in allowed_moves(seen):
        raise DomainError(f"「{seen.label}」から「{wanted.label}」へは進められません。")
    moved = session.execute(
        update(Workshop)
        .where(Workshop.id == workshop.id, Workshop.phase == seen.value)
        .values(phase=wanted.value, phase_changed_at=utcnow())
    )
    if moved.rowcount != 1:
        session.rollback()
        session.refresh(workshop)
        if workshop.phase == wanted.value:
            return workshop  # the same click arrived twice
        raise Conflict(
            f"ほかの操作で段階が「{workshop.current_phase.label}」に変わっています。"
            "画面を確かめてから操作してください。"
        )
    audit.record(
        session,
        actor=actor,
        action="workshop.phase",
        target_type="workshop",
        target_id=workshop.id,
        target_label=workshop.title,
        network_id=workshop.network_id,
        details={"from": seen.label, "to": wanted.label},
    )
    session.commit()
    session.refresh(workshop)
    if wanted in (Phase.PRE, Phase.POST):
        members = list(
            session.scalars(
                select(Member)
                .join(Participant, Participant.member_id == Member.id)
                .where(Participant.workshop_id == workshop.id)
            )
        )
        quizzes.open_workshop_attempts(
            session,
            members=members,
            course=workshop.course,
            phase=wanted.value,
            workshop_id=workshop.id,
        )
    return workshop


# --- the participant's tests ---------------------------------------------------------------------


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


def answer(
    session: Session, *, participant: Participant, quiz_phase: str, form, submit: bool
) -> Attempt:
    """Save the page's answers and, when asked, submit. Refused outside the test's phase."""
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
        # Take turns with a confirmation of this participant (seats.py), then flip: the result
        # is marked awaiting confirmation exactly when nobody has confirmed them yet.
        seats.lock_for_submit(session, participant)
        quizzes.submit(
            session,
            attempt=attempt,
            key=attempt.idempotency_key,
            course=workshop.course,
            unconfirmed=seats.unconfirmed_clause(),
        )
    return attempt


# --- the satisfaction survey ---------------------------------------------------------------------


def save_feedback(
    session: Session,
    *,
    participant: Participant,
    satisfaction: str,
    understanding: str,
    comment: str,
) -> WorkshopFeedback:
    phase = participant.workshop.current_phase
    if phase is not Phase.SURVEY:
        raise Conflict(
            f"いまはアンケートの時間ではありません（現在は「{phase.label}」です）。"
            "回答は保存されていません。"
        )
    values = {}
    for name, raw in (("satisfaction", satisfaction), ("understanding", understanding)):
        if raw not in {"1", "2", "3", "4", "5"}:
            raise DomainError("5つの中から選んでください。", name)
        values[name] = int(raw)
    comment = clean_multiline(comment)  # a textarea: its line breaks stay
    if len(comment) > 2000:
        raise DomainError("感想は2000文字以内で入力してください。", "comment")
    feedback = session.get(WorkshopFeedback, participant.id)
    if feedback is None:
        feedback = WorkshopFeedback(participant_id=participant.id)
        session.add(feedback)
    feedback.satisfaction = values["satisfaction"]
    feedback.understanding = values["understanding"]
    feedback.comment = comment
    feedback.answered_at = utcnow()
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # sent twice at once: send it again over the first
        return save_feedback(
            session,
            participant=participant,
            satisfaction=satisfaction,
            understanding=understanding,
            comment=comment,
        )
    return feedback


def feedback_of(session: Session, participant: Participant) -> WorkshopFeedback | None:
    return session.get(WorkshopFeedback, participant.id)


@dataclass
class Distribution:
    label: str
    scale: tuple[str, ...]
    counts: list[int]  # for 1..5

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        return sum((i + 1) * c for i, c in enumerate(self.counts)) / self.n if self.n else None


@dataclass
class FeedbackSummary:
    satisfaction: Distribution
    understanding: Distribution
    comments: list[str]


def feedback_summary(session: Session, workshop: Workshop) -> FeedbackSummary:
    rows = session.execute(
        select(
            WorkshopFeedback.satisfaction, WorkshopFeedback.understanding, WorkshopFeedback.comment
        )
        .join(Participant, Participant.id == WorkshopFeedback.participant_id)
        .where(Participant.workshop_id == workshop.id)
        .order_by(WorkshopFeedback.answered_at)
    ).all()
    satisfaction = Distribution("研修の感想", SATISFACTION_LABELS, [0] * 5)
    understanding = Distribution("理解できましたか", UNDERSTANDING_LABELS, [0] * 5)
    comments = []
    for s, u, comment in rows:
        satisfaction.counts[s - 1] += 1
        understanding.counts[u - 1] += 1
        if comment:
            comments.append(comment)
    return FeedbackSummary(satisfaction, understanding, comments)


# --- the projector -------------------------------------------------------------------------------


@dataclass
class QuestionBars:
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


@dataclass
class TestProgress:
    started: int = 0
    submitted: int = 0


@dataclass
class ProjectorState:
    phase: Phase
    joined: int
    tests: dict[str, TestProgress] = field(default_factory=dict)
    questions: list[QuestionBars] = field(default_factory=list)
    feedback_count: int = 0


def projector_state(session: Session, workshop: Workshop) -> ProjectorState:
    """Counts only, no names: this is on the wall. Answers count as they are saved, so the bars
    move while people answer; each question counts each attempt once (one answer per question)."""
    course = workshop.course
    joined = session.scalar(
        select(func.count()).select_from(Participant).where(Participant.workshop_id == workshop.id)
    )
    tests = {"pre": TestProgress(), "post": TestProgress()}
    # Started means answered at least one question (attempts are opened for the whole room
    # when the test begins); submitted is the attempt's status.
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

    pre_bank, post_bank = (
        bank_of(session, course.pre_quiz),
        bank_of(session, course.post_quiz),
    )
    ids = (list(post_bank.question_ids) if post_bank else []) + (
        list(pre_bank.question_ids) if pre_bank else []
    )
    rows = {q.id: q for q in session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids)))}
    scored = [i for i in ids if rows[i].type != "likert"]
    bars: dict[str, QuestionBars] = {}
    for qid in scored:
        q = rows[qid]
        if q.key not in bars:
            bars[q.key] = QuestionBars(len(bars) + 1, q.key, q.topic, q.body["text"])
    key_of = {qid: rows[qid].key for qid in scored}
    if scored:
        counted = session.execute(
            select(
                Attempt.phase,
                Answer.question_id,
                func.count(),
                func.sum(case((Answer.fully_right, 1), else_=0)),
            )
            .join(Attempt, Attempt.id == Answer.attempt_id)
            .where(Attempt.workshop_id == workshop.id, Answer.question_id.in_(scored))
            .group_by(Attempt.phase, Answer.question_id)
        )
        for phase, question_id, n, right in counted:
            target = bars[key_of[question_id]]
            if phase == "pre":
                target.pre_n += n
                target.pre_right += int(right or 0)
            else:
                target.post_n += n
                target.post_right += int(right or 0)
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
        questions=list(bars.values()),
        feedback_count=feedback_count or 0,
    )


# --- the trainer's list of who joined ------------------------------------------------------------


@dataclass
class ParticipantRow:
    participant: Participant
    pre: Attempt | None
    post: Attempt | None
    feedback: WorkshopFeedback | None
    certificate_serial: str | None
    certificate_pending: bool = False  # 確認中: nobody confirmed who passed, or not on the roster


def participant_rows(session: Session, workshop: Workshop) -> list[ParticipantRow]:
    participants = list(
        session.scalars(
            select(Participant)
            .where(Participant.workshop_id == workshop.id)
            .options(selectinload(Participant.member), selectinload(Participant.organisation))
            .order_by(Participant.joined_at, Participant.id)
        )
    )
    attempts = {
        (a.member_id, a.phase): a
        for a in session.scalars(select(Attempt).where(Attempt.workshop_id == workshop.id))
    }
    feedback = {
        f.participant_id: f
        for f in session.scalars(
            select(WorkshopFeedback).where(
                WorkshopFeedback.participant_id.in_([p.id for p in participants])
            )
        )
    }
    post_ids = [a.id for (_, phase), a in attempts.items() if phase == "post"]
    issued = {
        c.attempt_id: c
        for c in session.scalars(select(Certificate).where(Certificate.attempt_id.in_(post_ids)))
    }
    rows = []
    for p in participants:
        post = attempts.get((p.member_id, "post"))
        certificate = issued.get(post.id) if post else None
        rows.append(
            ParticipantRow(
                participant=p,
                pre=attempts.get((p.member_id, "pre")),
                post=post,
                feedback=feedback.get(p.id),
                certificate_serial=certificate.serial_label if certificate else None,
                certificate_pending=bool(
                    certificate
                    and (certificate.awaiting_confirmation or p.member.needs_review)
                    and certificate.revoked_at is None
                ),
            )
        )
    return rows
