"""Numbers and dates from outside (URLs, query strings, forms): read so that a crafted value is
refused like any other wrong one, never raised as a 500 from deep inside.

Three traps this module is the one answer to:

* str.isdigit() is true for '²' and '፩', which int() then refuses (ValueError), and int()
  itself accepts '١٢', ' 12 ' and '1_2'; a number with more than 4,300 digits is refused by
  int() too. Only ASCII digits are read here, and only as many as an id can have.
* An id too large for its column reaches the database, which fails instead of finding nothing:
  beyond 64 bits SQLite's driver cannot bind it (OverflowError), and on PostgreSQL, where the
  id columns are INTEGER, anything beyond 2**31 − 1 is "integer out of range". Every id is at
  most MAX_ID.
* date ± timedelta raises OverflowError at the calendar's ends (0001-01-01, 9999-12-31). Every
  date a person types is kept between DATE_MIN and DATE_MAX, far from both ends.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

# The largest id any table can hold on both databases: every id column is an INTEGER, 4 bytes
# on PostgreSQL (SQLite's would take 2**63 − 1). Raise it with a migration to BIGINT, not before.
MAX_ID = 2**31 - 1
MAX_DIGITS = len(str(MAX_ID))  # 10

# Wide enough for any membership, workshop or report this service will see, and far enough
# from date.min and date.max that a day or a month added or taken away stays a date.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)
DATE_OUT_OF_RANGE = "日付は2000年から2100年の間で入力してください。"
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")  # the date picker's, and typed by hand (2026/4/1)


def parse_int(raw: object, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The whole number `raw` spells in ASCII digits, if it lies in [minimum, maximum]; else
    None. No sign, no blanks, no underscores, no other script's digits."""
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_DIGITS:
        return None
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def parse_id(raw: object) -> int | None:
    """A database id (1 … MAX_ID) as sent in a form or a query string, else None."""
    return parse_int(raw, minimum=1)


def form_id(value: Any) -> int:
    """`coerce` for a SelectField of ids: like int, but raising ValueError (which WTForms turns
    into 「一覧から選んでください。」) for anything parse_int refuses. It also receives the
    field's default and the choices' own values, ints, which pass as they are; 0 is the
    「選んでください」 choice of several selects."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    number = parse_int(value)
    if number is None:
        raise ValueError(value)
    return number


def date_in_range(day: date) -> bool:
    return DATE_MIN <= day <= DATE_MAX


def clamp_date(day: date) -> date:
    """The day moved into [DATE_MIN, DATE_MAX], for filters: nothing is stored outside it (every
    attempt is submitted between the two), so an end beyond them selects the same rows."""
    return min(max(day, DATE_MIN), DATE_MAX)


def parse_date(raw: object) -> date | None:
    """A date typed as 2026-04-01 or 2026/4/1, else None (whether or not it is in range: the
    caller says which of the two is wrong)."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if not raw.isascii():
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None
