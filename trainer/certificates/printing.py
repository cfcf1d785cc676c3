"""Printable certificates (修了証: one A4 page) and member badges (構成員証: business cards, ten
to an A4 sheet, fronts and backs on alternate pages) as PDF.

Pure: plain values in, PDF bytes out; no Flask, no database. Certificates are set in Noto Serif
JP, badges in Noto Sans JP (from the pylopdf-fonts-jp package), embedded as subsets, so a PDF
prints the same on any machine. Geometry is in millimetres (fpdf2's unit here), font sizes in
points. Text is measured from the fonts' advance widths (fpdf2 does not kern), fitted by
shrinking and wrapping so that it never leaves its box.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib.resources import files

import qrcode
from fontTools.ttLib import TTFont
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

from trainer.timeutil import jdate

SANS = "NotoSansJP"
SERIF = "NotoSerifJP"
_FONT_FILES = {SANS: "NotoSansJP-Regular.otf", SERIF: "NotoSerifJP-Regular.otf"}

Colour = tuple[int, int, int]
BRAND: Colour = (11, 93, 59)  # #0b5d3b, the app's green
INK: Colour = (28, 28, 28)
MUTED: Colour = (88, 88, 88)
RULE: Colour = (170, 170, 170)
GUIDE: Colour = (185, 185, 185)
WHITE: Colour = (255, 255, 255)

PAGE_W, PAGE_H = 210.0, 297.0
PT = 25.4 / 72  # one point in millimetres
# Noto CJK's ideographic em box runs from 0.12 em below the baseline to 0.88 em above it: used to
# place text by its visible top or bottom.
ASCENT, DESCENT = 0.88, 0.12
QUIET_MODULES = 4  # the white margin a QR code needs around it, in modules

# Badges: 91 × 55 mm cards, 2 × 5 to a sheet, the grid centred as on A4 10面 business-card paper.
CARD_W, CARD_H = 91.0, 55.0
COLUMNS, ROWS = 2, 5
PER_SHEET = COLUMNS * ROWS
GRID_LEFT = (PAGE_W - COLUMNS * CARD_W) / 2  # 14 mm
GRID_TOP = (PAGE_H - ROWS * CARD_H) / 2  # 11 mm


@dataclass(frozen=True)
class PrintedCertificate:
    serial_label: str  # e.g. "第00012号"
    member_name: str  # as typed, e.g. "山田　太郎"
    member_kana: str  # may be ""
    organisation: str
    network: str
    course_title: str
    issued_on: date
    valid_until: date  # last valid day, inclusive
    verify_url: str  # absolute URL encoded in the QR code


# --- QR codes ----------------------------------------------------------------------------------


def qr_modules(data: str) -> list[list[bool]]:
    """The QR matrix of data (error correction M) without the quiet zone; True is a dark module."""
    # The mask is fixed: letting qrcode choose the "best" one scores all eight masks, ~7.5 ms per
    # code in pure Python (85% of the time of a 1,000-badge sheet). Decoders read every mask, and
    # the tests decode the printed codes with zbar.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.modules]


def _dark_runs(row: list[bool]) -> Iterator[tuple[int, int]]:
    """(start, length) of each horizontal run of dark modules."""
    start = None
    for i, dark in enumerate(row):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i - start
            start = None
    if start is not None:
        yield start, len(row) - start


def _draw_qr(pdf: FPDF, modules: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw a QR matrix in black, top-left corner at (x, y), size mm square. The caller keeps
    QUIET_MODULES modules around it free of anything else."""
    # One content-stream string per code through fpdf2's private _out(): the public rect() costs
    # ~20 µs per call and the drawing-path API far more (1,000 codes: 4 s and 22 s, against 0.2 s
    # this way). fpdf2 is pinned to 2.8.x in pyproject.toml. "q … Q" leaves fpdf2's own colour
    # state as it was. All runs are filled by one "f", so viewers show no seams between rows.
    # PDF coordinates are points with y upwards.
    k = pdf.k
    module = size / len(modules) * k
    left, top = x * k, (pdf.h - y) * k
    ops = ["q 0 g"]
    for r, row in enumerate(modules):
        bottom = top - (r + 1) * module
        ops.extend(
            f"{left + start * module:.3f} {bottom:.3f} {length * module:.3f} {module:.3f} re"
            for start, length in _dark_runs(row)
        )
    ops.append("f Q")
    pdf._out("\n".join(ops))


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> float:
    """Draw the QR code of data; returns its quiet zone width in mm."""
    modules = qr_modules(data)
    _draw_qr(pdf, modules, x, y, size)
    return QUIET_MODULES * size / len(modules)


