"""The `trainer` command: database, demo, networks, users, member links."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from trainer import create_app
from trainer.accounts.models import Member, Network, Organisation, Role, User
from trainer.extensions import db


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_init_db_creates_and_upgrades_idempotently(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "x",
        }
    )
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "データベースは最新です。" in result.output
    with app.app_context():
        assert count(Network) == 0  # tables exist and are empty
        db.engine.dispose()


def test_demo_load_twice_keeps_the_data(app, cli, client):
    first = cli("demo", "load")
    assert first.exit_code == 0, first.output
    assert "デモのネットワークを作成しました。" in first.output
    assert re.search(r"事務局:\s+jimukyoku@example\.jp / demo-\S+", first.output)
    assert re.search(r"講師:\s+koushi@example\.jp / demo-\S+", first.output)
    counts = (count(Organisation), count(Member), count(User))
    assert counts[0] == 6 and 28 <= counts[1] <= 32 and counts[2] == 3
    kinds = set(db.session.scalars(select(Organisation.kind)))
    assert {
        "consumer_centre",
        "community_support",
        "police",
        "care_management",
        "financial",
    } <= kinds
    second = cli("demo", "load")
    assert "すでにあります" in second.output
    assert second.output.split("\n", 1)[1] == first.output.split("\n", 1)[1]  # same logins shown
    assert (count(Organisation), count(Member), count(User)) == counts
    logins = Path(app.instance_path) / "demo-logins.txt"
    assert stat.S_IMODE(os.stat(logins).st_mode) == 0o600
    # The printed credentials and learner link really work.
    email, password = re.search(r"事務局:\s+(\S+) / (\S+)", first.output).groups()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    client.post("/logout")
    link = re.search(r"http://trainer\.test(/m/\S+)", first.output).group(1)
    client.get(link)
    assert "佐藤 恵子さんのページ" in client.get("/learn").get_data(as_text=True)


def test_demo_load_is_refused_in_production(app, cli):
    app.config["TRAINER_ENV"] = "production"
    result = cli("demo", "load")
    assert result.exit_code == 1 and "本番環境" in result.output
    assert count(Network) == 0


def test_network_create_prints_a_working_setup_link(cli, client):
    result = cli(
        "network", "create", "--name", "あおば市見守りネットワーク", "--prefecture", "さくら県",
        "--municipality", "あおば市", "--secretariat-email", "aoba@example.jp",
        "--secretariat-name", "青葉 花子",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    link = re.search(r"http://trainer\.test(/reset/\S+)", result.output).group(1)
    done = client.post(link, data={"new_password": "aoba-password-1", "confirm": "aoba-password-1"})
    assert done.status_code == 302
    network = db.session.scalar(select(Network))
    assert "あおば市" in client.get(f"/n/{network.id}/").get_data(as_text=True)


def test_network_create_with_bad_input_changes_nothing(cli):
    result = cli(
        "network", "create", "--name", " ", "--prefecture", "さくら県", "--municipality", "x",
        "--secretariat-email", "a@example.jp", "--secretariat-name", "x",
    )  # fmt: skip
    assert result.exit_code == 1 and "ネットワーク名を入力してください。" in result.output
    bad_email = cli(
        "network", "create", "--name", "n", "--prefecture", "p", "--municipality", "m",
        "--secretariat-email", "not-an-email", "--secretariat-name", "x",
    )  # fmt: skip
    assert (
        bad_email.exit_code == 1 and "メールアドレスを正しく入力してください。" in bad_email.output
    )
    assert count(Network) == 0 and count(User) == 0


def test_user_create_grant_and_reset_link(cli, client, make_network):
    network = make_network()
    made = cli(
        "user",
        "create",
        "--email",
        "t@example.jp",
        "--name",
        "講師",
        "--password",
        "long-password-1",
    )
    assert made.exit_code == 0, made.output
    assert cli("user", "create", "--email", "T@example.jp", "--name", "x").exit_code == 1
    granted = cli(
        "user",
        "grant",
        "--email",
        "t@example.jp",
        "--network",
        str(network.id),
        "--role",
        "trainer",
    )
    assert granted.exit_code == 0, granted.output
    user = db.session.scalar(select(User).where(User.email == "t@example.jp"))
    assert user.role_in(network.id) is Role.TRAINER
    assert (
        cli(
            "user", "grant", "--email", "x@example.jp", "--network", "1", "--role", "trainer"
        ).exit_code
        == 1
    )
    link = cli("user", "reset-link", "--email", "t@example.jp")
    assert link.exit_code == 0 and "http://trainer.test/reset/" in link.output
    no_password = cli("user", "create", "--email", "new@example.jp", "--name", "新人")
    assert "パスワード設定用リンク" in no_password.output


def test_admin_user_from_the_command_line(cli):
    result = cli("user", "create", "--email", "root@example.jp", "--name", "管理", "--admin")
    assert result.exit_code == 0
    assert db.session.scalar(select(User)).is_platform_admin


def test_member_rotate_link(cli, client, make_network, make_member):
    network = make_network()
    member = make_member(network)
    old = member.link_token
    result = cli("member", "rotate-link", "--network", str(network.id), "--member", str(member.id))
    assert result.exit_code == 0, result.output
    new = re.search(r"http://trainer\.test/m/(\S+)", result.output).group(1)
    assert new != old
    assert client.get(f"/m/{old}").status_code == 404
    assert client.get(f"/m/{new}").status_code == 302
    wrong = cli(
        "member", "rotate-link", "--network", str(network.id + 1), "--member", str(member.id)
    )
    assert wrong.exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["init-db"],
        ["demo", "load"],
        ["network", "create"],
        ["user", "create"],
        ["user", "grant"],
        ["user", "reset-link"],
        ["member", "rotate-link"],
        ["content", "check"],
        ["content", "load"],
    ],
)
def test_every_command_has_japanese_help(cli, args):
    result = cli(*args, "--help")
    assert result.exit_code == 0
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", result.output), result.output


def test_the_installed_console_script_runs(tmp_path):
    script = Path(sys.executable).parent / "trainer"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'c.sqlite3'}", SECRET_KEY="x")
    result = subprocess.run(
        [str(script), "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "init-db" in result.stdout
