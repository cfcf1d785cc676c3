"""Loading course files and question banks into the database: all or nothing, versions kept.

It writes both the learning tables (courses, modules, their versions) and the quiz tables (banks,
question versions), so it sits above both packages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from trainer.content.banks import bank_paths, load_bank
from trainer.content.courses import CourseFile, course_dirs, load_course
from trainer.content.problems import ContentError, Problem
from trainer.content.quizzes import Question, QuestionBank
from trainer.database import Session
from trainer.learning.models import Course, CourseModule, ModuleVersion
from trainer.quizzes.models import QuizBank, QuizQuestion


@dataclass(frozen=True)
class LoadReport:
    courses: int
    modules: int
    new_versions: int
    hidden_courses: int
    banks: int = 0
    new_questions: int = 0

    def __str__(self) -> str:
        return (
            f"研修 {self.courses} 件・モジュール {self.modules} 件を読み込みました"
            f"（新しい版 {self.new_versions} 件、非表示にした研修 {self.hidden_courses} 件）。"
            f"問題集 {self.banks} 件（新しい版の問題 {self.new_questions} 件）。"
        )


def read_all(
    courses_root: Path, quizzes_root: Path | None
) -> tuple[list[CourseFile], list[QuestionBank]]:
    """Every course and question bank, or ContentError listing every problem in every file."""
    courses: list[CourseFile] = []
    banks: list[QuestionBank] = []
    problems: list[Problem] = []
    for course_dir in course_dirs(courses_root):
        try:
            courses.append(load_course(course_dir, quizzes_root))
        except ContentError as error:
            problems.extend(error.problems)
    for path in bank_paths(quizzes_root) if quizzes_root else []:
        try:
            banks.append(load_bank(path))
        except ContentError as error:
            problems.extend(error.problems)
    if any(not p.warning for p in problems):
        raise ContentError(problems)
    return courses, banks


def load_courses(session: Session, courses_root: Path, quizzes_root: Path | None) -> LoadReport:
    """Validate every course first; only if all are sound, write them in one transaction.

    A module whose file changed gets a new version; the old version stays, with the progress that
    refers to it. Courses and modules that are gone are hidden, never deleted.
    """
    files, banks = read_all(courses_root, quizzes_root)
    new_questions = sum(_upsert_bank(session, bank) for bank in banks)
    new_versions = 0
    modules = 0
    for course_file in files:
        course = _upsert_course(session, course_file)
        present, created = _upsert_modules(session, course, course_file)
        modules += present
        new_versions += created
    hidden = 0
    seen_slugs = {course_file.slug for course_file in files}
    for course in session.scalars(select(Course).where(Course.is_active.is_(True))):
        if course.slug not in seen_slugs:
            course.is_active = False
            hidden += 1
    session.commit()
    return LoadReport(
        courses=len(files),
        modules=modules,
        new_versions=new_versions,
        hidden_courses=hidden,
        banks=len(banks),
        new_questions=new_questions,
    )


def _upsert_modules(session: Session, course: Course, course_file: CourseFile) -> tuple[int, int]:
    """The course's modules in file order, each pointing at the version of its file (new if the
    file changed); modules no longer listed are hidden. Returns (modules, new versions)."""
    present = set()
    new_versions = 0
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
    for module in session.scalars(select(CourseModule).where(CourseModule.course_id == course.id)):
        if module.id not in present:
            module.is_active = False
    return len(course_file.modules), new_versions


def _upsert_course(session: Session, course_file: CourseFile) -> Course:
    course = session.scalar(select(Course).where(Course.slug == course_file.slug))
    if course is None:
        course = Course(slug=course_file.slug)
        session.add(course)
    course.title = course_file.title
    course.summary = course_file.summary
    course.pre_quiz = course_file.pre_quiz
    course.post_quiz = course_file.post_quiz
    course.survey = course_file.survey
    course.pass_mark = course_file.pass_mark
    course.certificate_months = course_file.certificate_months
    course.reviewed_on = course_file.reviewed_on
    course.sources = list(course_file.sources)
    course.counterbalance = course_file.counterbalance
    course.source_hash = course_file.source_hash
    course.is_active = True
    session.flush()
    return course


def _upsert_bank(session: Session, bank: QuestionBank) -> int:
    """Store the bank and a version of each question whose content changed. Returns new versions."""
    row = session.scalar(select(QuizBank).where(QuizBank.slug == bank.id))
    if row is None:
        row = QuizBank(slug=bank.id, title=bank.title, source_hash=bank.source_hash)
        session.add(row)
        session.flush()
    created = 0
    ids: list[int] = []
    variant_ids: dict[str, list[int]] = {}
    for question in bank.questions:
        for version in question.versions:
            row_id, new = _upsert_question(session, row, version)
            created += new
            if version.variant == 1:
                ids.append(row_id)
            else:
                variant_ids.setdefault(question.id, []).append(row_id)
    row.title, row.description, row.shuffle = bank.title, bank.description, bank.shuffle
    row.question_ids, row.source_hash = ids, bank.source_hash
    row.variant_ids = variant_ids
    return created


def _upsert_question(session: Session, bank: QuizBank, question: Question) -> tuple[int, bool]:
    """The stored version of one question (or one of its variants): the row with its content
    hash, created if the content is new. Returns (row id, whether it was created)."""
    version = session.scalar(
        select(QuizQuestion).where(
            QuizQuestion.bank_id == bank.id,
            QuizQuestion.key == question.id,
            QuizQuestion.content_hash == question.content_hash,
        )
    )
    if version is None:
        version = QuizQuestion(
            bank_id=bank.id,
            key=question.id,
            content_hash=question.content_hash,
            type=question.type,
            topic=question.topic,
            body=question_body(question),
        )
        session.add(version)
        session.flush()
        return version.id, True
    if version.body.get("explanation") != question.explanation:
        # The explanation is not part of the version: improving it reaches everyone.
        version.body = {**version.body, "explanation": question.explanation}
    return version.id, False


def question_body(question: Question) -> dict[str, Any]:
    return {
        "text": question.text,
        "explanation": question.explanation,
        "required": question.required,
        "scale": question.scale,
        "choices": [{"key": c.key, "text": c.text, "correct": c.correct} for c in question.choices],
        "cases": [{"key": c.key, "text": c.text, "answer": c.answer} for c in question.cases],
        "variant": question.variant,
    }