# --- Measuring and fitting text ----------------------------------------------------------------


def _font_path(family: str) -> str:
    return str(files("pylopdf_fonts_jp").joinpath(_FONT_FILES[family]))


@cache
def _advances(family: str) -> dict[int, float]:
    """Each character's advance width in ems, as fpdf2 reads it (rounded to 1/1000 em)."""
    # Read straight from the font and closed at once: measuring never needs the document being
    # drawn, and fpdf2 does not kern (text shaping is off), so a string's width is the sum of its
    # characters' widths times the font size.
    font = TTFont(_font_path(family), lazy=True)
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


def printable(text: str, family: str = SANS) -> str:
    """text with each character the font lacks replaced by MISSING; one emoji made of several
    characters (👨‍👩‍👧, 👍🏽, 🇯🇵) by one mark."""
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
_NO_LINE_START = frozenset(
    "、。，．,.・：；:;!?！？」』）)】〕〉》ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
)
_NO_LINE_END = frozenset("「『（(【〔〈《")
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
        (carried or [token])[0][0] in _NO_LINE_START or line[-1][-1] in _NO_LINE_END
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


def _descending(high: float, low: float) -> Iterator[float]:
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
        for size in _descending(max_pt, floor):
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


# --- Drawing helpers ---------------------------------------------------------------------------


@contextmanager
def _document(title: str, families: Sequence[str]) -> Iterator[FPDF]:
    """An A4 document (mm, no automatic page breaks) with the given font families."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    try:
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        for family in families:
            pdf.add_font(family, "", _font_path(family))
        pdf.set_title(title)
        pdf.set_creator("見守りトレーナー")
        yield pdf
    finally:
        # fpdf2 closes the font files it embedded when writing the PDF, but not after an error:
        # an open file would surface as a ResourceWarning (an error under the test settings).
        for font in pdf.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()


def _put(
    pdf: FPDF,
    text: str,
    x: float,
    baseline: float,
    *,
    size: float,
    family: str = SANS,
    colour: Colour = INK,
    align: str = "left",
    bold: bool = False,
) -> None:
    """One line of text on a baseline; x is its left edge, centre or right edge as align says."""
    text = printable(text, family)
    if align == "center":
        x -= text_width(text, size, family) / 2
    elif align == "right":
        x -= text_width(text, size, family)
    pdf.set_font(family, size=size)
    pdf.set_text_color(*colour)
    if not bold or size < 9:  # small text stays regular: a stroke would clog it
        pdf.text(x, baseline, text)
        return
    # Faux bold: the fonts have no bold face, so the glyphs are filled and outlined (text
    # rendering mode 2) with a stroke of 3% of the size and round joins (no spikes at sharp
    # corners). Written here rather than through fpdf2's text_mode, which writes the line width
    # in mm where PDF expects points; local_context's q … Q ends the mode again.
    with pdf.local_context():
        pdf.set_draw_color(*colour)
        pdf._out(f"2 Tr {size * 0.03:.2f} w 1 j")
        pdf.text(x, baseline, text)


def _put_block(
    pdf: FPDF,
    block: TextBlock,
    x: float,
    baseline: float,
    *,
    family: str = SANS,
    colour: Colour = INK,
    align: str = "left",
    bold: bool = False,
) -> float:
    """The lines of block from a first baseline down; returns the last baseline."""
    for line in block.lines:
        _put(
            pdf,
            line,
            x,
            baseline,
            size=block.size_pt,
            family=family,
            colour=colour,
            align=align,
            bold=bold,
        )
        baseline += block.line_pitch
    return baseline - block.line_pitch


def _rule(pdf: FPDF, x1: float, x2: float, y: float, width: float, colour: Colour) -> None:
    pdf.set_draw_color(*colour)
    pdf.set_line_width(width)
    pdf.line(x1, y, x2, y)


def _ascent(size_pt: float) -> float:
    return size_pt * PT * ASCENT


# --- The certificate (修了証) --------------------------------------------------------------------

_CERT_LEFT, _CERT_RIGHT = 38.0, 172.0  # the text column
_CERT_WIDTH = _CERT_RIGHT - _CERT_LEFT
_CERT_CENTRE = PAGE_W / 2
# Where the verification code goes: x, y of its top-left corner and its side, in mm on the page.
CERTIFICATE_QR = (24.0, 242.0, 30.0)


def certificate_pdf(cert: PrintedCertificate) -> bytes:
    """One A4 portrait page: the member's certificate, with a QR code to verify it."""
    # Serif throughout: each embedded font costs about 0.25 s to load and subset (a certificate
    # with both families took 0.75 s, with one 0.5 s).
    with _document(f"修了証 {cert.serial_label}", (SERIF,)) as pdf:
        pdf.add_page()
        _certificate_frame(pdf)
        _certificate_heading(pdf, cert)
        _certificate_recipient(pdf, cert)
        bottom = _certificate_body(pdf, cert)
        _certificate_issuer(pdf, cert, bottom)
        _certificate_verification(pdf, cert)
        return bytes(pdf.output())


