"""Forms of the secretariat's certificate pages."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from trainer.certificates.service import REASON_MAX
from trainer.certificates.verification import parse_serial
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

    # The confirmation page sends the reason back with confirmed=1: only then is it revoked;
    # its 「戻って直す」 sends it back with back=1, to edit it.
    confirmed = HiddenField()
    back = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "1"


class SerialCheckForm(JapaneseForm):
    """/verify without a token: the number, the name and the network printed on the paper."""

    serial = StringField(
        "番号",
        validators=[
            DataRequired("番号を入力してください。"),
            Length(max=30, message="番号は「第00012号」のように入力してください。"),
        ],
    )
    name = StringField(
        "氏名",
        validators=[
            DataRequired("氏名を入力してください。"),
            Length(max=100, message="氏名は100文字以内で入力してください。"),
        ],
    )
    network_id = SelectField(
        "ネットワーク",
        coerce=form_id,
        validators=[NumberRange(min=1, message="ネットワークを一覧から選んでください。")],
    )

    def set_networks(self, networks: list[tuple[int, str]]) -> None:
        # One network (the usual install): chosen already. Several: the reader picks the one
        # printed on the certificate or badge.
        self.network_id.choices = ([] if len(networks) == 1 else [(0, "選んでください")]) + list(
            networks
        )
        if len(networks) == 1 and not self.network_id.data:
            self.network_id.data = networks[0][0]

    def validate_serial(self, field: StringField) -> None:
        if field.data and parse_serial(field.data) is None:
            raise ValidationError(
                "番号は、修了証や構成員証に書いてあるとおり「第00012号」のように"
                "（または数字だけで）入力してください。"
            )

    @property
    def serial_number(self) -> int:
        number = parse_serial(self.serial.data or "")
        if number is None:
            raise ValueError("serial_number read before the form validated")
        return number


class BadgeSheetForm(JapaneseForm):
    course_id = SelectField("研修", coerce=form_id)
    organisation_id = SelectField("構成団体", coerce=form_id)

    def set_choices(self, courses, organisations) -> None:
        self.course_id.choices = [(c.id, c.title) for c in courses]
        self.organisation_id.choices = [(0, "修了証が有効な構成員すべて")] + [
            (o.id, o.name) for o in organisations
        ]
