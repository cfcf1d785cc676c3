"""Screenshots of the main pages at phone width (360 px) and desktop width (1280 px).

Starts a throwaway instance on a free port on 127.0.0.1 (its own SQLite file and its own instance
folder in a temporary directory, so the developer's instance/ and its demo-logins.txt are left
alone), loads the courses and the demo network, signs in through the real login form as each
role, and saves full-page PNGs as <NN>-<name>-<width>.png in screenshots/ (or --out). The
journeys are the screenshot tour in tests/e2e/tour, which goes through the same driver as the
browser tests (tests/e2e/driver); its docstrings say what each journey does. QR codes are
decoded with zbarimg and checked against the URL shown beside them.

    .venv/bin/python scripts/screenshots.py                      # everything (about 3.5 minutes)
    .venv/bin/python scripts/screenshots.py --only workshop      # the workshop journey (70-89)
    .venv/bin/python scripts/screenshots.py --only secretariat   # the secretariat's (90-99)
    .venv/bin/python scripts/screenshots.py --only pages         # the rest (01-69)
    .venv/bin/python scripts/screenshots.py --out /tmp/shots     # into another folder

Needs Debian's chromium (/usr/bin/chromium), zbar-tools (zbarimg), poppler-utils (pdftoppm,
pdfinfo) and a Japanese font package.
Prints one line per screenshot; pages wider than the viewport are marked "OVERFLOW", and every
problem seen is listed at the end (exit status 1 if there is one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tour is in tests/, which is not an installed package

from tests.e2e.tour.run import JOURNEYS, PATTERNS, tour  # noqa: E402
from tests.e2e.tour.shooter import shown_path  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--only",
        choices=JOURNEYS,
        help="only the main pages (screenshots 01-69), the workshop journey (70-89) or the "
        "secretariat's journey (90-99)",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "screenshots", help="the folder (screenshots/)"
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    pattern = PATTERNS[args.only]
    for old in out.glob(pattern):
        old.unlink()
    problems = tour(out, args.only)
    print(f"{len(list(out.glob(pattern)))} screenshots in {shown_path(out)}/")
    for problem in problems:
        print("PROBLEM", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
