"""Verbatim overlap between a question bank and a course's module text.

A question, choice or case that repeats a sentence of the modules word for word measures whether
the learner remembers the wording, not whether they can apply the rule to a new situation; a
reviewer does not see it unless they hold both files side by side. The checker compares them
after removing what a reader does not see as text: Markdown and ruby markup (the reading in
<rt> is not part of the sentence), placeholders (each network fills in its own value) and white
space (a Japanese sentence may be wrapped in the source).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from trainer.content.placeholders import PLACEHOLDER

# Characters in common before a text counts as copied: long enough that set terms
# (「消費者ホットライン188」 is 11) and short phrases do not count, short enough to catch a clause.
MIN_COMMON = 15
SEPARATOR = "\x00"  # where a match must not continue: a placeholder, a paragraph break
_SHOWN = 40  # characters of the common part printed in a warning

_RUBY_READING = re.compile(r"<rt>.*?</rt>|<rp>.*?</rp>", re.S)
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HEADING_ID = re.compile(r"\{#[^}]*\}")
_LIST_MARK = re.compile(r"^\s*(?:[-+*]|\d+\.)\s+")
_MARKUP = re.compile(r"[*_`#|>]")
_TABLE_RULE = re.compile(r"^[\s|:-]+$")
_SPACE = re.compile(r"\s+")


def plain(text: str) -> str:
    """One line (or one question's text) as the words a reader reads, without spaces."""
    text = PLACEHOLDER.sub(SEPARATOR, text)
    text = _RUBY_READING.sub("", text)
    text = _TAG.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _HEADING_ID.sub("", text)
    text = _LIST_MARK.sub("", text)
    text = _MARKUP.sub("", text)
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class ModuleText:
    """A module's body as one plain string, each character's line in the file beside it."""

    path: Path
    text: str
    lines: tuple[int, ...]


@dataclass(frozen=True)
class Overlap:
    module: ModuleText
    line: int  # where the common part starts in the module file
    common: str

    @property
    def shown(self) -> str:
        return self.common if len(self.common) <= _SHOWN else self.common[:_SHOWN] + "…"


def read_module(path: Path) -> ModuleText:
    """The module's body after its front matter: a paragraph's lines are joined (a sentence may
    be wrapped), blocks are kept apart, call-out markers and table rules are dropped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    chars: list[str] = []
    numbers: list[int] = []
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip() or line.startswith("!!!") or _TABLE_RULE.match(line):
            text = SEPARATOR
        else:
            text = plain(line)
            if line.lstrip().startswith(("|", "#", "-", "+", "*")) or _LIST_MARK.match(line):
                text = SEPARATOR + text + SEPARATOR  # a row, a heading or an item is one block
        chars.append(text)
        numbers.extend([index + 1] * len(text))
    return ModuleText(path, "".join(chars), tuple(numbers))


class OverlapFinder:
    """Finds, for a text, the longest part it shares with any module: every run of MIN_COMMON
    characters of the modules is indexed once, so each text is one pass."""

    def __init__(self, modules: list[ModuleText]) -> None:
        self._modules = modules
        self._index: dict[str, tuple[int, int]] = {}
        for number, module in enumerate(modules):
            text = module.text
            for start in range(len(text) - MIN_COMMON + 1):
                gram = text[start : start + MIN_COMMON]
                if SEPARATOR not in gram:
                    self._index.setdefault(gram, (number, start))

    def longest(self, text: str) -> Overlap | None:
        wanted = plain(text)
        best: Overlap | None = None
        start = 0
        while start + MIN_COMMON <= len(wanted):
            hit = self._index.get(wanted[start : start + MIN_COMMON])
            if hit is None:
                start += 1
                continue
            module = self._modules[hit[0]]
            end, other = start + MIN_COMMON, hit[1] + MIN_COMMON
            while (
                end < len(wanted)
                and other < len(module.text)
                and wanted[end] == module.text[other]
                and wanted[end] != SEPARATOR
            ):
                end, other = end + 1, other + 1
            if best is None or end - start > len(best.common):
                best = Overlap(module, module.lines[hit[1]], wanted[start:end])
            start = end
        return best
