"""Forms for sign-in, passwords, the roster and staff. Messages are Japanese."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, Regexp

from trainer.accounts.models import (
    ORGANISATION_KIND_LABELS,
    AgeBand,
    JobType,
    Role,
)
from trainer.form_base import JapaneseDateField, JapaneseForm, SelectChoice
from trainer.parsing import form_id

REQUIRED = "入力してください。"
BAD_DATE = "日付を 2026-04-01 の形で入力してください。"
# The shape only: whether the address exists is the secretariat's business, not a DNS lookup's.
EMAIL_SHAPE = Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="メールアドレスの形式が正しくありません。"
)


class LoginForm(JapaneseForm):
    email = EmailField("メールアドレス", validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField("パスワード", validators=[DataRequired(REQUIRED), Length(max=200)])
    next = HiddenField()


class ChangePasswordForm(JapaneseForm):
    current_password = PasswordField("現在のパスワード", validators=[DataRequired(REQUIRED)])
    new_password = PasswordField("新しいパスワード", validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        "新しいパスワード（確認）",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("new_password", "確認用のパスワードが一致しません。"),
        ],
    )


class ResetPasswordForm(JapaneseForm):
    new_password = PasswordField("新しいパスワード", validators=[DataRequired(REQUIRED)])
    confirm = PasswordField(
        "新しいパスワード（確認）",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("new_password", "確認用のパスワードが一致しません。"),
        ],
    )


class OrganisationForm(JapaneseForm):
    kind = SelectField(
        "種別",
        choices=[SelectChoice(k.value, label) for k, label in ORGANISATION_KIND_LABELS.items()],
        validators=[InputRequired(REQUIRED)],
    )
    name = StringField(
        "団体名",
        validators=[
            DataRequired(REQUIRED),
            Length(max=200, message="200文字以内で入力してください。"),
        ],
    )


class MemberForm(JapaneseForm):
    # validate_choice off: the service checks the organisation belongs to this network and says so.
    # form_id, not int: with no choice check, a 25-digit id would reach the database's lookup.
    organisation_id = SelectField(
        "構成団体",
        coerce=form_id,
        validate_choice=False,
        validators=[InputRequired("構成団体を選んでください。")],
    )
    name = StringField(
        "氏名",
        validators=[
            DataRequired(REQUIRED),
            Length(max=100, message="100文字以内で入力してください。"),
        ],
    )
    kana = StringField(
        "ふりがな",
        validators=[Optional(), Length(max=100, message="100文字以内で入力してください。")],
    )
    job_type = SelectField("職種", choices=[SelectChoice(j.value, j.label) for j in JobType])
    age_band = SelectField("年代", choices=[SelectChoice(a.value, a.label) for a in AgeBand])
    email = EmailField(
        "メールアドレス（任意）",
        validators=[Optional(), EMAIL_SHAPE],
    )
    membership_start = JapaneseDateField("加入日", validators=[InputRequired(BAD_DATE)])
    allow_same_name = BooleanField("同姓同名の別人として登録する")

    def set_organisations(self, organisations: list) -> None:
        self.organisation_id.choices = [SelectChoice(0, "選んでください")] + [
            SelectChoice(o.id, f"{o.name}（{o.kind_label}）") for o in organisations
        ]


class EndMembershipForm(JapaneseForm):
    end_date = JapaneseDateField(
        "退会日（この日から構成員ではなくなります）", validators=[InputRequired(BAD_DATE)]
    )
    reason = TextAreaField(
        "理由（任意）",
        validators=[Optional(), Length(max=500, message="500文字以内で入力してください。")],
    )
    # "1" only on the confirmation page: the first valid POST shows what will be recorded.
    confirmed = HiddenField()


class ReportingKeyRotateForm(JapaneseForm):
    """「報告用QRコードを作り直す」 on a member's page: no fields but the CSRF token and
    confirmed, "1" only on the confirmation page."""

    confirmed = HiddenField()


class StaffAddForm(JapaneseForm):
    email = EmailField(
        "メールアドレス",
        validators=[DataRequired(REQUIRED), EMAIL_SHAPE],
    )
    name = StringField("氏名", validators=[DataRequired(REQUIRED), Length(max=100)])
    role = SelectField("役割", choices=[SelectChoice(r.value, r.label) for r in Role])


class InvitationAnswerForm(JapaneseForm):
    """「承諾する」 and 「断る」 on an invitation: no fields, only the CSRF token."""


class RoleForm(JapaneseForm):
    role = SelectField("役割", choices=[SelectChoice(r.value, r.label) for r in Role])


class LocalFactsForm(JapaneseForm):
    """The network's own windows, used by course text (placeholders)."""

    consumer_centre_name = StringField("名称", validators=[Optional(), Length(max=200)])
    consumer_centre_address = StringField("所在地", validators=[Optional(), Length(max=300)])
    consumer_centre_phone = StringField("電話番号", validators=[Optional(), Length(max=100)])
    consumer_centre_hours = StringField("受付時間", validators=[Optional(), Length(max=200)])
    police_name = StringField("名称", validators=[Optional(), Length(max=200)])
    police_phone = StringField("電話番号", validators=[Optional(), Length(max=100)])
    police_address = StringField("所在地", validators=[Optional(), Length(max=300)])
    community_support_name = StringField("名称", validators=[Optional(), Length(max=200)])
    community_support_phone = StringField("電話番号", validators=[Optional(), Length(max=100)])
    community_support_address = StringField("所在地", validators=[Optional(), Length(max=300)])
