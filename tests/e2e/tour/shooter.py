"""Screenshots with what a person would notice on them: pages wider than the viewport, projector
screens that do not fit, squashed SVG text, touch targets too small for a finger."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page

from tests.e2e.driver.files import decode_qr, read_qr
from tests.live_server import ROOT

VIEWPORTS = ((360, 740, 2), (1280, 900, 1))  # (width, height, device scale factor)

# Elements sticking out past the right edge of the viewport, outside any scrolling box.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const names = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrolls(el)) {
      const cls = typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      names.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, names};
}"""

# What a page shows on a projector: nothing may be below the fold (nobody scrolls a projector),
# the corner box (途中参加) must not cover anything, text inside an SVG stretched with
# preserveAspectRatio="none" must not be squashed, and the figures, the join code and the phase
# must fit their boxes. Also: the lines cut short with "…" and the smallest text on the screen.
SCREEN_JS = """() => {
  const out = {below: Math.max(0, document.documentElement.scrollHeight - innerHeight),
               covered: [], squashed: [], truncated: [], clipped: [], smallest: 999};
  const corner = document.querySelector('.pj-corner');
  if (corner) {
    const c = corner.getBoundingClientRect();
    const parts = '.qbar, .pj-progress, .dist, .pj-legend, .pj-head';
    for (const el of document.querySelectorAll(parts)) {
      const b = el.getBoundingClientRect();
      if (b.width && b.right > c.left && b.left < c.right && b.bottom > c.top && b.top < c.bottom)
        out.covered.push(el.className.baseVal ?? el.className);
    }
  }
  for (const svg of document.querySelectorAll('svg[preserveAspectRatio="none"]')) {
    if (!svg.querySelector('text') || !svg.viewBox.baseVal) continue;
    const v = svg.viewBox.baseVal, b = svg.getBoundingClientRect();
    const ratio = (b.width / v.width) / (b.height / v.height);
    if (Math.abs(ratio - 1) > 0.1) out.squashed.push(ratio.toFixed(2));
  }
  const boxed = '.qbar-value, .pj-code, .pj-corner strong, .pj-phase';
  for (const el of document.querySelectorAll(boxed)) {
    if (el.scrollWidth > el.clientWidth + 1) out.clipped.push(el.textContent.trim().slice(0, 20));
  }
  for (const el of document.querySelectorAll('body *')) {
    const s = getComputedStyle(el);
    if (s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
      out.truncated.push(el.textContent.trim().slice(0, 20));
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own && el.getClientRects().length)
      out.smallest = Math.min(out.smallest, parseFloat(s.fontSize));
  }
  return out;
}"""

# Touch targets on a phone smaller than 44 x 44 CSS px (links inside running text excepted).
TARGETS_JS = """() => {
  const small = [];
  const sel = 'a, button, select, textarea, summary, label.choice, input:not([type=hidden])';
  for (const el of document.querySelectorAll('main ' + sel.split(', ').join(', main '))) {
    if (el.matches('label.choice input, label.check input')) continue;
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') continue;
    const b = el.getBoundingClientRect();
    if (!b.width) continue;
    if (b.height < 44 || b.width < 44)
      small.push(`${el.tagName.toLowerCase()} ${Math.round(b.width)}x${Math.round(b.height)} `
                 + (el.textContent || el.name || '').trim().slice(0, 12));
  }
  return small;
}"""


