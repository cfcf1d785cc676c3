"""QR codes as inline SVG (qrcode's path image: no image library needed)."""

from __future__ import annotations

from functools import lru_cache

import qrcode
import qrcode.image.svg
from flask import current_app
from markupsafe import Markup, escape


def absolute_url(path: str) -> str:
    """An absolute URL from TRAINER_BASE_URL, never from the request's Host header: printed
    codes must point at the real site even if the page was opened through another name."""
    return current_app.config["TRAINER_BASE_URL"] + path


@lru_cache(maxsize=256)
def qr_svg(data: str, *, label: str) -> Markup:
    """An SVG QR code sized by CSS (class "qr"), with a text alternative for screen readers.

    Cached: the same code is drawn again and again (the projector every 2 seconds), and
    encoding it in pure Python is most of that page's time."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    # Drop the fixed millimetre size so the page decides; keep the viewBox for the proportions.
    head, rest = svg.split(">", 1)
    head = " ".join(p for p in head.split(" ") if not p.startswith(("width=", "height=")))
    head += f' class="qr" role="img" aria-label="{escape(label)}"'
    return Markup(f"{head}><title>{escape(label)}</title>{rest}")