def _certificate_frame(pdf: FPDF) -> None:
    """A thin double border in the brand green."""
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, PAGE_W - 20, PAGE_H - 20)
    pdf.set_line_width(0.25)
    pdf.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)


def _certificate_heading(pdf: FPDF, cert: PrintedCertificate) -> None:
    _put(pdf, cert.serial_label, 186, 26, size=11, family=SERIF, align="right")
    # Spaced out as on printed 賞状. The characters are set one by one (no spaces between them),
    # so text extraction still reads 「修了証」.
    title, size, gap = "修了証", 42.0, 12.0
    widths = [text_width(char, size, SERIF) for char in title]
    x = _CERT_CENTRE - (sum(widths) + gap * (len(title) - 1)) / 2
    for char, width in zip(title, widths, strict=True):
        _put(pdf, char, x, 64, size=size, family=SERIF, bold=True)
        x += width + gap
    _rule(pdf, _CERT_CENTRE - 24, _CERT_CENTRE + 24, 73, 0.4, BRAND)


def _certificate_recipient(pdf: FPDF, cert: PrintedCertificate) -> None:
    """Kana, the name with 様 on a rule, the organisation under it."""
    honorific, honorific_size, gap = "様", 18.0, 5.0
    honorific_width = text_width(honorific, honorific_size, SERIF)
    room = _CERT_WIDTH - gap - honorific_width
    name = fit_text(cert.member_name, room, max_pt=30, min_pt=12, family=SERIF)
    name_width = text_width(name.lines[0], name.size_pt, SERIF)
    left = _CERT_CENTRE - (name_width + gap + honorific_width) / 2
    baseline = 108.0
    if cert.member_kana:
        kana = fit_text(cert.member_kana, room, max_pt=11, min_pt=7, family=SERIF)
        _put_block(pdf, kana, left + name_width / 2, 95, family=SERIF, colour=MUTED, align="center")
    _put_block(pdf, name, left, baseline, family=SERIF, bold=True)
    _put(pdf, honorific, left + name_width + gap, baseline, size=honorific_size, family=SERIF)
    _rule(pdf, _CERT_LEFT, _CERT_RIGHT, baseline + 4, 0.3, RULE)
    organisation = fit_text(
        cert.organisation, _CERT_WIDTH, max_pt=13, min_pt=9, max_lines=2, family=SERIF, balance=True
    )
    _put_block(pdf, organisation, _CERT_CENTRE, baseline + 13, family=SERIF, align="center")


def _certificate_body(pdf: FPDF, cert: PrintedCertificate) -> float:
    """The statement and the dates; returns the last baseline."""
    # Phrases kept whole where they fit, so lines break where a reader pauses.
    phrases = (
        "あなたは",
        cert.network,
        "の研修",
        f"「{cert.course_title}」を",
        "修了したことを証します。",
    )
    body = fit_text(phrases, _CERT_WIDTH, max_pt=15, min_pt=10, max_lines=5, family=SERIF)
    body = replace(body, leading=1.9)  # the airy leading of a certificate's statement
    last = _put_block(pdf, body, _CERT_LEFT, 148, family=SERIF)
    dates = TextBlock(
        12.5,
        (
            f"発行日　　{jdate(cert.issued_on)}",
            f"有効期限　{jdate(cert.valid_until)}まで",
        ),
        leading=1.8,
    )
    return _put_block(pdf, dates, _CERT_LEFT, max(198.0, last + 14), family=SERIF)


