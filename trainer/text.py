"""Typed text, cleaned at the door; and name normalisation for search and duplicate checks.

Every text a person types (forms, the workshop join and survey, import cells, the `trainer`
command) is stored through clean_text (one line) or clean_multiline (a free comment). Both remove
what is not text but an instruction to a terminal, a file format or the text layout:

* C0 and C1 control characters and DEL: NUL is refused by PostgreSQL (a 500 on the join form),
  and openpyxl refuses most C0 characters (every xlsx export holding such a name failed).
* Format characters (Unicode category Cf): the bidi embeddings, overrides and isolates
  (U+202A–202E, U+2066–2069), LRM/RLM, zero-width space, the BOM, soft hyphen, tag characters.
  A right-to-left override in a name shows as another name on /verify and on badges; invisible
  ones make 「山田太郎」 and 「山田\u200b太郎」 two people to the duplicate check. The one kept is
  ZERO WIDTH JOINER (U+200D), which joins emoji sequences (👨‍👩‍👧).
* Lone surrogates, which no UTF-8 database or file can hold, and the noncharacters (U+FFFE,
  U+FFFF, U+FDD0–FDEF, …), which are never text and make an xlsx file unreadable.

Kept: private-use characters (外字 of municipal systems are sometimes there), variation selectors
(the 異体字 selectors of 「葛󠄀」 and emoji presentation), and code points this Python does not
know yet: a phone newer than the server types emoji the server cannot name, and they are text.

A tab or line break in a one-line field becomes a space (pasted from a spreadsheet, it separated
words); in a multi-line field line breaks stay as \\n, whichever form they came in.

Names are stored as typed (after this cleaning) and shown as typed; the *_key columns hold the
normalised form of name_key so that 「山田　太郎」, 「山田 太郎」 and 「山田太郎」, or ｶﾀｶﾅ and
カタカナ, find each other.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Katakana ァ..ヶ are exactly 0x60 above hiragana ぁ..ゖ.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}

ZERO_WIDTH_JOINER = "\u200d"
# What a browser, a spreadsheet or another system sends as a line break: CR LF from a textarea,
# a lone CR (old Mac files), VT and FF, NEL (C1), and the Unicode line and paragraph separators.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x85\u2028\u2029]")
_BREAKS_AND_TABS = re.compile(r"(?:\r\n|[\t\n\r\v\f\x85\u2028\u2029])+")


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _kept(char: str) -> bool:
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return False
    if category == "Cf":
        return char == ZERO_WIDTH_JOINER
    return not (category == "Cn" and _is_noncharacter(ord(char)))


def _without_controls(value: str) -> str:
    """value without the characters described above, line breaks and tabs included (the
    callers have already turned those they keep into spaces, or split the lines)."""
    if value.isprintable():  # the usual case: no control, format or separator character at all
        return value
    return "".join(char for char in value if _kept(char))


def clean_text(value: str | None) -> str:
    """One line of typed text: controls and invisible format characters removed, tabs and line
    breaks turned into one space each run, no leading or trailing blanks (full-width ones too).

    Inner spaces stay as typed: 「山田　太郎」 is shown with its full-width space."""
    if value is None:
        return ""
    return _without_controls(_BREAKS_AND_TABS.sub(" ", value)).strip()


def clean_multiline(value: str | None) -> str:
    """Free text of several lines (a survey comment, a reason): as clean_text, except that line
    breaks stay, as \\n whatever the browser or file sent (\\r\\n, \\r, U+2028, …)."""
    if value is None:
        return ""
    lines = _LINE_BREAK.sub("\n", value).replace("\t", " ").split("\n")
    return "\n".join(_without_controls(line) for line in lines).strip()


def name_key(value: str | None) -> str:
    """NFKC, no spaces, case-folded, katakana folded to hiragana: the comparison form of a name.

    Cleaned first: whatever a search box or a file sends, no control character reaches a query
    (PostgreSQL refuses NUL even in a LIKE pattern)."""
    value = clean_text(value)
    if not value:
        return ""
    value = unicodedata.normalize("NFKC", value)
    value = _SPACES.sub("", value).casefold()
    return value.translate(_KATAKANA_TO_HIRAGANA)


# Katakana ァ..ヶ are exactly 0x60 above hiragana ぁ..ゖ (as in name_key above).
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}
_HALF_WIDTH_KATAKANA = range(0xFF66, 0xFF9F + 1)


def hiragana(value: str | None) -> str:
    """Kana as stored: in hiragana, whatever script the form or the file used (ヤマダ タロウ,
    ﾔﾏﾀﾞ ﾀﾛｳ → やまだ たろう), so that the member list shows one script. NFKC first: it joins a
    half-width kana and its voiced mark (ﾀﾞ → ダ) and makes full-width letters and spaces plain."""
    value = clean_text(value)
    if not value:
        return ""
    return unicodedata.normalize("NFKC", value).translate(_KATAKANA_TO_HIRAGANA)


def has_katakana(value: str | None) -> bool:
    """Kana stored before hiragana() was applied on write (there is no data migration): an
    import that lists the person writes it again in hiragana."""
    return any("ァ" <= char <= "ヶ" or ord(char) in _HALF_WIDTH_KATAKANA for char in value or "")
