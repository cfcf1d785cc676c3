"""The printable certificate (修了証): one A4 portrait page, set in Noto Serif JP, with a QR code
that opens the certificate's public check.

Pure: plain values in, PDF bytes out; no Flask, no database. The fonts are embedded as subsets,
so a PDF prints the same on any machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from fpdf import FPDF

from trainer.certificates.pdf_drawing import (
    BRAND,
    MUTED,
    PAGE_H,
    PAGE_W,
    RULE,
    document,
    put,
    put_block,
    put_qr,
    rule,
)
from trainer.certificates.pdf_text import (
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


def _certificate_issuer(pdf: FPDF, cert: PrintedCertificate, above: float) -> None:
    """The network that issues the certificate, right-aligned above the QR code."""
    issuer = fit_text(
        cert.network, 120, max_pt=15, min_pt=10, max_lines=3, family=SERIF, balance=True
    )
    # The last line must end above the QR code's quiet zone (it is as wide as the column).
    lowest = CERTIFICATE_QR[1] - 6 - issuer.depth
    baseline = min(max(226.0, above + 16), lowest)
    put_block(pdf, issuer, _CERT_RIGHT, baseline, family=SERIF, align="right")


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
