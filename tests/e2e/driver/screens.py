"""A page looked at the way people will see it: at a phone's width and at a desk's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.axe import Finding, check_page

WIDTHS = ((360, 740), (1280, 900))


def shoot_both(
    page: Page, screenshot: Callable[[Page, str], Path], name: str, prefix: str
) -> list[Finding]:
    """The page at 360 and at 1280 px (screenshots <prefix>-<name>-<width>, for people),
    axe-checked at the width it was not opened at (the layouts differ), then back to its own
    size."""
    size = page.viewport_size
    findings: list[Finding] = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        if size is not None and width != size["width"]:
            findings += check_page(page, f"{name} at {width} px")
        screenshot(page, f"{prefix}-{name}-{width}")
    if size is not None:
        page.set_viewport_size(size)
    return findings
