"""Measuring and fitting Japanese text for the printed PDFs (certificates, badges, link slips, the
printed bulletin).

Text is set in Noto Sans JP or Noto Serif JP (from the pylopdf-fonts-jp package). It is measured
from the fonts' advance widths (fpdf2 does not kern) and fitted by shrinking and wrapping, with
simple 禁則, so that it never leaves its box. Sizes are in points, widths in millimetres.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from fontTools.ttLib import TTFont

SANS = "NotoSansJP"
SERIF = "NotoSerifJP"
_FONT_FILES = {SANS: "NotoSansJP-Regular.otf", SERIF: "NotoSerifJP-Regular.otf"}

PT = 25.4 / 72  # one point in millimetres
# Noto CJK's ideographic em box runs from 0.12 em below the baseline to 0.88 em above it: used to
# place text by its visible top or bottom.
ASCENT, DESCENT = 0.88, 0.12


def font_path(family: str) -> str:
    return str(files("pylopdf_fonts_jp").joinpath(_FONT_FILES[family]))


@cache
def _advances(family: str) -> dict[int, float]:
    """Each character's advance width in ems, as fpdf2 reads it (rounded to 1/1000 em)."""
    # Read straight from the font and closed at once: measuring never needs the document being
    # drawn, and fpdf2 does not kern (text shaping is off), so a string's width is the sum of its
    # characters' widths times the font size.
    font = TTFont(font_path(family), lazy=True)
    try:
        scale = 1000 / font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        return {
            code: round(scale * metrics[glyph][0] + 0.001) / 1000
            for code, glyph in font.getBestCmap().items()
        }
    finally:
        font.close()


# What is printed for a character the font has no glyph for (an emoji in a name, mostly): 〓,
# the geta mark, Japanese typesetting's sign for a character that could not be set. fpdf2 would
# otherwise leave the character out without a trace, and a name would print shortened as if it
# were complete. No font shipped with the app's dependencies has emoji (Noto Color Emoji is a
# separate system package, and a colour font in a certificate prints unevenly), so none is
# used as a fallback: the mark shows the reader that something is missing.
MISSING = "\u3013"
_ZWJ = "\u200d"


def _invisible(char: str) -> bool:
    """Joiners, variation selectors, combining marks and emoji modifiers: nothing of their own
    to print, they only change the character before them."""
    return unicodedata.category(char) in {"Mn", "Me", "Cf"} or "\U0001f3fb" <= char <= "\U0001f3ff"


def printable(text: str, family: str = SANS, *, one_mark: bool = False) -> str:
    """text with each character the font lacks replaced by MISSING; one emoji made of several
    characters (👨‍👩‍👧, 👍🏽, 🇯🇵) by one mark. one_mark: a run of such characters (or one right
    after a MISSING already in text) by one mark too, as the printed bulletin has it."""
    advances = _advances(family)
    out: list[str] = []
    joined = False  # a ZWJ after a missing character: the next one belongs to the same emoji
    flag_half = False  # a regional indicator (half a flag) was just replaced
    for char in text:
        if ord(char) in advances:
            out.append(char)
            joined = flag_half = False
        elif char == _ZWJ:
            joined = bool(out) and out[-1] == MISSING
        elif _invisible(char):
            continue
        elif joined:
            joined = False
        elif flag_half and "\U0001f1e6" <= char <= "\U0001f1ff":
            flag_half = False
        elif one_mark and out and out[-1] == MISSING:
            continue
        else:
            out.append(MISSING)
            flag_half = "\U0001f1e6" <= char <= "\U0001f1ff"
    return "".join(out)


def text_width(text: str, size_pt: float, family: str = SANS) -> float:
    """Width in mm of text set on one line in family at size_pt."""
    advances = _advances(family)
    # A character missing from the font (fpdf2 warns about it) counts as 1 em, to stay inside.
    return sum(advances.get(ord(char), 1.0) for char in text) * size_pt * PT


def fit_font_size(
    text: str, width_mm: float, *, max_pt: float, min_pt: float, family: str = SANS
) -> float:
    """The largest size (in quarter points, at most max_pt) at which text fits width_mm on one
    line; never below min_pt, so at min_pt a long text may still be too wide (see fit_text)."""
    natural = text_width(text, 1.0, family)
    if natural == 0:
        return max_pt
    size = math.floor(width_mm / natural * 4 - 1e-6) / 4  # rounded down: it always fits
    return max(min_pt, min(max_pt, size))


# Simple 禁則: these never start a line, those never end one.
NO_LINE_START = frozenset(
    "、。，．,.・：；:;!?！？」』）)】〕〉》ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
)
NO_LINE_END = frozenset("「『（(【〔〈《")
# A run of printable ASCII (a Latin word, a number, a URL), one whitespace, or any other character.
_TOKEN = re.compile(r"[!-~]+|\s|.")
_PHRASE_BREAK = re.compile(r"(?<=[・、，,\s])|(?=[（(「『【])")
_FLOOR_PT = 4.0  # below this, text is cut short with "…" rather than shrunk further

Text = str | tuple[str, ...]  # a text, or phrases kept on one line whenever one fits on a line


def _joined(text: Text) -> str:
    return text if isinstance(text, str) else "".join(text)


def _phrases(text: str) -> list[str]:
    """text cut where a line break reads naturally: after ・、 or a space, before （「."""
    return [phrase for phrase in _PHRASE_BREAK.split(text) if phrase]


