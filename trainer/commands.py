"""The commands of the `trainer` command line: database, demo data, networks, users, member links,
content, backup and text cleaning. The app factory registers them on app.cli, so `trainer` (see
trainer/cli.py) and `flask --app trainer` both have them; each has its own --help.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import SQLAlchemyError

from trainer import demo, worker
from trainer.accounts import passwords, roster, users
from trainer.accounts.models import Network, Role
from trainer.audit import service as audit
from trainer.backup import service as backup
from trainer.concerns import retention
from trainer.content.courses import check_path
from trainer.content.problems import ContentError
from trainer.courses.loading import load_courses
from trainer.database import restrict_sqlite_files
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.mail.commands import mail_group
from trainer.qr import absolute_url
from trainer.text_cleanup import clean_stored_text
from trainer.timeutil import utcnow


def _fail(error: DomainError) -> None:
    raise click.ClickException(error.message)


def _link(endpoint: str, *, token: str) -> str:
    with current_app.test_request_context():
        return absolute_url(url_for(endpoint, token=token))


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """データベースを作成・最新の形に更新します（何度実行しても安全）。

    instance/ の SQLite ファイルは、所有者だけが読み書きできる設定 (0600) にします。
    """
    upgrade()
    # The app did so at start; again after the migrations, for any file they made alongside.
    restrict_sqlite_files(current_app)
    click.echo("データベースは最新です。")


@click.group("demo")
def demo_group() -> None:
    """デモ用のネットワークを扱います。"""


@demo_group.command("load")
@with_appcontext
def demo_load() -> None:
    """デモのネットワーク（架空の市、6団体・約30人、職員3人）を読み込みます。

    すでにあれば何も変えず、ログイン情報をもう一度表示します。
    """

    if current_app.config["TRAINER_ENV"] == "production":
        raise click.ClickException("本番環境 (TRAINER_ENV=production) ではデモを読み込めません。")
    with current_app.test_request_context():
        try:
            created, logins = demo.load(db.session, current_app.instance_path)
        except DomainError as error:
            _fail(error)
            return
    click.echo(
        "デモのネットワークを作成しました。"
        if created
        else "デモのネットワークはすでにあります（データはそのままです）。"
    )
    click.echo(logins)


@click.group("network")
def network_group() -> None:
    """ネットワーク（協議会）を扱います。"""


@network_group.command("create")
@click.option("--name", required=True, help="協議会の名称")
@click.option("--prefecture", required=True, help="都道府県")
@click.option("--municipality", required=True, help="市区町村")
@click.option("--secretariat-email", required=True, help="最初の事務局担当者のメールアドレス")
@click.option("--secretariat-name", required=True, help="最初の事務局担当者の氏名")
@with_appcontext
def network_create(
    name: str, prefecture: str, municipality: str, secretariat_email: str, secretariat_name: str
) -> None:
    """ネットワークと最初の事務局担当者を作成し、パスワード設定用リンクを表示します。"""
    try:
        # The operator, on the server: the role is granted at once (the web invites instead).
        created = users.operator_create_network(
            db.session,
            name=name,
            prefecture=prefecture,
            municipality=municipality,
            secretariat_email=secretariat_email,
            secretariat_name=secretariat_name,
        )
    except DomainError as error:
        _fail(error)
        return
    click.echo(f"ネットワーク {created.network.id}: {created.network.name} を作成しました。")
    if created.setup_link_token:
        click.echo("事務局担当者にこのリンクを渡してください（パスワード設定用・1回限り）:")
        click.echo(_link("auth.reset_password", token=created.setup_link_token))


@click.group("user")
def user_group() -> None:
    """職員アカウントを扱います。"""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="氏名")
@click.option("--admin", is_flag=True, help="プラットフォーム管理者にする")
@click.option("--password", help="パスワード（省略すると設定用リンクを表示）")
@with_appcontext
def user_create(email: str, name: str, admin: bool, password: str | None) -> None:
    """職員アカウントを作成します。"""
    try:
        user = users.create_user(
            db.session, email=email, name=name, password=password, is_platform_admin=admin
        )
    except DomainError as error:
        _fail(error)
        return
    click.echo(f"アカウント {user.email} を作成しました。")
    if password is None:
        token = passwords.issue_password_reset(db.session, user=user, issuer=None)
        click.echo("パスワード設定用リンク（1回限り）:")
        click.echo(_link("auth.reset_password", token=token))


@user_group.command("grant")
@click.option("--email", required=True)
@click.option("--network", "network_id", type=int, required=True, help="ネットワークID")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@with_appcontext
def user_grant(email: str, network_id: int, role: str) -> None:
    """職員にネットワークでの役割（secretariat=事務局 / trainer=講師）を付与・変更します。"""
    user = users.user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"{email} のアカウントはありません。")
    try:
        users.operator_grant_role(db.session, user=user, network_id=network_id, role=Role(role))
    except DomainError as error:
        _fail(error)
    click.echo(f"{user.email} をネットワーク {network_id} の{Role(role).label}にしました。")


@user_group.command("reset-link")
@click.option("--email", required=True)
@with_appcontext
def user_reset_link(email: str) -> None:
    """パスワード再設定用の1回限りのリンクを表示します。"""
    user = users.user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"{email} のアカウントはありません。")
    token = passwords.issue_password_reset(db.session, user=user, issuer=None)
    click.echo(_link("auth.reset_password", token=token))


@click.group("member")
def member_group() -> None:
    """構成員を扱います。"""


@member_group.command("rotate-link")
@click.option("--network", "network_id", type=int, required=True, help="ネットワークID")
@click.option("--member", "member_id", type=int, required=True, help="構成員ID")
@with_appcontext
def member_rotate_link(network_id: int, member_id: int) -> None:
    """構成員の個人用リンクを新しくし（以前のリンクは無効）、新しいリンクを表示します。"""
    if db.session.get(Network, network_id) is None:
        raise click.ClickException("ネットワークが見つかりません。")
    try:
        member = roster.get_member(db.session, network_id, member_id)
    except DomainError as error:
        _fail(error)
        return
    roster.rotate_member_link(db.session, member=member, actor=None)
    click.echo(_link("learning.personal_link", token=member.link_token))


@click.group("content")
def content_group() -> None:
    """研修・問題集のファイル（courses/, quizzes/）を検査・読み込みします。"""


@content_group.command("check")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@with_appcontext
def content_check(path: Path | None) -> None:
    """研修フォルダ・course.yaml・モジュール（.md）・問題集を検査します。

    問題は「ファイル:行: 内容」の形で表示します。

    問題集（quizzes/<ID>.yaml）も検査できます。PATH を省略すると courses/ と quizzes/ の全体を
    検査します。問題（警告を除く）があれば終了コード1。警告だけなら0です。

    研修フォルダを指定すると、その研修の問題集（pre_quiz・post_quiz・survey）も検査し、
    2つのテストの警告（正解が最長の選択肢・モジュールと同じ文・前後の対応・別の版・
    「わからない」・地域の窓口情報で出題が止まる問題）も表示します。
    """

    quizzes = current_app.config["QUIZZES_DIR"]
    targets = [path] if path else [current_app.config["COURSES_DIR"], quizzes]
    # A course's banks are checked with the course and again in quizzes/: each problem once.
    problems = list(dict.fromkeys(p for t in targets if t.exists() for p in check_path(t, quizzes)))
    target = "、".join(str(t) for t in targets)
    for problem in problems:
        click.echo(str(problem))
    errors = [p for p in problems if not p.warning]
    if errors:
        raise click.ClickException(f"{len(errors)} 件の問題があります。")
    warnings = len(problems)
    click.echo(
        f"問題はありません（{target}）。" + (f"警告が {warnings} 件あります。" if warnings else "")
    )


@content_group.command("load")
@with_appcontext
def content_load() -> None:
    """courses/ の研修をすべて検査し、問題がなければデータベースに読み込みます。

    全部を読み込むか、何も読み込まないかのどちらかです。

    変更されたモジュールは新しい版になり、以前の版とその受講記録は残ります。
    """

    try:
        report = load_courses(
            db.session, current_app.config["COURSES_DIR"], current_app.config["QUIZZES_DIR"]
        )
    except ContentError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException("問題があるため、何も読み込みませんでした。") from None
    click.echo(str(report))


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="同じ名前のファイルがあれば上書きする")
@click.option(
    "--without-signing-key",
    is_flag=True,
    help="署名鍵をコピーしない（鍵を別の場所で保管している場合）",
)
@with_appcontext
def backup_command(path: Path, force: bool, without_signing_key: bool) -> None:
    """データベースのバックアップを PATH に作成します（アプリの動作中でも安全です）。

    \b
    SQLite はオンラインバックアップ、PostgreSQL は pg_dump（カスタム形式 -Fc）で、
    ある一時点の一貫した写しを作ります。
    PATH がフォルダなら、その中に日時入りの名前で作ります
    （mimamori-20261124-030000.sqlite3 など）。
    既存のファイルは --force なしでは上書きしません。

    \b
    修了証の署名鍵も「PATH.issuer_ed25519.pem」（権限 0600）にコピーします。
    署名鍵がないと、発行済みの署名付き修了証（/verify/….json）を確かめられなくなります。
    """

    key_file = None if without_signing_key else Path(current_app.config["SIGNING_KEY_FILE"])
    try:
        result = backup.create_backup(db.engine, path, signing_key_file=key_file, force=force)
    except DomainError as error:
        _fail(error)
        return
    for line in backup.summary_lines(result):
        click.echo(line)
    try:
        backup.record(db.session, result)
    except SQLAlchemyError as error:
        # The backup itself is complete and checked; only its record is missing.
        db.session.rollback()
        click.echo(
            f"注意: 操作記録に書き込めませんでした（{error.__class__.__name__}）。", err=True
        )


@click.command("clean-text")
@click.option("--apply", "apply_changes", is_flag=True, help="実際に書き換える（省略時は確認のみ）")
@with_appcontext
def clean_text_command(apply_changes: bool) -> None:
    """保存済みの文字から制御文字・見えない書式文字を取り除きます。

    \b
    氏名・団体名・研修会名・感想などに残った NUL、ESC、右から左への上書き (U+202E) などを、
    入力時と同じ規則で取り除きます。更新時にデータベースの移行 (0011) が一度行うので、
    通常は確認のためのコマンドです。
    --apply なしでは何も変えず、表.列ごとの件数と行のIDを表示します。
    --apply で書き換え、変更を操作記録に1件残します。
    """

    session = db.session
    cleanup = clean_stored_text(session.connection(), apply=apply_changes)
    for line in cleanup.lines():
        click.echo(line)
    if not apply_changes:
        session.rollback()
        if cleanup.total:
            click.echo(
                f"{cleanup.total}件を直せます。書き換えるには --apply を付けて実行してください。"
            )
        elif not cleanup.left:
            click.echo("取り除く文字はありません。")
        return
    if cleanup.total or cleanup.left:
        # One event for the whole run: what it changed is in its details, table.column by column.
        audit.record(
            session,
            actor=None,
            action="data.clean_text",
            target_type="database",
            target_id=None,
            target_label="保存済みの文字の整理",
            details=cleanup.audit_details(),
        )
    session.commit()
    if cleanup.total:
        click.echo(f"{cleanup.total}件を書き換えました。")
    elif not cleanup.left:
        click.echo("取り除く文字はありません。")


@click.group("concerns")
def concerns_group() -> None:
    """気づき報告を扱います。"""


@concerns_group.command("purge")
@with_appcontext
def concerns_purge() -> None:
    """完了してから保存期間（TRAINER_CONCERN_RETENTION_DAYS、既定365日）を過ぎた気づき報告の
    個人情報を削除します。

    \b
    場所・本人の名前と連絡先・自由記述・結果・やりとりの文を空にし、件数の集計に使う項目
    （気づいたこと・緊急度・同意・つないだ先・日時）は残します。ネットワークごとに操作記録を
    1件残します。毎日1回、systemd のタイマーか cron で実行してください（受付一覧を開いたときにも、
    そのネットワークの分は削除されます）。
    """
    count = retention.purge_expired(
        db.session, now=utcnow(), days=current_app.config["CONCERN_RETENTION_DAYS"]
    )
    click.echo(f"{count}件の個人情報を削除しました。")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="同時に動かす処理の数")
@click.option(
    "--once", is_flag=True, help="毎分の処理を1回だけ行って終わります（タイマーから動かすとき）"
)
@click.option("--daily", "daily_too", is_flag=True, help="--once と一緒に: 毎日の処理も行います")
@with_appcontext
def worker_command(workers: int, once: bool, daily_too: bool) -> None:
    """バックグラウンドの処理（予約したお知らせの公開、メールの送信と再送、毎日の定期処理）を動かし続けます。

    \b
    Web サーバー (gunicorn) とは別のプロセスとして、1つのサーバーで1つだけ動かしてください
    （make run は一緒に起動します）。Ctrl+C か SIGTERM で止まります。
    毎分: 公開の時刻になったお知らせの公開、送る時刻になったメールの送信（再送も）。
    毎日 3:30: 保存期間を過ぎた気づき報告の個人情報の削除、修了証の更新のお知らせ。
    ワーカーを動かし続けられないときは、タイマーから `trainer worker --once` を毎分、
    `trainer worker --once --daily` を毎日1回動かします
    （何度動いても、同じことを二重にはしません）。
    """
    if not once:
        worker.run_consumer(current_app, workers=workers)
        return
    now = utcnow()
    done = worker.every_minute(db.session, now)
    if daily_too:
        done |= worker.daily(db.session, now)
    click.echo("、".join(f"{ONCE_LABELS.get(name, name)}: {count}" for name, count in done.items()))


ONCE_LABELS = {
    "bulletins_published": "公開したお知らせ",
    "mail_sent": "送ったメール",
    "mail_retry": "あとで送り直すメール",
    "mail_failed": "送れなかったメール",
    "concerns_purged": "個人情報を削除した気づき報告",
    "mail_erased": "宛先と本文を消した古いメール",
    "reminders_queued": "修了証の更新のお知らせ",
}


def register_commands(app: Flask) -> None:
    for command in (
        init_db,
        demo_group,
        network_group,
        user_group,
        member_group,
        content_group,
        backup_command,
        clean_text_command,
        mail_group,
        concerns_group,
        worker_command,
    ):
        app.cli.add_command(command)
