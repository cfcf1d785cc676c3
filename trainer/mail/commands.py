"""`trainer mail send` and `trainer mail status` (registered by trainer/commands.py)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from trainer.extensions import db
from trainer.mail import outbox
from trainer.mail.models import MailStatus, OutgoingMail
from trainer.timeutil import jdatetime

STATUS_LABELS = {"queued": "送信待ち", "sent": "送信済み", "failed": "送信できなかった"}
NOT_CONFIGURED = (
    "メールは設定されていません（TRAINER_SMTP_HOST と TRAINER_MAIL_FROM）。"
    "送信待ちのメールは、設定するまでそのまま残ります。"
)


@click.group("mail")
def mail_group() -> None:
    """メールの送信待ちの列を扱います。"""


@mail_group.command("send")
@click.option("--limit", default=1000, show_default=True, help="1回に送る最大の通数")
@with_appcontext
def mail_send(limit: int) -> None:
    """送る時刻になったメールを送ります（失敗したメールの再送も）。

    \b
    ふだんは `trainer worker` が毎分これを行います。ワーカーを動かさないときは、
    systemd のタイマーや cron で5分ごとに実行してください（docs/operations.md）。
    SMTP サーバーにつながらないときは、そこで止めて次の回に任せます。
    """
    if not outbox.mail_configured(current_app):
        click.echo(NOT_CONFIGURED)
        return
    total = outbox.deliver_all(db.session, limit=limit)
    click.echo(
        f"送信 {total.sent}通、あとで再送 {total.retry}通、送信できなかった {total.failed}通。"
    )
    if total.stopped:
        click.echo("SMTP サーバーに送れませんでした。次の回にもう一度試します。", err=True)


@mail_group.command("status")
@with_appcontext
def mail_status() -> None:
    """送信待ち・送信済み・送信できなかったメールの数を表示します。"""
    click.echo("メールの設定：" + ("あり" if outbox.mail_configured(current_app) else "なし"))
    for status, count in outbox.counts_by_status(db.session).items():
        click.echo(f"{STATUS_LABELS[status]}：{count}通")
    oldest = db.session.scalar(
        select(func.min(OutgoingMail.created_at)).where(
            OutgoingMail.status == MailStatus.QUEUED.value
        )
    )
    if oldest is not None:
        click.echo(f"いちばん古い送信待ち：{jdatetime(oldest)}")
    if not outbox.mail_configured(current_app):
        click.echo(NOT_CONFIGURED)
