"""A bulletin printed for a notice board: an A4 PDF per organisation (「◯◯ 掲示用」).

Page one carries the kind (注意喚起 in a red band, 見守り通信 in a blue one), the network, the
title and the date; the body follows from its Markdown (headings, paragraphs, lists, bold; a link
as its text and address), then the attached picture when it is a PNG or JPEG. A long body flows
onto further pages. Every page ends with where to call (消費者ホットライン 188 and the network's
consumer centre) and the organisation's name and the page number, so that each sheet on a board
stands on its own. A print for several organisations is one PDF with one copy after another.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fpdf import FPDF
from PIL import Image

from trainer.accounts.models import Network
from trainer.bulletins import print_page as page
from trainer.bulletins.models import Bulletin
from trainer.bulletins.print_blocks import Block, Run, blocks
from trainer.bulletins.print_page import INK, MARGIN, TEXT_W
from trainer.bulletins.print_text import Piece, break_lines, printable, width
from trainer.bulletins.published import body_html
from trainer.pdf_drawing import document
from trainer.pdf_text import PT, SANS
from trainer.timeutil import jdate

BODY_BOTTOM = page.FOOT_TOP - 5.0
NEXT_PAGE_TOP = 26.0  # where the body goes on after page one
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}

BODY_PT, LEADING = 12.5, 1.75
HEADING_PT = {2: 16.0, 3: 14.0, 4: 13.0}
INDENT = 6.0  # mm per list level
CALLOUT_INDENT = 6.0  # mm a call-out is set in from the bar


@dataclass(frozen=True)
class PrintedBulletin:
    """Everything the print shows of one bulletin (the organisation's name comes per copy)."""

    network_name: str
    kind: str
    kind_label: str
    title: str
    published_on: str  # 2026年12月4日
    body_html: str
    attachment_name: str = ""
    image: bytes | None = None  # a PNG or JPEG that opened as one
    consumer_centre_name: str = ""
    consumer_centre_phone: str = ""


def checked_image(data: bytes | None, content_type: str) -> bytes | None:
    """data when it is a PNG or JPEG image that opens (and says so), else None."""
    if not data or content_type not in IMAGE_TYPES.values():
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            if IMAGE_TYPES.get(image.format or "") != content_type:
                return None
            image.verify()
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None
    return data


def printed_bulletin(bulletin: Bulletin, network: Network) -> PrintedBulletin:
    """What the print shows of a published bulletin of network."""
    image = checked_image(bulletin.attachment_data, bulletin.attachment_type)
    return PrintedBulletin(
        network_name=network.name,
        kind=bulletin.kind,
        kind_label=bulletin.kind_label,
        title=bulletin.title,
        published_on=jdate(bulletin.published_at),
        body_html=str(body_html(bulletin, network)),
        attachment_name=bulletin.attachment_name if bulletin.attachment_data else "",
        image=image,
        consumer_centre_name=network.consumer_centre_name,
        consumer_centre_phone=network.consumer_centre_phone,
    )


# --- layout: the body as items of a known height, then cut into pages ---------------------------


@dataclass(frozen=True)
class TextLine:
    pieces: tuple[Piece, ...]
    size: float
    x: float  # mm from the left margin
    height: float
    keep_with_next: bool = False
    marker: str = ""
    marker_x: float = 0.0
    bar: bool = False  # a call-out's line: a bar in the left margin of the text


@dataclass(frozen=True)
class Gap:
    height: float
    bar: bool = False


@dataclass(frozen=True)
class Rule:
    height: float = 5.0


@dataclass(frozen=True)
class Picture:
    data: bytes
    w: float
    h: float

    @property
    def height(self) -> float:
        return self.h + 2.0


Item = TextLine | Gap | Rule | Picture


def _block_items(block: Block) -> list[Item]:
    if block.kind == "rule":
        return [Gap(1.0), Rule()]
    if block.callout:
        # A call-out: the same lines, narrower and set in from a bar, the gaps barred too so
        # that the bar runs down the whole call-out.
        items = _lines(block, CALLOUT_INDENT)
        return [
            replace(item, x=item.x + CALLOUT_INDENT, bar=True)
            if isinstance(item, TextLine)
            else replace(item, bar=True)
            if isinstance(item, Gap)
            else item
            for item in items
        ]
    return _lines(block, 0.0)


def _lines(block: Block, inset: float) -> list[Item]:
    text_w = TEXT_W - inset
    runs = [(run.text, run.bold) for run in block.runs]
    if block.kind == "heading":
        size = HEADING_PT.get(block.level, BODY_PT)
        lines = break_lines(runs, text_w, size)
        items: list[Item] = [Gap(4.0 if block.level == 2 else 2.5)]
        items += [TextLine(tuple(p), size, 0.0, size * PT * 1.5, True) for p in lines]
        return [*items, Gap(1.0)]
    if block.kind == "item":
        marker_x = INDENT * (block.level - 1)
        text_x = marker_x + max(INDENT, width(block.marker, BODY_PT) + 1.5)
        lines = break_lines(runs, text_w - text_x, BODY_PT)
        height = BODY_PT * PT * LEADING
        first, *rest = lines or [[]]
        items = [TextLine(tuple(first), BODY_PT, text_x, height, False, block.marker, marker_x)]
        return [*items, *(TextLine(tuple(p), BODY_PT, text_x, height) for p in rest), Gap(0.8)]
    lines = break_lines(runs, text_w, BODY_PT)
    height = BODY_PT * PT * LEADING
    return [*(TextLine(tuple(p), BODY_PT, 0.0, height) for p in lines), Gap(2.5)]


def _picture(data: bytes) -> Picture:
    with Image.open(io.BytesIO(data)) as image:
        w_px, h_px = image.size
    w = TEXT_W
    h = w * h_px / max(w_px, 1)
    if h > 150.0:  # a tall picture: as high as most of a page allows, narrower
        h = 150.0
        w = h * w_px / max(h_px, 1)
    return Picture(data, w, h)


def body_items(bulletin: PrintedBulletin) -> list[Item]:
    items: list[Item] = []
    for block in blocks(bulletin.body_html):
        items.extend(_block_items(block))
    if bulletin.image is not None:
        items += [Gap(3.0), _picture(bulletin.image)]
    elif bulletin.attachment_name:
        note = f"添付資料：{bulletin.attachment_name}（画面でご覧ください）"
        items += [Gap(2.0), *_block_items(Block("paragraph", [Run(note)]))]
    return items


def paginate(items: list[Item], first_top: float) -> list[list[tuple[Item, float]]]:
    """Items with the top (mm) each is drawn at, page by page. A heading never ends a page;
    a picture too tall for what is left of a page starts a new one, shrunk if it must be."""
    pages: list[list[tuple[Item, float]]] = [[]]
    y = first_top
    for index, item in enumerate(items):
        if isinstance(item, Gap) and not pages[-1] and y == NEXT_PAGE_TOP:
            continue
        needed = item.height
        if isinstance(item, TextLine) and item.keep_with_next and index + 1 < len(items):
            following = next((i for i in items[index + 1 :] if not isinstance(i, Gap)), None)
            needed += following.height if following is not None else 0.0
        if isinstance(item, Picture):
            item = _fitted(item, BODY_BOTTOM - y)
            needed = item.height
        if y + needed > BODY_BOTTOM and pages[-1]:
            pages.append([])
            y = NEXT_PAGE_TOP
            if isinstance(item, Gap):
                continue
            if isinstance(item, Picture):
                item = _fitted(item, BODY_BOTTOM - y)
        pages[-1].append((item, y))
        y += item.height
    return pages


def _fitted(picture: Picture, room: float) -> Picture:
    """The picture shrunk into room when it loses less than half its height doing so."""
    if picture.height <= room or room < picture.h / 2:
        return picture
    h = room - 2.0
    return Picture(picture.data, picture.w * h / picture.h, h)


# --- drawing ---------------------------------------------------------------------------------


def _draw(pdf: FPDF, item: Item, top: float) -> None:
    if getattr(item, "bar", False):
        page.bar(pdf, MARGIN + 0.8, top, item.height)
    if isinstance(item, TextLine):
        baseline = top + item.size * PT * (0.88 + (item.height / (item.size * PT) - 1) / 2)
        if item.marker:
            page.put(pdf, item.marker, MARGIN + item.marker_x, baseline, size=item.size)
        page.put_pieces(pdf, item.pieces, MARGIN + item.x, baseline, item.size, INK)
    elif isinstance(item, Rule):
        page.rule(pdf, top + item.height / 2)
    elif isinstance(item, Picture):
        page.picture(pdf, item.data, top, item.w, item.h)


def _copy(
    pdf: FPDF, bulletin: PrintedBulletin, pages: list[list[tuple[Item, float]]], organisation: str
) -> None:
    for number, placed in enumerate(pages, start=1):
        pdf.add_page()
        if number == 1:
            page.head(
                pdf,
                network=bulletin.network_name,
                organisation=organisation,
                kind=bulletin.kind,
                kind_label=bulletin.kind_label,
                title=bulletin.title,
                date=bulletin.published_on,
            )
        else:
            page.continued_head(pdf, network=bulletin.network_name, title=bulletin.title)
        for item, top in placed:
            _draw(pdf, item, top)
        page.foot(
            pdf,
            organisation=organisation,
            centre_name=bulletin.consumer_centre_name,
            centre_phone=bulletin.consumer_centre_phone,
            page=number,
            pages=len(pages),
        )


def notice_pdf(bulletin: PrintedBulletin, organisations: Sequence[str]) -> bytes:
    """The bulletin for the notice boards of these organisations (by name): one copy each, one
    after another, each with its own page numbers."""
    pages = paginate(body_items(bulletin), page.head_height(bulletin.title))
    title = printable(f"{bulletin.kind_label} {bulletin.title}")
    with document(title, [SANS]) as pdf:
        for organisation in organisations:
            _copy(pdf, bulletin, pages, organisation)
        return bytes(pdf.output())
