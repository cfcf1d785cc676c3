"""Pictures and downloads as people use them: a QR code read by a camera (zbarimg on a
screenshot), a PDF opened (poppler's pdfinfo, pdftotext and pdftoppm)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from playwright.sync_api import Error, Locator


def decode_qr(png: Path) -> str | None:
    """What the one QR code in the picture says, or None when zbarimg finds none."""
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, timeout=30
    )
    return done.stdout.strip() if done.returncode == 0 else None


def read_qr(element: Locator, png: Path) -> str | None:
    """The QR code drawn by `element`, read from its screenshot (kept at `png`).

    A page that refreshes itself (the projector swaps its live part in every few seconds) can
    replace the element while it is being captured: the locator finds the new one next time."""
    for attempt in range(3):
        try:
            element.screenshot(path=str(png))
            break
        except Error as error:
            if "not attached" not in str(error) or attempt == 2:
                raise
    return decode_qr(png)


def pdf_pages(pdf: Path) -> int:
    done = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=30)
    found = re.search(r"^Pages:\s+(\d+)", done.stdout, re.MULTILINE)
    return int(found.group(1)) if found else 0


def pdf_text(pdf: Path) -> str:
    """The PDF's text as a reader copies it out."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip


def pdf_page_png(pdf: Path, page_number: int, png: Path, dpi: int) -> None:
    """One page of a PDF as a PNG (pdftoppm -singlefile: exactly `png`, no page suffix)."""
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", str(page_number), "-l", str(page_number),
         "-singlefile", str(pdf), str(png.with_suffix(""))],
        check=True, timeout=60,
    )  # fmt: skip