def _certificate_issuer(pdf: FPDF, cert: PrintedCertificate, above: float) -> None:
    """The network that issues the certificate, right-aligned above the QR code."""
    issuer = fit_text(
        cert.network, 120, max_pt=15, min_pt=10, max_lines=3, family=SERIF, balance=True
    )
    # The last line must end above the QR code's quiet zone (it is as wide as the column).
    lowest = CERTIFICATE_QR[1] - 6 - issuer.depth
    baseline = min(max(226.0, above + 16), lowest)
    _put_block(pdf, issuer, _CERT_RIGHT, baseline, family=SERIF, align="right")


def _certificate_verification(pdf: FPDF, cert: PrintedCertificate) -> None:
    """The QR code bottom left; what it is for and the URL beside it."""
    x, y, size = CERTIFICATE_QR
    quiet = _qr(pdf, cert.verify_url, x, y, size)
    left = x + size + quiet + 2
    width = 186 - left
    caption = fit_text(
        "この修了証が有効かどうかは、QRコードを読み取ると確認できます。",
        width,
        max_pt=9.5,
        min_pt=8,
        max_lines=2,
        family=SERIF,
    )
    url = fit_text(cert.verify_url, width, max_pt=8, min_pt=6.5, max_lines=2, family=SERIF)
    # Both centred as one block on the code's middle.
    height = _ascent(caption.size_pt) + caption.depth + 3 + _ascent(url.size_pt) + url.depth
    first = y + size / 2 - height / 2 + _ascent(caption.size_pt)
    last = _put_block(pdf, caption, left, first, family=SERIF)
    _put_block(
        pdf,
        url,
        left,
        last + 3 + _ascent(url.size_pt) + caption.size_pt * PT * DESCENT,
        family=SERIF,
        colour=MUTED,
    )


# --- Member badges (構成員証) ---------------------------------------------------------------------


def card_cell(index: int, *, back: bool) -> tuple[int, int]:
    """(column, row) of a sheet's index-th card. Backs mirror the columns, so that printing both
    sides with a long-edge flip puts each back behind its front."""
    row, column = divmod(index, COLUMNS)
    return (COLUMNS - 1 - column if back else column), row


def card_origin(column: int, row: int) -> tuple[float, float]:
    """Top-left corner of a card cell in mm."""
    return GRID_LEFT + column * CARD_W, GRID_TOP + row * CARD_H


def badge_sheet_pdf(cards: Sequence[PrintedCertificate]) -> bytes:
    """Member badges ten to an A4 page: fronts of cards 1-10, their backs, fronts of 11-20, …"""
    if not cards:
        raise ValueError("no cards to print")
    with _document("構成員証", (SANS,)) as pdf:
        for start in range(0, len(cards), PER_SHEET):
            sheet = cards[start : start + PER_SHEET]
            for back in (False, True):
                pdf.add_page()
                _cut_guides(pdf)
                draw = _card_back if back else _card_front
                for index, card in enumerate(sheet):
                    draw(pdf, card, *card_origin(*card_cell(index, back=back)))
        return bytes(pdf.output())


def _cut_guides(pdf: FPDF) -> None:
    """Crop marks in the page margin on every cut line. Nothing is drawn on the cards themselves,
    so a cut slightly off the line (or pre-perforated paper) leaves no grey edge."""
    pdf.set_draw_color(*GUIDE)
    pdf.set_line_width(0.15)
    right, bottom = GRID_LEFT + COLUMNS * CARD_W, GRID_TOP + ROWS * CARD_H
    for column in range(COLUMNS + 1):
        x = GRID_LEFT + column * CARD_W
        pdf.line(x, 3, x, GRID_TOP - 2)
        pdf.line(x, bottom + 2, x, PAGE_H - 3)
    for row in range(ROWS + 1):
        y = GRID_TOP + row * CARD_H
        pdf.line(3, y, GRID_LEFT - 2, y)
        pdf.line(right + 2, y, PAGE_W - 3, y)


