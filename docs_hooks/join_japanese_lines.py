"""MkDocs hook: a line break inside a Japanese sentence is not a space.

Markdown turns a source line break into a newline, which the browser shows as a space; between two
Japanese characters that space is a visible gap (「要りません。 パソコン」). Before the page is
converted, a line that ends in a Japanese character is joined to the next line when that line
continues the same paragraph with a Japanese character. Code blocks, lists' new items, headings,
tables, admonition starts and blank lines are left as they are.
"""

from __future__ import annotations

import re

# Hiragana, katakana, CJK ideographs and the full-width punctuation and forms around them.
_JAPANESE = r"\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60"
_ENDS_JAPANESE = re.compile(f"[{_JAPANESE}]$")
_STARTS_JAPANESE = re.compile(f"^[{_JAPANESE}]")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _continues(line: str) -> bool:
    """The next line goes on with the sentence: Japanese text, not a new block of its own."""
    return bool(_STARTS_JAPANESE.match(line.lstrip()))


def join_lines(markdown: str) -> str:
    out: list[str] = []
    in_code = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
        elif (
            not in_code
            and out
            and _continues(line)
            and _ENDS_JAPANESE.search(out[-1])
            and not out[-1].lstrip().startswith(("|", "#"))
        ):
            out[-1] += line.lstrip()
            continue
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown: str, **_: object) -> str:
    return join_lines(markdown)
