"""Member badges (構成員証): business cards, ten to an A4 sheet, fronts and backs on alternate
pages, set in Noto Sans JP, each back with a QR code that opens the certificate's public check.

Pure: plain values in, PDF bytes out; no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

from trainer.certificates.certificate_sheet import PrintedCertificate
from trainer.pdf_drawing import (
    BRAND,
    GUIDE,
    MUTED,
    PAGE_H,
    PAGE_W,
    RULE,
    WHITE,
    document,
    put,
    put_block,
    put_qr,
    rule,
)
from trainer.pdf_text import (
    DESCENT,
    PT,
    SANS,
    TextBlock,
    ascent,
    descending,
    fit_font_size,
    fit_text,
)
from trainer.timeutil import jdate

# Badges: 91 × 55 mm cards, 2 × 5 to a sheet, the grid centred as on A4 10面 business-card paper.
CARD_W, CARD_H = 91.0, 55.0
COLUMNS, ROWS = 2, 5
PER_SHEET = COLUMNS * ROWS
GRID_LEFT = (PAGE_W - COLUMNS * CARD_W) / 2  # 14 mm
GRID_TOP = (PAGE_H - ROWS * CARD_H) / 2  # 11 mm


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
    with document("構成員証", (SANS,)) as pdf:
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
# With the secretariat's phone printed, everything below the band moves up to make room for it.
_PHONE_SHIFT = 3.5


def _card_front(pdf: FPDF, card: PrintedCertificate, x: float, y: float) -> None:
    # The band is inset from the card's edge, so a cut a little off the line shows no sliver.
    pdf.set_fill_color(*BRAND)
    pdf.rect(x + 4, y + 4, CARD_W - 8, 9, style="F", round_corners=True, corner_radius=1.2)
    heading = "見守りネットワーク 構成員"
    put(pdf, heading, x + _PAD + 1.5, y + 10.3, size=9.5, colour=WHITE, bold=True)

    shift = _PHONE_SHIFT if card.secretariat_phone else 0.0
    left = x + _PAD
    name = fit_text(card.member_name, _CARD_TEXT_W, max_pt=18, min_pt=6)
    name_baseline = y + _NAME_BASELINE - shift
    if card.member_kana:
        kana = fit_text(card.member_kana, _CARD_TEXT_W, max_pt=6.5, min_pt=5)
        kana_baseline = y + _KANA_BASELINE - shift
        put_block(pdf, kana, left, kana_baseline, colour=MUTED)
        room_until = kana_baseline - ascent(kana.size_pt) - 1.5
    else:
        room_until = name_baseline - ascent(name.size_pt) - 2.5
    _card_affiliation(pdf, card, left, y + 16.5, room_until)
    put_block(pdf, name, left, name_baseline, bold=True)

    rule(pdf, left, x + CARD_W - _PAD, y + 45 - shift, 0.2, RULE)
    put(pdf, f"有効期限 {jdate(card.valid_until)}", left, y + 50 - shift, size=7.5)
    put(
        pdf,
        card.serial_label,
        x + CARD_W - _PAD,
        y + 50 - shift,
        size=7,
        colour=MUTED,
        align="right",
    )
    if card.secretariat_phone:
        # So that a resident can call the secretariat to confirm the visitor (no phone needed
        # for the QR code on the back).
        phone = fit_text(
            f"確認のお問い合わせ：事務局 {card.secretariat_phone}",
            _CARD_TEXT_W,
            max_pt=7.5,
            min_pt=5,
        )
        put_block(pdf, phone, left, y + 51, colour=BRAND)


def _card_affiliation(
    pdf: FPDF, card: PrintedCertificate, left: float, top: float, bottom: float
) -> None:
    """The network (small, grey) and the organisation, each on up to two lines, set smaller
    until both fit between top and bottom."""
    gap = 0.8
    for scale in descending(1.0, 0.5):
        network = fit_text(
            card.network, _CARD_TEXT_W, max_pt=7.5 * scale, min_pt=6 * scale, max_lines=2
        )
        organisation = fit_text(
            card.organisation, _CARD_TEXT_W, max_pt=9 * scale, min_pt=7 * scale, max_lines=2
        )
        first = top + ascent(network.size_pt)
        second = first + network.line_pitch * (len(network.lines) - 1)
        second += network.size_pt * PT * DESCENT + gap + ascent(organisation.size_pt)
        if second + organisation.depth <= bottom:
            break
    put_block(pdf, network, left, first, colour=MUTED)
    put_block(pdf, organisation, left, second)


# The verification code on a card back: x, y of its top-left corner from the card's top-left
# corner, and its side, in mm.
BADGE_BACK_QR = (6.5, 17.0, 23.0)
# The square on the right half of every card back (x, y, side in mm from the card's top-left
# corner) that holds the second code: the member's report form (/r/<token>, see
# trainer/concerns/keys.py), with its quiet zone inside the square and its caption under it.
# Nothing else is ever drawn there; a card without a report URL (a member whose code would open
# nothing) leaves it empty.
BADGE_BACK_FREE_AREA = (60.0, 15.0, 26.0)
# The report code inside that square: x, y, side in mm from the card's top-left corner. 3 mm on
# every side is room for the quiet zone of any version up to 6 (41 modules: 2 mm).
BADGE_BACK_REPORT_QR = (63.0, 18.0, 20.0)
REPORT_CAPTION = ("気づいたら、", "ここから事務局へ")


def _card_back(pdf: FPDF, card: PrintedCertificate, x: float, y: float) -> None:
    put(pdf, "見守りネットワーク 構成員証", x + _PAD, y + 8.5, size=7, colour=BRAND)
    qr_x, qr_y, side = x + BADGE_BACK_QR[0], y + BADGE_BACK_QR[1], BADGE_BACK_QR[2]
    quiet = put_qr(pdf, card.verify_url, qr_x, qr_y, side)

    left = qr_x + side + quiet
    width = x + BADGE_BACK_FREE_AREA[0] - 2.5 - left
    caption = ("本物かどうかは、", "このQRコードで", "確認できます")
    size = min(fit_font_size(line, width, max_pt=7, min_pt=4) for line in caption)
    last = put_block(pdf, TextBlock(size, caption), left, qr_y + 4)
    serial = fit_text(card.serial_label, width, max_pt=8.5, min_pt=5)
    put_block(pdf, serial, left, last + 6)
    if card.report_url:
        _report_code(pdf, card.report_url, x, y)


def _report_code(pdf: FPDF, url: str, x: float, y: float) -> None:
    """The second code, and under the square its caption, centred, in two lines that end
    inside the card's margin."""
    area_x, area_y, area_side = BADGE_BACK_FREE_AREA
    code_x, code_y, code_side = BADGE_BACK_REPORT_QR
    put_qr(pdf, url, x + code_x, y + code_y, code_side)
    centre = x + area_x + area_side / 2
    width = min(area_side, 2 * (x + CARD_W - _PAD - centre))
    size = min(fit_font_size(line, width, max_pt=8, min_pt=5) for line in REPORT_CAPTION)
    baseline = y + area_y + area_side + 0.8 + ascent(size)
    put_block(pdf, TextBlock(size, REPORT_CAPTION), centre, baseline, colour=BRAND, align="center")
