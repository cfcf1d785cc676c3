"""What the certificate pages share with the workshop's own certificate page: the public check's
URL, the print view and the PDF response."""

from __future__ import annotations

from flask import Response, render_template, url_for

from trainer import tables
from trainer.certificates import service
from trainer.certificates.certificate_sheet import certificate_pdf
from trainer.certificates.models import Certificate
from trainer.qr import absolute_url, qr_svg
from trainer.timeutil import today_jst


def verify_url(certificate: Certificate) -> str:
    """The absolute URL of the certificate's public check, as printed in its QR code."""
    return absolute_url(url_for("verify.page", token=certificate.token))


def render_print_view(certificate: Certificate, pdf_url: str, back_url: str) -> str:
    url = verify_url(certificate)
    return render_template(
        "certificates/print.html",
        certificate=certificate,
        status=certificate.status_on(today_jst()),
        today=today_jst(),
        url=url,
        qr=qr_svg(url, label="この修了証の確認ページ"),
        pdf_url=pdf_url,
        back_url=back_url,
    )


def pdf_response(data: bytes, filename: str, *, download: bool) -> Response:
    """A PDF, saved as a file (download) or shown in the browser, never cached."""
    return tables.download(data, "pdf", filename, inline=not download)


def certificate_pdf_response(certificate: Certificate) -> Response:
    """One certificate as an A4 PDF, shown in the browser."""
    data = certificate_pdf(service.printed(certificate, verify_url(certificate)))
    return pdf_response(data, f"certificate-{certificate.serial:05d}.pdf", download=False)
