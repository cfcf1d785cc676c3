"""`trainer backup PATH`: a snapshot taken while the app serves and writes, restored the way
docs/operations.md (バックアップ, 復元) tells an office, and the refusals that keep a good backup
from being lost.

The SQLite tests always run on their own SQLite files (also in the PostgreSQL run of the suite):
they are about SQLite's online backup. The PostgreSQL test needs TEST_DATABASE_URL and pg_dump,
and makes and drops two throwaway databases of its own. Every server started here is gunicorn on
a free port of 127.0.0.1, with the bounded waits of tests/live_server.py.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.conftest import PASSWORD, PASSWORD_HASH
from tests.live_server import (
    BIN,
    ROOT,
    LiveServer,
    app_spec,
    clean_env,
    free_port,
    run_cli,
    stop,
    wait_until_up,
)
from tests.quizzes.helpers import load_repository_content, take
from tests.tools import postgresql_server, throwaway_postgresql
from trainer import create_app
from trainer.accounts import roster
from trainer.accounts.models import Member, Network, NetworkRole, Role, User
from trainer.audit.models import AuditEvent
from trainer.backup import postgresql as pg_backup
from trainer.certificates import service as certificates
from trainer.certificates import signing
from trainer.cli import main
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes.models import QuizQuestion

SECRET_KEY = "backup-test-" + "k" * 32
KEY_NAME = "issuer_ed25519.pem"
HTTP_TIMEOUT = 10  # seconds for any one request to a test server
# The public address stays the same across a restore (docs/operations.md): it is printed on every
# QR code and names the key in every signed credential.
PUBLIC_URL = "http://mimamori.test"


# --- an office's installation -------------------------------------------------------------------


@dataclass
class Office:
    """An installation laid out as `make run` lays it out: instance/mimamori.sqlite3 made by the
    real migrations, the signing key at instance/issuer_ed25519.pem once something is signed."""

    app: Flask
    instance: Path

    @property
    def database(self) -> Path:
        return self.instance / "mimamori.sqlite3"


def migrated_app(database_url: str, instance: Path) -> Flask:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": SECRET_KEY,
            "TRAINER_BASE_URL": "http://trainer.test",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    instance = tmp_path / "office" / "instance"
    instance.mkdir(parents=True)
    app = migrated_app(f"sqlite:///{instance / 'mimamori.sqlite3'}", instance)
    with app.app_context():
        try:
            yield Office(app, instance)
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def cli(office: Office, monkeypatch: pytest.MonkeyPatch):
    """`trainer ...` against the office's app, as the operator would type it."""
    runner = office.app.test_cli_runner()
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")  # FlaskGroup sets it; give it back after

    def run(*args: str) -> Result:
        return runner.invoke(main, args=list(args))

    return run


@dataclass
class Filled:
    network_id: int
    network_name: str
    active_names: list[str]
    ended_name: str
    learner_name: str
    learner_link: str
    certificate_token: str
    secretariat_email: str


