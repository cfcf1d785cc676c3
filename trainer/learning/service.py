"""What a learner sees of a course: progress, the module pages in order, marking as read."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainer.accounts.models import Member, Network
from trainer.content import placeholders
from trainer.database import Session
from trainer.errors import NotFound
from trainer.learning.models import Course, CourseModule, ModuleRead, ModuleVersion
from trainer.markdown import render


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    modules: list[CourseModule]
    read_module_ids: frozenset[int]
    pre_done: bool = False
    post_taken: bool = False
    post_passed: bool = False

    @property
    def total(self) -> int:
        return len(self.modules)

    @property
    def read_count(self) -> int:
        return sum(1 for m in self.modules if m.id in self.read_module_ids)

    @property
    def minutes_left(self) -> int:
        return sum(
            m.current_version.minutes for m in self.modules if m.id not in self.read_module_ids
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


@dataclass(frozen=True)
class ModulePage:
    course: Course
    module: CourseModule
    version: ModuleVersion
    position: int  # 1-based
    total: int
    previous: CourseModule | None
    next: CourseModule | None
    is_read: bool
    minutes_left: int  # this module and the unread ones after it


def active_courses(session: Session) -> list[Course]:
    return list(
        session.scalars(select(Course).where(Course.is_active.is_(True)).order_by(Course.title))
    )


def get_course(session: Session, slug: str) -> Course:
    course = session.scalar(select(Course).where(Course.slug == slug, Course.is_active.is_(True)))
    if course is None:
        raise NotFound("研修が見つかりません。")
    return course


def active_modules(course: Course) -> list[CourseModule]:
    return [m for m in course.modules if m.is_active and m.current_version is not None]


def _read_module_ids(session: Session, member: Member, module_ids: list[int]) -> frozenset[int]:
    if not module_ids:
        return frozenset()
    rows = session.scalars(
        select(ModuleRead.module_id).where(
            ModuleRead.member_id == member.id, ModuleRead.module_id.in_(module_ids)
        )
    )
    return frozenset(rows)


def progress(session: Session, member: Member, course: Course) -> CourseProgress:
    """A module counts as read if the member read any version of it."""
    from trainer.quizzes.models import Attempt

    modules = active_modules(course)
    read = _read_module_ids(session, member, [m.id for m in modules])
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
    )


def courses_for_member(session: Session, member: Member) -> list[CourseProgress]:
    return [progress(session, member, course) for course in active_courses(session)]


def module_page(
    session: Session, member: Member | None, course_slug: str, module_slug: str
) -> ModulePage:
    course = get_course(session, course_slug)
    modules = active_modules(course)
    index = next((i for i, m in enumerate(modules) if m.slug == module_slug), None)
    if index is None:
        raise NotFound("モジュールが見つかりません。")
    module = modules[index]
    read = _read_module_ids(session, member, [m.id for m in modules]) if member else frozenset()
    return ModulePage(
        course=course,
        module=module,
        version=module.current_version,
        position=index + 1,
        total=len(modules),
        previous=modules[index - 1] if index > 0 else None,
        next=modules[index + 1] if index + 1 < len(modules) else None,
        is_read=module.id in read,
        minutes_left=sum(
            m.current_version.minutes
            for m in modules[index:]
            if m.id not in read or m.id == module.id
        ),
    )


def mark_read(session: Session, member: Member, page: ModulePage) -> None:
    """Record that the member read the version on the page. Repeating it changes nothing."""
    exists = session.scalar(
        select(ModuleRead.id).where(
            ModuleRead.member_id == member.id, ModuleRead.module_version_id == page.version.id
        )
    )
    if exists is None:
        session.add(
            ModuleRead(
                member_id=member.id, module_version_id=page.version.id, module_id=page.module.id
            )
        )
        try:
            session.commit()
        except IntegrityError:
            # A double tap raced us to the same row: it is recorded once, which is the point.
            session.rollback()


def module_html(version: ModuleVersion, network: Network, *, staff: bool) -> Markup:
    """The module's text for this network: placeholders filled, or marked/neutral when unset."""
    html = render(placeholders.to_tokens(version.body))
    return placeholders.fill(html, network.local_facts(), staff=staff)