def _tokens(text: Text, width_mm: float, size_pt: float, family: str) -> list[str]:
    """The unbreakable pieces of text: each phrase that fits on a line; inside a longer one,
    Latin words that fit and single Japanese characters (Japanese may break between any two)."""
    phrases = _phrases(text) if isinstance(text, str) else text
    tokens: list[str] = []
    for phrase in phrases:
        if text_width(phrase.rstrip(), size_pt, family) <= width_mm:
            tokens.append(phrase)
        elif not isinstance(text, str):
            tokens.extend(_tokens(phrase, width_mm, size_pt, family))
        else:
            for token in _TOKEN.findall(phrase):
                wide = len(token) > 1 and text_width(token, size_pt, family) > width_mm
                tokens.extend(token if wide else [token])
    return tokens


def wrap_text(text: Text, width_mm: float, size_pt: float, family: str = SANS) -> list[str]:
    """Greedy line breaking for Japanese at size_pt: no line wider than width_mm (unless a single
    character is), with simple 禁則 (、。」 don't start a line, 「 doesn't end one)."""
    lines: list[list[str]] = []
    line: list[str] = []
    used = 0.0  # width of line, trailing spaces included
    for token in _tokens(text, width_mm, size_pt, family):
        width = text_width(token, size_pt, family)
        if token.isspace():
            if line:
                line.append(token)
                used += width
            continue
        if not line or used + text_width(token.rstrip(), size_pt, family) <= width_mm:
            line.append(token)
            used += width
            continue
        carried = _carry_over(line, token, width_mm, size_pt, family)
        lines.append(line)
        line = [*carried, token]
        used = text_width("".join(line), size_pt, family)
    lines.append(line)
    return [text for text in ("".join(parts).strip() for parts in lines) if text]


def _carry_over(
    line: list[str], token: str, width_mm: float, size_pt: float, family: str
) -> list[str]:
    """Pieces to move from the end of a full line to the next one, for 禁則 (mutates line)."""
    while line and line[-1].isspace():
        line.pop()
    carried: list[str] = []
    while len(line) > 1 and (
        (carried or [token])[0][0] in NO_LINE_START or line[-1][-1] in NO_LINE_END
    ):
        if text_width("".join([line[-1], *carried, token]), size_pt, family) > width_mm:
            break
        carried.insert(0, line.pop())
    return carried


@dataclass(frozen=True)
class TextBlock:
    """Lines of text set at one size; leading is the distance between baselines in ems."""

    size_pt: float
    lines: tuple[str, ...]
    leading: float = 1.35

    @property
    def line_pitch(self) -> float:
        """Distance between baselines in mm."""
        return self.size_pt * PT * self.leading

    @property
    def depth(self) -> float:
        """From the first baseline to the bottom of the last line (descenders), in mm."""
        return self.line_pitch * (len(self.lines) - 1) + self.size_pt * PT * DESCENT


def descending(high: float, low: float) -> Iterator[float]:
    """Sizes from high down to low in quarter points."""
    for step in range(round((high - low) * 4) + 1):
        yield high - step / 4


def fit_text(
    text: Text,
    width_mm: float,
    *,
    max_pt: float,
    min_pt: float,
    max_lines: int = 1,
    family: str = SANS,
    balance: bool = False,
) -> TextBlock:
    """Text set inside width_mm: on one line as large as it fits down to min_pt; else wrapped on
    up to max_lines lines at the largest size that fits (balance: lines of about equal length,
    for centred text); else smaller than min_pt; as a last resort (below 4 pt) cut short with
    "…". No line is ever wider than width_mm."""
    whole = _joined(text)
    floor = min(min_pt, _FLOOR_PT)
    one_line = fit_font_size(whole, width_mm, max_pt=max_pt, min_pt=floor, family=family)
    fits = text_width(whole, one_line, family) <= width_mm
    if fits and (one_line >= min_pt or max_lines == 1):
        return TextBlock(one_line, (whole,))
    if max_lines > 1:
        for size in descending(max_pt, floor):
            lines = wrap_text(text, width_mm, size, family)
            if len(lines) <= max_lines:
                if balance:
                    lines = _balanced(text, width_mm, size, family, len(lines))
                return TextBlock(size, tuple(lines))
    return _cut_short(whole, width_mm, floor, max_lines, family)


def _balanced(text: Text, width_mm: float, size: float, family: str, count: int) -> list[str]:
    """The same number of lines, wrapped at the narrowest width that still gives that many and
    still keeps every phrase whole that was whole at the full width."""
    widest = max(
        text_width(t.rstrip(), size, family) for t in _tokens(text, width_mm, size, family)
    )
    low = max(text_width(_joined(text), size, family) / count, widest)
    high = width_mm
    while high - low > 0.5:
        middle = (low + high) / 2
        if len(wrap_text(text, middle, size, family)) <= count:
            high = middle
        else:
            low = middle
    return wrap_text(text, high, size, family)


def _cut_short(text: str, width_mm: float, size: float, max_lines: int, family: str) -> TextBlock:
    lines = wrap_text(text, width_mm, size, family)[:max_lines]
    last = lines[-1]
    while last and text_width(last + "…", size, family) > width_mm:
        last = last[:-1]
    return TextBlock(size, (*lines[:-1], last + "…"))


def ascent(size_pt: float) -> float:
    """From the baseline to the top of the ideographs, in mm."""
    return size_pt * PT * ASCENT
