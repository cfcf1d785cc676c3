"""External tools the tests use as real parts (zbar, poppler, librsvg), from Debian."""

from __future__ import annotations

import os
import shutil

import pytest

PACKAGES = {
    "zbarimg": "zbar-tools",
    "rsvg-convert": "librsvg2-bin",
    "pdftoppm": "poppler-utils",
    "pdftotext": "poppler-utils",
}


def need(tool: str) -> str:
    """The tool's path. Missing: the test is skipped on a laptop and fails under CI, which
    installs it (.ci/run), so a missing install step can never pass silently."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run installs it")
        pytest.skip(f"{tool} not installed (Debian: {PACKAGES.get(tool, tool)})")
    return path
