"""The base of every form: WTForms' own messages in plain Japanese."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.i18n import get_translations

# Plain wording for the built-in messages a user can actually meet; anything else falls back to
# WTForms' Japanese catalogue, so no English ever reaches the page.
EXPIRED = "ページの有効期限が切れました。再読み込みしてからもう一度送信してください。"
MESSAGES = {
    "This field is required.": "入力してください。",
    "Not a valid choice.": "一覧から選んでください。",
    "Invalid Choice: could not coerce.": "一覧から選んでください。",
    "Not a valid date value.": "日付を 2026-04-01 の形で入力してください。",
    "Invalid input.": "入力内容を確かめてください。",
    "CSRF token missing.": EXPIRED,
    "CSRF token expired.": EXPIRED,
    "Invalid CSRF Token.": EXPIRED,
}


class JapaneseTranslations:
    def __init__(self) -> None:
        self._fallback = get_translations(["ja"])

    def gettext(self, string: str) -> str:
        return MESSAGES.get(string) or self._fallback.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._fallback.ngettext(singular, plural, n)


_TRANSLATIONS = JapaneseTranslations()


class JapaneseForm(FlaskForm):
    class Meta:
        def get_translations(self, form: object) -> JapaneseTranslations:
            return _TRANSLATIONS


class JapaneseDateField(DateField):
    """A date typed as 2026-04-01 (the date picker) or 2026/4/1 (typed by hand)."""

    def __init__(self, label: str | None = None, validators: list | None = None, **kwargs) -> None:
        super().__init__(label, validators, format=["%Y-%m-%d", "%Y/%m/%d"], **kwargs)
