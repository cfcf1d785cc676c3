"""Courses and modules as loaded from files, their versions, and what each member has read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import Model
from trainer.timeutil import utcnow


class Course(Model):
    """A course from courses/<slug>/course.yaml. Reloading updates it in place (same slug)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    pre_quiz: Mapped[str | None] = mapped_column(String(80))
    post_quiz: Mapped[str | None] = mapped_column(String(80))
    survey: Mapped[str | None] = mapped_column(String(80))
    pass_mark: Mapped[int] = mapped_column(Integer)
    certificate_months: Mapped[int] = mapped_column(Integer)
    source_hash: Mapped[str] = mapped_column(String(64))
    # 内容の確認日 and 法令の出典: when and against what the content was last checked.
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    # pre_quiz and post_quiz are parallel forms, taken A→B or B→A per learner
    # (trainer.quizzes.forms).
    counterbalance: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A course whose folder disappeared stays in the database (progress refers to it) but is hidden.
    is_active: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    modules: Mapped[list[CourseModule]] = relationship(
        back_populates="course", order_by="CourseModule.position"
    )


class CourseModule(Model):
    """One module of a course, identified by its file name; its text lives in versions."""

    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(default=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_version.id", use_alter=True)
    )

    course: Mapped[Course] = relationship(back_populates="modules")
    current_version: Mapped[ModuleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ModuleVersion(Model):
    """The text of a module as it was in one file version. Never changed once stored."""

    __table_args__ = (UniqueConstraint("module_id", "source_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id"), index=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    module: Mapped[CourseModule] = relationship(foreign_keys=[module_id])


class ModuleRead(Model):
    """A member marked a module version as read. Tied to the version that was actually read."""

    __table_args__ = (UniqueConstraint("member_id", "module_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_version.id"), index=True)
    # Denormalised so progress is one indexed query per member, whatever the version.
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
