"""Local facts in course text: `{{ consumer_centre_phone }}` becomes the network's own value.

One course serves every municipality. A value the secretariat has not set yet is shown to staff
as a visible 「未設定」 and to learners as a neutral phrase that still reads well in the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
# Anything that looks like a placeholder, even malformed, so the checker can point at it.
PLACEHOLDER_LIKE = re.compile(r"\{\{(.*?)\}\}")


@dataclass(frozen=True)
class LocalFact:
    name: str
    label: str  # what the settings page calls it
    learner_fallback: str  # what a learner reads while it is not set


LOCAL_FACTS: tuple[LocalFact, ...] = (
    LocalFact("network_name", "ネットワークの名称", "この地域の見守りネットワーク"),
    LocalFact("municipality", "市区町村", "お住まいの市区町村"),
    LocalFact(
        "consumer_centre_name", "消費生活センターの名称", "お住まいの市区町村の消費生活センター"
    ),
    LocalFact(
        "consumer_centre_address", "消費生活センターの所在地", "事務局にお問い合わせください"
    ),
    LocalFact("consumer_centre_phone", "消費生活センターの電話番号", "消費者ホットライン188"),
    LocalFact(
        "consumer_centre_hours", "消費生活センターの受付時間", "事務局にお問い合わせください"
    ),
    LocalFact("police_name", "警察署の名称", "地域の警察署"),
    LocalFact("police_phone", "警察署の電話番号", "緊急時は110番、相談は#9110"),
    LocalFact("police_address", "警察署の所在地", "事務局にお問い合わせください"),
    LocalFact(
        "community_support_name",
        "地域包括支援センターの名称",
        "お住まいの地域の地域包括支援センター",
    ),
    LocalFact(
        "community_support_phone", "地域包括支援センターの電話番号", "事務局にお問い合わせください"
    ),
    LocalFact(
        "community_support_address", "地域包括支援センターの所在地", "事務局にお問い合わせください"
    ),
)
FACTS_BY_NAME = {fact.name: fact for fact in LOCAL_FACTS}
NAMES = frozenset(FACTS_BY_NAME)

# Placeholders are swapped for these tokens before Markdown runs and back after sanitising, so a
# value typed on the settings page is never parsed as Markdown or HTML.
_TOKEN = "MMLOCALFACT{:02d}X"
_TOKEN_RE = re.compile(r"MMLOCALFACT(\d{2})X")
_INDEX = {fact.name: i for i, fact in enumerate(LOCAL_FACTS)}


def unknown_names(text: str) -> list[str]:
    return [m.group(1).strip() for m in PLACEHOLDER_LIKE.finditer(text) if not _is_known(m)]


def _is_known(match: re.Match[str]) -> bool:
    inner = PLACEHOLDER.fullmatch(match.group(0))
    return inner is not None and inner.group(1) in NAMES


def to_tokens(source: str) -> str:
    return PLACEHOLDER.sub(
        lambda m: _TOKEN.format(_INDEX[m.group(1)]) if m.group(1) in NAMES else m.group(0), source
    )


def fill(html: str, values: Mapping[str, str | None], *, staff: bool) -> Markup:
    """Put the network's values into rendered HTML (tokens from to_tokens)."""

    def replace(match: re.Match[str]) -> str:
        fact = LOCAL_FACTS[int(match.group(1))]
        value = (values.get(fact.name) or "").strip()
        if value:
            return f'<span class="local-fact">{escape(value)}</span>'
        if staff:
            return f'<span class="unset">「未設定」{escape(fact.label)}</span>'
        return str(escape(fact.learner_fallback))

    return Markup(_TOKEN_RE.sub(replace, str(html)))


def fill_text(text: str, values: Mapping[str, str | None]) -> str:
    """Placeholders in plain text (quiz questions and choices), for learners."""

    def replace(match: re.Match[str]) -> str:
        fact = FACTS_BY_NAME.get(match.group(1))
        if fact is None:
            return match.group(0)
        return (values.get(fact.name) or "").strip() or fact.learner_fallback

    return PLACEHOLDER.sub(replace, text)


def report_unknown(text: str, line: int, report: Callable[[int, str], None]) -> None:
    """Each unknown placeholder in a question bank's text, reported on its line."""
    for name in unknown_names(text):
        report(line, f"知らない差し込み項目「{{{{ {name} }}}}」です")


def names_in(text: str) -> list[str]:
    """The known local facts a text uses, in order of appearance."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) in NAMES]


def facts_in_options(body: Mapping[str, object]) -> set[str]:
    """The local facts a question's answer depends on: those in its choices or cases, which the
    learner chooses between. (In the stem or the explanation the neutral fallback reads well;
    as an option, 「事務局にお問い合わせください」 beside 「地域の警察署」 asks nothing.)"""
    found: set[str] = set()
    for key in ("choices", "cases"):
        for item in body.get(key) or ():  # type: ignore[attr-defined]
            found.update(names_in(str(item["text"])))
    return found


def unset_facts(needed: set[str], values: Mapping[str, str | None]) -> list[LocalFact]:
    """Of the facts needed, those the network has not filled in, in the settings page's order."""
    return [f for f in LOCAL_FACTS if f.name in needed and not (values.get(f.name) or "").strip()]
