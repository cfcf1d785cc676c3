"""The platform admin's form: a new network and its first secretariat."""

from __future__ import annotations

from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from trainer.accounts.forms import EMAIL_SHAPE, REQUIRED
from trainer.form_base import JapaneseForm


class NetworkCreateForm(JapaneseForm):
    name = StringField(
        "ネットワーク名（協議会の名称）", validators=[DataRequired(REQUIRED), Length(max=200)]
    )
    prefecture = StringField("都道府県", validators=[DataRequired(REQUIRED), Length(max=20)])
    municipality = StringField("市区町村", validators=[DataRequired(REQUIRED), Length(max=100)])
    secretariat_email = EmailField(
        "最初の事務局担当者のメールアドレス", validators=[DataRequired(REQUIRED), EMAIL_SHAPE]
    )
    secretariat_name = StringField(
        "最初の事務局担当者の氏名", validators=[DataRequired(REQUIRED), Length(max=100)]
    )


class AreaRoleForm(JapaneseForm):
    """Give a staff account the prefecture (or national) view; an unknown address gets one."""

    email = EmailField("メールアドレス", validators=[DataRequired(REQUIRED), EMAIL_SHAPE])
    name = StringField("氏名（新しいアカウントのとき）", validators=[Length(max=100)])
    area = StringField(
        "閲覧できる範囲（都道府県名、または「全国」）",
        validators=[DataRequired(REQUIRED), Length(max=20)],
    )
