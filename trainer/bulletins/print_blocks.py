"""A bulletin's body, as sanitised HTML, cut into the blocks a printed page sets: headings,
paragraphs, list items (with their bullet or number), rules. Bold is kept per run of text; a
link prints as its text followed by its address, since paper cannot be clicked. The blocks of a
call-out (`!!! 注意` in the course's Markdown) are marked, so that print sets them apart as the
screen does; its title is a small heading."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

HEADINGS = {"h2": 2, "h3": 3, "h4": 4, "h5": 4}
_BLOCKS = {"p", "li", "blockquote", "pre", "tr", "div", *HEADINGS}
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
# A line break in the Markdown source between two Japanese characters is no space in print.
_SOFT_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \t]*\n[ \t]*(?=[^\x00-\x7f])")


@dataclass
class Run:
    text: str
    bold: bool = False


@dataclass
class Block:
    kind: str  # "heading", "paragraph", "item", "rule"
    runs: list[Run] = field(default_factory=list)
    level: int = 0  # heading level (2-4), or list depth (1-…) of an item
    marker: str = ""  # "・" or "3." for an item
    callout: bool = False  # inside a call-out (!!! 注意): printed indented, with a bar

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def _tidy(text: str, keep_lines: bool) -> str:
    if keep_lines:
        return text
    return _SPACES.sub(" ", _SOFT_BREAK.sub("", text))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: Block | None = None
        self.bold = 0
        self.pre = 0
        self.lists: list[list[int | str]] = []  # per open list: [kind, next number]
        self.links: list[str] = []
        self.link_text: list[str] = []
        self.cells = 0
        self.divs: list[bool] = []  # per open div: whether it is a call-out
        self.callouts = 0

    # --- blocks -----------------------------------------------------------------------------

    def _open(self, block: Block) -> None:
        self._close()
        block.callout = self.callouts > 0
        self.current = block

    def _close(self) -> None:
        block = self.current
        self.current = None
        if block is None:
            return
        runs = [r for r in block.runs if r.text]
        if runs:
            runs[0].text = runs[0].text.lstrip()
            runs[-1].text = runs[-1].text.rstrip()
        block.runs = [r for r in runs if r.text]
        if block.runs or block.marker:
            self.blocks.append(block)

    def _write(self, text: str) -> None:
        if self.current is None:
            if not text.strip():
                return
            self.current = Block("paragraph", callout=self.callouts > 0)
        if self.links:
            self.link_text.append(text)
        runs = self.current.runs
        bold = self.bold > 0
        if runs and runs[-1].bold == bold:
            runs[-1].text += text
        else:
            runs.append(Run(text, bold))

    # --- parser callbacks ---------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HEADINGS:
            self._open(Block("heading", level=HEADINGS[tag]))
            self.bold += 1
        elif tag in {"ul", "ol"}:
            self._close()
            self.lists.append([tag, 1])
        elif tag == "li":
            self._open(Block("item", level=max(1, len(self.lists)), marker=self._marker()))
        elif tag == "p" and self.current is not None and self.current.kind == "item":
            if self.current.runs:  # a second paragraph in one item: a new line, no marker
                level = self.current.level
                self._open(Block("item", level=level))
        elif tag == "div":
            classes = (dict(attrs).get("class") or "").split()
            self.divs.append("admonition" in classes)
            self.callouts += "admonition" in classes
            self._open(Block("paragraph"))
        elif tag == "p" and "admonition-title" in (dict(attrs).get("class") or "").split():
            self._open(Block("heading", level=4))
            self.bold += 1
        elif tag in {"p", "blockquote", "pre", "tr"}:
            self._open(Block("paragraph"))
            self.pre += tag == "pre"
            self.cells = 0 if tag != "tr" else -1
        elif tag in {"td", "th"}:
            if self.cells > 0:
                self._write(" ｜ ")
            self.cells = max(self.cells, 0) + 1
            self.bold += tag == "th"
        elif tag in {"strong", "b"}:
            self.bold += 1
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
            self.link_text = []
        elif tag == "br":
            self._write("\n")
        elif tag == "hr":
            self._open(Block("rule"))
            self.blocks.append(Block("rule"))
            self.current = None

    def handle_endtag(self, tag: str) -> None:
        if tag in HEADINGS:
            self.bold = max(0, self.bold - 1)
            self._close()
        elif tag in {"ul", "ol"}:
            self._close()
            if self.lists:
                self.lists.pop()
        elif tag == "p" and self.current is not None and self.current.kind == "heading":
            self.bold = max(0, self.bold - 1)  # a call-out's title
            self._close()
        elif tag == "div":
            self._close()
            if self.divs and self.divs.pop():
                self.callouts -= 1
        elif tag in {"li", "p", "blockquote", "tr"}:
            self._close()
        elif tag == "table":
            self.cells = 0
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._close()
        elif tag in {"strong", "b"} or tag == "th":
            self.bold = max(0, self.bold - 1)
        elif tag == "a" and self.links:
            self._end_link(self.links.pop())

    def _end_link(self, href: str) -> None:
        shown = "".join(self.link_text).strip()
        address = re.sub(r"^(mailto|tel):", "", href)
        if address and address != shown:
            bold, self.bold = self.bold, 0
            self._write(f"（{address}）")
            self.bold = bold

    def handle_data(self, data: str) -> None:
        if self.cells and not data.strip():  # the line breaks between a table's cells
            return
        self._write(_tidy(data, keep_lines=self.pre > 0))

    def _marker(self) -> str:
        if not self.lists:
            return "・"
        kind, number = self.lists[-1]
        if kind == "ol":
            self.lists[-1][1] = int(number) + 1
            return f"{number}."
        return "・" if len(self.lists) == 1 else "－"


def blocks(html: str) -> list[Block]:
    """The blocks of sanitised HTML, in order."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader._close()
    return reader.blocks
