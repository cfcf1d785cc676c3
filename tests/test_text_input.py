"""Text is clean at the door (security review M-2): control characters (C0, C1, NUL), bidi
overrides and invisible format characters are removed from every form, the anonymous join form
and the survey, on SQLite and PostgreSQL alike; every export copes with what was stored before;
migration 0011 and `trainer clean-text` clean what is stored.

Before this, a participant who typed NUL on their phone made the four xlsx exports fail with a
500 until someone edited the name, and on PostgreSQL the join itself was a 500.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from openpyxl import load_workbook
from sqlalchemy import String, Text, func, select, text, update

from tests.conftest import BASE_URL, sign_in
from tests.tools import postgresql_server, throwaway_postgresql
from tests.workshops.helpers import answer_test, join, make_room, move_to, phone
from trainer import create_app
from trainer.accounts import roster, roster_search
from trainer.accounts.models import Member, Network, Organisation, Role, StaffInvitation, User
from trainer.audit.models import AuditEvent
from trainer.certificates.models import Certificate
from trainer.cli import main
from trainer.extensions import db
from trainer.tables import csv_bytes, safe_cell, xlsx_bytes
from trainer.text import clean_multiline, clean_text, name_key
from trainer.text_cleanup import TABLES
from trainer.workshops import seats
from trainer.workshops.models import Participant, Workshop, WorkshopFeedback

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: 「花子」 typed after it reads backwards on /verify
ZWSP = "\u200b"
ZWJ = "\u200d"


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def stored_control() -> str:
    """A control character the database can hold: PostgreSQL refuses NUL in text, SQLite not."""
    return "\x1b" if on_postgresql() else "\x00"


# --- the two cleaning functions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("山田\x00太郎", "山田太郎"),
        ("\x1b[31m山田太郎", "[31m山田太郎"),  # ESC: a terminal escape loses its ESC
        ("山田\x07\x7f太郎", "山田太郎"),  # BEL, DEL
        ("山田\x9b太郎\x80", "山田太郎"),  # C1: CSI, PAD
        (f"{RLO}子花 田山", "子花 田山"),
        ("\u2066山田\u2069 \u200e太郎\u200f", "山田 太郎"),  # isolates, LRM, RLM
        (f"山田{ZWSP}太郎\u2060\ufeff\u00ad", "山田太郎"),  # zero width, word joiner, BOM, SHY
        ("山田\t太郎", "山田 太郎"),
        ("山田\r\n太郎\n\n花子\u2028", "山田 太郎 花子"),  # breaks: one space a run
        ("山田\x85太郎", "山田 太郎"),  # NEL is a line break
        ("　山田　太郎　", "山田　太郎"),  # full-width spaces: inside as typed
        (f"👨{ZWJ}👩{ZWJ}👧", f"👨{ZWJ}👩{ZWJ}👧"),  # ZWJ joins emoji: kept
        ("葛\U000e0100城", "葛\U000e0100城"),  # an ideographic variation selector: kept
        ("\ue000太郎", "\ue000太郎"),  # private use (外字): kept
        ("山田\ufffe\uffff\ufdd0太郎", "山田太郎"),  # noncharacters
        ("山田\ud800太郎", "山田太郎"),  # a lone surrogate
        ("\U000e0041\U000e007f花子", "花子"),  # tag characters (hidden ASCII)
        ("\x00\x1b", ""),
        (None, ""),
    ],
)
def test_clean_text_keeps_one_line_of_text(typed, stored):
    assert clean_text(typed) == stored
    assert clean_text(stored) == stored  # cleaning twice changes nothing


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("一行目\r\n二行目\r三行目\n四行目", "一行目\n二行目\n三行目\n四行目"),
        ("一行目\u2028二行目\x85三行目\x0b四\x0c", "一行目\n二行目\n三行目\n四"),
        ("\t字下げ\x00と\x1bESC\u202e", "字下げとESC"),
        ("\r\n\r\n 前後の空行 \r\n", "前後の空行"),
        ("段落\n\n段落", "段落\n\n段落"),
        (None, ""),
    ],
)
def test_clean_multiline_keeps_line_breaks_as_lf(typed, stored):
    assert clean_multiline(typed) == stored
    assert clean_multiline(stored) == stored


# --- the anonymous join form and the survey ---------------------------------------------------


@pytest.fixture
def room(make_network, make_user, make_org, make_member):
    return make_room(make_network, make_user, make_org, make_member)


@pytest.mark.parametrize(
    "typed",
    [
        "見守 花子1\x00",
        "\x1b見守 花子1",
        "見守\x9b 花子1",
        f"{RLO}見守 花子1",
        f"見守{ZWSP} 花子1",
        "見守\t花子1\r\n",
    ],
    ids=["NUL", "ESC", "C1", "RLO", "ZWSP", "tab-CRLF"],
)
def test_the_join_form_stores_the_name_without_controls(app, room, typed):
    response = join(phone(app), room, org=room.orgs[0], name=typed, kana="みまもり\x00はなこ1")
    assert response.status_code == 302, response.get_data(as_text=True)
    (participant,) = db.session.scalars(select(Participant)).all()
    assert participant.entered_name == "見守 花子1"
    assert participant.entered_kana == "みまもりはなこ1"
    # The controls gone, the name is the roster's: no entry is made for the secretariat.
    assert participant.matched_by == "roster" and participant.member == room.members[0]


def test_a_name_of_controls_only_is_no_name(app, room):
    response = join(phone(app), room, org=room.orgs[0], name=f"\x1b\x07{RLO}{ZWSP}")
    assert response.status_code == 422
    assert "お名前を入力してください。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 0


def test_the_join_service_cleans_without_the_form(app, room):
    """Services clean too: the form is one caller, not the only one."""
    joined = seats.join(
        db.session,
        workshop=room.workshop,
        organisation_id=room.orgs[1].id,
        name=f"{RLO}新しい\x00 人\x85",
        kana="\x1bあたらしい ひと",
        secret="phone-secret",
    )
    member = joined.participant.member
    assert (member.name, member.kana, member.needs_review) == ("新しい 人", "あたらしい ひと", True)
    assert member.name_key == name_key("新しい人")
    assert joined.participant.entered_name == "新しい 人"


def test_the_survey_comment_keeps_its_lines_only(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "survey")
    comment = "分かりやすかった\x00です。\r\n\x1b[2J質問:\u202e 二つ\r\n\tあります"
    response = p.post(
        f"/join/{room.code}/feedback",
        data={"satisfaction": "5", "understanding": "4", "comment": comment},
    )
    assert response.status_code == 302
    (feedback,) = db.session.scalars(select(WorkshopFeedback)).all()
    assert feedback.comment == "分かりやすかったです。\n[2J質問: 二つ\n あります"


# --- staff forms --------------------------------------------------------------------------------


@pytest.fixture
def network(make_network):
    return make_network(name="みどり市見守りネットワーク")


@pytest.fixture
def secretariat(client, login, network, make_user):
    user = make_user(network, Role.SECRETARIAT, name="事務局 花子")
    login(client, user)
    return user


def test_the_organisation_and_member_forms_store_clean_text(client, network, secretariat):
    response = client.post(
        f"/n/{network.id}/organisations/new",
        data={"kind": "financial", "name": f"さくら\x00信用金庫{RLO}"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    org = db.session.scalar(select(Organisation))
    assert (org.name, org.name_key) == ("さくら信用金庫", name_key("さくら信用金庫"))
    response = client.post(
        f"/n/{network.id}/members/new",
        data={
            "organisation_id": org.id,
            "name": "山田\x00 太郎\x1b",
            "kana": f"やまだ{ZWSP} たろう",
            "job_type": "field",
            "age_band": "50s",
            "email": "yamada@example.jp\x00",
            "membership_start": "2026-04-01",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    member = db.session.scalar(select(Member))
    assert (member.name, member.kana, member.email) == (
        "山田 太郎",
        "やまだ たろう",
        "yamada@example.jp",
    )
    assert (member.name_key, member.kana_key) == ("山田太郎", "やまだたろう")
    response = client.post(
        f"/n/{network.id}/members/{member.id}/end",
        data={"end_date": "2026-05-01", "reason": "異動\r\nのため\x00\x1b", "confirmed": "1"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.get(Member, member.id).end_reason == "異動\nのため"


def test_the_local_facts_form_stores_clean_text(client, network, secretariat):
    response = client.post(
        f"/n/{network.id}/settings/",
        data={"consumer_centre_name": "みどり市\x00消費生活センター", "police_phone": "\x1b110"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = db.session.get(Network, network.id)
    assert (stored.consumer_centre_name, stored.police_phone) == ("みどり市消費生活センター", "110")


def test_the_staff_invitation_form_stores_clean_text(client, network, secretariat):
    response = client.post(
        f"/n/{network.id}/staff/new",
        data={"email": "kou@example.jp", "name": f"講師\x00 {RLO}一郎", "role": "trainer"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    invitation = db.session.scalar(select(StaffInvitation))
    assert invitation.name_given == "講師 一郎"
    assert db.session.scalar(select(User.name).where(User.email == "kou@example.jp")) == "講師 一郎"


def test_the_new_network_form_stores_clean_text(client, login, make_user):
    login(client, make_user(None, None, admin=True))
    response = client.post(
        "/admin/networks/new",
        data={
            "name": "あおば市\x00見守りネットワーク",
            "prefecture": "さくら県\x1b",
            "municipality": f"{RLO}あおば市",
            "secretariat_email": "jimu@example.jp",
            "secretariat_name": "事務局\x9b 次郎",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    created = db.session.scalar(select(Network))
    assert (created.name, created.prefecture, created.municipality) == (
        "あおば市見守りネットワーク",
        "さくら県",
        "あおば市",
    )


def test_passwords_are_left_exactly_as_typed(app):
    """A password is compared, never shown: cleaning it would lock its owner out."""
    from trainer.accounts.forms import LoginForm

    with app.test_request_context(
        method="POST", data={"email": " A@x.jp\x00", "password": "\tp\x00"}
    ):
        form = LoginForm()
        assert (form.email.data, form.password.data) == ("A@x.jp", "\tp\x00")


def test_the_reasons_of_the_review_and_of_a_revocation_are_clean(app, room, login, make_user):
    """The review's reason is one line (an input); a revocation's keeps its lines (a textarea)."""
    secretariat = app.test_client()
    login(secretariat, make_user(room.network, Role.SECRETARIAT))
    join(phone(app), room, org=room.orgs[1], name="知らない 人")
    stranger = db.session.scalar(select(Member).where(Member.needs_review.is_(True)))
    response = secretariat.post(
        f"/n/{room.network.id}/workshops/review/{stranger.id}/reject",
        data={"reason": f"\x1b名簿に{RLO}ない\r\n人"},
    )
    assert response.status_code == 302
    assert db.session.get(Member, stranger.id).rejected_reason == "名簿にない 人"

    certificate = make_certificate(app, room)
    response = secretariat.post(
        f"/n/{room.network.id}/certificates/{certificate.id}",
        data={"reason": "紛失\x00のため\r\n再発行します\x1b", "confirmed": "1"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.get(Certificate, certificate.id).revoked_reason == "紛失のため\n再発行します"


def make_certificate(app, room) -> Certificate:
    trainer = app.test_client()
    sign_in(trainer, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    move_to(trainer, room, "post")
    answer_test(p, room, "post", right=True)
    return db.session.scalar(select(Certificate))


# --- exports of what was stored before --------------------------------------------------------


def run_workshop(app, client, login, room) -> None:
    login(client, room.trainer)
    phones = [phone(app) for _ in range(2)]
    for p, name in zip(phones, ["見守 花子1", "見守 花子2"], strict=True):
        join(p, room, org=room.orgs[0], name=name)
    move_to(client, room, "pre")
    for p in phones:
        answer_test(p, room, "pre", right=False)
    move_to(client, room, "post")
    for p in phones:
        answer_test(p, room, "post", right=True)
    move_to(client, room, "survey")
    for p in phones:
        p.post(
            f"/join/{room.code}/feedback",
            data={"satisfaction": "5", "understanding": "5", "comment": "感想"},
        )


def store_old_text(room, bad: str) -> None:
    """What the door let through before: written straight into the database."""
    member = room.members[0]
    db.session.execute(
        update(Member)
        .where(Member.id == member.id)
        .values(name=f"見守{bad} 花子1", kana=f"{bad}かな")
    )
    db.session.execute(
        update(Participant)
        .where(Participant.member_id == member.id)
        .values(entered_name=f"{bad}見守 花子1")
    )
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == room.orgs[0].id)
        .values(name=f"みどり{bad}居宅")
    )
    db.session.execute(
        update(Workshop).where(Workshop.id == room.workshop.id).values(title=f"見守り{bad}研修会")
    )
    db.session.execute(update(WorkshopFeedback).values(comment=f"={bad}感想\n二行目"))
    db.session.commit()


def read_xlsx(data: bytes) -> list[list[object]]:
    return [list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def test_every_export_succeeds_whatever_is_stored(app, client, login, room, make_user):
    run_workshop(app, client, login, room)
    store_old_text(room, stored_control() + "\x0b\x1f")
    secretariat = app.test_client()
    login(secretariat, make_user(room.network, Role.SECRETARIAT))
    network = f"/n/{room.network.id}"
    course = f"?course={room.course.id}"
    for path in (
        f"{room.base}/export",
        f"{network}/completion/export",
        f"{network}/exports/certificates",
        f"{network}/exports/answers",
    ):
        who = client if path.startswith(room.base) else secretariat
        query = course if "completion" in path else ""
        response = who.get(f"{path}.xlsx{query}")
        assert response.status_code == 200, path
        cells = [str(v) for row in read_xlsx(response.get_data()) for v in row if v is not None]
        assert "見守 花子1" in cells, path  # the name without what no file can hold
        assert not any(c in cell for cell in cells for c in "\x00\x1b\x0b\x1f"), path
        response = who.get(f"{path}.csv{query}")
        assert response.status_code == 200, path
        body = response.get_data().decode("utf-8-sig")
        assert not any(c in body for c in "\x00\x1b\x0b\x1f"), path
        assert list(csv.reader(io.StringIO(body)))[1:], path
    workshop = read_xlsx(client.get(f"{room.base}/export.xlsx").get_data())
    assert str(workshop[0][0]).startswith("見守り研修会（")  # the title line
    # A comment that starts with = once the controls are gone is still not a formula.
    assert any(row[-1] == "'=感想\n二行目" for row in workshop)


def test_tables_drop_what_no_file_can_hold():
    assert safe_cell("\x00=1+1") == "'=1+1"
    assert safe_cell("a\x00\x1b\ufffeb\n\tc") == "ab\n\tc"
    assert safe_cell(5) == 5
    rows = [["\x00名前\x1b", "一行目\n二行目"]]
    (row,) = read_xlsx(xlsx_bytes(["氏名", "感想"], rows, sheet_title="表", title="題\x00"))[2:]
    assert row == ["名前", "一行目\n二行目"]
    assert csv_bytes(["氏名"], rows).decode("utf-8-sig") == '氏名\r\n名前,"一行目\n二行目"\r\n'


# --- cleaning what is stored: the command -----------------------------------------------------


@pytest.fixture
def cli(app, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")

    def run(*args: str):
        db.session.rollback()
        result = runner.invoke(main, args=list(args))
        db.session.expire_all()
        return result

    return run


def test_clean_text_reports_then_cleans_and_logs_once(cli, room):
    bad = stored_control()
    store_old_text(room, bad)
    member = room.members[0]
    dry = cli("clean-text")
    assert dry.exit_code == 0, dry.output
    assert f"構成員の氏名（member.name）: 1件 ID {member.id}" in dry.output
    assert f"構成団体名（organisation.name）: 1件 ID {room.orgs[0].id}" in dry.output
    assert f"研修会の名前（workshop.title）: 1件 ID {room.workshop.id}" in dry.output
    assert "書き換えるには --apply" in dry.output
    assert db.session.get(Member, member.id).name == f"見守{bad} 花子1"  # a dry run writes nothing
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "data.clean_text")
        )
        == 0
    )

    done = cli("clean-text", "--apply")
    assert done.exit_code == 0, done.output
    assert "件を書き換えました。" in done.output
    cleaned = db.session.get(Member, member.id)
    assert (cleaned.name, cleaned.kana) == ("見守 花子1", "かな")
    assert cleaned.name_key == name_key("見守 花子1")
    assert db.session.get(Organisation, room.orgs[0].id).name == "みどり居宅"
    assert db.session.get(Workshop, room.workshop.id).title == "見守り研修会"
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data.clean_text"))
    assert event.action_label == "保存済みの文字の整理"
    assert event.details["構成員の氏名（member.name）"] == f"1件 ID {member.id}"

    again = cli("clean-text")
    assert again.exit_code == 0 and "取り除く文字はありません。" in again.output


def test_clean_text_has_japanese_help(cli):
    result = cli("clean-text", "--help")
    assert result.exit_code == 0
    assert "保存済みの文字から制御文字・見えない書式文字を取り除きます。" in result.output
    assert "--apply" in result.output


def test_clean_text_leaves_what_a_program_cannot_decide(cli, room, make_org):
    """A name that would be empty, or an organisation that would take another's name: named in
    the report, left as it is for a person, and the rest is still cleaned."""
    bad = stored_control()
    # Stored before: 「さくら信金」 and 「さくら<ESC>信金」 were two names, their keys two keys.
    make_org(room.network, "さくら信金")
    twin = make_org(room.network, "さくら信金（仮）")
    db.session.execute(
        update(Organisation)
        .where(Organisation.id == twin.id)
        # the key as the old name_key made it (it kept control characters; today's drops them)
        .values(name=f"さくら{bad}信金", name_key=f"さくら{bad}信金")
    )
    db.session.execute(update(Member).where(Member.id == room.members[1].id).values(name=bad))
    db.session.execute(
        update(Member).where(Member.id == room.members[2].id).values(name=f"{bad}花子")
    )
    db.session.commit()
    result = cli("clean-text", "--apply")
    assert result.exit_code == 0, result.output
    assert (
        f"手作業で直す必要があります: 構成団体名（organisation.name）: 1件 ID {twin.id}"
        in result.output
    )
    assert (
        f"手作業で直す必要があります: 構成員の氏名（member.name）: 1件 ID {room.members[1].id}"
        in result.output
    )
    assert db.session.get(Organisation, twin.id).name == f"さくら{bad}信金"
    assert db.session.get(Member, room.members[1].id).name == bad
    assert db.session.get(Member, room.members[2].id).name == "花子"


def test_every_typed_column_is_cleaned_by_the_command():
    """A new String or Text column is either typed by a person (then text_cleanup.TABLES cleans
    it) or named here as not typed by a person."""
    not_typed = {
        "audit_event": {"actor_label", "action", "target_type", "target_label"},  # append-only
        "certificate": {"token", "token_hash"},
        "course": {"slug", "title", "summary", "pre_quiz", "post_quiz", "survey", "source_hash"},
        "course_module": {"slug"},
        "module_version": {"source_hash", "title", "body"},
        "quiz_bank": {"slug", "title", "description", "source_hash"},
        "quiz_question": {"key", "content_hash", "type", "topic"},
        "attempt": {"phase", "status", "idempotency_key", "result_layout", "result_codes"},
        "member": {"name_key", "kana_key", "job_type", "age_band", "gender"}
        | {"link_selector", "link_verifier"},
        "organisation": {"kind", "name_key"},
        "user": {"password_hash"},
        "network_role": {"role"},
        "password_reset_token": {"token_hash"},
        "staff_invitation": {"role", "token_hash"},
        "roster_import": {"sha256"},
        "workshop": {"join_code", "phase"},
        "participant": {"matched_by", "confirmed_via"},
        "participant_device": {"device_hash", "status"},
        "concern_report": {"organisation_kind", "via", "urgency", "consent", "status"}
        | {"connected_to"},
        "concern_sign": {"sign"},
        "concern_message": {"template"},
        "reporting_key": {"token", "token_hash"},
        # Written by the app from stored values (already cleaned), never typed into it.
        "outgoing_mail": {"kind", "subject_type", "to_address", "sender_name", "subject", "body"}
        | {"status", "last_error", "message_id", "list_unsubscribe"},
        # The attachment's file name is cleaned when uploaded (bulletins/forms); kind is a code.
        "bulletin": {"kind", "attachment_name", "attachment_type"},
    }
    cleaned = {(t.name, c.name) for t in TABLES for c in t.columns}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text) and (table.name, column.name) not in cleaned:
                assert column.name in not_typed.get(table.name, set()), (
                    f"{table.name}.{column.name}"
                )


# --- cleaning what is stored: migration 0011 --------------------------------------------------


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not postgresql_server(), reason="TEST_DATABASE_URL is not set"
            ),
        ),
    ]
)
def empty_app(request, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database (a new SQLite file, or a throwaway PostgreSQL database)."""

    def app_on(url: str) -> Iterator[Flask]:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SECRET_KEY": "test-secret-key-not-for-production",
                "TRAINER_BASE_URL": BASE_URL,
            }
        )
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()

    if request.param == "sqlite":
        yield from app_on(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
        return
    with throwaway_postgresql(postgresql_server(), "trainer_text") as url:
        yield from app_on(url)


def test_migration_0011_cleans_what_was_stored(empty_app):
    upgrade(revision="b17a0010invt")
    bad = stored_control()
    # The network as revision 0010 has it: in SQL, since the model has columns added later.
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO network (name, prefecture, municipality, created_at)"
                " VALUES ('協議会', 'さくら県', 'みどり市', CURRENT_TIMESTAMP)"
            )
        )
    network_id = db.session.scalar(select(Network.id).where(Network.name == "協議会"))
    org = roster.create_organisation(
        db.session, network_id=network_id, kind="financial", name="信金", actor=None
    )
    member = roster.create_member(
        db.session,
        network_id=network_id,
        data=roster.MemberInput(
            organisation_id=org.id, name="山田太郎", membership_start=date(2025, 4, 1)
        ),
        actor=None,
    )
    member_id, org_id = member.id, org.id
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE member SET name = :name, name_key = :key, end_reason = :reason"),
            {
                "name": f"{RLO}山田{bad}太郎",
                "key": f"山田{bad}太郎",
                "reason": "転居\r\nのため" + bad,
            },
        )
        conn.execute(text("UPDATE organisation SET name = :name"), {"name": f"信金{bad}\x85"})
    db.session.remove()

    upgrade()
    cleaned = db.session.get(Member, member_id)
    assert (cleaned.name, cleaned.name_key) == ("山田太郎", "山田太郎")
    assert cleaned.end_reason == "転居\nのため"
    assert db.session.get(Organisation, org_id).name == "信金"
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data.clean_text"))
    assert event.actor_label == "システム（データベースの更新 0011）"
    assert event.details["構成員の氏名（member.name）"] == f"1件 ID {member_id}"
    # The key follows the name: the roster search finds the person by what people type again.
    found = roster_search.search_members(db.session, network_id=network_id, query="山田 太郎")
    assert [m.id for m in found.members] == [member_id]


def test_migration_0011_on_clean_data_changes_nothing_and_logs_nothing(empty_app):
    upgrade()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
