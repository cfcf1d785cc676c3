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
The archive and XML limits are enforced in xlsx_archive, the workbook, shared strings and styles
are read by xlsx_parts, and the sheet itself here.

Values are what openpyxl's read-only, data-only mode gave, so the rows are the same as before:
shared and inline strings (without the furigana runs Japanese Excel stores beside them),
numbers, dates (by the cell's number format, 1900 or 1904 calendar), booleans and the cached
results of formulas. Two things it hid are now told apart from a blank cell: a formula whose
result was never saved (a file written by a program and never opened in Excel) and an error
result (#N/A, #REF!, …).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from trainer.secretariat.roster_import.xlsx_archive import (
    AS_CSV,
    BROKEN,
    Handler,
    UnreadableWorkbook,
    open_archive,
    parse_part,
    relationship_target,
    relationships,
    small_int,
    stream_part,
)
from trainer.secretariat.roster_import.xlsx_parts import (
    TRUE,
    SharedStrings,
    Styles,
    Text,
    Workbook,
    unescape,
)

MAX_COLUMNS = 50  # cells further right are skipped, unread: no roster needs more columns
MAX_SHEET_ROWS = 100_000  # row numbers, blank rows included (old Excel's 65,536 fits)
# XML elements of the sheet: a cell is 1 to 3 (20,000 rows × 9 columns ≈ 400,000). Reaching
# the limit takes ~2 s on a 2-CPU server, 1.5 times a 20,000-row roster's whole upload.
MAX_SHEET_ELEMENTS = 2_000_000
MAX_EXCEL_ROW = 1_048_576


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
    archive = open_archive(data)
    with archive:
        book = _Book(archive)
        yield from book.rows()


class _Book:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.epoch_1904 = False
        self.shared: list[str] = []
        self.date_styles: frozenset[str] = frozenset()

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        workbook = relationship_target(self.archive, "", "officeDocument") or "xl/workbook.xml"
        info = Workbook()
        parse_part(self.archive, workbook, info, "other")
        self.epoch_1904 = info.epoch_1904
        rels = relationships(self.archive, workbook)
        sheet = next(
            (rels[rid][1] for rid in info.sheet_ids if rid in rels and rels[rid][0] == "worksheet"),
            None,
        )
        if sheet is None:
            raise UnreadableWorkbook(BROKEN)
        for kind, target in rels.values():
            if kind == "sharedStrings":
                strings = SharedStrings()
                parse_part(self.archive, target, strings, "sharedStrings")
                self.shared = strings.strings
            elif kind == "styles":
                styles = Styles()
                parse_part(self.archive, target, styles, "styles")
                self.date_styles = styles.date_styles()
        reader = _Sheet(self)
        yield from stream_part(self.archive, sheet, reader, "sheet")


class _Sheet(Handler):
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
        self.text_of = Text()
        self._columns: dict[str, int] = {}

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        self.elements += 1
        if self.elements > MAX_SHEET_ELEMENTS:
            raise UnreadableWorkbook(
                "シートのセルが多すぎます。名簿に使わない行や列、書式だけが設定されたセルを削除して"
                "保存し直すか、" + AS_CSV
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
        rows = small_int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
        if rows is not None and rows > MAX_SHEET_ROWS:
            raise self._too_many_rows(f"使われている範囲が{ref[:30]}まで広がっています")

    def _start_row(self, ref: str | None) -> None:
        self.rows_read += 1
        number = self.row_number + 1 if ref is None else small_int(ref)
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
            index = small_int(text.strip())
            if index is None or index >= len(self.book.shared):
                raise UnreadableWorkbook(BROKEN)
            return self.book.shared[index]
        if kind in ("inlineStr", "str"):
            return unescape(text)
        if kind == "b":
            return text.strip().lower() in TRUE
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
