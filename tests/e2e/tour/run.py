"""One run of the tour: a throwaway server with the demo network, Chromium, the journeys."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.e2e.driver.browser import chromium
from tests.e2e.driver.server import serve
from tests.e2e.tour.demo import load_demo
from tests.e2e.tour.pages import learner, secretariat, signed_out, trainer_and_admin
from tests.e2e.tour.secretariat import secretariat_journey
from tests.e2e.tour.shooter import VIEWPORTS, Shooter, shown_path
from tests.e2e.tour.workshop import workshop

JOURNEYS = ("pages", "workshop", "secretariat")
# The pictures each journey makes, for clearing old ones before a run.
PATTERNS = {
    "pages": "[0-6][0-9]-*-*.png",
    "workshop": "[78][0-9]-*-*.png",
    "secretariat": "9[0-9]-*-*.png",
    None: "[0-9][0-9]-*-*.png",
}


def tour(out: Path, only: str | None = None) -> list[str]:
    """Screenshots of the journeys (all, or `only` one) in `out`; returns the problems seen."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="trainer-shots-") as name:
        tmp = Path(name)
        with serve(tmp / "server") as live, chromium(executable, tmp / "chromium") as browser:
            demo = load_demo(live)
            print(f"throwaway instance: {shown_path(live.instance_path)} (demo logins there)")
            if only in (None, "pages"):
                for width, _, _ in VIEWPORTS:
                    s = Shooter(width, out)
                    signed_out(browser, s, demo)
                    secretariat(browser, s, demo)
                    trainer_and_admin(browser, s, demo)
                    learner(browser, s, demo)
                    problems += s.problems
            if only in (None, "workshop"):
                problems += workshop(browser, demo, out)
            if only in (None, "secretariat"):
                problems += secretariat_journey(browser, demo, out, tmp)
    return problems