def fill() -> Filled:
    """A network with its secretariat, two organisations, three members (one has left) and a
    learner who took both quizzes and passed, made through the app's own services."""
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    network = Network(
        name="みどり市見守りネットワーク", prefecture="さくら県", municipality="みどり市"
    )
    db.session.add(network)
    db.session.flush()
    secretariat = User(email="jimu@example.jp", name="事務局 一郎", password_hash=PASSWORD_HASH)
    db.session.add(secretariat)
    db.session.flush()
    db.session.add(
        NetworkRole(user_id=secretariat.id, network_id=network.id, role=Role.SECRETARIAT.value)
    )
    db.session.commit()
    care = roster.create_organisation(
        db.session, network_id=network.id, kind="care_management", name="みどり居宅介護支援事業所",
        actor=None,
    )  # fmt: skip
    bank = roster.create_organisation(
        db.session, network_id=network.id, kind="financial", name="さくら信用金庫", actor=None
    )
    names = [("見守 花子", care), ("桜井 次郎", bank), ("退会 三郎", bank)]
    members = [
        roster.create_member(
            db.session,
            network_id=network.id,
            data=roster.MemberInput(
                organisation_id=org.id, name=name, membership_start=date(2025, 4, 1)
            ),
            actor=None,
        )
        for name, org in names
    ]
    roster.end_membership(
        db.session, member=members[2], end_date=date(2026, 3, 31), reason="退職", actor=None
    )
    learner = members[0]
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    take(learner, course, "pre", right=set())
    take(learner, course, "post", right=everything)
    certificate = certificates.latest_for(db.session, learner, course)
    assert certificate is not None, "passing the post-quiz issues a certificate"
    return Filled(
        network_id=network.id,
        network_name=network.name,
        active_names=["見守 花子", "桜井 次郎"],
        ended_name="退会 三郎",
        learner_name=learner.name,
        learner_link=learner.link_token,
        certificate_token=certificate.token,
        secretariat_email=secretariat.email,
    )


# --- processes and HTTP -------------------------------------------------------------------------


def operator_env(**extra: str) -> dict[str, str]:
    """The environment of an operator's shell: none of the developer's or CI's settings."""
    env = {key: value for key, value in clean_env().items() if not key.startswith("FLASK_")}
    return env | {"SECRET_KEY": SECRET_KEY, "TRAINER_ENV": "development"} | extra


