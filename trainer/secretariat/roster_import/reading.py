"""Reading a roster file (CSV, tab-separated text or xlsx) into normalised rows.

Pure: bytes in, rows out, no Flask and no database. What it accepts is what Japanese offices
actually produce: UTF-8 with or without a BOM, Shift_JIS / CP932 (Excel's default "CSV"),
UTF-16 with a BOM (Excel's "Unicode text", tab-separated), a title line above the header, blank
lines and Japanese header names. Each row's values are read and checked by rows.parse_row.

Every upload is read within fixed bounds of time and memory, whatever it declares about itself:
xlsx files through xlsx_reader (see there), text files line by line, at most MAX_FILE_ROWS lines
(blank ones included) and MAX_LINE_CHARS characters a line. One line of a CSV file is one row:
a cell may not hold a line break, so an unclosed quote「"」 is that line's error instead of
swallowing the lines after it into one member's name.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from trainer.errors import DomainError
from trainer.secretariat.roster_import import xlsx_reader
from trainer.secretariat.roster_import.rows import ParsedRow, parse_row
from trainer.secretariat.roster_import.values import cell_text, header_key
from trainer.secretariat.roster_import.xlsx_archive import UnreadableWorkbook
from trainer.secretariat.roster_import.xlsx_reader import FORMULA_NOT_SAVED, MAX_COLUMNS, ExcelError

MAX_ROWS = 20_000  # members in one file
HEADER_SEARCH_ROWS = 10
MAX_FILE_ROWS = xlsx_reader.MAX_SHEET_ROWS  # lines of a text file, blank ones included
# Below csv's field limit (131,072), whose error would otherwise be the only word about a long
# cell; a roster line is a few hundred characters.
MAX_LINE_CHARS = 100_000

# Header names as offices write them, compared after header_key() (NFKC, no spaces, case-folded).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "organisation": (
        "団体名",
        "所属",
        "所属団体",
        "所属団体名",
        "構成団体",
        "構成団体名",
        "事業所名",
        "事業所",
        "団体",
        "所属先",
    ),
    "name": ("氏名", "名前", "お名前", "構成員氏名", "構成員名", "氏名(漢字)"),
    "kana": (
        "ふりがな",
        "フリガナ",
        "よみがな",
        "ヨミガナ",
        "カナ",
        "かな",
        "氏名(ふりがな)",
        "氏名(フリガナ)",
        "氏名(カナ)",
        "氏名(かな)",
        "カナ氏名",
    ),
    "job_type": ("職種",),
    "age_band": ("年代", "年齢", "年齢層"),
    "email": ("メール", "メールアドレス", "e-mail", "email", "mail", "eメール"),
    "membership_start": ("加入日", "登録日", "開始日", "加入年月日", "入会日", "登録年月日"),
    "member_number": ("構成員番号", "番号", "id", "構成員id", "no", "no."),
    "kind": ("種別", "団体種別", "構成団体種別"),
}
_HEADER_INDEX = {
    synonym: field_name for field_name, synonyms in HEADER_SYNONYMS.items() for synonym in synonyms
}


class ImportFileError(DomainError):
    """The file as a whole cannot be read as a roster; nothing has been changed."""


@dataclass(frozen=True)
class RowProblem:
    """A line of a text file that cannot be split into cells: it becomes a rejected row."""

    message: str


@dataclass
class ParsedTable:
    rows: list[ParsedRow]
    header_line: int
    columns: dict[str, str]  # field → the header as written in the file
    unused_columns: list[str]


# --- reading the file -------------------------------------------------------------------------


def read_table(data: bytes, filename: str) -> ParsedTable:
    """The rows of a roster file; ImportFileError with a Japanese message if it is not one."""
    lower = filename.lower()
    if not data or data.isspace():  # (strip() would copy up to 16 MB to find out)
        raise ImportFileError("ファイルが空です。名簿の入ったファイルを選んでください。")
    if lower.endswith(".xls") and not data.startswith(b"PK"):
        raise ImportFileError(
            "古い形式のExcelファイル（.xls）は読み込めません。Excelで開いて"
            "「Excelブック（.xlsx）」か「CSV UTF-8（コンマ区切り）」で保存し直してください。"
        )
    if lower.endswith((".xlsx", ".xlsm")) or data.startswith(b"PK\x03\x04"):
        raw = _xlsx_rows(data)
    elif lower.endswith((".csv", ".txt", ".tsv")) or not lower.rpartition(".")[1]:
        raw = _text_rows(_decode(data))
    else:
        raise ImportFileError("CSVファイル（.csv）かExcelファイル（.xlsx）を選んでください。")
    return parse_rows(raw)


def _decode(data: bytes) -> str:
    """BOM first, then strict UTF-8, then CP932 (Shift_JIS as Windows writes it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp932")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # a binary file that happened to decode
            break
        return text
    raise ImportFileError(
        "ファイルの文字を読み取れませんでした。表の形のファイルか確かめてください。"
        "CSVなら、Excelで「CSV UTF-8（コンマ区切り）」か「CSV（コンマ区切り）」で保存してください。"
    )


Cells = list[Any] | RowProblem

UNBALANCED_QUOTES = (
    '引用符「"」の数が合いません（閉じ忘れか、セルの中の改行）。引用符を閉じるか、'
    "セルの中の改行を消してから保存し直してください。"
)
MISPLACED_QUOTE = (
    '引用符「"」の位置が正しくありません（「"」で囲んだ値のすぐ後ろに、区切り（コンマやタブ）'
    "以外の文字があります）。"
)
FORMULA_HINT = (
    "数式の結果がファイルに保存されていないセルがあります。Excelで開いて保存し直してください。"
)


def _text_rows(text: str) -> Iterator[tuple[int, Cells]]:
    """(line number, cells) for each line of a CSV or tab-separated text."""
    sample = [line for line in text[:20_000].splitlines()[:50] if line.strip()][
        : HEADER_SEARCH_ROWS + 1
    ]
    delimiter = (
        "\t" if sum(s.count("\t") for s in sample) > sum(s.count(",") for s in sample) else ","
    )
    for number, line in enumerate(_lines(text), start=1):
        if number > MAX_FILE_ROWS:
            raise ImportFileError(
                f"行が多すぎます（空の行も含めて{MAX_FILE_ROWS:,}行まで読み込めます）。"
                "名簿の下にある空の行や不要な行を削除して保存し直してください。"
            )
        yield number, _line_cells(line, delimiter)


# A line and its end: CR LF, LF or CR, as csv reads them (not the other breaks of splitlines).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|\Z)")


def _lines(text: str) -> Iterator[str]:
    """The lines of the text, one at a time (io.StringIO would first copy all of it, at four
    bytes a character: 64 MB for a 16 MB upload)."""
    for match in _LINE.finditer(text):
        line = match.group()
        if not line:  # the empty match at the very end
            return
        yield line.rstrip("\r\n")


def _line_cells(line: str, delimiter: str) -> Cells:
    if len(line) > MAX_LINE_CHARS:
        return RowProblem(
            f"この行は文字が多すぎます（{len(line):,}文字。1行に{MAX_LINE_CHARS:,}文字まで）。"
            "長い文章の入ったセルがないか確かめてください。"
        )
    # A quoted cell holds its quotes in pairs (「""」 for one), so an odd count is a quote left
    # open here, or a cell whose line break split it over this line and another.
    if line.count('"') % 2:
        return RowProblem(UNBALANCED_QUOTES)
    try:
        cells = next(csv.reader((line,), delimiter=delimiter, strict=True), [])
    except csv.Error:
        return RowProblem(MISPLACED_QUOTE)
    return cells[:MAX_COLUMNS]


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, Cells]]:
    try:
        yield from xlsx_reader.sheet_rows(data)
    except UnreadableWorkbook as error:
        raise ImportFileError(error.message) from None


