"""Breaking Japanese text into lines for the printed bulletin (trainer/bulletins/printing.py).

Measured with the base module trainer.pdf_text (Noto Sans JP, the certificates' font). Lines
break between any two Japanese characters and between Latin words, never inside a word that fits
a line; 、。」 and the like hang past the right edge rather than start a line (ぶら下げ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trainer import pdf_text
from trainer.pdf_text import NO_LINE_END, NO_LINE_START, SANS

_HANGING = frozenset("、。，．,.")
_TOKEN = re.compile(r"\n|[!-~]+|\s|.")


def printable(text: str) -> str:
    """text with each run of characters the font lacks replaced by one 〓 (joiners, variation
    selectors and combining marks left out); line breaks kept."""
    return "\n".join(pdf_text.printable(line, one_mark=True) for line in text.split("\n"))


def width(text: str, size_pt: float) -> float:
    """Width in mm of text on one line at size_pt."""
    return pdf_text.text_width(text, size_pt, SANS)


@dataclass(frozen=True)
class Piece:
    """Part of a line in one style: its text, whether bold, and where it starts (mm from the
    line's left edge)."""

    text: str
    bold: bool
    x: float


def _tokens(runs: list[tuple[str, bool]], line_width: float, size: float) -> list[tuple[str, bool]]:
    tokens: list[tuple[str, bool]] = []
    for text, bold in runs:
        for token in _TOKEN.findall(printable(text)):
            if len(token) > 1 and width(token, size) > line_width:  # a long address
                tokens.extend((char, bold) for char in token)
            else:
                tokens.append((token, bold))
    return tokens


def break_lines(runs: list[tuple[str, bool]], line_width: float, size: float) -> list[list[Piece]]:
    """The runs (text, bold) set in lines no wider than line_width (except a hanging 、。)."""
    lines: list[list[tuple[str, bool]]] = [[]]
    used = 0.0
    for token, bold in _tokens(runs, line_width, size):
        line = lines[-1]
        if token == "\n":
            lines.append([])
            used = 0.0
            continue
        if token.isspace() and not line:
            continue
        token_width = width(token, size)
        fits = used + token_width <= line_width + 1e-6
        if fits or not line or (token in _HANGING and len(token) == 1):
            line.append((token, bold))
            used += token_width
            continue
        carried = _carry_over(line, token)
        if token.isspace():
            token, bold = "", bold
        lines.append([*carried, (token, bold)] if token else carried)
        used = sum(width(text, size) for text, _ in lines[-1])
    return [_pieces(line, size) for line in lines]


def _carry_over(line: list[tuple[str, bool]], token: str) -> list[tuple[str, bool]]:
    """What moves from the end of a full line to the next (mutates line): an opening bracket,
    which may not end a line, and the last character before a token that may not start one."""
    carried: list[tuple[str, bool]] = []
    while len(line) > 1 and line[-1][0] and line[-1][0][-1] in NO_LINE_END:
        carried.insert(0, line.pop())
    starts_badly = token[0] in NO_LINE_START
    if not carried and starts_badly and len(line) > 1 and not line[-1][0].isspace():
        carried.insert(0, line.pop())
    return carried


def _pieces(line: list[tuple[str, bool]], size: float) -> list[Piece]:
    while line and line[-1][0].isspace():
        line.pop()
    pieces: list[Piece] = []
    x = 0.0
    for text, bold in line:
        if pieces and pieces[-1].bold == bold:
            last = pieces[-1]
            pieces[-1] = Piece(last.text + text, bold, last.x)
        else:
            pieces.append(Piece(text, bold, x))
        x += width(text, size)
    return pieces
