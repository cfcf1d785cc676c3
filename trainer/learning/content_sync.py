"""Loading course files into the database: all or nothing, versions kept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.content.courses import CourseFile, course_dirs, load_course
from trainer.content.problems import ContentError, Problem
from trainer.learning.models import Course, CourseModule, ModuleVersion


@dataclass(frozen=True)
class LoadReport:
    courses: int
    modules: int
    new_versions: int
    hidden_courses: int

    def __str__(self) -> str:
        return (
            f"研修 {self.courses} 件・モジュール {self.modules} 件を読み込みました"
            f"（新しい版 {self.new_versions} 件、非表示にした研修 {self.hidden_courses} 件）。"
        )


def read_all(courses_root: Path, quizzes_root: Path | None) -> list[CourseFile]:
    """Every course under courses_root, or ContentError listing every problem in every course."""
    courses: list[CourseFile] = []
    problems: list[Problem] = []
    for course_dir in course_dirs(courses_root):
        try:
            courses.append(load_course(course_dir, quizzes_root))
        except ContentError as error:
            problems.extend(error.problems)
    if any(not p.warning for p in problems):
        raise ContentError(problems)
    return courses


def load_courses(session: Session, courses_root: Path, quizzes_root: Path | None) -> LoadReport:
    """Validate every course first; only if all are sound, write them in one transaction.

    A module whose file changed gets a new version; the old version stays, with the progress that
    refers to it. Courses and modules that are gone are hidden, never deleted.
    """
    files = read_all(courses_root, quizzes_root)
    new_versions = 0
    modules = 0
    seen_slugs = set()
    for course_file in files:
        seen_slugs.add(course_file.slug)
        course = _upsert_course(session, course_file)
        present = set()
        for position, module_file in enumerate(course_file.modules, start=1):
            module = session.scalar(
                select(CourseModule).where(
                    CourseModule.course_id == course.id, CourseModule.slug == module_file.slug
                )
            )
            if module is None:
                module = CourseModule(course_id=course.id, slug=module_file.slug, position=position)
                session.add(module)
                session.flush()
            module.position, module.is_active = position, True
            version = session.scalar(
                select(ModuleVersion).where(
                    ModuleVersion.module_id == module.id,
                    ModuleVersion.source_hash == module_file.source_hash,
                )
            )
            if version is None:
                version = ModuleVersion(
                    module_id=module.id,
                    source_hash=module_file.source_hash,
                    title=module_file.title,
                    minutes=module_file.minutes,
                    body=module_file.body,
                )
                session.add(version)
                session.flush()
                new_versions += 1
            module.current_version_id = version.id
            present.add(module.id)
            modules += 1
        for module in session.scalars(
            select(CourseModule).where(CourseModule.course_id == course.id)
        ):
            if module.id not in present:
                module.is_active = False
    hidden = 0
    for course in session.scalars(select(Course).where(Course.is_active.is_(True))):
        if course.slug not in seen_slugs:
            course.is_active = False
            hidden += 1
    session.commit()
    return LoadReport(
        courses=len(files), modules=modules, new_versions=new_versions, hidden_courses=hidden
    )


def _upsert_course(session: Session, course_file: CourseFile) -> Course:
    course = session.scalar(select(Course).where(Course.slug == course_file.slug))
    if course is None:
        course = Course(slug=course_file.slug)
        session.add(course)
    course.title = course_file.title
    course.summary = course_file.summary
    course.pre_quiz = course_file.pre_quiz
    course.post_quiz = course_file.post_quiz
    course.pass_mark = course_file.pass_mark
    course.certificate_months = course_file.certificate_months
    course.source_hash = course_file.source_hash
    course.is_active = True
    session.flush()
    return course
