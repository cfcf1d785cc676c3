"""Loading courses into the database: all or nothing, new versions on change, CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.content.helpers import COURSE_YAML, FIRST, SECOND, write_course
from trainer.content.problems import ContentError
from trainer.courses.loading import load_courses
from trainer.courses.progress import progress
from trainer.extensions import db
from trainer.learning import service
from trainer.learning.models import Course, CourseModule, ModuleRead, ModuleVersion


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_load_creates_courses_modules_and_versions(app, tmp_path):
    write_course(tmp_path)
    report = load_courses(db.session, tmp_path, None)
    assert (report.courses, report.modules, report.new_versions) == (1, 2, 2)
    course = db.session.scalar(select(Course))
    assert course.title == "テスト研修" and [m.slug for m in course.modules] == [
        "01-first",
        "02-second",
    ]
    again = load_courses(db.session, tmp_path, None)
    assert again.new_versions == 0 and count(ModuleVersion) == 2


def test_editing_a_file_makes_a_new_version_and_keeps_old_progress(
    app, tmp_path, make_network, make_member
):
    folder = write_course(tmp_path)
    load_courses(db.session, tmp_path, None)
    member = make_member(make_network())
    page = service.module_page(db.session, member, "test-course", "01-first")
    service.mark_read(db.session, member, page)
    old_version = page.version.id

    (folder / "01-first.md").write_text(
        FIRST.replace("はじめに", "はじめに（改訂）"), encoding="utf-8"
    )
    report = load_courses(db.session, tmp_path, None)
    assert report.new_versions == 1
    module = db.session.scalar(select(CourseModule).where(CourseModule.slug == "01-first"))
    assert module.current_version.title == "はじめに（改訂）"
    assert module.current_version_id != old_version
    read = db.session.scalar(select(ModuleRead))
    assert read.module_version_id == old_version  # progress stays tied to what was read
    assert db.session.get(ModuleVersion, old_version).title == "はじめに"
    # A module read in any version still counts as read.
    assert progress(db.session, member, module.course).read_count == 1


def test_broken_content_loads_nothing(app, tmp_path):
    write_course(tmp_path, "good-course")
    write_course(
        tmp_path, "bad-course", course_yaml=COURSE_YAML.replace("pass_mark: 80", "pass_mark: high")
    )
    with pytest.raises(ContentError) as caught:
        load_courses(db.session, tmp_path, None)
    assert "pass_mark は 0〜100 の整数" in str(caught.value)
    assert count(Course) == 0 and count(ModuleVersion) == 0


def test_removed_course_and_module_are_hidden_not_deleted(app, tmp_path):
    folder = write_course(tmp_path)
    load_courses(db.session, tmp_path, None)
    (folder / "course.yaml").write_text(
        COURSE_YAML.replace("  - 02-second.md\n", ""), encoding="utf-8"
    )
    (folder / "02-second.md").unlink()
    load_courses(db.session, tmp_path, None)
    course = db.session.scalar(select(Course))
    assert [m.slug for m in service.active_modules(course)] == ["01-first"]
    assert count(CourseModule) == 2
    (folder / "course.yaml").unlink()
    report = load_courses(db.session, tmp_path, None)
    assert report.hidden_courses == 1
    assert service.active_courses(db.session) == []


def test_cli_check_prints_file_line_message_and_exits_1(app, tmp_path):
    folder = write_course(
        tmp_path, modules={"01-first.md": FIRST + "\n{{ unknown_thing }}\n", "02-second.md": SECOND}
    )
    result = app.test_cli_runner().invoke(args=["content", "check", str(folder)])
    assert result.exit_code == 1
    assert (
        f"{folder / '01-first.md'}:13: 知らない差し込み項目「{{{{ unknown_thing }}}}」"
        in result.output
    )
    assert "1 件の問題があります。" in result.output


def test_cli_check_passes_good_content(app, tmp_path):
    folder = write_course(tmp_path)
    result = app.test_cli_runner().invoke(args=["content", "check", str(folder)])
    assert result.exit_code == 0 and "問題はありません" in result.output


def test_cli_load_refuses_broken_content_with_the_same_messages(app, tmp_path):
    write_course(tmp_path, modules={"01-first.md": FIRST})
    app.config["COURSES_DIR"] = tmp_path
    result = app.test_cli_runner().invoke(args=["content", "load"])
    assert result.exit_code == 1
    assert "course.yaml:5: モジュールのファイル「02-second.md」がありません" in result.output
    assert "何も読み込みませんでした" in result.output
    assert count(Course) == 0


def test_cli_load_loads_the_repository_courses(app):
    result = app.test_cli_runner().invoke(args=["content", "load"])
    assert result.exit_code == 0, result.output
    assert "研修 1 件・モジュール 13 件を読み込みました" in result.output
