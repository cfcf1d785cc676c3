"""The personal-link QR sheet (受講案内): slips to cut out and hand to members who have not
started, eight to an A4 page (2 × 4, each 105 × 74.25 mm), with dashed cut lines between them.

Pure: plain values in, PDF bytes out; no Flask, no database. It uses the certificate module's
drawing and text-fitting helpers (same font, same QR drawing that zbar decodes), so a slip's text
never leaves its box and the codes print as crisply as the badges'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from trainer.pdf_drawing import BRAND, GUIDE, INK, MUTED, PAGE_H, PAGE_W
from trainer.pdf_drawing import document as _document
from trainer.pdf_drawing import put as _put
from trainer.pdf_drawing import put_block as _put_block
from trainer.pdf_drawing import put_qr as _qr
from trainer.pdf_text import DESCENT, PT, SANS, descending, fit_text, text_width
from trainer.pdf_text import ascent as _ascent

COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS
SLIP_W, SLIP_H = PAGE_W / COLUMNS, PAGE_H / ROWS  # 105 × 74.25 mm
# Kept clear of the slip's edges: printers leave 3–5 mm unprinted, and scissors wander.
PAD = 8.0
# The QR code: x, y of its top-left corner from the slip's top-left corner, and its side (mm).
# 34 mm for a 37-module code is about 0.9 mm a module: a phone reads it at arm's length.
SLIP_QR = (PAD, 32.0, 34.0)
# The one line of help, in phrases so that lines break where a reader pauses.
INSTRUCTION_PHRASES = (
    "スマートフォンのカメラで",
    "読み取ると、",
    "パスワードなしで",
    "受講を始められます。",
    "ほかの人に",
    "渡さないでください。",
)
INSTRUCTIONS = "".join(INSTRUCTION_PHRASES)
# The help is read by people over 50 at arm's length: never set smaller than 10 pt (the course
# and the network beside it shrink first).
INSTRUCTIONS_PT = 10.0
# How far the text beside the code may run above and below it (mm): the name sits above, the
# slip's edge below.
_OVERRUN = 3.0


@dataclass(frozen=True)
class LinkSlip:
    member_name: str
    organisation: str
    network: str
    course_title: str
    url: str  # the absolute personal link encoded in the QR code


def slip_origin(index: int) -> tuple[float, float]:
    """Top-left corner (mm) of the index-th slip on its page, left to right, top to bottom."""
    column, row = index % COLUMNS, index // COLUMNS
    return column * SLIP_W, row * SLIP_H


def link_sheet_pdf(slips: Sequence[LinkSlip]) -> bytes:
    if not slips:
        raise ValueError("no slips to print")
    with _document("受講のご案内（個人用QRコード）", (SANS,)) as pdf:
        for start in range(0, len(slips), PER_PAGE):
            pdf.add_page()
            _cut_lines(pdf)
            for index, slip in enumerate(slips[start : start + PER_PAGE]):
                _slip(pdf, slip, *slip_origin(index))
        return bytes(pdf.output())


def _cut_lines(pdf: FPDF) -> None:
    """Dashed lines on the inner cut lines only: the page's own edges need no cut."""
    pdf.set_draw_color(*GUIDE)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    for column in range(1, COLUMNS):
        pdf.line(column * SLIP_W, 0, column * SLIP_W, PAGE_H)
    for row in range(1, ROWS):
        pdf.line(0, row * SLIP_H, PAGE_W, row * SLIP_H)
    pdf.set_dash_pattern()


def _slip(pdf: FPDF, slip: LinkSlip, x: float, y: float) -> None:
    width = SLIP_W - 2 * PAD
    left = x + PAD
    _put(pdf, "見守りネットワーク研修 受講のご案内", left, y + PAD + 3, size=8, colour=BRAND)
    organisation = fit_text(slip.organisation, width, max_pt=9, min_pt=6.5)
    _put_block(pdf, organisation, left, y + 17.5, colour=MUTED)
    # The name with 様, as large as fits on one line.
    honorific = " 様"
    name = fit_text(
        slip.member_name, width - text_width(honorific, 11), max_pt=16, min_pt=8, max_lines=1
    )
    _put_block(pdf, name, left, y + 26.5, bold=True)
    _put(
        pdf,
        honorific,
        left + text_width(name.lines[0], name.size_pt),
        y + 26.5,
        size=11,
    )

    qr_x, qr_y, side = x + SLIP_QR[0], y + SLIP_QR[1], SLIP_QR[2]
    quiet = _qr(pdf, slip.url, qr_x, qr_y, side)
    text_left = qr_x + side + quiet
    text_width_mm = x + SLIP_W - PAD - text_left
    course_line = f"研修「{slip.course_title}」"
    instructions = fit_text(
        INSTRUCTION_PHRASES,
        text_width_mm,
        max_pt=INSTRUCTIONS_PT,
        min_pt=INSTRUCTIONS_PT,
        max_lines=6,
    )
    gap = 2.0
    # The course and the network get smaller (never below 6 and 5 pt) until the three blocks
    # fit beside the code; the help keeps its size.
    for scale in descending(1.0, 0.5):
        course = fit_text(
            course_line, text_width_mm, max_pt=max(8.5 * scale, 6), min_pt=6, max_lines=3
        )
        network = fit_text(
            slip.network, text_width_mm, max_pt=max(7 * scale, 5), min_pt=5, max_lines=2
        )
        blocks = (course, instructions, network)
        height = sum(_ascent(b.size_pt) + b.depth for b in blocks) + gap * (len(blocks) - 1)
        if height <= side + 2 * _OVERRUN:
            break
    # The three blocks centred as one on the code's middle, course first.
    top = qr_y + side / 2 - height / 2
    for block, colour in zip(blocks, (BRAND, INK, MUTED), strict=True):
        last = _put_block(pdf, block, text_left, top + _ascent(block.size_pt), colour=colour)
        top = last + block.size_pt * PT * DESCENT + gap
