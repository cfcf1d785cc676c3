"""送信記録: the secretariat's page of its network's outgoing mail, and 「もう一度送る」 for a
message that could not be sent (audited)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.accounts.access import network_blueprint
from trainer.audit import service as audit
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.mail import outbox, records
from trainer.web import page_number

bp = network_blueprint("mail_records", __name__, "/mail")


@bp.get("/")
def index():
    result = records.of_network(db.session, g.network.id, page=page_number())
    return render_template(
        "mail/records.html",
        result=result,
        configured=outbox.mail_configured(),
        kind_label=records.kind_label,
        status_label=records.status_label,
    )


@bp.post("/<int:mail_id>/retry")
def retry(mail_id: int):
    mail = records.get_of_network(db.session, g.network.id, mail_id)
    try:
        tries = records.requeue(mail)
    except DomainError as error:
        flash(error.message, "error")
    else:
        audit.record(
            db.session,
            actor=current_user,
            action="mail.retry",
            target_type="outgoing_mail",
            target_id=mail.id,
            target_label=mail.to_address,
            network_id=g.network.id,
            details={"mail_kind": records.kind_label(mail.kind), "tries": tries},
        )
        db.session.commit()
        outbox.deliver_soon()
        flash(f"{mail.to_address} へのメールを、もう一度送る列に入れました。", "success")
    return redirect(url_for(".index", page=request.args.get("page", 1, type=int)))