def trainer(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `trainer` command, as cron or an operator runs it."""
    return subprocess.run(
        [str(BIN / "trainer"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@contextmanager
def serve(instance: Path, log: Path) -> Iterator[str]:
    """gunicorn on a free port with this instance folder (its mimamori.sqlite3 and signing key,
    as a default installation finds them); stopped afterwards, also when the test fails."""
    port = free_port()
    live = LiveServer(f"http://127.0.0.1:{port}", "", instance, SECRET_KEY, log)
    env = operator_env(TRAINER_BASE_URL=PUBLIC_URL)
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--no-control-socket", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", app_spec(instance)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(server, live)
            yield live.base_url
        finally:
            stop(server)


class Browser:
    """One device: its own cookies; follows redirects; every request bounded."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base_url + path, body, timeout=HTTP_TIMEOUT) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode()

    def sign_in(self, email: str, password: str) -> None:
        _, _, form = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        assert token, form
        status, url, page = self.get(
            "/login", {"csrf_token": token.group(1), "email": email, "password": password}
        )
        assert status == 200 and not url.endswith("/login"), page


def backup_lines(output: str) -> tuple[Path, Path | None]:
    """The backup file and the signing key copy that the command says it wrote."""
    written = re.search(r"^バックアップを作成しました: (.+)$", output, re.MULTILINE)
    key = re.search(r"^署名鍵をコピーしました（権限 0600）: (.+)$", output, re.MULTILINE)
    assert written, output
    return Path(written.group(1)), Path(key.group(1)) if key else None


def count_line(output: str, table: str) -> int:
    found = re.search(rf"^  \S+ \({table}\): ([\d,]+) 件$", output, re.MULTILINE)
    assert found, output
    return int(found.group(1).replace(",", ""))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- SQLite: backup while serving, restore as docs/operations.md says ---------------------------


def test_a_backup_taken_while_serving_restores_with_its_signing_key(office: Office, tmp_path):
    filled = fill()
    backups = tmp_path / "backups"
    backups.mkdir()
    with serve(office.instance, tmp_path / "office.log") as url:
        office_web = Browser(url)
        # Signing a credential makes the office's key; a relying party keeps this JSON for years.
        status, _, saved_credential = office_web.get(f"/verify/{filled.certificate_token}.json")
        assert status == 200, saved_credential
        _, _, issuer = office_web.get("/verify/issuer-key.json")
        assert (office.instance / KEY_NAME).exists()

        # What cron runs, while the app serves: the folder form names the file itself.
        done = trainer(
            operator_env(
                DATABASE_URL=f"sqlite:///{office.database}",
                TRAINER_SIGNING_KEY_FILE=str(office.instance / KEY_NAME),
            ),
            "backup",
            str(backups),
        )
        assert done.returncode == 0, done.stdout + done.stderr
    written, key_copy = backup_lines(done.stdout)
    assert written.parent == backups
    assert re.fullmatch(r"mimamori-\d{8}-\d{6}\.sqlite3", written.name), written
    assert key_copy == backups / f"{written.name}.{KEY_NAME}"
    assert sorted(p.name for p in backups.iterdir()) == [written.name, key_copy.name]
    assert mode(written) == 0o600 and mode(key_copy) == 0o600
    assert key_copy.read_bytes() == (office.instance / KEY_NAME).read_bytes()
    assert (count_line(done.stdout, "network"), count_line(done.stdout, "member")) == (1, 3)
    assert count_line(done.stdout, "certificate") == 1
    assert count_line(done.stdout, "attempt") == 2
    assert "PRAGMA integrity_check: ok" in done.stdout
    assert f"{written.stat().st_size:,} バイト" in done.stdout

    # The backup is on record in the office's audit log (not in the backup: it came after).
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "database.backup"))
    assert event is not None and event.target_label == str(written)
    assert event.details["signing_key"] is True and event.actor_label == "システム（コマンド）"

    # Written after the backup, so lost with the office's disk.
    roster.create_member(
        db.session,
        network_id=filled.network_id,
        data=roster.MemberInput(
            organisation_id=db.session.scalar(select(Member.organisation_id).limit(1)),
            name="後日 登録",
            membership_start=date(2026, 4, 1),
        ),
        actor=None,
    )

    # The documented restore on a new machine: copy both files into instance/, keep the key
    # private, `trainer init-db` (migrates a backup older than the code), start the app.
    new_instance = tmp_path / "new-host" / "instance"
    new_instance.mkdir(parents=True)
    shutil.copy(written, new_instance / "mimamori.sqlite3")
    shutil.copy(key_copy, new_instance / KEY_NAME)
    (new_instance / KEY_NAME).chmod(0o600)
    run_cli(operator_env(), new_instance, "init-db")
    with serve(new_instance, tmp_path / "restored.log") as url:
        check = Browser(url)
        status, _, page = check.get(f"/verify/{filled.certificate_token}")
        assert status == 200
        assert 'id="check-result-label">有効<' in page and filled.learner_name in page

        # A credential signed before the disaster still checks against the published key.
        _, _, restored_issuer = check.get("/verify/issuer-key.json")
        key_doc = json.loads(restored_issuer)["verificationMethod"][0]
        assert key_doc == json.loads(issuer)["verificationMethod"][0]
        public = signing.public_key_from_multibase(key_doc["publicKeyMultibase"])
        assert signing.verify(json.loads(saved_credential), public)

        phone = Browser(url)
        status, landed, page = phone.get(f"/m/{filled.learner_link}")
        assert status == 200 and landed.endswith("/learn")
        assert f"{filled.learner_name}さんのページ" in page
        assert "第00001号" in phone.get("/learn/certificates/")[2]

        desk = Browser(url)
        desk.sign_in(filled.secretariat_email, PASSWORD)
        _, _, members = desk.get(f"/n/{filled.network_id}/members?status=all")
        for name in [*filled.active_names, filled.ended_name]:
            assert name in members, name
        assert "後日 登録" not in members


# --- SQLite: consistent while a writer writes ----------------------------------------------------

