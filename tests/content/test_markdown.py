"""Markdown rendering: what authors may use comes through; hostile markup never reaches a page."""

from __future__ import annotations

import pytest

from trainer.content import placeholders
from trainer.markdown import render


def test_tables_headings_with_ids_and_callouts():
    html = render(
        "## 見出し {#q1}\n\n### 日本語の見出し\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "!!! 注意\n    気をつけること\n\n!!! ポイント\n    大事なこと\n\n[Q1へ](#q1)\n"
    )
    assert '<h2 id="q1">見出し</h2>' in html
    assert '<h3 id="日本語の見出し">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<div class="admonition caution">' in html
    assert '<p class="admonition-title">注意</p>' in html
    assert '<div class="admonition point">' in html
    assert '<a href="#q1"' in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">x</a>',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<p style="position:fixed">x</p>',
        "<svg><script>alert(1)</script></svg>",
        '<form action="https://evil.example"><input name=p></form>',
        "[x](JaVaScRiPt:alert(1))",
        '<div class="unset">偽の未設定</div>',
    ],
)
def test_hostile_markup_never_reaches_the_page(hostile):
    html = str(render(f"本文\n\n{hostile}\n"))
    lowered = html.lower()
    for bad in (
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "style=",
        "<form",
        "<input",
    ):
        assert bad not in lowered, (hostile, html)
    assert 'class="unset"' not in html


def test_table_alignment_styles_are_dropped():
    html = render("| a |\n|:--|\n| 1 |\n")
    assert "style" not in html and "<td>1</td>" in html


def render_with(values: dict[str, str], *, staff: bool) -> str:
    source = "窓口：{{ consumer_centre_name }}\n\n電話：{{consumer_centre_phone}}\n"
    return str(placeholders.fill(render(placeholders.to_tokens(source)), values, staff=staff))


def test_placeholders_use_the_networks_values():
    html = render_with(
        {
            "consumer_centre_name": "みどり市消費生活センター",
            "consumer_centre_phone": "0000-11-2222",
        },
        staff=False,
    )
    assert '<span class="local-fact">みどり市消費生活センター</span>' in html
    assert "0000-11-2222" in html and "{{" not in html


def test_unset_placeholders_are_marked_for_staff_and_neutral_for_learners():
    staff = render_with({}, staff=True)
    assert staff.count("「未設定」") == 2 and "消費生活センターの電話番号" in staff
    learner = render_with({}, staff=False)
    assert "未設定" not in learner and "{{" not in learner and "MMLOCALFACT" not in learner
    assert "お住まいの市区町村の消費生活センター" in learner
    assert "消費者ホットライン188" in learner


def test_values_are_text_never_markup():
    html = render_with(
        {
            "consumer_centre_name": "<script>x</script>**太字**",
            "consumer_centre_phone": "[a](javascript:x)",
        },
        staff=False,
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>" not in html and "<a " not in html


def test_every_fact_has_a_label_and_a_fallback():
    for fact in placeholders.LOCAL_FACTS:
        assert fact.label and fact.learner_fallback and "{{" not in fact.learner_fallback


def test_readings_over_hard_kanji_are_kept_and_nothing_else_on_them():
    html = str(
        render(
            '秘密を<ruby onclick="x()">漏<rp>（</rp><rt class="big">も</rt><rp>）</rp></ruby>らす'
        )
    )
    assert "<ruby>漏<rp>（</rp><rt>も</rt><rp>）</rp></ruby>らす" in html
    assert "onclick" not in html and "class" not in html
