"""The report's filters: a GET form (a bookmarkable, printable URL), so no CSRF token."""

from __future__ import annotations

from typing import Any

from wtforms import SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from trainer.accounts.models import AgeBand, JobType, OrganisationKind
from trainer.form_base import JapaneseDateField, JapaneseForm
from trainer.parsing import form_id
from trainer.secretariat.report import FilterOptions, ReportFilters

ALL = SelectChoice("", "すべて")


def _choices(kind: Any) -> list[SelectChoice]:
    return [ALL] + [SelectChoice(item.value, item.label) for item in kind]


class ReportFilterForm(JapaneseForm):
    class Meta:
        csrf = False

    course = SelectField("研修", coerce=form_id)
    organisation = SelectField("構成団体", coerce=form_id, default=0)
    kind = SelectField("構成団体の種類", choices=_choices(OrganisationKind), default="")
    job_type = SelectField("職種", choices=_choices(JobType), default="")
    age_band = SelectField("年代", choices=_choices(AgeBand), default="")
    date_from = JapaneseDateField("回答日（この日から）", validators=[Optional()])
    date_to = JapaneseDateField("回答日（この日まで）", validators=[Optional()])

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
        )
