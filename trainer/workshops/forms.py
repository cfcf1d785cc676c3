"""Forms: the trainer's new workshop, the participant's join."""

from __future__ import annotations

from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from trainer.form_base import JapaneseDateField, JapaneseForm
from trainer.parsing import form_id

MAX_100 = "100文字以内で入力してください。"
MAX_200 = "200文字以内で入力してください。"


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class WorkshopForm(JapaneseForm):
    title = StringField(
        "研修会の名前",
        validators=[
            DataRequired("研修会の名前を入力してください。"),
            Length(max=200, message=MAX_200),
        ],
    )
    course_id = SelectField("研修", coerce=form_id)
    # JapaneseDateField: a date in range (a workshop on 9999-12-31 would have no day after).
    # InputRequired, not DataRequired: DataRequired would replace the field's own message (a
    # date out of range leaves no data) with 「入力してください」 for a date that was typed.
    held_on = JapaneseDateField("開催日", validators=[InputRequired("開催日を入力してください。")])
    place = StringField("会場", validators=[Optional(), Length(max=200, message=MAX_200)])
    organisation_ids = CheckboxesField(
        "招待する構成団体（選ばなければ、すべての構成団体）",
        coerce=form_id,
        validators=[Optional()],
    )

    def set_choices(self, courses, organisations) -> None:
        self.course_id.choices = [(c.id, c.title) for c in courses]
        self.organisation_ids.choices = [(o.id, o.name) for o in organisations]


class JoinForm(JapaneseForm):
    organisation_id = SelectField("所属", coerce=form_id)
    name = StringField(
        "お名前",
        validators=[DataRequired("お名前を入力してください。"), Length(max=100, message=MAX_100)],
    )
    kana = StringField("ふりがな", validators=[Optional(), Length(max=100, message=MAX_100)])

    def set_choices(self, organisations) -> None:
        self.organisation_id.choices = [(0, "選んでください")] + [
            (o.id, o.name) for o in organisations
        ]
