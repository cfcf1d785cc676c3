"""Drawing the printed bulletin's pages (trainer/bulletins/printing.py lays them out) with the
base module trainer.pdf_drawing: text in the bulletin's colours, page one's head, and the foot
every page carries."""

from __future__ import annotations

import io
from functools import partial

from fpdf import FPDF

from trainer import pdf_drawing
from trainer.bulletins.print_text import Piece, break_lines, printable, width
from trainer.pdf_drawing import PAGE_H, PAGE_W, WHITE, Colour
from trainer.pdf_text import PT, ascent

MARGIN = 18.0
TEXT_W = PAGE_W - 2 * MARGIN
FOOT_TOP = 262.0  # the rule above the contacts

INK: Colour = (33, 33, 33)
GREY: Colour = (96, 96, 96)
RULE: Colour = (150, 150, 150)
BANDS: dict[str, Colour] = {"warning": (183, 28, 28), "newsletter": (21, 76, 121)}
TITLE_PT = 22.0
TITLE_LEADING = 1.4
BAND_TOP, BAND_H = 21.0, 17.0


# One line of text on a baseline (x its left edge, or its right edge with align="right"): in the
# bulletin's ink, bold at any size (the head's small names too), one 〓 for a run of characters
# the font lacks.
put = partial(pdf_drawing.put, colour=INK, min_bold_pt=0.0, one_mark=True)


def put_pieces(
    pdf: FPDF, pieces: tuple[Piece, ...], x: float, baseline: float, size: float, colour: Colour
) -> None:
    for piece in pieces:
        put(pdf, piece.text, x + piece.x, baseline, size=size, colour=colour, bold=piece.bold)


def rule(pdf: FPDF, y: float, *, line_width: float = 0.3, colour: Colour = RULE) -> None:
    pdf_drawing.rule(pdf, MARGIN, PAGE_W - MARGIN, y, line_width, colour)


CALLOUT_BAR: Colour = (191, 96, 0)  # the screen's call-out colour, dark enough on paper


def bar(pdf: FPDF, x: float, top: float, height: float) -> None:
    """A call-out's bar: a thick vertical line beside its text, one text line (or gap) long."""
    pdf.set_draw_color(*CALLOUT_BAR)
    pdf.set_line_width(1.4)
    pdf.line(x, top, x, top + height)


def title_lines(title: str) -> list[tuple[Piece, ...]]:
    return [tuple(line) for line in break_lines([(title, True)], TEXT_W, TITLE_PT)]


def head_height(title: str) -> float:
    """Where the body starts on page one (mm from the top)."""
    pitch = TITLE_PT * PT * TITLE_LEADING
    return BAND_TOP + BAND_H + 6.0 + pitch * len(title_lines(title)) + 14.0


def head(
    pdf: FPDF, *, network: str, organisation: str, kind: str, kind_label: str, title: str, date: str
) -> None:
    """Page one's head: network and organisation, the kind's band, the title and the date."""
    board = f"{organisation} 掲示用"
    size = _fitting(network + board, TEXT_W - 8.0, 11.0, 9.0)
    if width(printable(network + board), size) + 8.0 <= TEXT_W:  # one line: both names
        put(pdf, network, MARGIN, 16.0, size=size, colour=GREY)
        put(pdf, board, PAGE_W - MARGIN, 16.0, size=size, bold=True, align="right")
    else:  # long names: one line each
        put(pdf, network, MARGIN, 10.5, size=_fitting(network, TEXT_W, 10.0, 5.0), colour=GREY)
        size = _fitting(board, TEXT_W, 11.0, 5.0)
        put(pdf, board, PAGE_W - MARGIN, 17.0, size=size, bold=True, align="right")
    pdf.set_fill_color(*BANDS.get(kind, BANDS["newsletter"]))
    pdf.rect(MARGIN, BAND_TOP, TEXT_W, BAND_H, style="F")
    label_pt = 26.0 if kind == "warning" else 20.0
    baseline = BAND_TOP + BAND_H / 2 + label_pt * PT * 0.38
    put(pdf, kind_label, MARGIN + 5.0, baseline, size=label_pt, colour=WHITE, bold=True)
    pitch = TITLE_PT * PT * TITLE_LEADING
    baseline = BAND_TOP + BAND_H + 6.0 + ascent(TITLE_PT)
    for line in title_lines(title):
        put_pieces(pdf, line, MARGIN, baseline, TITLE_PT, INK)
        baseline += pitch
    put(pdf, f"{date} 発行", MARGIN, baseline - pitch + 8.0, size=11.0, colour=GREY)
    rule(pdf, baseline - pitch + 11.0, line_width=0.5, colour=INK)


def _fitting(text: str, room: float, largest: float, smallest: float) -> float:
    """The largest size (in half points) from largest down to smallest at which text fits."""
    size = largest
    while width(printable(text), size) > room and size > smallest:
        size -= 0.5
    return size


def continued_head(pdf: FPDF, *, network: str, title: str) -> None:
    """The head of every page after the first: whose bulletin this is, and that it goes on."""
    text = f"{network}　{title}（つづき）"
    size = _fitting(text, TEXT_W, 9.5, 6.0)
    put(pdf, text, MARGIN, 16.0, size=size, colour=GREY)
    rule(pdf, 19.5)


def foot(
    pdf: FPDF, *, organisation: str, centre_name: str, centre_phone: str, page: int, pages: int
) -> None:
    """Where to call, then the organisation and the page number."""
    rule(pdf, FOOT_TOP)
    put(pdf, "ご相談は", MARGIN, FOOT_TOP + 7.5, size=10.0, colour=GREY)
    put(
        pdf,
        "消費者ホットライン 188（局番なし）",
        MARGIN + 18.0,
        FOOT_TOP + 7.5,
        size=14.0,
        bold=True,
    )
    if centre_phone:
        text = f"{centre_name or '消費生活センター'}　{centre_phone}"
        size = _fitting(text, TEXT_W - 18.0, 13.0, 7.0)
        put(pdf, text, MARGIN + 18.0, FOOT_TOP + 15.5, size=size, bold=True)
    put(pdf, f"{organisation} 掲示用", MARGIN, PAGE_H - 9.0, size=9.0, colour=GREY)
    put(
        pdf,
        f"{page} / {pages}",
        PAGE_W - MARGIN,
        PAGE_H - 9.0,
        size=9.0,
        colour=GREY,
        align="right",
    )


def picture(pdf: FPDF, data: bytes, top: float, w: float, h: float) -> None:
    pdf.image(io.BytesIO(data), x=MARGIN + (TEXT_W - w) / 2, y=top + 1.0, w=w, h=h)