def shown_path(path: Path) -> str:
    """A file as the run's output names it: relative to the repository when it is inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass
class Shooter:
    """Saves screenshots of one width into `out` and remembers the last page load's HTTP status
    for the line it prints, and the problems it saw."""

    width: int
    out: Path
    status: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    shots: bool = True  # False: a learner going through the forms for the figures only

    def watch(self, page: Page) -> Page:
        def on_response(response) -> None:
            request = response.request
            if request.is_navigation_request() and request.frame == page.main_frame:
                self.status[id(page)] = response.status

        page.on("response", on_response)
        return page

    def shoot(self, page: Page, number: int, name: str, full_page: bool = True) -> Path:
        """<out>/<NN>-<name>-<width>.png, with a line saying its size, HTTP status and title,
        and "OVERFLOW" when something sticks out past the right edge."""
        page.wait_for_load_state("load")
        if not self.shots:
            return self.out / "-"
        path = self.out / f"{number:02d}-{name}-{self.width}.png"
        # A whole long page (the report at 360 px is some 50,000 px tall) takes longer to
        # capture than one Playwright step is allowed: it failed the tour at the 15 s default.
        page.screenshot(path=str(path), full_page=full_page, timeout=60_000)
        layout = page.evaluate(OVERFLOW_JS)
        height = page.evaluate("document.documentElement.scrollHeight")
        note = ""
        if layout["scrollWidth"] > layout["width"] or layout["names"]:
            names = list(dict.fromkeys(layout["names"]))[:6]
            note = f"  OVERFLOW scrollWidth={layout['scrollWidth']} {' '.join(names)}"
            self.problems.append(f"{path.name}:{note}")
        status = self.status.get(id(page), "?")
        where = f"{shown_path(path)}  {self.width}x{height}  HTTP {status}"
        print(f"{where}  {page.title()}{note}")
        return path

    def expect_qr(self, png: Path, shown: str, what: str) -> None:
        """The one QR code in a picture against the URL the page shows beside it."""
        self.compare_qr(decode_qr(png), shown, what, png.name)

    def expect_qr_element(self, element: Locator, shown: str, what: str) -> None:
        """A QR code on the page (its element's screenshot, not kept) against its URL."""
        png = self.out / f"qr-{what.replace(' ', '-')}-{self.width}.png"
        try:
            self.compare_qr(read_qr(element, png), shown, what, png.name)
        finally:
            png.unlink(missing_ok=True)

    def compare_qr(self, decoded: str | None, shown: str, what: str, picture: str) -> None:
        if decoded == shown:
            print(f"QR {what} ({self.width} px): decodes to the URL shown on the page: {decoded}")
            return
        problem = (
            f"QR {what} ({self.width} px): decoded {decoded!r} from {picture}, "
            f"but the page shows {shown!r}"
        )
        print(problem)
        self.problems.append(problem)


def shoot_page(s: Shooter, page: Page, number: int, name: str, full_page: bool = True) -> Path:
    """A page of the app: squashed SVG text anywhere, and on a phone touch targets under 44 px."""
    path = s.shoot(page, number, name, full_page=full_page)
    squashed = page.evaluate(SCREEN_JS)["squashed"]
    if squashed:
        s.problems.append(f"{path.name}: SQUASHED SVG TEXT (x/y scale {', '.join(squashed[:3])})")
    small = page.evaluate(TARGETS_JS) if s.width < 600 else []
    if small:
        s.problems.append(f"{path.name}: SMALL TOUCH TARGETS {'; '.join(small[:5])}")
    return path


def shoot_screen(s: Shooter, page: Page, number: int, name: str) -> Path:
    """A projector page as the room sees it: the viewport only, with what does not fit noted."""
    path = s.shoot(page, number, name, full_page=False)
    seen = page.evaluate(SCREEN_JS)
    notes = []
    if seen["below"]:
        notes.append(f"BELOW THE FOLD by {seen['below']} px")
    if seen["covered"]:
        notes.append(f"CORNER BOX COVERS {' '.join(dict.fromkeys(seen['covered']))}")
    if seen["clipped"]:
        notes.append(f"TEXT WIDER THAN ITS BOX {' / '.join(seen['clipped'][:3])}")
    if seen["squashed"]:
        notes.append(f"SQUASHED SVG TEXT (x/y scale {', '.join(seen['squashed'][:3])})")
    for note in notes:
        s.problems.append(f"{path.name}: {note}")
    cut = f", {len(seen['truncated'])} lines cut with …" if seen["truncated"] else ""
    print(
        f"    smallest text {seen['smallest']:.0f} px{cut}{'; ' if notes else ''}{'; '.join(notes)}"
    )
    return path
