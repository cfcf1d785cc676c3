"""What a learner sees of a course's text: the active courses and modules, the module pages in
order, what a member has read, and marking a module as read."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from trainer.accounts.models import Member, Network
from trainer.content import placeholders
from trainer.database import Session
from trainer.errors import NotFound
from trainer.learning.models import Course, CourseModule, ModuleRead, ModuleVersion
from trainer.markdown import render


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
    """The active course with its modules and their current versions, loaded in two queries: a
    module page counts the minutes left over every module (13 lazy loads a page otherwise)."""
    course = session.scalar(
        select(Course)
        .where(Course.slug == slug, Course.is_active.is_(True))
        .options(selectinload(Course.modules).joinedload(CourseModule.current_version))
    )
    if course is None:
        raise NotFound("研修が見つかりません。")
    return course


def active_modules(course: Course) -> list[CourseModule]:
    return [m for m in course.modules if m.is_active and m.current_version is not None]


def current_version(module: CourseModule) -> ModuleVersion:
    """The version an active module shows (active_modules keeps only modules that have one)."""
    version = module.current_version
    if version is None:
        raise NotFound("モジュールが見つかりません。")
    return version


def read_module_ids(session: Session, member: Member, module_ids: list[int]) -> frozenset[int]:
    """The modules among these that the member has read (any version of them)."""
    if not module_ids:
        return frozenset()
    rows = session.scalars(
        select(ModuleRead.module_id).where(
            ModuleRead.member_id == member.id, ModuleRead.module_id.in_(module_ids)
        )
    )
    return frozenset(rows)


def has_read_every_module(session: Session, member: Member, course: Course) -> bool:
    """Whether the member has read every module of the course (any version of each), as the
    post-quiz requires when taken alone."""
    modules = active_modules(course)
    read = read_module_ids(session, member, [m.id for m in modules])
    return all(m.id in read for m in modules)


def module_page(
    session: Session, member: Member | None, course_slug: str, module_slug: str
) -> ModulePage:
    course = get_course(session, course_slug)
    modules = active_modules(course)
    index = next((i for i, m in enumerate(modules) if m.slug == module_slug), None)
    if index is None:
        raise NotFound("モジュールが見つかりません。")
    module = modules[index]
    read = read_module_ids(session, member, [m.id for m in modules]) if member else frozenset()
    return ModulePage(
        course=course,
        module=module,
        version=current_version(module),
        position=index + 1,
        total=len(modules),
        previous=modules[index - 1] if index > 0 else None,
        next=modules[index + 1] if index + 1 < len(modules) else None,
        is_read=module.id in read,
        minutes_left=sum(
            current_version(m).minutes
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
