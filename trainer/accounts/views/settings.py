"""The secretariat edits the network's local facts that course text refers to, and what the
printed badge and certificate carry (the secretariat's phone, the certificate's issuer)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user
from wtforms import EmailField, StringField
from wtforms.validators import Length, Optional

from trainer.accounts import settings
from trainer.accounts.access import network_blueprint
from trainer.accounts.forms import EMAIL_SHAPE, LocalFactsForm
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.secretariat.local_facts_notice import facts_questions_use
from trainer.web import show_error

bp = network_blueprint("settings", __name__, "/settings")


class NetworkSettingsForm(LocalFactsForm):
    """The local facts and the printed ones. Defined here rather than in accounts/forms.py, whose
    other forms belong to the roster's pages; move it there when convenient."""

    secretariat_phone = StringField(
        "事務局の電話番号",
        validators=[Optional(), Length(max=100, message="100文字以内で入力してください。")],
    )
    certificate_issuer_title = StringField(
        "修了証の発行者の役職",
        validators=[Optional(), Length(max=200, message="200文字以内で入力してください。")],
    )
    certificate_issuer_name = StringField(
        "修了証の発行者の氏名",
        validators=[Optional(), Length(max=100, message="100文字以内で入力してください。")],
    )
    concern_notify_email = EmailField(
        "気づき報告の通知先メールアドレス",
        validators=[
            Optional(),
            Length(max=254, message="254文字以内で入力してください。"),
            EMAIL_SHAPE,
        ],
    )


@bp.route("/", methods=["GET", "POST"])
def local_facts():
    form = NetworkSettingsForm(obj=g.network)
    if form.validate_on_submit():
        try:
            changes = settings.update_local_facts(
                db.session, network=g.network, values=form.data, actor=current_user
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(
                "地域の窓口情報を保存しました。" if changes else "変更はありませんでした。",
                "success",
            )
            return redirect(url_for(".local_facts"))
    return render_template(
        "accounts/settings/local_facts.html", form=form, used=facts_questions_use(db.session)
    )
