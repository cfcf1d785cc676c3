"""The small parts of an xlsx file the sheet's values depend on: the workbook (which sheet comes
first, which calendar), the shared strings and the cell styles (which show a number as a date).

Each is an expat handler fed by xlsx_archive.stream_part, and each caps what it keeps: a real
roster's parts stay far inside every limit here.
"""

from __future__ import annotations

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

from trainer.secretariat.roster_import.xlsx_archive import (
    AS_CSV,
    BROKEN,
    Handler,
    UnreadableWorkbook,
    small_int,
)

MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell: more is dropped
MAX_SHARED_STRINGS = 400_000  # 20,000 rows × 20 columns of distinct text
TRUE = ("1", "true")


class Workbook(Handler):
    def __init__(self) -> None:
        self.epoch_1904 = False
        self.sheet_ids: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "workbookPr":
            self.epoch_1904 = attrs.get("date1904", "").lower() in TRUE
        elif tag == "sheet":
            if len(self.sheet_ids) > 10_000:
                raise UnreadableWorkbook(BROKEN)
            # r:id, under whichever prefix
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            if rid is not None:
                self.sheet_ids.append(rid)


class Text:
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


class SharedStrings(Handler):
    def __init__(self) -> None:
        self.strings: list[str] = []
        self.item = Text()

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
                    "名簿に使わない列やシートを削除して保存し直すか、" + AS_CSV
                )
            self.strings.append(unescape(self.item.value()))
        elif tag == "t":
            self.item.collecting = False
        elif tag == "rPh":
            self.item.phonetic -= 1

    def text(self, data: str) -> None:
        if self.item.collecting:
            self.item.add(data)


class Styles(Handler):
    """Which cell styles (indexes of <cellXfs>) show a number as a date."""

    def __init__(self) -> None:
        self.formats: dict[int, str] = {}
        self.cell_formats: list[int] = []
        self.in_cell_xfs = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "numFmt":
            if len(self.formats) > 10_000:
                raise UnreadableWorkbook(BROKEN)
            number = small_int(attrs.get("numFmtId"))
            if number is not None:
                self.formats[number] = attrs.get("formatCode", "")[:1000]
        elif tag == "cellXfs":
            self.in_cell_xfs = True
        elif tag == "xf" and self.in_cell_xfs:
            if len(self.cell_formats) > 100_000:  # Excel allows 64,000 cell styles
                raise UnreadableWorkbook(BROKEN)
            self.cell_formats.append(small_int(attrs.get("numFmtId")) or 0)

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


def unescape(text: str) -> str:
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