# --- from cells to rows -----------------------------------------------------------------------


def _has_content(cells: Cells) -> bool:
    """Not a blank row: some cell has text, or a formula the page has something to say about."""
    if isinstance(cells, RowProblem):
        return True
    return any(c is FORMULA_NOT_SAVED or isinstance(c, ExcelError) or cell_text(c) for c in cells)


def parse_rows(raw: Iterable[tuple[int, Cells]]) -> ParsedTable:
    rows_iter = iter(raw)
    header_line, header, seen = _find_header(rows_iter)
    columns: dict[str, int] = {}
    unused: list[str] = []
    for index, title in enumerate(header):
        field_name = _HEADER_INDEX.get(header_key(cell_text(title)))
        if field_name is None or field_name in columns:
            if cell_text(title):
                unused.append(cell_text(title))
            continue
        columns[field_name] = index
    parsed: list[ParsedRow] = []
    for line, cells in _chain(seen, rows_iter):
        if not _has_content(cells):
            continue
        if len(parsed) >= MAX_ROWS:
            raise ImportFileError(
                f"行が多すぎます。一度に取り込めるのは{MAX_ROWS:,}人までです。"
                "ファイルを構成団体ごとなどに分けて、順に取り込んでください。"
            )
        if isinstance(cells, RowProblem):
            parsed.append(ParsedRow(line=line, errors=[cells.message]))
            continue
        values = {name: (cells[i] if i < len(cells) else None) for name, i in columns.items()}
        parsed.append(parse_row(line, values))
    if not parsed:
        raise ImportFileError("見出しの行の下に、構成員の行がありません。")
    return ParsedTable(
        rows=parsed,
        header_line=header_line,
        columns={name: cell_text(header[i]) for name, i in columns.items()},
        unused_columns=unused,
    )


