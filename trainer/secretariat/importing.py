"""Reading a roster file (CSV, tab-separated text or xlsx) into normalised rows.

Pure: bytes in, rows out, no Flask and no database. What it accepts is what Japanese offices
actually produce: UTF-8 with or without a BOM, Shift_JIS / CP932 (Excel's default "CSV"),
UTF-16 with a BOM (Excel's "Unicode text", tab-separated), full-width digits and spaces,
half-width katakana, a title line above the header, blank lines, Japanese header names and the
many ways of writing a date or an age band. Each value is checked here; a row whose values
cannot be used carries Japanese reasons (the file's row number is added by the page).

Every upload is read within fixed bounds of time and memory, whatever it declares about itself:
xlsx files through xlsx_reader (see there), text files line by line, at most MAX_FILE_ROWS lines
(blank ones included) and MAX_LINE_CHARS characters a line. One line of a CSV file is one row:
a cell may not hold a line break, so an unclosed quote「"」 is that line's error instead of
swallowing the lines after it into one member's name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from trainer.accounts.models import AgeBand, JobType, OrganisationKind
from trainer.errors import DomainError
from trainer.parsing import DATE_OUT_OF_RANGE, date_in_range
from trainer.secretariat import xlsx_reader
from trainer.secretariat.xlsx_reader import FORMULA_NOT_SAVED, MAX_COLUMNS, ExcelError
from trainer.text import ZERO_WIDTH_JOINER, clean_text

MAX_ROWS = 20_000  # members in one file
HEADER_SEARCH_ROWS = 10
MAX_FILE_ROWS = xlsx_reader.MAX_SHEET_ROWS  # lines of a text file, blank ones included
# Below csv's field limit (131,072), whose error would otherwise be the only word about a long
# cell; a roster line is a few hundred characters.
MAX_LINE_CHARS = 100_000
SHOWN_CHARS = 40  # of a wrong value quoted back in a message

# The fields of a row, in the order the preview shows them.
FIELDS = (
    "organisation",
    "name",
    "kana",
    "job_type",
    "age_band",
    "email",
    "membership_start",
    "member_number",
    "kind",
)
FIELD_LABELS = {
    "organisation": "団体名",
    "name": "氏名",
    "kana": "ふりがな",
    "job_type": "職種",
    "age_band": "年代",
    "email": "メールアドレス",
    "membership_start": "加入日",
    "member_number": "構成員番号",
    "kind": "団体種別",
}

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

# Job types: our labels and codes, and the short words an office writes.
JOB_TYPE_WORDS: dict[str, JobType] = {
    "外勤": JobType.FIELD,
    "営業": JobType.FIELD,
    "配達": JobType.FIELD,
    "訪問": JobType.FIELD,
    "内勤": JobType.COUNTER,
    "窓口": JobType.COUNTER,
    "事務": JobType.COUNTER,
    "相談": JobType.SUPPORT,
    "支援": JobType.SUPPORT,
    "相談員": JobType.SUPPORT,
    "相談・支援": JobType.SUPPORT,
    "ケアマネ": JobType.SUPPORT,
    "ケアマネジャー": JobType.SUPPORT,
    "ケアマネージャー": JobType.SUPPORT,
    "その他": JobType.OTHER,
    "無回答": JobType.UNKNOWN,
    "不明": JobType.UNKNOWN,
}

# Organisation kinds guessed from a name; the first rule that matches wins, so the more
# specific words come first (「民生」 before 「社会福祉」, 「役場」 before 「保険」).
KIND_RULES: tuple[tuple[tuple[str, ...], OrganisationKind], ...] = (
    (("消費生活センター", "消費生活相談"), OrganisationKind.CONSUMER_CENTRE),
    (("警察",), OrganisationKind.POLICE),
    (("市役所", "町役場", "村役場", "区役所", "役場"), OrganisationKind.MUNICIPALITY),
    (("地域包括",), OrganisationKind.COMMUNITY_SUPPORT),
    (("民生",), OrganisationKind.WELFARE_COMMISSIONER),
    (("社会福祉協議会", "社協"), OrganisationKind.SOCIAL_WELFARE),
    (("居宅介護", "ケアプラン", "ケアマネ"), OrganisationKind.CARE_MANAGEMENT),
    (("郵便局",), OrganisationKind.POST_OFFICE),
    (
        ("銀行", "信用金庫", "信金", "農協", "JA", "信用組合", "労働金庫"),
        OrganisationKind.FINANCIAL,
    ),
    (("生協", "コープ", "宅配", "生活協同組合"), OrganisationKind.COOP_DELIVERY),
    (("保険",), OrganisationKind.INSURANCE),
    (("消費者団体", "消費者の会", "消費者協会"), OrganisationKind.CONSUMER_GROUP),
    (("弁護士", "司法書士"), OrganisationKind.LEGAL),
)

_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}
_WESTERN_DATE = re.compile(
    r"^(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?(?:\s+\d{1,2}:\d{2}(:\d{2})?)?$"
)
_ERA_DATE = re.compile(
    r"^(令和|平成|昭和|R|H|S)\s*(\d{1,2}|元)[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = date(1899, 12, 30)
_SPACES = re.compile(r"\s+")
_DECADE = re.compile(r"^(\d{1,2})0(?:歳)?代(以下|以上|前半|後半)?$")
_AGE = re.compile(r"^(\d{1,3})(?:歳|才)?(以上)?$")


class ImportFileError(DomainError):
    """The file as a whole cannot be read as a roster; nothing has been changed."""


@dataclass(frozen=True)
class RowProblem:
    """A line of a text file that cannot be split into cells: it becomes a rejected row."""

    message: str


@dataclass
class ParsedRow:
    """One data row: its row number in the file, the values found, and why it cannot be used.

    A value of None means the cell was blank or the column is absent: it keeps what is stored.
    """

    line: int
    organisation: str = ""
    name: str = ""
    kana: str | None = None
    job_type: str | None = None
    age_band: str | None = None
    email: str | None = None
    membership_start: date | None = None
    member_number: int | None = None
    kind: str | None = None
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in FIELDS}
        data["membership_start"] = (
            self.membership_start.isoformat() if self.membership_start else None
        )
        data["line"] = self.line
        data["errors"] = list(self.errors)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParsedRow:
        start = data.get("membership_start")
        return cls(
            line=int(data["line"]),
            organisation=data.get("organisation") or "",
            name=data.get("name") or "",
            kana=data.get("kana"),
            job_type=data.get("job_type"),
            age_band=data.get("age_band"),
            email=data.get("email"),
            membership_start=date.fromisoformat(start) if start else None,
            member_number=data.get("member_number"),
            kind=data.get("kind"),
            errors=list(data.get("errors") or []),
        )


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
    except xlsx_reader.UnreadableWorkbook as error:
        raise ImportFileError(error.message) from None


# --- from cells to rows -----------------------------------------------------------------------


def header_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"[※*＊]|\((必須|任意)\)|(必須|任意)$", "", text)
    return _SPACES.sub("", text).casefold()


def cell_text(value: object) -> str:
    """A cell as one line of NFKC text without surrounding blanks ("１２" → "12",
    "ｶﾀｶﾅ" → "カタカナ"). A formula without a saved result or an error result is ""
    (parse_row says why).

    Every value goes through clean_text, the rule for all typed text (trainer/text.py): a tab
    or line break (Alt+Enter in a cell, _x000D_ in xlsx) becomes a space, and control
    characters (C0 with NUL and ESC, C1, DEL), format characters (bidi overrides, zero-width
    spaces, the BOM) and noncharacters are dropped, so none reaches the draft or the roster.
    The zero-width joiner clean_text keeps for emoji goes too: in a roster cell, pasted from a
    web page, it is noise that would make two spellings of one name."""
    if value is None or value is FORMULA_NOT_SAVED or isinstance(value, ExcelError):
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return clean_text(text.replace(ZERO_WIDTH_JOINER, ""))


def _has_content(cells: Cells) -> bool:
    """Not a blank row: some cell has text, or a formula the page has something to say about."""
    if isinstance(cells, RowProblem):
        return True
    return any(c is FORMULA_NOT_SAVED or isinstance(c, ExcelError) or cell_text(c) for c in cells)


def _shown(raw: str) -> str:
    """A value quoted back in a message, cut short if it is long."""
    return raw if len(raw) <= SHOWN_CHARS else raw[:SHOWN_CHARS] + "…"


def one_spaced(text: str) -> str:
    """Names: runs of blanks inside become one space (「山田　　太郎」 → 「山田 太郎」)."""
    return _SPACES.sub(" ", text).strip()


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


def _chain(first: list[tuple[int, Cells]], rest: Iterator[tuple[int, Cells]]):
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
    # Why the header may not have been recognised, when the rows looked at say so.
    for line, cells in looked:
        if isinstance(cells, RowProblem):
            message += f"（{line}行目：{cells.message}）"
            break
        if any(c is FORMULA_NOT_SAVED for c in cells):
            message += f"（{line}行目：{FORMULA_HINT}）"
            break
    raise ImportFileError(message)


def _formula_problem(label: str, value: object) -> str | None:
    """What to say about a cell whose formula gives the row no value (xlsx only)."""
    if value is FORMULA_NOT_SAVED:
        return (
            f"{label}の欄は数式ですが、計算した結果がファイルに保存されていません"
            "（Excelで一度も計算されていないファイルのようです）。Excelで開いて保存し直してください。"
        )
    if isinstance(value, ExcelError):
        return (
            f"{label}の欄の数式がエラー（{_shown(value.code)}）になっています。"
            "Excelで数式を直して保存し直してください。"
        )
    return None


def parse_row(line: int, cells: dict[str, object]) -> ParsedRow:
    """One data row's values, normalised and checked."""
    text = {name: cell_text(value) for name, value in cells.items()}
    row = ParsedRow(line=line)
    errors = row.errors
    formulas = {
        name: problem
        for name in FIELDS
        if (problem := _formula_problem(FIELD_LABELS[name], cells.get(name)))
    }
    errors.extend(formulas.values())
    row.organisation = one_spaced(text.get("organisation", ""))
    row.name = one_spaced(text.get("name", ""))
    if "organisation" in formulas:
        pass
    elif not row.organisation:
        errors.append("団体名が空欄です。")
    elif len(row.organisation) > 200:
        errors.append("団体名が長すぎます（200文字まで）。")
    if "name" in formulas:
        pass
    elif not row.name:
        errors.append("氏名が空欄です。")
    elif len(row.name) > 100:
        errors.append("氏名が長すぎます（100文字まで）。")
    kana = one_spaced(text.get("kana", ""))
    if kana:
        if len(kana) > 100:
            errors.append("ふりがなが長すぎます（100文字まで）。")
        row.kana = kana
    if raw := text.get("job_type"):
        row.job_type = _job_type(raw)
        if row.job_type is None:
            errors.append(
                f"職種「{_shown(raw)}」は使えません。外勤・内勤・相談・その他・無回答のどれかにしてください。"
            )
    if raw := text.get("age_band"):
        row.age_band = age_band(raw)
        if row.age_band is None:
            errors.append(
                f"年代「{_shown(raw)}」は使えません。20代以下・30代・40代・50代・60代以上・無回答のどれか"
                "か、年齢（45など）にしてください。"
            )
    if raw := text.get("email"):
        email = raw.replace(" ", "").lower()
        if (
            email.count("@") != 1
            or len(email) > 254
            or email.startswith("@")
            or email.endswith("@")
        ):
            errors.append(f"メールアドレス「{_shown(raw)}」の形が正しくありません。")
        else:
            row.email = email
    start = cells.get("membership_start")
    if start is not None and text.get("membership_start"):
        row.membership_start = parse_date(start)
        if row.membership_start is None:
            errors.append(
                f"加入日「{_shown(text['membership_start'])}」を日付として読めません。"
                "2026/4/1 や 令和8年4月1日 の形にしてください。"
            )
        elif not date_in_range(row.membership_start):
            # The same range as every date typed into a form (9999/12/31 or an Excel serial of
            # year 2118 would otherwise reach the roster, which the import writes directly).
            errors.append(f"加入日「{_shown(text['membership_start'])}」：{DATE_OUT_OF_RANGE}")
            row.membership_start = None
    if raw := text.get("member_number"):
        # ASCII digits only, and few of them: int() refuses more than 4,300 digits (a 500), and
        # str.isdigit() is also true for other scripts' digits.
        if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) < 2**31:
            row.member_number = int(raw)
        else:
            errors.append(f"構成員番号「{_shown(raw)}」は数字ではありません。")
    if raw := text.get("kind"):
        row.kind = organisation_kind(raw)  # an unknown kind falls back to a guess from the name
    return row


