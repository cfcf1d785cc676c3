"""Reading and validating course files: good content, and each kind of error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.content.helpers import COURSE_YAML, FIRST, SECOND, write_course
from trainer.content.courses import check_path, load_course
from trainer.content.problems import ContentError

REPO = Path(__file__).resolve().parents[2]


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


def test_a_good_course_loads_into_frozen_dataclasses(tmp_path):
    course = load_course(write_course(tmp_path))
    assert course.slug == "test-course" and course.title == "テスト研修"
    assert [m.slug for m in course.modules] == ["01-first", "02-second"]
    assert [m.minutes for m in course.modules] == [3, 4] and course.minutes == 7
    assert course.modules[0].title == "はじめに"
    assert course.modules[0].body.startswith("## 私たちの窓口")
    assert len(course.modules[0].source_hash) == 64
    assert course.pass_mark == 80 and course.certificate_months == 24
    assert course.pre_quiz is None
    with pytest.raises(AttributeError):
        course.title = "changed"  # type: ignore[misc]


def test_the_basic_course_in_the_repository_is_valid():
    problems = check_path(REPO / "courses" / "mimamori-basic", REPO / "quizzes")
    assert [p for p in problems if not p.warning] == []
    course = load_course(REPO / "courses" / "mimamori-basic")
    assert course.title == "見守りネットワーク 基礎研修"
    assert len(course.modules) == 13
    assert all(3 <= m.minutes <= 5 for m in course.modules)


def test_unknown_key_is_reported_with_its_line(tmp_path):
    folder = write_course(tmp_path, course_yaml=COURSE_YAML + "passmark: 70\n")
    assert messages(check_path(folder)) == [
        f"{folder / 'course.yaml'}:8: 知らないキー「passmark」です（使えるキー: "
        "certificate_months、counterbalance、modules、pass_mark、post_quiz、pre_quiz、"
        "reviewed_on、sources、summary、survey、title）"
    ]


def test_missing_module_file_points_at_its_list_item(tmp_path):
    folder = write_course(tmp_path, modules={"01-first.md": FIRST})
    assert messages(check_path(folder)) == [
        f"{folder / 'course.yaml'}:5: モジュールのファイル「02-second.md」がありません"
    ]
    with pytest.raises(ContentError) as caught:
        load_course(folder)
    assert "02-second.md" in str(caught.value)


def test_missing_required_keys_and_bad_values(tmp_path):
    text = "title: ''\nmodules: []\npass_mark: 120\ncertificate_months: 'two years'\n"
    found = messages(check_path(write_course(tmp_path, course_yaml=text, modules={})))
    assert any(":1: title は空でない文字列にしてください" in m for m in found)
    assert any(":2: modules にはモジュールのファイル名を1つ以上" in m for m in found)
    assert any(":3: pass_mark は 0〜100 の整数" in m for m in found)
    assert any(":4: certificate_months は 1〜120 の整数" in m for m in found)


def test_broken_quiz_reference(tmp_path):
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "basic-pre.yaml").write_text("id: basic-pre\n")
    text = COURSE_YAML + "pre_quiz: basic-pre\npost_quiz: basic-post\n"
    folder = write_course(tmp_path / "courses", course_yaml=text)
    assert messages(check_path(folder, quizzes)) == [
        f"{folder / 'course.yaml'}:9: post_quiz の問題集「basic-post」がありません"
        "（quizzes/basic-post.yaml）"
    ]


def test_yaml_syntax_error_has_a_line(tmp_path):
    folder = write_course(tmp_path, course_yaml="title: x\nmodules:\n  - a.md\n - b.md\n")
    [problem] = check_path(folder)
    assert problem.line == 4 and "YAMLの書き方が正しくありません" in problem.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("title: x\nminutes: 3\n---\nbody\n", 1, "1行目は前書き（front matter）の始まり「---」"),
        ("---\ntitle: x\nminutes: 3\nbody\n", 1, "前書きの終わり「---」がありません"),
        ("---\ntitle: x\nminutes: 3\nauthor: me\n---\nbody\n", 4, "前書きに知らないキー「author」"),
        ("---\ntitle: x\nminutes: three\n---\nbody\n", 3, "前書きに minutes（読む時間の目安"),
        ("---\nminutes: 3\n---\nbody\n", 1, "前書きに title（モジュールの題名）"),
        (
            "---\ntitle: x\nminutes: 3\n---\n本文\n\n{{ nearest_station }}\n",
            7,
            "知らない差し込み項目",
        ),
        ("---\ntitle: x\nminutes: 3\n---\n{{consumer-centre}}\n", 5, "知らない差し込み項目"),
        (
            "---\ntitle: x\nminutes: 3\n---\n\n!!! warning\n    x\n",
            6,
            "囲み「!!! warning」は使えません",
        ),
    ],
)
def test_module_errors_have_file_line_and_message(tmp_path, text, line, message):
    folder = write_course(tmp_path, modules={"01-first.md": text, "02-second.md": SECOND})
    found = [p for p in check_path(folder) if not p.warning]
    assert len(found) == 1, messages(found)
    assert found[0].file.endswith("01-first.md")
    assert found[0].line == line
    assert message in found[0].message


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    folder = write_course(
        tmp_path,
        course_yaml=COURSE_YAML + "colour: red\n",
        modules={"01-first.md": "---\ntitle: x\n---\n{{ nope }}\n", "02-second.md": SECOND},
    )
    found = messages(check_path(folder))
    assert len(found) == 3  # unknown key, missing minutes, unknown placeholder


def test_unlisted_module_file_is_a_warning_not_an_error(tmp_path):
    folder = write_course(
        tmp_path, modules={"01-first.md": FIRST, "02-second.md": SECOND, "03-draft.md": SECOND}
    )
    [problem] = check_path(folder)
    assert problem.warning and "使われません" in str(problem)
    load_course(folder)  # still loads


def test_check_a_single_module_file(tmp_path):
    folder = write_course(tmp_path)
    assert check_path(folder / "01-first.md") == []
    assert check_path(tmp_path / "nothing-here") != []