def _chain(
    first: list[tuple[int, Cells]], rest: Iterator[tuple[int, Cells]]
) -> Iterator[tuple[int, Cells]]:
    yield from first
    yield from rest


def _header_fields(cells: Cells) -> set[str | None]:
    if isinstance(cells, RowProblem):
        return set()
    return {_HEADER_INDEX.get(header_key(cell_text(c))) for c in cells}


def _find_header(
    rows: Iterator[tuple[int, Cells]],
) -> tuple[int, list[Any], list[tuple[int, Cells]]]:
    """The first row (of the first ten with anything in them) naming an organisation and a name
    column. Returns it and the rows read after it, which are data."""
    looked: list[tuple[int, Cells]] = []
    for line, cells in rows:
        if not _has_content(cells):
            continue
        looked.append((line, cells))
        fields = _header_fields(cells)
        if "organisation" in fields and "name" in fields and isinstance(cells, list):
            return line, cells, []
        if len(looked) >= HEADER_SEARCH_ROWS:
            break
    raise ImportFileError(_no_header_message(looked))


def _no_header_message(looked: list[tuple[int, Cells]]) -> str:
    """What is missing from the rows looked at, and why the header may not have been
    recognised when one of those rows says so."""
    found = set().union(*(_header_fields(cells) for _, cells in looked))
    if "name" in found:
        missing = "構成団体の列（見出し「団体名」など）"
    elif "organisation" in found:
        missing = "氏名の列（見出し「氏名」など）"
    else:
        missing = "見出しの行（「団体名」「氏名」などの列名）"
    message = (
        f"{missing}が見つかりません。最初の{HEADER_SEARCH_ROWS}行以内に、"
        "「団体名」と「氏名」の見出しがある行を入れてください。"
    )
    for line, cells in looked:
        if isinstance(cells, RowProblem):
            message += f"（{line}行目：{cells.message}）"
            break
        if any(c is FORMULA_NOT_SAVED for c in cells):
            message += f"（{line}行目：{FORMULA_HINT}）"
            break
    return message
