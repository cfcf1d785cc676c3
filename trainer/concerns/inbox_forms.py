"""The forms of one report's page in the inbox: status, instruction, connection. The services
check every value again (handling.py); the forms give the page its fields and CSRF."""

from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from trainer.concerns.handling import MAX_TEXT
from trainer.concerns.vocabulary import INSTRUCTION_TEMPLATES, ConnectedTo
from trainer.form_base import JapaneseForm, SelectChoice

TOO_LONG = f"{MAX_TEXT}文字以内で入力してください。"


class StatusForm(JapaneseForm):
    """One button per stage the report can move to (the button's value is the stage)."""

    status = StringField("状況")


class InstructionForm(JapaneseForm):
    template = RadioField(
        "指示の種類",
        choices=[
            *(SelectChoice(t.key, t.title) for t in INSTRUCTION_TEMPLATES),
            SelectChoice("", "定型文を使わない（下の文だけを送る）"),
        ],
        default="",
        validate_choice=False,
    )
    body = TextAreaField(
        "指示の文（定型文に書き足すこと、または定型文を使わないときの指示）",
        validators=[Length(max=MAX_TEXT, message=TOO_LONG)],
    )


class ConnectionForm(JapaneseForm):
    connected_to = SelectField(
        "つないだ先",
        choices=[
            SelectChoice("", "選んでください"),
            *(SelectChoice(c.value, c.label) for c in ConnectedTo),
        ],
        validate_choice=False,
    )
    outcome = TextAreaField("結果・経過", validators=[Length(max=MAX_TEXT, message=TOO_LONG)])
