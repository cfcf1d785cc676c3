"""The base of every form: WTForms' own messages in plain Japanese, and typed text cleaned."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.i18n import get_translations

from trainer.parsing import DATE_FORMATS, DATE_OUT_OF_RANGE, date_in_range
from trainer.text import clean_multiline, clean_text

if TYPE_CHECKING:

    class SelectChoice(NamedTuple):
        """What the type checker knows of wtforms.SelectChoice (WTForms 3.3, which deprecates
        plain tuples as choices): the published stubs, types-WTForms 3.2, predate it. A value and
        its label, as SelectField's choices take them."""

        value: Any
        label: str

else:
    from wtforms import SelectChoice as SelectChoice

T = TypeVar("T")

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


def _cleaned(clean: Callable[[str], str]) -> Callable[[Any], Any]:
    def text_filter(value: Any) -> Any:
        # Only text: a field with no value in the request keeps its None (an unset default).
        return clean(value) if isinstance(value, str) else value

    return text_filter


_ONE_LINE = _cleaned(clean_text)
_MULTILINE = _cleaned(clean_multiline)


def text_filter_for(field_class: type) -> Callable[[Any], Any] | None:
    """The cleaning a field's text gets: a textarea keeps its line breaks, every other text field
    (names, e-mail addresses, hidden fields) is one line. Passwords are left exactly as typed:
    they are compared, never shown, and changing one would lock its owner out."""
    if issubclass(field_class, PasswordField) or not issubclass(field_class, StringField):
        return None
    return _MULTILINE if issubclass(field_class, TextAreaField) else _ONE_LINE


class JapaneseForm(FlaskForm):
    class Meta:
        def get_translations(self, form: object) -> JapaneseTranslations:
            return _TRANSLATIONS

        def bind_field(self, form: Any, unbound_field: UnboundField, options: dict[str, Any]):
            """Every text field of every form is cleaned (trainer/text.py) before the validators
            see it: Length(max=100) counts what is stored, and DataRequired refuses a name made of
            control characters only. The services clean again, for the callers without a form
            (the `trainer` command, the join and survey pages reading request.form)."""
            text_filter = text_filter_for(unbound_field.field_class)
            if text_filter is not None:
                own = tuple(unbound_field.kwargs.get("filters", ()))
                options = {**options, "filters": (text_filter, *own)}
            return unbound_field.bind(form=form, **options)


def required(value: T | None) -> T:
    """The value of a required field once its form has validated: the field's validator
    (DataRequired, InputRequired, a date that parsed) refused a missing one, so None is a bug."""
    if value is None:
        raise ValueError("a required field has no value after validation")
    return value


class JapaneseDateField(DateField):
    """A date typed as 2026-04-01 (the date picker) or 2026/4/1 (typed by hand), between
    DATE_MIN and DATE_MAX: 9999-12-31 is a date, but a day added to it (a report's end, a
    projector link's last day) is not, and no membership, workshop or answer is that far off."""

    def __init__(self, label: str | None = None, validators: list | None = None, **kwargs) -> None:
        super().__init__(label, validators, format=list(DATE_FORMATS), **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not date_in_range(self.data):
            # Refused here rather than by a validator, so that `data` never holds such a date,
            # even for a caller that reads it without validating.
            self.data = None
            raise ValueError(DATE_OUT_OF_RANGE)
