"""A member's progress through a course: the modules read (learning) and the quizzes submitted
and passed (quizzes), combined into the status the learner's pages show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from trainer.accounts.models import Member
from trainer.database import Session
from trainer.learning.models import Course, CourseModule
from trainer.learning.service import (
    active_courses,
    active_modules,
    current_version,
    read_module_ids,
)
from trainer.quizzes.attempts import pre_test_first
from trainer.quizzes.models import Attempt


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    modules: list[CourseModule]
    read_module_ids: frozenset[int]
    pre_done: bool = False
    post_taken: bool = False
    post_passed: bool = False
    # The pre-test comes before anything else (quizzes.attempts.pre_test_first): the home page's
    # main button leads to it, and the post-test waits for it.
    pre_first: bool = False

    @property
    def total(self) -> int:
        return len(self.modules)

    @property
    def read_count(self) -> int:
        return sum(1 for m in self.modules if m.id in self.read_module_ids)

    @property
    def minutes_left(self) -> int:
        return sum(
            current_version(m).minutes for m in self.modules if m.id not in self.read_module_ids
        )

    @property
    def next_module(self) -> CourseModule | None:
        return next((m for m in self.modules if m.id not in self.read_module_ids), None)

    @property
    def completed(self) -> bool:
        """Passing the post-quiz completes a course; a course without one, reading every module."""
        if self.course.post_quiz:
            return self.post_passed
        return self.total > 0 and self.read_count == self.total

    @property
    def status(self) -> str:
        """未受講 / 事前テスト済 / 学習中 m/n / 事後テスト済 / 修了."""
        if self.completed:
            return "修了"
        if self.post_taken:
            return "事後テスト済"
        if self.read_count:
            return f"学習中 {self.read_count}/{self.total}"
        if self.pre_done:
            return "事前テスト済"
        return "未受講"


def progress(session: Session, member: Member, course: Course) -> CourseProgress:
    """A module counts as read if the member read any version of it."""
    modules = active_modules(course)
    read = read_module_ids(session, member, [m.id for m in modules])
    attempts = session.execute(
        select(Attempt.phase, Attempt.passed).where(
            Attempt.member_id == member.id,
            Attempt.course_id == course.id,
            Attempt.status == "submitted",
            # A workshop result under this name that nobody has confirmed is not theirs yet.
            Attempt.awaiting_confirmation.is_(False),
        )
    ).all()
    return CourseProgress(
        course=course,
        modules=modules,
        read_module_ids=read,
        pre_done=any(phase == "pre" for phase, _ in attempts),
        post_taken=any(phase == "post" for phase, _ in attempts),
        post_passed=any(phase == "post" and passed for phase, passed in attempts),
        pre_first=pre_test_first(session, member, course),
    )


def courses_for_member(session: Session, member: Member) -> list[CourseProgress]:
    return [progress(session, member, course) for course in active_courses(session)]
