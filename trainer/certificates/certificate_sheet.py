"""The printable certificate (修了証): one A4 portrait page, set in Noto Serif JP, with a QR code
that opens the certificate's public check.

Pure: plain values in, PDF bytes out; no Flask, no database. The fonts are embedded as subsets,
so a PDF prints the same on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from fpdf import FPDF

from trainer.pdf_drawing import (
    BRAND,
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
    SERIF,
    TextBlock,
    ascent,
    fit_text,
    text_width,
)
from trainer.timeutil import jdate


@dataclass(frozen=True)
class PrintedCertificate:
    """What a certificate or a badge prints, as plain values."""

    serial_label: str  # e.g. "第00012号"
    member_name: str  # as typed, e.g. "山田　太郎"
    member_kana: str  # may be ""
    organisation: str
    network: str
    course_title: str
    issued_on: date
    valid_until: date  # last valid day, inclusive
    verify_url: str  # absolute URL encoded in the QR code
    # Set on the 地域の窓口 settings page; "" while not set (see trainer/accounts/settings.py).
    issuer_title: str = ""  # e.g. 「みどり市見守りネットワーク協議会 会長」
    issuer_name: str = ""
    secretariat_phone: str = ""  # badge front: 「確認のお問い合わせ：事務局 …」
    # None while the certificate is valid; otherwise what the page must say across it.
    status_mark: StatusMark | None = None
    # Badge back only: the member's report form (/r/<token>), printed as the second QR code.
    # "" prints no second code (the square stays empty): see trainer/concerns/keys.py.
    report_url: str = ""


@dataclass(frozen=True)
class StatusMark:
    """A certificate that is not valid (取消, 期限切れ, 失効, 確認中) prints with this across it,
    so a printed copy cannot pass for a valid one. The QR code still opens the live check."""

    label: str  # 「取消」
    text: str  # one sentence: 「この修了証は取り消されています。」
    as_of: date  # the day the status was read (a printout is a snapshot)


_CERT_LEFT, _CERT_RIGHT = 38.0, 172.0  # the text column
_CERT_WIDTH = _CERT_RIGHT - _CERT_LEFT
_CERT_CENTRE = PAGE_W / 2
# Where the verification code goes: x, y of its top-left corner and its side, in mm on the page.
CERTIFICATE_QR = (24.0, 242.0, 30.0)


def certificate_pdf(cert: PrintedCertificate) -> bytes:
    """One A4 portrait page: the member's certificate, with a QR code to verify it."""
    # Serif throughout: each embedded font costs about 0.25 s to load and subset (a certificate
    # with both families took 0.75 s, with one 0.5 s).
    with document(f"修了証 {cert.serial_label}", (SERIF,)) as pdf:
        pdf.add_page()
        _certificate_frame(pdf)
        _certificate_heading(pdf, cert)
        _certificate_recipient(pdf, cert)
        bottom = _certificate_body(pdf, cert)
        _certificate_issuer(pdf, cert, bottom)
        _certificate_verification(pdf, cert)
        if cert.status_mark is not None:
            _status_mark(pdf, cert.status_mark)
        return bytes(pdf.output())


def _certificate_frame(pdf: FPDF) -> None:
    """A thin double border in the brand green."""
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.8)
    pdf.rect(10, 10, PAGE_W - 20, PAGE_H - 20)
    pdf.set_line_width(0.25)
    pdf.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)


def _certificate_heading(pdf: FPDF, cert: PrintedCertificate) -> None:
    put(pdf, cert.serial_label, 186, 26, size=11, family=SERIF, align="right")
    # Spaced out as on printed 賞状. The characters are set one by one (no spaces between them),
    # so text extraction still reads 「修了証」.
    title, size, gap = "修了証", 42.0, 12.0
    widths = [text_width(char, size, SERIF) for char in title]
    x = _CERT_CENTRE - (sum(widths) + gap * (len(title) - 1)) / 2
    for char, width in zip(title, widths, strict=True):
        put(pdf, char, x, 64, size=size, family=SERIF, bold=True)
        x += width + gap
    rule(pdf, _CERT_CENTRE - 24, _CERT_CENTRE + 24, 73, 0.4, BRAND)


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
        put_block(pdf, kana, left + name_width / 2, 95, family=SERIF, colour=MUTED, align="center")
    put_block(pdf, name, left, baseline, family=SERIF, bold=True)
    put(pdf, honorific, left + name_width + gap, baseline, size=honorific_size, family=SERIF)
    rule(pdf, _CERT_LEFT, _CERT_RIGHT, baseline + 4, 0.3, RULE)
    organisation = fit_text(
        cert.organisation, _CERT_WIDTH, max_pt=13, min_pt=9, max_lines=2, family=SERIF, balance=True
    )
    put_block(pdf, organisation, _CERT_CENTRE, baseline + 13, family=SERIF, align="center")


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
    last = put_block(pdf, body, _CERT_LEFT, 148, family=SERIF)
    dates = TextBlock(
        12.5,
        (
            f"発行日　　{jdate(cert.issued_on)}",
            f"有効期限　{jdate(cert.valid_until)}まで",
        ),
        leading=1.8,
    )
    return put_block(pdf, dates, _CERT_LEFT, max(198.0, last + 14), family=SERIF)