_PAD = 5.0  # inner margin of a card's text
_CARD_TEXT_W = CARD_W - 2 * _PAD
_NAME_BASELINE, _KANA_BASELINE = 41.0, 33.5  # from the card's top, in mm


def _card_front(pdf: FPDF, card: PrintedCertificate, x: float, y: float) -> None:
    # The band is inset from the card's edge, so a cut a little off the line shows no sliver.
    pdf.set_fill_color(*BRAND)
    pdf.rect(x + 4, y + 4, CARD_W - 8, 9, style="F", round_corners=True, corner_radius=1.2)
    heading = "見守りネットワーク 構成員"
    _put(pdf, heading, x + _PAD + 1.5, y + 10.3, size=9.5, colour=WHITE, bold=True)

    left = x + _PAD
    name = fit_text(card.member_name, _CARD_TEXT_W, max_pt=18, min_pt=6)
    if card.member_kana:
        kana = fit_text(card.member_kana, _CARD_TEXT_W, max_pt=6.5, min_pt=5)
        _put_block(pdf, kana, left, y + _KANA_BASELINE, colour=MUTED)
        room_until = y + _KANA_BASELINE - _ascent(kana.size_pt) - 1.5
    else:
        room_until = y + _NAME_BASELINE - _ascent(name.size_pt) - 2.5
    _card_affiliation(pdf, card, left, y + 16.5, room_until)
    _put_block(pdf, name, left, y + _NAME_BASELINE, bold=True)

    _rule(pdf, left, x + CARD_W - _PAD, y + 45, 0.2, RULE)
    _put(pdf, f"有効期限 {jdate(card.valid_until)}", left, y + 50, size=7.5)
    _put(pdf, card.serial_label, x + CARD_W - _PAD, y + 50, size=7, colour=MUTED, align="right")


def _card_affiliation(
    pdf: FPDF, card: PrintedCertificate, left: float, top: float, bottom: float
) -> None:
    """The network (small, grey) and the organisation, each on up to two lines, set smaller
    until both fit between top and bottom."""
    gap = 0.8
    for scale in _descending(1.0, 0.5):
        network = fit_text(
            card.network, _CARD_TEXT_W, max_pt=7.5 * scale, min_pt=6 * scale, max_lines=2
        )
        organisation = fit_text(
            card.organisation, _CARD_TEXT_W, max_pt=9 * scale, min_pt=7 * scale, max_lines=2
        )
        first = top + _ascent(network.size_pt)
        second = first + network.line_pitch * (len(network.lines) - 1)
        second += network.size_pt * PT * DESCENT + gap + _ascent(organisation.size_pt)
        if second + organisation.depth <= bottom:
            break
    _put_block(pdf, network, left, first, colour=MUTED)
    _put_block(pdf, organisation, left, second)


# The verification code on a card back: x, y of its top-left corner from the card's top-left
# corner, and its side, in mm.
BADGE_BACK_QR = (6.5, 17.0, 23.0)
# A free square on the right half of every card back (x, y, side in mm from the card's top-left
# corner), kept for a second code printed or stuck on later (e.g. a signed code that can be
# checked offline): nothing is ever drawn there.
BADGE_BACK_FREE_AREA = (60.0, 15.0, 26.0)


def _card_back(pdf: FPDF, card: PrintedCertificate, x: float, y: float) -> None:
    _put(pdf, "見守りネットワーク 構成員証", x + _PAD, y + 8.5, size=7, colour=BRAND)
    qr_x, qr_y, side = x + BADGE_BACK_QR[0], y + BADGE_BACK_QR[1], BADGE_BACK_QR[2]
    quiet = _qr(pdf, card.verify_url, qr_x, qr_y, side)

    left = qr_x + side + quiet
    width = x + BADGE_BACK_FREE_AREA[0] - 2.5 - left
    caption = ("本物かどうかは、", "このQRコードで", "確認できます")
    size = min(fit_font_size(line, width, max_pt=7, min_pt=4) for line in caption)
    last = _put_block(pdf, TextBlock(size, caption), left, qr_y + 4)
    serial = fit_text(card.serial_label, width, max_pt=8.5, min_pt=5)
    _put_block(pdf, serial, left, last + 6)
