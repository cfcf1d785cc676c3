"""The secretariat's bulletin forms: writing one, and the time to publish it."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from trainer.accounts.models import OrganisationKind
from trainer.bulletins import audience
from trainer.bulletins.attachments import MAX_ATTACHMENT, Upload
from trainer.bulletins.editing import MAX_BODY, MAX_TITLE, BulletinInput
from trainer.bulletins.models import Bulletin, BulletinKind
from trainer.form_base import JapaneseForm, SelectChoice
from trainer.parsing import form_id


class CheckboxesField(SelectMultipleField):
    """Checkboxes; a value the page did not offer gets a Japanese message (WTForms' own
    messages for these two cases are not in its Japanese catalogue)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label: str, **kwargs) -> None:
        kwargs.setdefault("invalid_choice_message", CHOOSE_FROM_LIST)
        kwargs.setdefault("invalid_value_message", CHOOSE_FROM_LIST)
        super().__init__(label, **kwargs)


CHOOSE_FROM_LIST = "一覧から選んでください。"


AUDIENCE_CHOICES = [
    SelectChoice(audience.EVERYONE, "すべての構成員"),
    SelectChoice(audience.KINDS, "構成団体の種別を選ぶ"),
    SelectChoice(audience.ORGANISATIONS, "構成団体を選ぶ"),
]


class BulletinForm(JapaneseForm):
    kind = RadioField(
        "種類",
        choices=[
            SelectChoice(BulletinKind.WARNING.value, "注意喚起（急ぎ・いちばん上に表示）"),
            SelectChoice(BulletinKind.NEWSLETTER.value, "見守り通信（ふだんのお知らせ）"),
        ],
        default=BulletinKind.NEWSLETTER.value,
        validators=[InputRequired("種類を選んでください。")],
    )
    title = StringField(
        "題名",
        validators=[
            DataRequired("題名を入力してください。"),
            Length(max=MAX_TITLE, message=f"題名は{MAX_TITLE}文字以内で入力してください。"),
        ],
    )
    body = TextAreaField(
        "本文",
        validators=[
            DataRequired("本文を入力してください。"),
            Length(max=MAX_BODY, message=f"本文は{MAX_BODY:,}文字以内で入力してください。"),
        ],
    )
    audience = RadioField(
        "送る相手",
        choices=AUDIENCE_CHOICES,
        default=audience.EVERYONE,
        validators=[InputRequired("送る相手を選んでください。")],
    )
    org_kinds = CheckboxesField(
        "構成団体の種別",
        choices=[SelectChoice(k.value, k.label) for k in OrganisationKind],
        validators=[Optional()],
    )
    organisation_ids = CheckboxesField("構成団体", coerce=form_id, validators=[Optional()])
    public = BooleanField("一般にも公開する（ネットワークの公開ページとフィードに載せる）")
    attachment = FileField("添付ファイル（画像 PNG・JPEG、または PDF。5MBまで）")
    remove_attachment = BooleanField("いまの添付ファイルを外す")

    def set_choices(self, organisations) -> None:
        self.organisation_ids.choices = [SelectChoice(o.id, o.name) for o in organisations]

    def fill_from(self, bulletin: Bulletin) -> None:
        self.kind.data, self.title.data, self.body.data = (
            bulletin.kind,
            bulletin.title,
            bulletin.body,
        )
        self.audience.data = audience.mode_of(bulletin)
        self.org_kinds.data = list(bulletin.audience_org_kinds or [])
        self.organisation_ids.data = list(bulletin.audience_organisation_ids or [])
        self.public.data = bulletin.public

    def to_input(self) -> BulletinInput:
        upload = None
        file = self.attachment.data
        if file is not None and getattr(file, "filename", None):
            upload = Upload(filename=file.filename or "", data=file.read(MAX_ATTACHMENT + 1))
        return BulletinInput(
            kind=self.kind.data or "",
            title=self.title.data or "",
            body=self.body.data or "",
            audience=audience.Audience(
                mode=self.audience.data or "",
                org_kinds=tuple(self.org_kinds.data or ()),
                organisation_ids=tuple(self.organisation_ids.data or ()),
            ),
            public=bool(self.public.data),
            attachment=upload,
            remove_attachment=bool(self.remove_attachment.data),
        )


class ScheduleForm(JapaneseForm):
    publish_at = StringField(
        "公開する日時（日本時間）",
        validators=[DataRequired("公開する日時を入力してください。")],
    )


class ActionForm(JapaneseForm):
    """A button's form (publish now, cancel the schedule, the mail switch): its CSRF token."""
