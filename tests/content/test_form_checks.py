"""The checker's warnings on a course's two test forms: keys that are the longest option, text
copied from the modules, forms that do not pair by id, items without a variant or without
「わからない」, and items withheld until a network sets its local facts. Each fires on a crafted
mistake and not on a clean pair; none of them fails the check."""

from __future__ import annotations

from pathlib import Path

from tests.content.helpers import write_course
from trainer.content.courses import check_path
from trainer.content.text_overlap import plain

COURSE = """\
title: テスト研修
modules:
  - 01-first.md
pre_quiz: form-a
post_quiz: form-b
counterbalance: true
pass_mark: 80
certificate_months: 24
"""

MODULE = """\
---
title: クーリング・オフ
minutes: 3
---
## 期間

訪問販売で契約したときは、書面を受け取った日から数えて8日以内なら、
理由を言わずに契約をやめられます。

- 通信販売は対象外です
"""

FORM = """\
title: テスト {name}
questions:
  - id: period
    type: single
    topic: cooling-off
    text: {text}
    choices:
      - text: 3日
      - text: 8日
        correct: true
      - text: 20日
      - text: わからない
    explanation: 8日です。
    variants:
      - text: {variant}
        choices:
          - text: 8日
            correct: true
          - text: 14日
          - text: 1か月
          - text: わからない
        explanation: 8日です。
  - id: which
    type: truefalse
    topic: cooling-off
    text: クーリング・オフできるものに「はい」。
    cases:
      - text: {case}
        answer: はい
      - text: 店で買ったテレビ
        answer: いいえ
    explanation: 訪問販売はできます。
    variants:
      - text: クーリング・オフできるものに「はい」で答えてください。
        cases:
          - text: 電話で勧められた健康食品
            answer: はい
          - text: ネットで買った靴
            answer: いいえ
        explanation: 電話勧誘販売はできます。
"""
A = {
    "name": "A",
    "text": "家に来た業者と契約しました。何日以内ならやめられますか。",
    "variant": "玄関で勧められて契約しました。期間は何日ですか。",
    "case": "家に来た業者と結んだ屋根の工事",
}
B = {
    "name": "B",
    "text": "突然来た人から布団を買いました。何日以内ならやめられますか。",
    "variant": "戸別訪問で浄水器を買いました。期間は何日ですか。",
    "case": "玄関先で勧められた布団",
}


def write(tmp_path: Path, a: str | None = None, b: str | None = None) -> tuple[Path, Path]:
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir(exist_ok=True)
    (quizzes / "form-a.yaml").write_text(a or FORM.format(**A), encoding="utf-8")
    (quizzes / "form-b.yaml").write_text(b or FORM.format(**B), encoding="utf-8")
    folder = write_course(tmp_path / "courses", course_yaml=COURSE, modules={"01-first.md": MODULE})
    return folder, quizzes


def warnings(tmp_path: Path, a: str | None = None, b: str | None = None) -> list[str]:
    folder, quizzes = write(tmp_path, a, b)
    problems = check_path(folder, quizzes)
    assert all(p.warning for p in problems), [str(p) for p in problems]
    return [str(p) for p in problems]


def test_a_clean_pair_of_forms_has_no_warning(tmp_path):
    assert warnings(tmp_path) == []


def test_keys_that_are_the_longest_option_are_counted_per_form(tmp_path):
    long_key = FORM.format(**A).replace("- text: 8日\n", "- text: 書面を受け取ってから8日\n")
    (found,) = warnings(tmp_path, a=long_key)
    assert found.startswith(f"{tmp_path / 'quizzes' / 'form-a.yaml'}:2: 警告: ")
    assert "単一選択（single）の 2 版のうち 2 版（100%）で、正解がいちばん長い選択肢です" in found
    assert "period（3行）、period（版2）（15行）" in found


def test_one_long_key_in_three_is_within_the_limit(tmp_path):
    # One of the form's three single-choice versions (a third, the limit) is no warning.
    third = FORM.format(**A).replace(
        "- text: 8日\n        correct", "- text: 8日間です\n        correct"
    )
    extra = third.replace("  - id: which\n", _ANOTHER_SINGLE + "  - id: which\n")
    assert [w for w in warnings(tmp_path, a=extra) if "いちばん長い" in w] == []


_ANOTHER_SINGLE = """\
  - id: more
    type: single
    topic: cooling-off
    text: 書面はいつ受け取りますか。
    choices:
      - text: 契約のとき
        correct: true
      - text: 一年たってから
      - text: わからない
    explanation: 契約のときです。
"""


def test_text_copied_from_a_module_names_the_module_line_and_the_common_part(tmp_path):
    copied = FORM.format(
        **{**B, "case": "訪問販売で契約したときは、書面を受け取った日から数えた契約"}
    )
    (found,) = warnings(tmp_path, b=copied)
    module = tmp_path / "courses" / "test-course" / "01-first.md"
    assert f"form-b.yaml:28: 警告: 問題「which」の事例が、モジュール {module}:7 と" in found
    assert "「訪問販売で契約したときは、書面を受け取った日から数え" in found