# --- values -----------------------------------------------------------------------------------


def _job_type(raw: str) -> str | None:
    key = header_key(raw)
    for job in JobType:
        if key in (job.value, header_key(job.label)):
            return job.value
    if key in {header_key(word) for word in JOB_TYPE_WORDS}:
        return next(j.value for w, j in JOB_TYPE_WORDS.items() if header_key(w) == key)
    # 「外勤（配達）」「内勤・事務」: the first word decides.
    for word, job in JOB_TYPE_WORDS.items():
        if key.startswith(header_key(word)):
            return job.value
    return None


def age_band(raw: str) -> str | None:
    """An age band code from 「40代」「40歳代」「４５」「45歳」「60代以上」…, None if not one."""
    key = header_key(raw)
    for band in AgeBand:
        if key in (band.value, header_key(band.label)):
            return band.value
    if key in ("不明", "未回答", "回答なし"):
        return AgeBand.UNKNOWN.value
    if match := _DECADE.match(key):
        decade, qualifier = int(match.group(1)) * 10, match.group(2)
        if qualifier == "以下" and decade > 20:
            return None  # 「30代以下」 spans two of our bands
        if qualifier == "以上" and decade < 60:
            return None  # 「50代以上」 too
        return _band_of_age(decade)
    if match := _AGE.match(key):
        age, at_least = int(match.group(1)), match.group(2)
        if at_least and age < 60:
            return None  # 「20歳以上」 could be any band
        if 10 <= age <= 120:
            return _band_of_age(age)
    return None


