"""Name normalisation for search and duplicate checks.

Names are stored as typed and shown as typed; the *_key columns hold this normalised form so that
「山田　太郎」, 「山田 太郎」 and 「山田太郎」, or ｶﾀｶﾅ and カタカナ, find each other.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Katakana ァ..ヶ are exactly 0x60 above hiragana ぁ..ゖ.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


def clean_text(value: str | None) -> str:
    """What was typed, without leading or trailing blanks (full-width ones included).

    Inner spaces stay as typed: 「山田　太郎」 is shown with its full-width space."""
    if value is None:
        return ""
    return value.strip()


def name_key(value: str | None) -> str:
    """NFKC, no spaces, case-folded, katakana folded to hiragana: the comparison form of a name."""
    if not value:
        return ""
    value = unicodedata.normalize("NFKC", value)
    value = _SPACES.sub("", value).casefold()
    return value.translate(_KATAKANA_TO_HIRAGANA)
