"""The secretariat's forms: the roster upload and its confirmation, the QR sheet of members who
have not started, and the report's filters."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, IntegerField, SelectField
from wtforms.validators import Optional, ValidationError

from trainer.accounts.models import AgeBand, JobType, OrganisationKind
from trainer.errors import DomainError
from trainer.form_base import JapaneseDateField, JapaneseForm, SelectChoice
from trainer.parsing import form_id, parse_id, parse_int
from trainer.quizzes.stats_query import POST_FIRST
from trainer.secretariat.report_filters import POST_ATTEMPT_LABELS, FilterOptions, ReportFilters

# --- the roster import -------------------------------------------------------------------------


class UploadForm(JapaneseForm):
    file = FileField("名簿のファイル", validators=[FileRequired("ファイルを選んでください。")])


class ConfirmForm(JapaneseForm):
    """The dynamic parts (kind-<n> selects, end checkboxes) are read by confirm_choices()."""

    digest = HiddenField()
    end_all = BooleanField("一覧の全員を退会にする")
    end_date = JapaneseDateField("退会日", validators=[Optional()])


# The page numbers its selects and checkboxes itself: anything else was not sent by it.
NOT_FROM_THE_PAGE = (
    "送信内容が正しくありません。お手数ですが、ページを開き直してからもう一度お試しください。"
)


def confirm_choices(form: MultiDict[str, str]) -> tuple[dict[int, str], set[int]]:
    """The kind chosen for each new organisation (kind-<n>) and the members ticked to end.

    Raises DomainError, so that nothing is imported, for a name or a value the page could not
    have sent (kind-፩, end=², 25 digits): as apply_import refuses an end for someone who is
    not in its list, rather than importing without the choice."""
    kinds: dict[int, str] = {}
    for key, value in form.items():
        if key.startswith("kind-"):
            position = parse_int(key[5:])
            if position is None:
                raise DomainError(NOT_FROM_THE_PAGE)
            kinds[position] = value
    ends: set[int] = set()
    for value in form.getlist("end"):
        member_id = parse_id(value)
        if member_id is None:
            raise DomainError(NOT_FROM_THE_PAGE)
        ends.add(member_id)
    return kinds, ends


# --- completion ----------------------------------------------------------------------------------


class LinkSheetForm(JapaneseForm):
    """The QR sheet is a POST (CSRF), so that printing it is a logged action."""

    course = IntegerField(validators=[Optional()])
    organisation = SelectField("構成団体", coerce=form_id, validate_choice=True)


# --- the report --------------------------------------------------------------------------------

ALL = SelectChoice("", "すべて")


def _choices(kind: Any) -> list[SelectChoice]:
    return [ALL] + [SelectChoice(item.value, item.label) for item in kind]


class ReportFilterForm(JapaneseForm):
    """The report's filters: a GET form (a bookmarkable, printable URL), so no CSRF token."""

    class Meta:
        csrf = False

    course = SelectField("研修", coerce=form_id)
    organisation = SelectField("構成団体", coerce=form_id, default=0)
    kind = SelectField("構成団体の種類", choices=_choices(OrganisationKind), default="")
    job_type = SelectField("職種", choices=_choices(JobType), default="")
    age_band = SelectField("年代", choices=_choices(AgeBand), default="")
    date_from = JapaneseDateField("回答日（この日から）", validators=[Optional()])
    date_to = JapaneseDateField("回答日（この日まで）", validators=[Optional()])
    attempt = SelectField(
        "事後テストで数える回",
        choices=[SelectChoice(k, v) for k, v in POST_ATTEMPT_LABELS.items()],
        default=POST_FIRST,
    )

    def set_options(self, options: FilterOptions) -> None:
        self.course.choices = [(c.id, c.title) for c in options.courses]
        self.organisation.choices = [(0, "すべて")] + [
            (o.id, o.name) for o in options.organisations
        ]

    def validate_date_to(self, field: Any) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("終わりの日は、始まりの日と同じか後の日にしてください。")

    def filters(self) -> ReportFilters:
        return ReportFilters(
            course_id=self.course.data,
            organisation_id=self.organisation.data or None,
            organisation_kind=self.kind.data or None,
            job_type=self.job_type.data or None,
            age_band=self.age_band.data or None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            post_attempt=self.attempt.data or POST_FIRST,
        )
