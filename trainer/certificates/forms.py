"""Forms of the secretariat's certificate pages."""

from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from trainer.certificates.service import REASON_MAX
from trainer.form_base import JapaneseForm
from trainer.parsing import form_id


class RevokeForm(JapaneseForm):
    reason = TextAreaField(
        "取り消す理由",
        validators=[
            DataRequired("取り消す理由を入力してください。"),
            Length(max=REASON_MAX, message=f"理由は{REASON_MAX}文字以内で入力してください。"),
        ],
    )


class BadgeSheetForm(JapaneseForm):
    course_id = SelectField("研修", coerce=form_id)
    organisation_id = SelectField("構成団体", coerce=form_id)

    def set_choices(self, courses, organisations) -> None:
        self.course_id.choices = [(c.id, c.title) for c in courses]
        self.organisation_id.choices = [(0, "修了証が有効な構成員すべて")] + [
            (o.id, o.name) for o in organisations
        ]