def test_a_sentence_wrapped_over_two_lines_in_the_module_still_counts(tmp_path):
    copied = FORM.format(
        **{**B, "text": "日から数えて8日以内なら、理由を言わずに、とは何日ですか。"}
    )
    (found,) = warnings(tmp_path, b=copied)
    assert "問題「period」の問題文が" in found and ":7 と" in found


def test_markup_ruby_and_placeholders_are_not_part_of_the_compared_text():
    assert (
        plain("**8日**以内に<ruby>漏<rp>（</rp><rt>も</rt><rp>）</rp></ruby>れ") == "8日以内に漏れ"
    )
    assert plain("- 電話：{{ consumer_centre_phone }}") == "電話：\x00"


def test_ids_in_one_form_only_are_reported_in_that_form(tmp_path):
    renamed = FORM.format(**B).replace("id: which", "id: which-one")
    found = warnings(tmp_path, b=renamed)
    assert any("form-a.yaml:23: 警告: 問題「which」が " in w and "にありません" in w for w in found)
    assert any("form-b.yaml:23: 警告: 問題「which-one」が " in w for w in found), found


def test_another_topic_type_or_number_of_choices_is_a_pairing_warning(tmp_path):
    other = (
        FORM.format(**B)
        .replace(
            "topic: cooling-off\n    text: クーリング", "topic: remedies\n    text: クーリング"
        )
        .replace("      - text: 20日\n", "")
    )
    found = warnings(tmp_path, b=other)
    assert any("問題「which」のtopicが" in w and "cooling-off と remedies" in w for w in found)
    assert any(
        "form-b.yaml:6: 警告: 問題「period」の選択肢・事例の数（3）が" in w
        and "（4）と違います" in w
        for w in found
    ), found


def test_a_scored_question_without_a_variant_is_reported_in_both_forms(tmp_path):
    head, _, tail = FORM.format(**A).partition("    variants:\n      - text: 玄関")
    single = head + "  - id: which" + tail.partition("  - id: which")[2]
    (found,) = warnings(tmp_path, a=single)
    assert "form-a.yaml:3: 警告: 問題「period」の版が1つだけです" in found


def test_a_single_choice_without_dont_know_is_reported(tmp_path):
    without = FORM.format(**A).replace("          - text: わからない\n", "", 1)
    found = warnings(tmp_path, a=without)
    message = "form-a.yaml:15: 警告: 問題「period」の版2に「わからない」の選択肢がありません"
    assert any(message in w for w in found), found
    # (and the version now has 3 choices where form A's main version has 4: another warning)
    assert any("問題「period」の版2の選択肢・事例の数（3）" in w for w in found), found


def test_a_choice_naming_a_local_fact_is_withheld_until_it_is_set(tmp_path):
    local = FORM.format(**A).replace("- text: 20日\n", '- text: "{{ police_phone }}"\n')
    local = local.replace("- text: 14日\n", '- text: "{{ consumer_centre_name }}"\n')
    (found,) = warnings(tmp_path, a=local)
    assert "form-a.yaml:3: 警告: 問題「period」の選択肢・事例に地域の窓口情報" in found
    assert "（消費生活センターの名称・警察署の電話番号）" in found
    assert "設定されるまでこの問題は出題されず、採点もされません" in found


def test_a_bank_alone_gets_the_warnings_that_do_not_need_its_course(tmp_path):
    _, quizzes = write(tmp_path)
    bank = quizzes / "form-a.yaml"
    text = FORM.format(**A).replace("- text: 8日\n", "- text: 書面を受け取ってから8日\n")
    bank.write_text(text.replace("          - text: わからない\n", ""), encoding="utf-8")
    (found,) = [str(p) for p in check_path(bank)]
    assert "正解がいちばん長い選択肢です" in found  # and not 「わからない」: that is for a course


def test_checking_a_course_checks_the_banks_it_names(tmp_path):
    folder, quizzes = write(tmp_path)
    (quizzes / "form-b.yaml").write_text("title: B\nquestions: []\n", encoding="utf-8")
    found = [str(p) for p in check_path(folder, quizzes)]
    assert found == [f"{quizzes / 'form-b.yaml'}:2: questions に問題を1つ以上書いてください"]


def test_the_cli_prints_the_warnings_once_and_exits_0(app, tmp_path):
    long_key = FORM.format(**A).replace("- text: 8日\n", "- text: 書面を受け取ってから8日\n")
    folder, quizzes = write(tmp_path, a=long_key)
    app.config.update(COURSES_DIR=folder.parent, QUIZZES_DIR=quizzes)
    for args in (["content", "check", str(folder)], ["content", "check"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
        assert result.output.count("警告: 単一選択（single）の 2 版のうち 2 版") == 1, result.output
        assert "問題はありません" in result.output and "警告が 1 件あります。" in result.output
