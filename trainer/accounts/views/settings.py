"""The secretariat edits the network's local facts that course text refers to."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from trainer.accounts import settings
from trainer.accounts.access import network_blueprint
from trainer.accounts.forms import LocalFactsForm
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.secretariat.local_facts_notice import facts_questions_use
from trainer.web import show_error

bp = network_blueprint("settings", __name__, "/settings")


@bp.route("/", methods=["GET", "POST"])
def local_facts():
    form = LocalFactsForm(obj=g.network)
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