# Issues certificates one transaction at a time through the service, as a passing submit does:
# each raises the network's serial counter and adds the certificate in the same transaction.
WRITER = """
import sys
from pathlib import Path
from sqlalchemy import select
from trainer import create_app
from trainer.accounts.models import Member
from trainer.certificates import service
from trainer.extensions import db
from trainer.learning.models import Course

url, instance, stop, limit = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                  "SECRET_KEY": "writer-" + "w" * 32})
with app.app_context():
    member, course = db.session.scalar(select(Member)), db.session.scalar(select(Course))
    issued = 0
    while issued < limit and not stop.exists():
        service.issue_for_attempt(db.session, member=member, course=course, attempt_id=None)
        db.session.commit()
        issued += 1
    db.engine.dispose()
print(issued)
"""


def certificate_state(database: Path) -> tuple[int, int, list[int]]:
    """(certificates, the network's counter, the serials in order) read from one file."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        connection.execute("BEGIN")  # one read transaction: the answers are of the same moment
        count = connection.execute("SELECT count(*) FROM certificate").fetchone()[0]
        counter = connection.execute("SELECT last_certificate_serial FROM network").fetchone()[0]
        serials = [r[0] for r in connection.execute("SELECT serial FROM certificate ORDER BY 1")]
        return count, counter, serials
    finally:
        connection.close()


def wait_for_certificates(database: Path, at_least: int, writer: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        count = certificate_state(database)[0]
        if count >= at_least:
            return count
        assert writer.poll() is None, "the writer stopped early"
        time.sleep(0.05)
    pytest.fail(f"the writer did not reach {at_least} certificates in 60 s")


def test_backups_taken_during_writes_hold_whole_transactions(office: Office, cli, tmp_path):
    load_repository_content()
    network = Network(name="書き込み中の協議会", prefecture="さくら県", municipality="みどり市")
    db.session.add(network)
    db.session.commit()
    org = roster.create_organisation(
        db.session, network_id=network.id, kind="financial", name="さくら信用金庫", actor=None
    )
    roster.create_member(
        db.session,
        network_id=network.id,
        data=roster.MemberInput(
            organisation_id=org.id, name="書込 太郎", membership_start=date(2025, 4, 1)
        ),
        actor=None,
    )
    stop = tmp_path / "stop-writer"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, f"sqlite:///{office.database}", str(office.instance),
         str(stop), "50000"],
        cwd=ROOT, env=operator_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        states = []
        for n in range(3):
            before = wait_for_certificates(office.database, 50 * (n + 1), writer)
            result = cli("backup", "--without-signing-key", str(tmp_path / f"during-{n}.sqlite3"))
            assert result.exit_code == 0, result.output
            states.append((before, *certificate_state(tmp_path / f"during-{n}.sqlite3")))
            assert "PRAGMA integrity_check: ok" in result.output
            # Still writing after the backup, so the backup did not wait for a quiet moment.
            wait_for_certificates(office.database, states[-1][1] + 20, writer)
        stop.touch()
        out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.communicate(timeout=10)

    issued = int(out.split()[-1])
    for before, count, counter, serials in states:
        # Everything committed before the backup began is in it, and only whole transactions:
        # the counter and the certificates it numbered were written together.
        assert before <= count < issued
        assert counter == count and serials == list(range(1, count + 1))
    copy = sqlite3.connect(f"file:{tmp_path / 'during-2.sqlite3'}?mode=ro", uri=True)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # One self-contained file: not in WAL mode, so no -wal file can be missing beside it.
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        copy.close()
    assert sorted(p.name for p in tmp_path.glob("during-*")) == [
        f"during-{n}.sqlite3" for n in range(3)
    ]


# --- refusals: nothing overwritten, nothing left behind -----------------------------------------


def signed_once(office: Office) -> Path:
    """The office's signing key, made the way the app makes it on its first signature."""
    key_file = Path(office.app.config["SIGNING_KEY_FILE"])
    signing.load_or_create_key(key_file)
    return key_file


def backup_events() -> int:
    return len(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "database.backup")).all()
    )