# The seal's circle (印の枠) right of the issuer's name: diameter in mm.
_SEAL = 13.0


def _certificate_issuer(pdf: FPDF, cert: PrintedCertificate, above: float) -> None:
    """The issuer, right-aligned above the QR code: the title set by the secretariat (else the
    network's name) and, when set, the name with a circle for the seal beside it."""
    title = fit_text(
        cert.issuer_title or cert.network,
        120,
        max_pt=13 if cert.issuer_name else 15,
        min_pt=11,  # wrapped onto a second line before it gets small
        max_lines=3,
        family=SERIF,
        balance=True,
    )
    name = (
        fit_text(cert.issuer_name, 90, max_pt=16, min_pt=10, family=SERIF)
        if cert.issuer_name
        else None
    )
    gap = 5.0  # between the title's last baseline and the name's
    below_title = (gap + name.size_pt * PT * DESCENT) if name else 0.0
    depth = title.depth + below_title + (_SEAL / 2 if name else 0.0)
    # The block must end above the QR code's quiet zone (the code is as wide as the column).
    lowest = CERTIFICATE_QR[1] - 6 - depth
    baseline = min(max(216.0 if name else 226.0, above + 16), lowest)
    last = put_block(pdf, title, _CERT_RIGHT, baseline, family=SERIF, align="right")
    if name is None:
        return
    name_baseline = last + gap + ascent(name.size_pt) * 0.5 + 3
    seal_x = _CERT_RIGHT - _SEAL
    put_block(
        pdf, name, seal_x - 4, name_baseline, family=SERIF, align="right", bold=name.size_pt >= 9
    )
    # The circle where the seal is pressed; 「印」 in light grey inside, as on printed 賞状.
    centre_y = name_baseline - ascent(name.size_pt) / 2
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.3)
    pdf.ellipse(seal_x, centre_y - _SEAL / 2, _SEAL, _SEAL)
    put(
        pdf,
        "印",
        seal_x + _SEAL / 2,
        centre_y + ascent(9) / 2,
        size=9,
        family=SERIF,
        colour=RULE,
        align="center",
    )


def _certificate_verification(pdf: FPDF, cert: PrintedCertificate) -> None:
    """The QR code bottom left; what it is for and the URL beside it."""
    x, y, size = CERTIFICATE_QR
    quiet = put_qr(pdf, cert.verify_url, x, y, size)
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
    height = ascent(caption.size_pt) + caption.depth + 3 + ascent(url.size_pt) + url.depth
    first = y + size / 2 - height / 2 + ascent(caption.size_pt)
    last = put_block(pdf, caption, left, first, family=SERIF)
    put_block(
        pdf,
        url,
        left,
        last + 3 + ascent(url.size_pt) + caption.size_pt * PT * DESCENT,
        family=SERIF,
        colour=MUTED,
    )


MARK_RED: tuple[int, int, int] = (176, 0, 32)  # #b00020, the app's error red


def _status_mark(pdf: FPDF, mark: StatusMark) -> None:
    """A red band under the serial number saying what the status is and on which day, and the
    status in large outlined letters across the statement. Both are solid ink, not transparency,
    so they survive a black-and-white printer; neither touches the QR code."""
    top, height = 29.0, 17.0
    pdf.set_fill_color(*MARK_RED)
    pdf.rect(18, top, PAGE_W - 36, height, style="F")
    headline = fit_text(
        f"【{mark.label}】{mark.text}", PAGE_W - 44, max_pt=14, min_pt=9, family=SERIF
    )
    put_block(
        pdf, headline, _CERT_CENTRE, top + 8, family=SERIF, colour=WHITE, align="center", bold=True
    )
    note = f"{jdate(mark.as_of)}の状態です。いまの状態は、下のQRコードで確かめてください。"
    put(pdf, note, _CERT_CENTRE, top + 14, size=9, family=SERIF, colour=WHITE, align="center")
    # Across the middle of the page, well above the QR code (its top is at CERTIFICATE_QR[1]).
    size = min(110.0, 150 / (len(mark.label) * PT))
    width = text_width(mark.label, size, SERIF)
    centre_x, centre_y = _CERT_CENTRE, 160.0
    with pdf.rotation(angle=25, x=centre_x, y=centre_y), pdf.local_context():
        pdf.set_font(SERIF, size=size)
        pdf.set_draw_color(*MARK_RED)
        # Text rendering mode 1: outlined only, so the words under it stay readable.
        pdf._out(f"1 Tr {size * 0.012:.2f} w 1 j")
        pdf.text(centre_x - width / 2, centre_y + ascent(size) / 2, mark.label)
