"""Drawing on an A4 PDF page (fpdf2, in millimetres): the document with its embedded fonts,
lines of text and text blocks, rules, and QR codes that phones and zbar read.

Shared by the certificate, the badge sheet, the personal-link slips and the printed bulletin.
Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import qrcode
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

from trainer.pdf_text import SANS, TextBlock, font_path, printable, text_width

Colour = tuple[int, int, int]
BRAND: Colour = (11, 93, 59)  # #0b5d3b, the app's green
INK: Colour = (28, 28, 28)
MUTED: Colour = (88, 88, 88)
RULE: Colour = (170, 170, 170)
GUIDE: Colour = (185, 185, 185)
WHITE: Colour = (255, 255, 255)

PAGE_W, PAGE_H = 210.0, 297.0
QUIET_MODULES = 4  # the white margin a QR code needs around it, in modules


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


def put_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> float:
    """Draw the QR code of data; returns its quiet zone width in mm."""
    modules = qr_modules(data)
    _draw_qr(pdf, modules, x, y, size)
    return QUIET_MODULES * size / len(modules)


# --- Drawing helpers ---------------------------------------------------------------------------


@contextmanager
def document(title: str, families: Sequence[str]) -> Iterator[FPDF]:
    """An A4 document (mm, no automatic page breaks) with the given font families."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    try:
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        for family in families:
            pdf.add_font(family, "", font_path(family))
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


def put(
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
    min_bold_pt: float = 9.0,
    one_mark: bool = False,
) -> None:
    """One line of text on a baseline; x is its left edge, centre or right edge as align says.
    Bold text smaller than min_bold_pt is set regular: a stroke would clog it. one_mark: as in
    trainer.pdf_text.printable."""
    text = printable(text, family, one_mark=one_mark)
    if align == "center":
        x -= text_width(text, size, family) / 2
    elif align == "right":
        x -= text_width(text, size, family)
    pdf.set_font(family, size=size)
    pdf.set_text_color(*colour)
    if not bold or size < min_bold_pt:
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


def put_block(
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
        put(
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


def rule(pdf: FPDF, x1: float, x2: float, y: float, width: float, colour: Colour) -> None:
    pdf.set_draw_color(*colour)
    pdf.set_line_width(width)
    pdf.line(x1, y, x2, y)
