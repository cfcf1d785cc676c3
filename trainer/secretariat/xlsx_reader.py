"""The first worksheet of an uploaded xlsx file, read in bounded time and memory.

An xlsx file is a zip of XML parts, and everything about it is declared by whoever made it: how
big each part is once inflated, how many rows and columns the sheet has, where each row and cell
sits. openpyxl, which read uploads before, believes all of it: it pads every row to the width the
sheet declares (16,384 columns), yields every missing row up to the last one, keeps each row
element it has read, and inflates whatever the archive holds. A 1.6 KB upload kept a worker busy
for about twelve minutes, and a 45 KB one took 340 MB.

So the parts are streamed through expat here, and every quantity that costs time or memory is
capped before it is paid for:

* the archive: the size of its central directory (the list of parts, read whole by zipfile);
* each part: its inflated size and its compression ratio, checked against the directory before
  inflating, and the bytes actually inflated counted as they come;
* the sheet: its row numbers (declared and actual), its XML elements, the columns read, and the
  characters kept per cell; the shared strings: their number and characters;
* the XML: no DTD (so no entity expansion), and no run of more than MAX_SILENT_BYTES without an
  element or text event (a single giant tag or comment, which expat would otherwise buffer).

What is too big is refused with a Japanese message saying which limit and how to fix the file;
a real roster (20,000 members, up to about thirty columns) stays inside every limit, and the
worst file inside them costs about what the largest real roster does (bench/import_bombs.py).

Values are what openpyxl's read-only, data-only mode gave, so the rows are the same as before:
shared and inline strings (without the furigana runs Japanese Excel stores beside them),
numbers, dates (by the cell's number format, 1900 or 1904 calendar), booleans and the cached
results of formulas. Two things it hid are now told apart from a blank cell: a formula whose
result was never saved (a file written by a program and never opened in Excel) and an error
result (#N/A, #REF!, …).
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from trainer.errors import DomainError

MAX_COLUMNS = 50  # cells further right are skipped, unread: no roster needs more columns
MAX_SHEET_ROWS = 100_000  # row numbers, blank rows included (old Excel's 65,536 fits)
# XML elements of the sheet: a cell is 1 to 3 (20,000 rows × 9 columns ≈ 400,000). Reaching
# the limit takes ~2 s on a 2-CPU server, 1.5 times a 20,000-row roster's whole upload.
MAX_SHEET_ELEMENTS = 2_000_000
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell: more is dropped
MAX_SHARED_STRINGS = 400_000  # 20,000 rows × 20 columns of distinct text
MAX_CENTRAL_DIRECTORY = 1 << 20  # bytes: ~10,000 parts; zipfile reads the whole list up front
MAX_SILENT_BYTES = 1 << 20  # XML without a single event: a giant tag, comment or attribute
MB = 1 << 20
# Inflated size of each part that is read. The sheet is streamed (its size costs time, which
# MAX_SHEET_ELEMENTS bounds first): a 20,000-row roster's is ~11 MB. The shared strings are all
# kept, so their size is memory: a roster's distinct names, kana and addresses are a few MB.
PART_LIMITS = {"sheet": 64 * MB, "sharedStrings": 16 * MB, "styles": 8 * MB, "other": 2 * MB}
# A part this big that inflates more than BOMB_RATIO times is not an office file but a bomb
# (a roster's sheet inflates 10-20 times; 5 million empty rows inflate 660 times).
BOMB_MIN_SIZE = 8 * MB
BOMB_RATIO = 100
CHUNK = 64 * 1024

MAX_EXCEL_ROW = 1_048_576
_TRUE = ("1", "true")

BROKEN = (
    "Excelファイルとして読み込めませんでした。ファイルが壊れていないか、"
    "パスワードが掛かっていないか確かめてください。"
)
_AS_CSV = "Excelで開いて、名簿のシートを「CSV UTF-8（コンマ区切り）」で保存してから選んでください。"
_PART_NAMES = {"sheet": "シート", "sharedStrings": "文字の一覧", "styles": "書式の一覧"}


class UnreadableWorkbook(DomainError):
    """The upload is not a workbook this reader will read; the message says why."""


class _FormulaNotSaved:
    """A formula cell whose result the file does not hold."""

    def __repr__(self) -> str:
        return "FORMULA_NOT_SAVED"


FORMULA_NOT_SAVED = _FormulaNotSaved()


@dataclass(frozen=True)
class ExcelError:
    """A cell showing an error instead of a value (#N/A, #REF!, #VALUE!, …)."""

    code: str


Cell = str | int | float | bool | datetime | ExcelError | _FormulaNotSaved | None


def sheet_rows(data: bytes) -> Iterator[tuple[int, list[Cell]]]:
    """(row number, cells of columns A to MAX_COLUMNS) for each row element of the first
    worksheet, in file order; UnreadableWorkbook if the file is not one or is over a limit."""
    archive = _open(data)
    with archive:
        book = _Book(archive)
        yield from book.rows()


# --- the archive ------------------------------------------------------------------------------


def _open(data: bytes) -> zipfile.ZipFile:
    _check_central_directory(data)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise UnreadableWorkbook(BROKEN) from None


_END_RECORD = struct.Struct("<4s4H2LH")  # the zip's end of central directory record


def _check_central_directory(data: bytes) -> None:
    """Refuse an archive whose list of parts is huge, before zipfile reads all of it (16 MB of
    empty parts is 350,000 ZipInfo objects, ~100 MB). The record is found as zipfile finds it:
    at the very end, else the last one in the final 64 KB (after a comment)."""
    size = _END_RECORD.size
    if data[-size : -size + 4] == b"PK\x05\x06":
        at = len(data) - size
    else:
        at = data.rfind(b"PK\x05\x06", max(0, len(data) - size - 0xFFFF))
        if at < 0:
            raise UnreadableWorkbook(BROKEN)
    record = data[at : at + size]
    if len(record) < size:
        raise UnreadableWorkbook(BROKEN)
    *_, entries, directory_size, _offset, _comment = _END_RECORD.unpack(record)
    # ZIP64 (more than 65,535 parts or 4 GB) is never an office roster; zipfile would take its
    # sizes from another record, so refusing it keeps this check the one that counts.
    zip64 = (
        entries == 0xFFFF
        or directory_size == 0xFFFFFFFF
        or (at >= 20 and data[at - 20 : at - 16] == b"PK\x06\x07")
    )
    if zip64 or directory_size > MAX_CENTRAL_DIRECTORY:
        raise UnreadableWorkbook(
            "Excelファイルの中に含まれるファイルが多すぎます。名簿のファイルとして読み込めません。"
            + _AS_CSV
        )


def _mb(size: int) -> str:
    return f"{size / MB:,.0f}MB" if size >= 10 * MB else f"{size / MB:,.1f}MB"


class _Book:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.epoch_1904 = False
        self.shared: list[str] = []
        self.date_styles: frozenset[str] = frozenset()

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        workbook = _relationship_target(self.archive, "", "officeDocument") or "xl/workbook.xml"
        info = _Workbook()
        _parse(self.archive, workbook, info, "other")
        self.epoch_1904 = info.epoch_1904
        rels = _relationships(self.archive, workbook)
        sheet = next(
            (rels[rid][1] for rid in info.sheet_ids if rid in rels and rels[rid][0] == "worksheet"),
            None,
        )
        if sheet is None:
            raise UnreadableWorkbook(BROKEN)
        for kind, target in rels.values():
            if kind == "sharedStrings":
                strings = _SharedStrings()
                _parse(self.archive, target, strings, "sharedStrings")
                self.shared = strings.strings
            elif kind == "styles":
                styles = _Styles()
                _parse(self.archive, target, styles, "styles")
                self.date_styles = styles.date_styles()
        reader = _Sheet(self)
        yield from _stream(self.archive, sheet, reader, "sheet")


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """The part's relationships: id → (type's last word, target part name)."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.NameToInfo:
        return {}
    rels = _Relationships(folder)
    _parse(archive, rels_name, rels, "other")
    return rels.targets


def _relationship_target(archive: zipfile.ZipFile, part: str, kind: str) -> str | None:
    return next((t for k, t in _relationships(archive, part).values() if k == kind), None)


# --- streaming XML with limits ----------------------------------------------------------------


class _Handler:
    """An expat handler. `events` counts every callback, so that silence can be noticed.

    Tags are compared by local name, without namespace processing (which costs a fifth of
    the parse): the transitional and the strict namespaces, under any prefix, name the same
    things. The sheet's handler, called for every element, overrides the on_* methods
    themselves to save a call per event."""

    events = 0

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        self.start(_local(name), attrs)

    def on_end(self, name: str) -> None:
        self.events += 1
        self.end(_local(name))

    def on_text(self, data: str) -> None:
        self.events += 1
        self.text(data)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, tag: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _refuse_dtd(*_args: Any) -> None:
    # No xlsx part has a DTD; refusing it rules out entity expansion (billion laughs).
    raise UnreadableWorkbook(BROKEN)


def _local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


def _parser(handler: _Handler) -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = handler.on_start
    parser.EndElementHandler = handler.on_end
    parser.CharacterDataHandler = handler.on_text
    return parser


def _parse(archive: zipfile.ZipFile, name: str, handler: _Handler, kind: str) -> None:
    for _ in _stream(archive, name, handler, kind):
        pass


def _stream(
    archive: zipfile.ZipFile, name: str, handler: _Handler, kind: str
) -> Iterator[tuple[int, list[Cell]]]:
    """Feed the part to expat in chunks; yield what the handler has ready after each (the
    sheet's rows; other handlers have none)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise UnreadableWorkbook(BROKEN) from None
    limit = PART_LIMITS[kind]
    what = _PART_NAMES.get(kind, "ファイルの一部")
    if info.file_size > limit:
        raise UnreadableWorkbook(
            f"Excelファイルの中身が大きすぎます（{what}を展開すると{_mb(info.file_size)}、"
            f"読み込めるのは{_mb(limit)}までです）。名簿に使わない行・列やシートを削除して保存し"
            "直すか、" + _AS_CSV
        )
    if info.file_size > BOMB_MIN_SIZE and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
        raise UnreadableWorkbook(
            f"Excelファイルの中身が、ふつうのファイルではありえないほど圧縮されています（{what}の"
            f"{info.compress_size / 1024:,.0f}KBが、展開すると{_mb(info.file_size)}）。"
            "名簿のファイルとして読み込めません。" + _AS_CSV
        )
    parser = _parser(handler)
    ready: list[tuple[int, list[Cell]]] = getattr(handler, "ready", [])
    inflated = silent = 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(CHUNK):
                # zipfile stops at the declared size, and a part that inflates to more fails
                # its CRC; counting here does not depend on either.
                inflated += len(chunk)
                if inflated > limit:
                    raise UnreadableWorkbook(BROKEN)
                before = handler.events
                parser.Parse(chunk, False)
                silent = silent + len(chunk) if handler.events == before else 0
                if silent > MAX_SILENT_BYTES:
                    raise UnreadableWorkbook(BROKEN)
                if ready:
                    yield from ready
                    ready.clear()
                if getattr(handler, "done", False):
                    return  # the rest of the sheet (merged cells, print settings) is not needed
            parser.Parse(b"", True)
    except (
        expat.ExpatError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,  # an encrypted part
        NotImplementedError,  # a compression method zipfile does not have
    ):
        raise UnreadableWorkbook(BROKEN) from None
    yield from ready
    ready.clear()


# --- the parts --------------------------------------------------------------------------------


class _Relationships(_Handler):
    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.targets: dict[str, tuple[str, str]] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag != "Relationship" or attrs.get("TargetMode") == "External":
            return
        if len(self.targets) > 10_000:
            raise UnreadableWorkbook(BROKEN)
        target = attrs.get("Target", "")
        if target.startswith("/"):
            name = target.lstrip("/")
        else:
            name = posixpath.normpath(posixpath.join(self.folder, target))
        kind = attrs.get("Type", "").rstrip("/").rpartition("/")[2]
        self.targets[attrs.get("Id", "")] = (kind, name)


class _Workbook(_Handler):
    def __init__(self) -> None:
        self.epoch_1904 = False
        self.sheet_ids: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "workbookPr":
            self.epoch_1904 = attrs.get("date1904", "").lower() in _TRUE
        elif tag == "sheet":
            if len(self.sheet_ids) > 10_000:
                raise UnreadableWorkbook(BROKEN)
            # r:id, under whichever prefix
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            if rid is not None:
                self.sheet_ids.append(rid)


class _Text:
    """The text of a string item or an inline string: its <t> runs, up to MAX_CELL_CHARS,
    without the furigana (<rPh>) Japanese Excel keeps beside the text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.collecting = False
        self.phonetic = 0

    def reset(self) -> None:
        self.parts = []
        self.length = 0
        self.collecting = False
        self.phonetic = 0

    def add(self, data: str) -> None:
        room = MAX_CELL_CHARS - self.length
        if room > 0:
            self.parts.append(data[:room])
        self.length += len(data)

    def value(self) -> str:
        return "".join(self.parts)


class _SharedStrings(_Handler):
    def __init__(self) -> None:
        self.strings: list[str] = []
        self.item = _Text()

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "si":
            self.item.reset()
        elif tag == "t":
            self.item.collecting = not self.item.phonetic
        elif tag == "rPh":
            self.item.phonetic += 1

    def end(self, tag: str) -> None:
        if tag == "si":
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise UnreadableWorkbook(
                    f"Excelファイルの中の文字の種類が多すぎます（{MAX_SHARED_STRINGS:,}種類まで）。"
                    "名簿に使わない列やシートを削除して保存し直すか、" + _AS_CSV
                )
            self.strings.append(_unescape(self.item.value()))
        elif tag == "t":
            self.item.collecting = False
        elif tag == "rPh":
            self.item.phonetic -= 1

    def text(self, data: str) -> None:
        if self.item.collecting:
            self.item.add(data)


class _Styles(_Handler):
    """Which cell styles (indexes of <cellXfs>) show a number as a date."""

    def __init__(self) -> None:
        self.formats: dict[int, str] = {}
        self.cell_formats: list[int] = []
        self.in_cell_xfs = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "numFmt":
            if len(self.formats) > 10_000:
                raise UnreadableWorkbook(BROKEN)
            number = _int(attrs.get("numFmtId"))
            if number is not None:
                self.formats[number] = attrs.get("formatCode", "")[:1000]
        elif tag == "cellXfs":
            self.in_cell_xfs = True
        elif tag == "xf" and self.in_cell_xfs:
            if len(self.cell_formats) > 100_000:  # Excel allows 64,000 cell styles
                raise UnreadableWorkbook(BROKEN)
            self.cell_formats.append(_int(attrs.get("numFmtId")) or 0)

    def end(self, tag: str) -> None:
        if tag == "cellXfs":
            self.in_cell_xfs = False

    def date_styles(self) -> frozenset[str]:
        """As the cells' s attributes write them ("3"), compared without converting each."""
        dated: dict[int, bool] = {}
        for number in set(self.cell_formats):
            code = self.formats.get(number) or BUILTIN_FORMATS.get(number)
            dated[number] = bool(code) and is_date_format(code)
        return frozenset(str(i) for i, number in enumerate(self.cell_formats) if dated[number])


class _Sheet(_Handler):
    """The worksheet's rows. The state of the cell being read is kept in plain attributes (no
    object per cell): this runs for each of up to MAX_SHEET_ELEMENTS elements."""

    def __init__(self, book: _Book) -> None:
        self.book = book
        self.ready: list[tuple[int, list[Cell]]] = []
        self.done = False
        self.elements = 0
        self.rows_read = 0
        self.row_number = 0
        self.row: dict[int, Cell] | None = None
        self.column = 0  # of the last cell started in the row
        self.in_cell = False  # inside a <c> of a column that is read
        self.skipping = False  # inside a <c> beyond MAX_COLUMNS: nothing of it is read
        self.kind = "n"
        self.style = "0"  # as written: date_styles holds the strings
        self.formula = False
        self.has_value = False
        self.text_of = _Text()
        self._columns: dict[str, int] = {}

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        self.elements += 1
        if self.elements > MAX_SHEET_ELEMENTS:
            raise UnreadableWorkbook(
                "シートのセルが多すぎます。名簿に使わない行や列、書式だけが設定されたセルを削除して"
                "保存し直すか、" + _AS_CSV
            )
        if self.skipping:
            return
        tag = name if ":" not in name else name.rpartition(":")[2]
        if self.in_cell:
            text = self.text_of
            if tag == "v":
                self.has_value = True
                text.reset()
                text.collecting = True
            elif tag == "t":
                self.has_value = True
                text.collecting = not text.phonetic
            elif tag == "f":
                self.formula = True
            elif tag == "rPh":
                text.phonetic += 1
        elif tag == "c":
            if self.row is not None:
                self._start_cell(attrs)
        elif tag == "row":
            self._start_row(attrs.get("r"))
        elif tag == "dimension":
            self._check_dimension(attrs.get("ref", ""))

    def on_end(self, name: str) -> None:
        self.events += 1
        tag = name if ":" not in name else name.rpartition(":")[2]
        if tag == "c":
            if self.in_cell and self.row is not None:
                value = self._value()
                if value is not None:
                    self.row[self.column] = value
            self.in_cell = self.skipping = False
        elif self.in_cell:
            if tag in ("v", "t"):
                self.text_of.collecting = False
            elif tag == "rPh":
                self.text_of.phonetic -= 1
        elif tag == "row" and self.row is not None:
            cells: list[Cell] = [None] * max(self.row, default=0)
            for column, value in self.row.items():
                cells[column - 1] = value
            self.ready.append((self.row_number, cells))
            self.row = None
        elif tag == "sheetData":
            self.done = True

    def on_text(self, data: str) -> None:
        self.events += 1
        if self.in_cell and self.text_of.collecting:
            self.text_of.add(data)

    def _too_many_rows(self, where: str) -> UnreadableWorkbook:
        return UnreadableWorkbook(
            f"シートの行が多すぎます（{where}。空の行も含めて{MAX_SHEET_ROWS:,}行目まで読み込め"
            "ます）。名簿の下にある空の行や不要な行を削除して保存し直してください。"
        )

    def _check_dimension(self, ref: str) -> None:
        """The range the sheet says it uses. Excel writes it; a range reaching far below any
        roster (a stray cell at row 1,048,576) is refused before anything else is read."""
        last = ref.rpartition(":")[2].replace("$", "")
        rows = _int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
        if rows is not None and rows > MAX_SHEET_ROWS:
            raise self._too_many_rows(f"使われている範囲が{ref[:30]}まで広がっています")

    def _start_row(self, ref: str | None) -> None:
        self.rows_read += 1
        number = self.row_number + 1 if ref is None else _int(ref)
        if number is None or not 0 < number <= MAX_EXCEL_ROW:
            raise UnreadableWorkbook(BROKEN)
        if number > MAX_SHEET_ROWS:
            raise self._too_many_rows(f"{number:,}行目に行があります")
        if self.rows_read > MAX_SHEET_ROWS:
            raise self._too_many_rows(f"行が{MAX_SHEET_ROWS:,}より多くあります")
        self.row_number = number
        self.row = {}
        self.column = 0

    def _start_cell(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r")
        column = self.column + 1 if ref is None else self._column_of(ref)
        self.column = column
        if column > MAX_COLUMNS:
            self.skipping = True
            return
        self.in_cell = True
        self.kind = attrs.get("t", "n")
        self.style = attrs.get("s", "0")
        self.formula = self.has_value = False
        self.text_of.reset()

    def _column_of(self, ref: str) -> int:
        letters = ref.rstrip("0123456789")
        column = self._columns.get(letters)
        if column is None:
            if not (0 < len(letters) <= 3 and letters.isascii() and letters.isupper()):
                raise UnreadableWorkbook(BROKEN)
            column = 0
            for letter in letters:
                column = column * 26 + ord(letter) - 64
            if column > 16_384:
                raise UnreadableWorkbook(BROKEN)
            self._columns[letters] = column
        return column

    def _value(self) -> Cell:
        text = self.text_of.value()
        kind = self.kind
        if self.formula and not text and kind != "str":
            # No result, or openpyxl's empty <v/>: only a text result (t="str") may be "".
            return FORMULA_NOT_SAVED
        if not self.has_value:
            return None
        if kind == "s":
            index = _int(text.strip())
            if index is None or index >= len(self.book.shared):
                raise UnreadableWorkbook(BROKEN)
            return self.book.shared[index]
        if kind in ("inlineStr", "str"):
            return _unescape(text)
        if kind == "b":
            return text.strip().lower() in _TRUE
        if kind == "e":
            return ExcelError(text.strip()[:20])
        if kind == "d":
            try:
                return datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        return self._number(text.strip())

    def _number(self, text: str) -> Cell:
        if not text:
            return None
        try:
            number: int | float = int(text) if text.isdigit() and len(text) < 16 else float(text)
        except ValueError:
            return text
        if self.style in self.book.date_styles:
            epoch = CALENDAR_MAC_1904 if self.book.epoch_1904 else CALENDAR_WINDOWS_1900
            try:
                return from_excel(number, epoch)
            except (ValueError, OverflowError):
                return number
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number


# --- small helpers ----------------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _unescape(text: str) -> str:
    """OOXML writes characters XML cannot hold as _xHHHH_ (a line break's CR as _x000D_), and a
    literal "_x" as _x005F_x. Decoded here; the importer then deals with any control character."""
    if "_x" not in text:
        return text
    out: list[str] = []
    i = 0
    while (j := text.find("_x", i)) >= 0:
        code = text[j + 2 : j + 6]
        if text[j + 6 : j + 7] == "_" and len(code) == 4 and _is_hex(code):
            out.append(text[i:j])
            out.append(chr(int(code, 16)))
            i = j + 7
        else:
            out.append(text[i : j + 2])
            i = j + 2
    out.append(text[i:])
    return "".join(out)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
