"""The values of a roster's cells as offices write them: text as it is compared, job types, age
bands, dates and organisation kinds.

Pure: a cell in, a value (or None when it is not one) out. Full-width digits and spaces,
half-width katakana, Japanese era dates, Excel's serial day numbers and the many ways of writing
an age band are all read here.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from trainer.accounts.models import AgeBand, JobType, OrganisationKind
from trainer.secretariat.roster_import.xlsx_reader import FORMULA_NOT_SAVED, ExcelError
from trainer.text import ZERO_WIDTH_JOINER, clean_text

SHOWN_CHARS = 40  # of a wrong value quoted back in a message

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


# --- text -------------------------------------------------------------------------------------


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


def shown(raw: str) -> str:
    """A value quoted back in a message, cut short if it is long."""
    return raw if len(raw) <= SHOWN_CHARS else raw[:SHOWN_CHARS] + "…"


def one_spaced(text: str) -> str:
    """Names: runs of blanks inside become one space (「山田　　太郎」 → 「山田 太郎」)."""
    return _SPACES.sub(" ", text).strip()


# --- coded values -----------------------------------------------------------------------------


def job_type(raw: str) -> str | None:
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
