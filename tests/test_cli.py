"""The `trainer` command line: what an operator types, what it prints, and what it stores."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, inspect, select

from tests.conftest import BASE_URL, PASSWORD
from trainer import create_app
from trainer.accounts.models import Member, Network, Organisation, Role, User
from trainer.audit.models import AuditEvent
from trainer.cli import main
from trainer.extensions import db

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
NEW_PASSWORD = "fresh-password-2468"


@pytest.fixture
def cli(app, monkeypatch):
    """Run `trainer ...` against the test app, as the operator would type it."""
    runner = app.test_cli_runner()
    # FlaskGroup sets FLASK_RUN_FROM_CLI in os.environ; give it back afterwards.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")

    def run(*args: str) -> Result:
        return runner.invoke(main, args=list(args))

    return run


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def link_path(output: str, prefix: str) -> str:
    """The path of the one absolute link under BASE_URL + prefix that the command printed."""
    found = re.findall(rf"^{re.escape(BASE_URL)}({re.escape(prefix)}\S+)$", output, re.MULTILINE)
    assert len(found) == 1, output
    return found[0]


def set_password(client, reset_path: str) -> None:
    page = client.get(reset_path)
    assert page.status_code == 200
    assert "新しいパスワードを設定してください" in page.get_data(as_text=True)
    done = client.post(reset_path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302, done.get_data(as_text=True)


def can_log_in(client, email: str, password: str) -> bool:
    client.post("/logout")
    response = client.post("/login", data={"email": email, "password": password})
    return response.status_code == 302


# --- init-db ---------------------------------------------------------------------------------


def test_init_db_creates_every_table_and_is_safe_to_run_again(tmp_path):
    fresh = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key-not-for-production",
            "TRAINER_BASE_URL": BASE_URL,
        }
    )
    runner = fresh.test_cli_runner()
    try:
        with fresh.app_context():
            assert inspect(db.engine).get_table_names() == []
        first = runner.invoke(args=["init-db"])
        assert first.exit_code == 0, first.output
        assert "データベースは最新です。" in first.output
        with fresh.app_context():
            tables = set(inspect(db.engine).get_table_names())
            assert set(db.metadata.tables) <= tables
            assert "alembic_version" in tables
            db.session.add(Network(name="確認用", prefecture="さくら県", municipality="みどり市"))
            db.session.commit()
        second = runner.invoke(args=["init-db"])
        assert second.exit_code == 0, second.output
        assert "データベースは最新です。" in second.output
        with fresh.app_context():
            assert db.session.scalars(select(Network.name)).all() == ["確認用"]
    finally:
        with fresh.app_context():
            db.engine.dispose()


# --- demo load -------------------------------------------------------------------------------


def test_demo_load_creates_the_demo_once_and_shows_working_logins(app, cli, client):
    first = cli("demo", "load")
    assert first.exit_code == 0, first.output
    assert "デモのネットワークを作成しました。" in first.output
    counts = (count(Network), count(Organisation), count(Member), count(User))
    assert counts[0] == 1 and counts[1] == 6 and 28 <= counts[2] <= 32 and counts[3] == 3
    secretariat = re.search(r"事務局:\s*(jimukyoku@example\.jp) / (\S+)$", first.output, re.M)
    trainer = re.search(r"講師:\s*(koushi@example\.jp) / (\S+)$", first.output, re.M)
    assert secretariat and trainer, first.output
    assert f"ログイン画面: {BASE_URL}/login" in first.output

    second = cli("demo", "load")
    assert second.exit_code == 0, second.output
    assert "すでにあります" in second.output
    assert (count(Network), count(Organisation), count(Member), count(User)) == counts
    # The same passwords are shown again, not "unknown".
    assert f"jimukyoku@example.jp / {secretariat.group(2)}" in second.output
    assert "（不明）" not in second.output

    logins = Path(app.instance_path) / "demo-logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    assert f"jimukyoku@example.jp\t{secretariat.group(2)}" in logins.read_text()

    # 気づき報告 has one case of each kind: urgent and new, answered, closed.
    inbox = client.get(f"/n/{db.session.scalar(select(Network.id))}/concerns/?tab=all")
    assert inbox.status_code == 302  # not signed in yet
    # The printed passwords work on the sign-in page.
    assert can_log_in(client, *secretariat.groups())
    inbox = client.get(f"/n/{db.session.scalar(select(Network.id))}/concerns/?tab=all")
    page = inbox.get_data(as_text=True)
    assert page.count("concern-number") == 3, page
    assert "緊急" in page and "指示済み" in page and "完了" in page
    assert can_log_in(client, *trainer.groups())
    client.post("/logout")

    # The printed learner link signs a phone in as that member.
    learner = re.search(r"受講者（(.+?)さん）の個人用リンク: (\S+)$", first.output, re.M)
    assert learner, first.output
    name, link = learner.groups()
    assert link.startswith(f"{BASE_URL}/m/")
    opened = client.get(link.removeprefix(BASE_URL), follow_redirects=True)
    assert opened.status_code == 200
    assert opened.request.path == "/learn"
    assert f"{name}さんのページ" in opened.get_data(as_text=True)
    assert name == "佐藤 恵子"


@pytest.mark.parametrize("taken", ["admin@example.jp", "koushi@example.jp"])
def test_demo_load_with_a_demo_email_already_taken_is_all_or_nothing(cli, make_user, taken):
    """An installation may already have an account with one of the demo addresses. Loading the
    demo then either completes, or says why in Japanese and leaves no half-made demo behind
    (a half-made one is never completed: the next run finds the network and stops)."""
    make_user(email=taken)
    result = cli("demo", "load")
    if result.exit_code == 0:
        assert (count(Organisation), count(Network)) == (6, 1)
        assert 28 <= count(Member) <= 32
        return
    assert isinstance(result.exception, SystemExit), f"unhandled error: {result.exception!r}"
    assert JAPANESE.search(result.output), result.output
    assert (count(Network), count(Organisation), count(Member), count(User)) == (0, 0, 0, 1)


def test_demo_load_is_refused_in_production(app, cli):
    app.config["TRAINER_ENV"] = "production"
    result = cli("demo", "load")
    assert result.exit_code != 0
    assert "本番環境 (TRAINER_ENV=production) ではデモを読み込めません。" in result.output
    assert count(Network) == 0 and count(User) == 0
    assert not (Path(app.instance_path) / "demo-logins.txt").exists()


# --- network create --------------------------------------------------------------------------


NETWORK_ARGS = {
    "--name": "あおば市見守りネットワーク",
    "--prefecture": "さくら県",
    "--municipality": "あおば市",
    "--secretariat-email": "aoba@example.jp",
    "--secretariat-name": "青葉 花子",
}


def network_args(**changes: str) -> list[str]:
    options = {**NETWORK_ARGS, **{f"--{k.replace('_', '-')}": v for k, v in changes.items()}}
    return [part for pair in options.items() for part in pair]


def test_network_create_prints_a_reset_link_that_lets_the_secretariat_in(cli, client):
    result = cli("network", "create", *network_args())
    assert result.exit_code == 0, result.output
    network = db.session.scalar(select(Network))
    assert (
        f"ネットワーク {network.id}: あおば市見守りネットワーク を作成しました。" in result.output
    )
    user = db.session.scalar(select(User))
    assert user.email == "aoba@example.jp" and user.role_in(network.id) is Role.SECRETARIAT

    set_password(client, link_path(result.output, "/reset/"))
    dashboard = client.get(f"/n/{network.id}/")
    assert dashboard.status_code == 200
    assert "あおば市見守りネットワーク" in dashboard.get_data(as_text=True)
    assert can_log_in(client, "aoba@example.jp", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "ネットワーク名を入力してください。"),
        ({"name": "   "}, "ネットワーク名を入力してください。"),
        ({"prefecture": " "}, "都道府県を入力してください。"),
        ({"secretariat_email": "not-an-email"}, "メールアドレスを正しく入力してください。"),
        ({"secretariat_name": ""}, "氏名を入力してください。"),
    ],
    ids=["empty name", "blank name", "blank prefecture", "bad email", "no secretariat name"],
)
def test_network_create_with_bad_input_says_why_and_creates_nothing(cli, changes, message):
    result = cli("network", "create", *network_args(**changes))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(Network) == 0 and count(User) == 0 and count(AuditEvent) == 0


# --- user create / grant / reset-link --------------------------------------------------------


def test_user_create_with_a_password_can_sign_in(cli, client):
    result = cli(
        "user", "create", "--email", "Sensei@Example.jp", "--name", "講師 次郎",
        "--password", "long-password-1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "アカウント sensei@example.jp を作成しました。" in result.output
    assert "/reset/" not in result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.name, user.is_platform_admin) == (
        "sensei@example.jp",
        "講師 次郎",
        False,
    )
    assert can_log_in(client, "sensei@example.jp", "long-password-1")


def test_user_create_rejects_a_weak_password(cli):
    result = cli("user", "create", "--email", "t@example.jp", "--name", "講師", "--password", "x")
    assert result.exit_code != 0
    assert "パスワードは10文字以上にしてください。" in result.output
    assert count(User) == 0


def test_user_create_without_a_password_prints_a_setup_link(cli, client):
    result = cli("user", "create", "--email", "new@example.jp", "--name", "新人 職員", "--admin")
    assert result.exit_code == 0, result.output
    assert "パスワード設定用リンク（1回限り）:" in result.output
    user = db.session.scalar(select(User))
    assert user.is_platform_admin and user.password_hash is None
    path = link_path(result.output, "/reset/")
    assert "新人 職員さん（new@example.jp）" in client.get(path).get_data(as_text=True)
    set_password(client, path)
    assert can_log_in(client, "new@example.jp", NEW_PASSWORD)
    # The link is for one use only.
    assert client.get(path).status_code == 404


def test_user_create_refuses_a_duplicate_email(cli, make_user):
    make_user(email="taken@example.jp", name="先に登録")
    result = cli("user", "create", "--email", "TAKEN@example.jp", "--name", "後から")
    assert result.exit_code != 0
    assert "このメールアドレスはすでに登録されています。" in result.output
    assert db.session.scalars(select(User.name)).all() == ["先に登録"]


def test_user_grant_gives_a_role_in_the_network(cli, client, login, make_network, make_user):
    network = make_network()
    user = make_user(None, None, email="t@example.jp")
    login(client, user)
    assert client.get(f"/n/{network.id}/").status_code in (403, 404)

    result = cli(
        "user", "grant", "--email", "t@example.jp", "--network", str(network.id),
        "--role", "trainer",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"t@example.jp をネットワーク {network.id} の講師にしました。" in result.output
    db.session.refresh(user)
    assert user.role_in(network.id) is Role.TRAINER
    assert client.get(f"/n/{network.id}/").status_code == 200

    promoted = cli(
        "user", "grant", "--email", "t@example.jp", "--network", str(network.id),
        "--role", "secretariat",
    )  # fmt: skip
    assert promoted.exit_code == 0, promoted.output
    db.session.refresh(user)
    assert user.role_in(network.id) is Role.SECRETARIAT
    assert client.get(f"/n/{network.id}/members").status_code == 200


def test_user_grant_unknown_email_or_network_is_an_error(cli, make_network, make_user):
    network = make_network()
    make_user(None, None, email="t@example.jp")
    unknown = cli(
        "user", "grant", "--email", "nobody@example.jp", "--network", str(network.id),
        "--role", "trainer",
    )  # fmt: skip
    assert unknown.exit_code != 0
    assert "nobody@example.jp のアカウントはありません。" in unknown.output
    no_network = cli(
        "user", "grant", "--email", "t@example.jp", "--network", str(network.id + 100),
        "--role", "trainer",
    )  # fmt: skip
    assert no_network.exit_code != 0
    assert "ネットワークが見つかりません。" in no_network.output
    bad_role = cli(
        "user", "grant", "--email", "t@example.jp", "--network", str(network.id),
        "--role", "owner",
    )  # fmt: skip
    assert bad_role.exit_code != 0
    assert count(AuditEvent) == 0


def test_user_reset_link_works_once_and_replaces_the_previous_link(cli, client, make_user):
    make_user(email="jimu@example.jp")
    first = cli("user", "reset-link", "--email", "jimu@example.jp")
    assert first.exit_code == 0, first.output
    second = cli("user", "reset-link", "--email", "JIMU@example.jp")
    assert second.exit_code == 0, second.output
    old, new = link_path(first.output, "/reset/"), link_path(second.output, "/reset/")
    assert old != new
    stale = client.get(old)
    assert stale.status_code == 404
    assert "このリンクは使えません" in stale.get_data(as_text=True)
    set_password(client, new)
    assert can_log_in(client, "jimu@example.jp", NEW_PASSWORD)
    assert not can_log_in(client, "jimu@example.jp", PASSWORD)


def test_user_reset_link_for_an_unknown_email_is_an_error(cli):
    result = cli("user", "reset-link", "--email", "nobody@example.jp")
    assert result.exit_code != 0
    assert "nobody@example.jp のアカウントはありません。" in result.output
    assert "/reset/" not in result.output


# --- member rotate-link ----------------------------------------------------------------------


def test_member_rotate_link_replaces_the_personal_link(cli, client, app, make_network, make_member):
    network = make_network()
    member = make_member(network, name="見守 太郎")
    old_token = member.link_token
    # A phone already signed in with the old link.
    phone = app.test_client()
    assert phone.get(f"/m/{old_token}").status_code == 302
    assert phone.get("/learn").status_code == 200

    result = cli("member", "rotate-link", "--network", str(network.id), "--member", str(member.id))
    assert result.exit_code == 0, result.output
    new_path = link_path(result.output, "/m/")
    assert new_path != f"/m/{old_token}"

    stale = client.get(f"/m/{old_token}")
    assert stale.status_code == 404
    assert "このリンクは使えません" in stale.get_data(as_text=True)
    assert phone.get("/learn").status_code == 401  # the old session ends too
    opened = client.get(new_path, follow_redirects=True)
    assert opened.request.path == "/learn"
    assert "見守 太郎さんのページ" in opened.get_data(as_text=True)


def test_member_rotate_link_checks_the_member_is_in_that_network(cli, make_network, make_member):
    network, other = make_network(), make_network()
    member = make_member(network)
    token = member.link_token
    events = count(AuditEvent)
    wrong = cli("member", "rotate-link", "--network", str(other.id), "--member", str(member.id))
    assert wrong.exit_code != 0
    assert "構成員が見つかりません。" in wrong.output
    missing = cli(
        "member", "rotate-link", "--network", str(other.id + 100), "--member", str(member.id)
    )
    assert missing.exit_code != 0
    assert "ネットワークが見つかりません。" in missing.output
    db.session.refresh(member)
    assert member.link_token == token
    assert count(AuditEvent) == events


# --- help ------------------------------------------------------------------------------------


def description(help_text: str) -> str:
    """The command's own description: the part between the usage line and the options."""
    body = help_text.split("\n", 1)[1]
    return re.split(r"^Options:", body, maxsplit=1, flags=re.MULTILINE)[0].strip()


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["init-db"],
        ["demo"],
        ["demo", "load"],
        ["network"],
        ["network", "create"],
        ["user"],
        ["user", "create"],
        ["user", "grant"],
        ["user", "reset-link"],
        ["member"],
        ["member", "rotate-link"],
        ["content"],
        ["content", "check"],
        ["content", "load"],
        ["backup"],
    ],
    ids=lambda command: " ".join(command) or "trainer",
)
def test_every_command_and_group_has_japanese_help(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert JAPANESE.search(description(result.output)), result.output


def test_the_top_level_help_lists_the_trainer_commands(cli):
    result = cli("--help")
    assert "見守りトレーナー (Mimamori Trainer) の管理コマンド。" in result.output
    for name in ("init-db", "demo", "network", "user", "member", "content", "db", "backup"):
        assert re.search(rf"^\s+{re.escape(name)}\s", result.output, re.MULTILINE), name


def test_the_installed_console_script_starts(tmp_path):
    script = Path(sys.executable).parent / "trainer"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TRAINER_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'console.sqlite3'}",
        SECRET_KEY="test-secret-key-not-for-production",
    )
    result = subprocess.run(
        [str(script), "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Flask prints an app that fails to load to stderr and still exits 0: check both.
    assert "Error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "見守りトレーナー" in result.stdout
    for name in ("init-db", "demo", "network", "user", "member"):
        assert re.search(rf"^\s+{re.escape(name)}\s", result.stdout, re.MULTILINE), name
