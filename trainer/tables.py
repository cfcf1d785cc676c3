"""Tables for Excel: CSV (UTF-8 with a BOM, so Excel opens it in Japanese) and xlsx; and the
response that hands any file (CSV, xlsx, PDF, JSON) to the browser as a download.

Every export of the app goes through here, so that the rules hold everywhere: a cell that
starts with = + - @ is quoted (Excel would run it as a formula: a typed name must stay a name),
a cell loses the characters an xlsx file cannot hold, CSV lines end in CRLF with a BOM in
front, and no file is kept by a browser cache or a proxy.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# CSV as content_type=, which Werkzeug takes as it is. Given as mimetype=, any text/* type gets
# "; charset=utf-8" appended, so "text/csv; charset=utf-8" went out with its charset twice.
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    "csv": CSV,
    "xlsx": XLSX,
    "pdf": "application/pdf",
    "json": "application/json",
}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 cannot hold: the C0 controls other than tab, LF and CR (openpyxl raises
# IllegalCharacterError on them), lone surrogates and U+FFFE/U+FFFF (written, but the file will
# not open). Text is cleaned when it is typed (trainer/text.py); this is for what was stored
# before, so that an export never fails on one old name. CSV drops the same characters: NUL in
# a CSV cuts the line short in some readers, and a surrogate cannot be encoded at all.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_cell(value: object) -> object:
    """A text without the characters no file can hold, and quoted when it starts with = + - @
    (Excel would run it as a formula). The characters go first: "\\x00=1+1" is a formula too."""
    return _safe_text(value) if isinstance(value, str) else value


def _safe_text(value: str) -> str:
    value = _NOT_IN_XML.sub("", value)
    if value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class _Line:
    """A file-like object that hands back what csv.writer wrote, one line at a time."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The CSV as encoded chunks (BOM first), for a streamed download of a large table."""
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow(header)
    yield line.text.encode("utf-8-sig")
    for row in rows:
        line.text = ""
        writer.writerow([safe_cell(v) for v in row])
        yield line.text.encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    return b"".join(csv_lines(header, rows))


@dataclass(frozen=True)
class XlsxSheet:
    """One sheet of a workbook: an optional bold title line, the header in bold (frozen), then
    the rows (any iterable: a generator is written as it comes)."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    title: str = ""
    widths: Sequence[int] = ()


def xlsx_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    sheet_title: str,
    title: str = "",
    widths: Sequence[int] = (),
) -> bytes:
    """One sheet: an optional bold title line, the header in bold (frozen), then the rows."""
    return xlsx_book([XlsxSheet(sheet_title, header, rows, title=title, widths=widths)])


def xlsx_book(sheets: Sequence[XlsxSheet]) -> bytes:
    """A workbook of one or more sheets, in the order given (the first opens first).

    Written in openpyxl's write-only mode, so a table of many thousands of rows is streamed to
    the file rather than held as cell objects."""
    book = Workbook(write_only=True)
    for spec in sheets:
        _write_sheet(book, spec)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(book: Workbook, spec: XlsxSheet) -> None:
    sheet = book.create_sheet(spec.name[:31])
    for index, width in enumerate(spec.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header_row = 1
    if spec.title:
        sheet.append([_bold(sheet, spec.title, size=14)])
        header_row = 2
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.append([_bold(sheet, h) for h in spec.header])
    for row in spec.rows:
        sheet.append([safe_cell(v) for v in row])


def _bold(sheet: WriteOnlyWorksheet, value: str, size: int | None = None) -> Cell:
    cell = WriteOnlyCell(sheet, value=_safe_text(value))
    cell.font = Font(bold=True, size=size) if size else Font(bold=True)
    return cell


def download(
    body: bytes | Iterable[bytes], kind: str, filename: str, *, inline: bool = False
) -> Response:
    """A file for the browser: `kind` is a key of CONTENT_TYPES; `body` may be a stream of chunks.

    Every file the app hands out names people (a roster, a certificate, personal links), so none
    is kept by a shared PC's browser cache or a proxy. `inline` shows a PDF in the browser rather
    than saving it."""
    response = Response(body, content_type=CONTENT_TYPES[kind])
    response.headers["Content-Disposition"] = _disposition(filename, inline=inline)
    response.headers["Cache-Control"] = "no-store"
    return response


def _disposition(filename: str, *, inline: bool) -> str:
    """An ASCII name goes out as it is; a Japanese one as RFC 6266's filename* (UTF-8), with an
    ASCII fallback for the browsers that read only filename=."""
    disposition = "inline" if inline else "attachment"
    if filename.isascii() and filename.isprintable():
        return f'{disposition}; filename="{_quotable(filename)}"'
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = _quotable("".join(c for c in fallback if c.isprintable()))
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _quotable(name: str) -> str:
    """A name inside filename="…": a quote or backslash in an uploaded name (a bulletin's
    attachment) would end or escape the quoted string, so each becomes an underscore."""
    return name.replace('"', "_").replace("\\", "_")
