"""One member's row of a roster file: its values, normalised and checked.

A row whose values cannot be used carries Japanese reasons (the file's row number is added by the
page); the plan then rejects it, and the file is fixed and uploaded again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trainer.parsing import DATE_OUT_OF_RANGE, date_in_range
from trainer.secretariat.roster_import.values import (
    age_band,
    cell_text,
    job_type,
    one_spaced,
    organisation_kind,
    parse_date,
    shown,
)
from trainer.secretariat.roster_import.xlsx_reader import FORMULA_NOT_SAVED, ExcelError
from trainer.text import hiragana

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


def _formula_problem(label: str, value: object) -> str | None:
    """What to say about a cell whose formula gives the row no value (xlsx only)."""
    if value is FORMULA_NOT_SAVED:
        return (
            f"{label}の欄は数式ですが、計算した結果がファイルに保存されていません"
            "（Excelで一度も計算されていないファイルのようです）。Excelで開いて保存し直してください。"
        )
    if isinstance(value, ExcelError):
        return (
            f"{label}の欄の数式がエラー（{shown(value.code)}）になっています。"
            "Excelで数式を直して保存し直してください。"
        )
    return None


def parse_row(line: int, cells: dict[str, object]) -> ParsedRow:
    """One data row's values, normalised and checked. The reasons are in the order of the
    columns, after any formula that gives a cell no value."""
    text = {name: cell_text(value) for name, value in cells.items()}
    row = ParsedRow(line=line)
    formulas = {
        name: problem
        for name in FIELDS
        if (problem := _formula_problem(FIELD_LABELS[name], cells.get(name)))
    }
    row.errors.extend(formulas.values())
    _read_names(row, text, formulas)
    _read_choices(row, text)
    _read_email(row, text.get("email"))
    _read_start(row, cells.get("membership_start"), text.get("membership_start"))
    _read_member_number(row, text.get("member_number"))
    if raw := text.get("kind"):
        row.kind = organisation_kind(raw)  # an unknown kind falls back to a guess from the name
    return row


def _read_names(row: ParsedRow, text: dict[str, str], formulas: dict[str, str]) -> None:
    """Organisation and name are required (a formula's problem already says why one is empty);
    kana is optional."""
    errors = row.errors
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
    # Stored in hiragana whatever the file used (ヤマダ タロウ, ﾔﾏﾀﾞ ﾀﾛｳ), as the form stores it.
    kana = hiragana(one_spaced(text.get("kana", "")))
    if kana:
        if len(kana) > 100:
            row.errors.append("ふりがなが長すぎます（100文字まで）。")
        row.kana = kana


def _read_choices(row: ParsedRow, text: dict[str, str]) -> None:
    """Job type and age band, each one of our list in any of the ways offices write it."""
    if raw := text.get("job_type"):
        row.job_type = job_type(raw)
        if row.job_type is None:
            row.errors.append(
                f"職種「{shown(raw)}」は使えません。外勤・内勤・相談・その他・無回答のどれかにしてください。"
            )
    if raw := text.get("age_band"):
        row.age_band = age_band(raw)
        if row.age_band is None:
            row.errors.append(
                f"年代「{shown(raw)}」は使えません。20代以下・30代・40代・50代・60代以上・無回答のどれか"
                "か、年齢（45など）にしてください。"
            )


def _read_email(row: ParsedRow, raw: str | None) -> None:
    if not raw:
        return
    email = raw.replace(" ", "").lower()
    if email.count("@") != 1 or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        row.errors.append(f"メールアドレス「{shown(raw)}」の形が正しくありません。")
    else:
        row.email = email


def _read_start(row: ParsedRow, value: object, raw: str | None) -> None:
    if value is None or not raw:
        return
    row.membership_start = parse_date(value)
    if row.membership_start is None:
        row.errors.append(
            f"加入日「{shown(raw)}」を日付として読めません。"
            "2026/4/1 や 令和8年4月1日 の形にしてください。"
        )
    elif not date_in_range(row.membership_start):
        # The same range as every date typed into a form (9999/12/31 or an Excel serial of
        # year 2118 would otherwise reach the roster, which the import writes directly).
        row.errors.append(f"加入日「{shown(raw)}」：{DATE_OUT_OF_RANGE}")
        row.membership_start = None


def _read_member_number(row: ParsedRow, raw: str | None) -> None:
    if not raw:
        return
    # ASCII digits only, and few of them: int() refuses more than 4,300 digits (a 500), and
    # str.isdigit() is also true for other scripts' digits.
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) < 2**31:
        row.member_number = int(raw)
    else:
        row.errors.append(f"構成員番号「{shown(raw)}」は数字ではありません。")
