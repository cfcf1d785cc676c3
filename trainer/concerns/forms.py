"""The report form (the badge's /r/<token> and the personal page) and the member's answer."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from trainer.concerns.submission import REPLY_MAX, ReportInput
from trainer.concerns.vocabulary import OTHER_SIGN, SIGNS, Consent, Urgency
from trainer.form_base import JapaneseDateField, JapaneseForm, SelectChoice, required
from trainer.timeutil import today_jst

AREA_MAX = 100
OTHER_MAX = 100
REASON_MAX = 500
NAME_MAX = 100
CONTACT_MAX = 200
DETAILS_MAX = 2000


def _max(n: int) -> Length:
    return Length(max=n, message=f"{n}文字以内で入力してください。")


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ReportForm(JapaneseForm):
    urgency = RadioField(
        "どのくらい急ぎますか",
        choices=[SelectChoice(u.value, u.label) for u in Urgency],
        validators=[InputRequired("どのくらい急ぐかを選んでください。")],
        validate_choice=False,  # checked below, with a message of our own
    )
    signs = CheckboxesField(
        "気づいたこと",
        choices=[SelectChoice(s.key, s.label) for s in SIGNS],
        validate_choice=False,
    )
    other_sign = StringField("「その他」の内容", validators=[_max(OTHER_MAX)])
    noticed_on = JapaneseDateField(
        "いつ気づきましたか", validators=[InputRequired("気づいた日を入力してください。")]
    )
    area = StringField(
        "どのあたりですか",
        validators=[DataRequired("どのあたりかを入力してください。"), _max(AREA_MAX)],
    )
    consent = RadioField(
        "本人の同意",
        choices=[SelectChoice(c.value, c.label) for c in Consent],
        validators=[InputRequired("本人の同意について選んでください。")],
        validate_choice=False,
    )
    consent_reason = TextAreaField(
        "同意がない、または確認できなかった理由", validators=[_max(REASON_MAX)]
    )
    person_name = StringField("ご本人の名前（任意）", validators=[Optional(), _max(NAME_MAX)])
    person_contact = StringField(
        "ご本人の連絡先（任意）", validators=[Optional(), _max(CONTACT_MAX)]
    )
    details = TextAreaField(
        "ほかに伝えたいこと（任意）", validators=[Optional(), _max(DETAILS_MAX)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.noticed_on.data is None and not self.is_submitted():
            self.noticed_on.data = today_jst()

    def validate_urgency(self, field: RadioField) -> None:
        if field.data not in {u.value for u in Urgency}:
            raise ValidationError("どのくらい急ぐかを選んでください。")

    def validate_signs(self, field: CheckboxesField) -> None:
        known = {s.key for s in SIGNS}
        if not field.data:
            raise ValidationError("気づいたことを1つ以上選んでください。")
        if any(value not in known for value in field.data):
            raise ValidationError("気づいたことは一覧から選んでください。")

    def validate_other_sign(self, field: StringField) -> None:
        if OTHER_SIGN in (self.signs.data or []) and not field.data:
            raise ValidationError("「その他」を選んだときは、内容を短く書いてください。")

    def validate_noticed_on(self, field: JapaneseDateField) -> None:
        if field.data is not None and field.data > today_jst():
            raise ValidationError("今日より後の日付は選べません。")

    def validate_consent(self, field: RadioField) -> None:
        if field.data not in {c.value for c in Consent}:
            raise ValidationError("本人の同意について選んでください。")

    def validate_consent_reason(self, field: TextAreaField) -> None:
        if self.consent.data in {Consent.REFUSED, Consent.UNCONFIRMED} and not field.data:
            raise ValidationError(
                "同意がない理由、または確認できなかった理由を書いてください"
                "（例：本人が断った、会話が難しかった）。"
            )

    def to_input(self) -> ReportInput:
        return ReportInput(
            signs=tuple(self.signs.data or ()),
            noticed_on=required(self.noticed_on.data),
            urgency=self.urgency.data or "",
            consent=self.consent.data or "",
            area=self.area.data or "",
            other_sign=self.other_sign.data or "",
            consent_reason=self.consent_reason.data or "",
            person_name=self.person_name.data or "",
            person_contact=self.person_contact.data or "",
            details=self.details.data or "",
        )


class ReplyForm(JapaneseForm):
    body = TextAreaField(
        "事務局への返事",
        validators=[DataRequired("返事を入力してください。"), _max(REPLY_MAX)],
    )