def test_an_existing_backup_is_kept_unless_forced(office: Office, cli, tmp_path):
    key_file = signed_once(office)
    target = tmp_path / "nightly.sqlite3"
    target.write_bytes(b"last night's backup")
    refused = cli("backup", str(target))
    assert refused.exit_code == 1
    assert (
        f"{target} はすでにあります。上書きするときは --force を付けてください。" in refused.output
    )
    assert target.read_bytes() == b"last night's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly.sqlite3", "office"]
    assert backup_events() == 0

    # A key copy left from another backup under the same name is not overwritten either.
    target.unlink()
    stale_key = tmp_path / f"nightly.sqlite3.{KEY_NAME}"
    stale_key.write_bytes(b"another key")
    refused = cli("backup", str(target))
    assert refused.exit_code == 1 and f"{stale_key} はすでにあります。" in refused.output
    assert not target.exists() and stale_key.read_bytes() == b"another key"

    target.write_bytes(b"last night's backup")
    forced = cli("backup", "--force", str(target))
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert stale_key.read_bytes() == key_file.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "nightly.sqlite3", f"nightly.sqlite3.{KEY_NAME}", "office",
    ]  # fmt: skip
    assert backup_events() == 1


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process may not create files in. root may write anywhere a mode allows
    nothing, but not into sysfs."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    return folder


def test_an_unusable_path_gets_a_clear_message_and_nothing_is_written(office, cli, tmp_path):
    signed_once(office)
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    unwritable = unwritable_folder(tmp_path)
    cases = {
        tmp_path / "missing" / "b.sqlite3": f"保存先のフォルダがありません: {tmp_path / 'missing'}",
        a_file / "b.sqlite3": f"保存先の {a_file} はフォルダではありません。",
        unwritable / "b.sqlite3": f"保存先 {unwritable} に書き込めません（Permission denied）。",
        office.database: "バックアップ先が動いているデータベースそのものです。",
    }
    for path, message in cases.items():
        result = cli("backup", "--force", str(path))
        assert result.exit_code == 1, path
        assert message in result.output, result.output
        assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "office"]
    assert a_file.read_text() == ""
    if unwritable != Path("/sys"):
        assert list(unwritable.iterdir()) == []
    assert backup_events() == 0


def test_a_failure_midway_leaves_nothing_behind(tmp_path, monkeypatch):
    """A database file that is not a database fails inside SQLite's backup, after the temporary
    file was made: neither it, nor a backup, nor a key copy stays."""
    instance = tmp_path / "instance"
    instance.mkdir()
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    signing.load_or_create_key(instance / KEY_NAME)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{broken}",
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": SECRET_KEY,
        }
    )
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    out = tmp_path / "out"
    out.mkdir()
    try:
        result = app.test_cli_runner().invoke(main, ["backup", str(out / "b.sqlite3")])
    finally:
        with app.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert "SQLite のバックアップに失敗しました: file is not a database" in result.output
    assert list(out.iterdir()) == []


def test_a_broken_signing_key_stops_the_backup_before_anything_is_written(office, cli, tmp_path):
    Path(office.app.config["SIGNING_KEY_FILE"]).write_text("not a key")
    out = tmp_path / "out"
    out.mkdir()
    result = cli("backup", str(out))
    assert result.exit_code == 1
    assert "署名鍵" in result.output and "--without-signing-key" in result.output
    assert list(out.iterdir()) == []
    alone = cli("backup", "--without-signing-key", str(out / "db-only.sqlite3"))
    assert alone.exit_code == 0, alone.output
    assert [p.name for p in out.iterdir()] == ["db-only.sqlite3"]


def test_before_the_first_signature_there_is_no_key_to_copy_and_the_output_says_so(office, cli):
    key_file = Path(office.app.config["SIGNING_KEY_FILE"])
    target = office.instance.parent / "early.sqlite3"
    result = cli("backup", str(target))
    assert result.exit_code == 0, result.output
    assert f"署名鍵 {key_file} はまだありません" in result.output
    assert not key_file.exists(), "a backup must not make a key"
    assert not Path(f"{target}.{KEY_NAME}").exists()


