"""axe-core, the accessibility checker, run on the pages the journeys visit.

axe-core comes from npm (tests/e2e/package.json, installed by `make install`). It is evaluated in
the page through the DevTools protocol, which the app's Content-Security-Policy (scripts from
'self' only) does not apply to, so the page is checked exactly as users get it.

Serious and critical violations fail the test; minor and moderate ones are collected in FINDINGS
and listed at the end of the run (tests/e2e/conftest.py prints them), so they stay visible without
blocking a journey.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Finding:
    page: str  # the label the journey gave the page, and its path
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:3]) + (" …" if len(self.targets) > 3 else "")
        return f"[{self.impact}] {self.page}: {self.rule} — {self.help} ({where})"


FINDINGS: list[Finding] = []
CHECKED: list[str] = []


def _source() -> str:
    if not AXE_JS.exists():
        message = f"axe-core is missing ({AXE_JS}): run `make install` (npm ci in tests/e2e)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS.read_text(encoding="utf-8")


def with_axe(page: Page) -> Page:
    """axe-core put into every document of this device before the page's own scripts, through
    the DevTools protocol as check_page() does (the app's CSP does not apply to it), so that
    check_page() finds it and does not send its 650 kB again on each page: 0.15 s a page."""
    if AXE_JS.exists():
        page.context.add_init_script(path=str(AXE_JS))
    return page


def check_page(page: Page, label: str) -> list[Finding]:
    """Runs axe-core (WCAG 2.x A and AA rules, and best practices) on the page as it is now.
    Fails on serious or critical violations; returns and records the others."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source() + "\n;undefined")
    results = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                             'best-practice']},
            resultTypes: ['violations'],
        })"""
    )
    where = f"{label} {page.url.split('//', 1)[-1].split('/', 1)[-1] or '/'}"
    findings = [
        Finding(
            page=where,
            rule=violation["id"],
            impact=violation.get("impact") or "minor",
            help=violation["help"],
            targets=tuple(" ".join(map(str, node["target"])) for node in violation["nodes"]),
        )
        for violation in results["violations"]
    ]
    CHECKED.append(where)
    blocking = [f for f in findings if f.impact in BLOCKING]
    FINDINGS.extend(f for f in findings if f.impact not in BLOCKING)
    assert not blocking, "axe-core: serious or critical violations\n" + "\n".join(
        str(f) for f in blocking
    )
    return findings