def _band_of_age(age: int) -> str:
    if age < 30:
        return AgeBand.UNDER_30.value
    if age >= 60:
        return AgeBand.SIXTY_PLUS.value
    return {30: AgeBand.THIRTIES, 40: AgeBand.FORTIES, 50: AgeBand.FIFTIES}[age // 10 * 10].value


def parse_date(value: object) -> date | None:
    """2026/4/1, 2026-04-01, 2026.4.1, 2026年4月1日, 令和8年4月1日, R8.4.1, 20260401, an Excel
    date cell or an Excel serial number (46113) as a date; None if it is none of those."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _SPACES.sub(" ", cell_text(value))
    try:
        if match := _WESTERN_DATE.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        compact = text.replace(" ", "")
        if match := _ERA_DATE.match(compact.upper() if compact[:1].isascii() else compact):
            year = 1 if match[2] == "元" else int(match[2])
            return date(_ERAS[match[1]] + year, int(match[3]), int(match[4]))
        if match := _COMPACT_DATE.match(compact):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if compact.isdigit() and 20_000 <= int(compact) <= 80_000:  # Excel's serial day number
            return _EXCEL_EPOCH + timedelta(days=int(compact))
    except ValueError:  # 2026/2/30
        return None
    return None


def organisation_kind(raw: str) -> str | None:
    """A kind code from our label or code, or guessed from the words of a 種別 cell."""
    key = header_key(raw)
    for kind in OrganisationKind:
        if key in (kind.value, header_key(kind.label)):
            return kind.value
    guessed = guess_kind(raw)
    return guessed if guessed != OrganisationKind.OTHER.value else None


def guess_kind(name: str) -> str:
    """The kind a new organisation most likely has, from its name (the secretariat may change)."""
    text = unicodedata.normalize("NFKC", name).strip()
    if text.endswith("課"):  # 「高齢福祉課」「国民健康保険課」: a section of the town hall
        return OrganisationKind.MUNICIPALITY.value
    for words, kind in KIND_RULES:
        if any(word in text for word in words):
            return kind.value
    return OrganisationKind.OTHER.value