# --- PostgreSQL -----------------------------------------------------------------------------------


def test_the_password_reaches_pg_dump_only_through_the_environment():
    url = make_url(
        "postgresql+psycopg://mimamori:s3cret%21@db.example.jp:5433/trainer?sslmode=require"
    )
    conninfo, env = pg_backup.libpq_connection(url)
    assert "s3cret" not in conninfo
    assert env["PGPASSWORD"] == "s3cret!"
    assert set(conninfo.split()) == {
        "host=db.example.jp", "port=5433", "user=mimamori", "dbname=trainer", "sslmode=require",
    }  # fmt: skip


def test_without_pg_dump_the_operator_is_told_what_to_install(tmp_path, monkeypatch):
    # No server is needed: the tool is looked for before anything connects.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": SECRET_KEY,
        }
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(pg_backup, "PG_BIN_GLOB", str(tmp_path / "no-postgresql" / "*" / "bin"))
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    result = app.test_cli_runner().invoke(main, ["backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 1
    assert "pg_dump が見つかりません。" in result.output
    assert "postgresql-client" in result.output
    assert [p.name for p in tmp_path.iterdir() if p.name != "instance"] == []


@pytest.fixture
def postgres_server() -> str:
    server = postgresql_server()
    if not server:
        pytest.skip("TEST_DATABASE_URL is not set")
    for tool in ("pg_dump", "pg_restore"):
        if pg_backup.find_pg_tool(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: postgresql-client)")
    return server


@contextmanager
def throwaway_databases(server: str, count: int) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(throwaway_postgresql(server, "trainer_backup"))
            for _ in range(count)
        ]


def test_postgresql_backup_restores_with_pg_restore(postgres_server, tmp_path):
    with throwaway_databases(postgres_server, 2) as (source_url, restored_url):
        instance = tmp_path / "instance"
        source = migrated_app(source_url, instance)
        with source.app_context():
            try:
                filled = fill()
                signing.load_or_create_key(Path(source.config["SIGNING_KEY_FILE"]))
            finally:
                db.session.remove()
                db.engine.dispose()

        dump = tmp_path / "nightly.dump"
        plain_url = source_url.replace("postgresql+psycopg://", "postgresql://")
        done = trainer(
            operator_env(DATABASE_URL=plain_url, TRAINER_SIGNING_KEY_FILE=str(instance / KEY_NAME)),
            "backup",
            str(dump),
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert backup_lines(done.stdout) == (dump, Path(f"{dump}.{KEY_NAME}"))
        assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
        assert (count_line(done.stdout, "member"), count_line(done.stdout, "attempt")) == (3, 2)
        assert count_line(done.stdout, "certificate") == 1
        assert re.search(r"pg_restore --list: \d+ 項目を読み戻せました", done.stdout)

        # The documented restore: pg_restore into an empty database, then `trainer init-db`.
        target = make_url(restored_url)
        restored = subprocess.run(
            [pg_backup.find_pg_tool("pg_restore"), "--no-owner", "--single-transaction",
             "--exit-on-error", f"--host={target.host}", f"--port={target.port or 5432}",
             f"--username={target.username}", f"--dbname={target.database}", str(dump)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert restored.returncode == 0, restored.stderr
        init = trainer(operator_env(DATABASE_URL=restored_url), "init-db")
        assert init.returncode == 0, init.stdout + init.stderr

        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": restored_url,
                "INSTANCE_PATH": str(tmp_path / "restored-instance"),
                "SECRET_KEY": SECRET_KEY,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            try:
                page = app.test_client().get(f"/verify/{filled.certificate_token}")
                assert page.status_code == 200
                html = page.get_data(as_text=True)
                assert 'id="check-result-label">有効<' in html and filled.learner_name in html
                names = set(db.session.scalars(select(Member.name)))
                assert names == {*filled.active_names, filled.ended_name}
            finally:
                db.session.remove()
                db.engine.dispose()
