"""The secretariat's side of 気づき報告: the inbox, one report's page (each opening audited),
status, instructions, connection, the 相談員 role, retention, the notification address and the
network home page's block."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from trainer.accounts.models import Member, Network, Role
from trainer.audit.models import AuditEvent
from trainer.concerns import handling, retention
from trainer.concerns.models import ConcernMessage, ConcernReport, ConcernSign
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.timeutil import utcnow

_numbers: dict[int, int] = {}


def make_report(
    member: Member,
    *,
    urgency: str = "normal",
    status: str = "new",
    received_at: datetime | None = None,
    closed_at: datetime | None = None,
    signs: tuple[str, ...] = ("unfamiliar_traders",),
    **values: object,
) -> ConcernReport:
    network = db.session.get(Network, member.network_id)
    assert network is not None
    network.last_concern_number += 1
    report = ConcernReport(
        network_id=member.network_id,
        number=network.last_concern_number,
        member_id=member.id,
        organisation_id=member.organisation_id,
        organisation_kind=member.organisation.kind,
        via="badge",
        received_at=received_at or utcnow(),
        noticed_on=date(2026, 11, 20),
        urgency=urgency,
        consent=values.pop("consent", "refused"),
        status=status,
        closed_at=closed_at,
        area=values.pop("area", "みどり町3丁目"),
        consent_reason=values.pop("consent_reason", "本人が話したがらなかった"),
        person_name=values.pop("person_name", "見守 花子"),
        person_contact=values.pop("person_contact", "090-0000-0000"),
        details=values.pop("details", "毎週、知らない業者の車が来ている。"),
        other_sign=values.pop("other_sign", ""),
        **values,
    )
    report.signs = [ConcernSign(sign=s) for s in signs]
    db.session.add(report)
    db.session.commit()
    return report


@pytest.fixture
def world(make_network, make_user, make_member):
    network = make_network()
    other = make_network()
    return {
        "network": network,
        "secretariat": make_user(network, Role.SECRETARIAT, name="事務局 一郎"),
        "case_worker": make_user(network, Role.CASE_WORKER, name="相談員 二郎"),
        "trainer": make_user(network, Role.TRAINER),
        "outsider": make_user(other, Role.SECRETARIAT),
        "member": make_member(network, name="構成員 三子"),
    }


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def url(network: Network, path: str = "") -> str:
    return f"/n/{network.id}/concerns/{path}"


# --- the inbox --------------------------------------------------------------------------------


def test_urgent_open_reports_come_first_then_the_newest(world, client, login):
    member, now = world["member"], utcnow()
    old = make_report(member, received_at=now - timedelta(days=3))
    urgent = make_report(member, urgency="now", received_at=now - timedelta(days=2))
    newest = make_report(member, received_at=now - timedelta(hours=1))
    make_report(member, urgency="now", status="closed", closed_at=now, received_at=now)
    page = handling.inbox(db.session, world["network"].id)
    assert [r.id for r in page.reports] == [urgent.id, newest.id, old.id]

    login(client, world["secretariat"])
    response = client.get(url(world["network"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert html.index(urgent.number_label) < html.index(newest.number_label)
    assert "緊急" in html and "concern-row-urgent" in html
    assert "未完了 <strong>3</strong>" in html
    assert "完了 <strong>1</strong>" in html
    assert "すべて <strong>4</strong>" in html


def test_tabs_filter_by_status_and_count(world, client, login):
    member = world["member"]
    make_report(member)
    make_report(member, status="in_review")
    done = make_report(member, status="closed", closed_at=utcnow())
    counts = handling.counts(db.session, world["network"].id)
    assert counts == {
        "new": 1,
        "in_review": 1,
        "instructed": 0,
        "closed": 1,
        "all": 3,
        "open": 2,
        "urgent": 0,
    }
    login(client, world["case_worker"])
    html = client.get(url(world["network"]) + "?tab=closed").get_data(as_text=True)
    assert done.number_label in html and html.count("concerns/") >= 1
    assert "00001" not in html
    # An unknown tab is the default one, not an error.
    assert client.get(url(world["network"]) + "?tab=<x>").status_code == 200


def test_inbox_marks_replies_and_unacknowledged_instructions(world, client, login):
    member = world["member"]
    replied = make_report(member)
    handling.instruct(
        db.session, report=replied, template="keep_watching", body="", actor=world["secretariat"]
    )
    db.session.add(ConcernMessage(report_id=replied.id, from_member=True, body="わかりました"))
    db.session.commit()
    waiting = make_report(member)
    handling.instruct(
        db.session, report=waiting, template="call_police", body="", actor=world["secretariat"]
    )
    db.session.expire_all()
    assert handling.thread_state(replied) == handling.ThreadState(True, True)
    assert handling.thread_state(waiting) == handling.ThreadState(False, True)
    login(client, world["secretariat"])
    html = client.get(url(world["network"])).get_data(as_text=True)
    assert html.count("返信あり") == 1
    assert html.count("未了解") == 2


# --- one report -------------------------------------------------------------------------------


def test_each_opening_of_a_report_is_audited(world, client, login):
    report = make_report(world["member"], consent="refused")
    login(client, world["case_worker"])
    for _ in range(2):
        response = client.get(url(world["network"], str(report.id)))
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    for shown in (
        "見守り 花子".replace("り", ""),
        "090-0000-0000",
        "本人が話したがらなかった",
        "同意なし",
    ):
        assert shown in html
    views = events("concern.view")
    assert len(views) == 2
    assert views[0].target_type == "concern_report"
    assert views[0].target_label == report.number_label
    assert views[0].details == {"number": report.number_label}
    assert views[0].actor_user_id == world["case_worker"].id


def test_status_transitions_are_audited_and_closing_sets_closed_at(world, client, login):
    report = make_report(world["member"])
    login(client, world["secretariat"])
    response = client.post(
        url(world["network"], f"{report.id}/status"), data={"status": "in_review"}
    )
    assert response.status_code == 302
    assert report.status == "in_review"
    client.post(url(world["network"], f"{report.id}/status"), data={"status": "closed"})
    assert report.status == "closed" and report.closed_at is not None
    client.post(url(world["network"], f"{report.id}/status"), data={"status": "in_review"})
    assert report.status == "in_review" and report.closed_at is None
    changes = [e.details["changes"]["concern_status"] for e in events("concern.status")]
    assert changes == [["new", "in_review"], ["in_review", "closed"], ["closed", "in_review"]]
    assert "状況: 確認中 → 完了" in events("concern.status")[1].detail_lines()


@pytest.mark.parametrize("target", ["instructed", "bogus", ""])
def test_a_refused_status_change_changes_nothing(world, client, login, target):
    report = make_report(world["member"])
    login(client, world["secretariat"])
    response = client.post(
        url(world["network"], f"{report.id}/status"), data={"status": target}, follow_redirects=True
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "変えられません" in html or "状況を選んでください" in html
    assert report.status == "new"
    assert events("concern.status") == []


def test_instruction_with_a_template(world, client, login):
    report = make_report(world["member"])
    login(client, world["case_worker"])
    response = client.post(
        url(world["network"], f"{report.id}/instruct"),
        data={"template": "recommend_centre", "body": ""},
    )
    assert response.status_code == 302
    message = report.messages[0]
    assert (message.template, message.body, message.from_member) == ("recommend_centre", "", False)
    assert message.author_user_id == world["case_worker"].id
    assert report.status == "instructed"
    first = report.first_instruction_at
    assert first is not None
    handling.instruct(
        db.session, report=report, template="", body="念のため", actor=world["secretariat"]
    )
    assert report.first_instruction_at == first  # set once
    (event, second) = events("concern.instruct")
    assert event.details == {
        "number": report.number_label,
        "template": "recommend_centre",
        "changes": {"concern_status": ["new", "instructed"]},
    }
    assert second.details == {"number": report.number_label, "template": ""}
    assert "念のため" not in str(second.details)  # the text stays out of the log


def test_instruction_with_free_text_only(world, client, login):
    report = make_report(world["member"])
    login(client, world["secretariat"])
    client.post(
        url(world["network"], f"{report.id}/instruct"),
        data={"template": "", "body": "明日、センターから電話します。"},
    )
    assert [m.body for m in report.messages] == ["明日、センターから電話します。"]
    assert report.status == "instructed"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"template": "", "body": "  "}, "指示の種類を選ぶか、指示の文を入力してください。"),
        ({"template": "no_such", "body": ""}, "指示の種類を一覧から選んでください。"),
        ({"body": "あ" * 2001}, "2000文字以内で入力してください。"),
    ],
)
def test_a_refused_instruction_stores_nothing(world, client, login, data, message):
    report = make_report(world["member"])
    login(client, world["secretariat"])
    response = client.post(url(world["network"], f"{report.id}/instruct"), data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert report.messages == [] and report.status == "new"
    assert report.first_instruction_at is None
    assert events("concern.instruct") == []


def test_no_instruction_to_a_closed_report(world):
    report = make_report(world["member"], status="closed", closed_at=utcnow())
    with pytest.raises(DomainError):
        handling.instruct(
            db.session, report=report, template="handled", body="", actor=world["secretariat"]
        )


def test_connection_is_recorded(world, client, login):
    report = make_report(world["member"])
    login(client, world["case_worker"])
    response = client.post(
        url(world["network"], f"{report.id}/connect"),
        data={"connected_to": "consumer_centre", "outcome": "相談員が訪問した"},
    )
    assert response.status_code == 302
    assert (report.connected_to, report.outcome) == ("consumer_centre", "相談員が訪問した")
    (event,) = events("concern.connect")
    assert event.details == {
        "number": report.number_label,
        "changes": {"connected_to": ["", "consumer_centre"]},
    }
    # Nothing chosen: a Japanese message, nothing changed.
    response = client.post(
        url(world["network"], f"{report.id}/connect"), data={"connected_to": "", "outcome": "x"}
    )
    assert "つないだ先を選んでください。" in response.get_data(as_text=True)
    assert report.outcome == "相談員が訪問した"


# --- who may ----------------------------------------------------------------------------------


def _routes(network: Network, report: ConcernReport) -> list[tuple[str, str]]:
    return [
        ("get", url(network)),
        ("get", url(network, str(report.id))),
        ("post", url(network, f"{report.id}/status")),
        ("post", url(network, f"{report.id}/instruct")),
        ("post", url(network, f"{report.id}/connect")),
    ]


def test_trainers_get_403_and_other_networks_404(world, client, login, make_member):
    report = make_report(world["member"])
    login(client, world["trainer"])
    for method, path in _routes(world["network"], report):
        assert getattr(client, method)(path, data={"status": "closed"}).status_code == 403, path
    login(client, world["outsider"])
    for method, path in _routes(world["network"], report):
        assert getattr(client, method)(path, data={"status": "closed"}).status_code == 404, path
    # Another network's report id under one's own network: 404 too.
    outsider_network = world["outsider"].roles[0].network
    elsewhere = make_report(make_member(outsider_network))
    login(client, world["secretariat"])
    assert client.get(url(world["network"], str(elsewhere.id))).status_code == 404
    assert report.status == "new" and events("concern.view") == []


def test_case_worker_navigation_and_home_page(world, client, login):
    member = world["member"]
    make_report(member)
    make_report(member, urgency="now")
    make_report(member, status="closed", closed_at=utcnow())
    login(client, world["case_worker"])
    html = client.get(f"/n/{world['network'].id}/").get_data(as_text=True)
    assert "気づき報告" in html and "緊急" in html
    assert "<strong>1件</strong>" in html  # urgent open
    assert '<p class="number">2<small> 件の新規報告' in html
    for hidden in ("研修会", "比較レポート", "構成団体", "在籍中の構成員"):
        assert hidden not in html, hidden
    assert "集計" in html and "パスワード変更" in html
    # A case worker can open nothing of the roster.
    assert client.get(f"/n/{world['network'].id}/members").status_code == 403


def test_trainer_home_page_shows_no_reports(world, client, login):
    make_report(world["member"], urgency="now")
    login(client, world["trainer"])
    html = client.get(f"/n/{world['network'].id}/").get_data(as_text=True)
    assert "気づき報告" not in html
    login(client, world["secretariat"])
    html = client.get(f"/n/{world['network'].id}/").get_data(as_text=True)
    assert "気づき報告を開く" in html and "構成団体" in html


def test_staff_invitation_offers_the_case_worker_role(world, client, login):
    login(client, world["secretariat"])
    html = client.get(f"/n/{world['network'].id}/staff/new").get_data(as_text=True)
    assert "相談員：気づき報告の確認と対応だけ" in html
    assert 'value="case_worker"' in html


# --- retention --------------------------------------------------------------------------------


def _aged(world, days: int, **values) -> ConcernReport:
    closed = utcnow() - timedelta(days=days)
    report = make_report(
        world["member"], status="closed", closed_at=closed, other_sign="玄関に段ボール", **values
    )
    report.connected_to, report.outcome = "police", "警察が訪問"
    db.session.add(
        ConcernMessage(report_id=report.id, template="call_police", body="110番してください")
    )
    db.session.commit()
    return report


def test_purge_empties_personal_data_of_reports_closed_long_ago(world):
    old = _aged(world, 366, urgency="now")
    recent = _aged(world, 10)
    still_open = make_report(world["member"], received_at=utcnow() - timedelta(days=800))
    n = retention.purge_expired(db.session, now=utcnow(), days=365)
    assert n == 1
    db.session.expire_all()
    for name in retention.PERSONAL_FIELDS:
        assert getattr(old, name) == "", name
    assert [m.body for m in old.messages] == [""]
    assert [m.template for m in old.messages] == ["call_police"]
    assert old.personal_data_deleted_at is not None
    assert (old.urgency, old.consent, old.connected_to, old.status) == (
        "now",
        "refused",
        "police",
        "closed",
    )
    assert [s.sign for s in old.signs] == ["unfamiliar_traders"] and old.number == 1
    assert recent.person_name == "見守 花子" and recent.messages[0].body == "110番してください"
    assert still_open.details and still_open.personal_data_deleted_at is None
    (event,) = events("concern.purge")
    assert (event.actor_user_id, event.network_id, event.details) == (
        None,
        world["network"].id,
        {"reports": 1},
    )
    # Again: nothing left to delete, and no second event.
    assert retention.purge_expired(db.session, now=utcnow(), days=365) == 0
    assert len(events("concern.purge")) == 1


def test_the_purge_command(world, app):
    _aged(world, 400)
    result = app.test_cli_runner().invoke(args=["concerns", "purge"])
    assert result.exit_code == 0, result.output
    assert "1件の個人情報を削除しました" in result.output


def test_opening_the_inbox_purges_that_network(world, client, login):
    old = _aged(world, 400)
    login(client, world["secretariat"])
    assert client.get(url(world["network"])).status_code == 200
    assert old.person_name == "" and old.personal_data_deleted_at is not None
    html = client.get(url(world["network"]) + "?tab=closed").get_data(as_text=True)
    assert "個人情報は削除済み" in html
    html = client.get(url(world["network"], str(old.id))).get_data(as_text=True)
    assert "個人情報" in html and "見守 花子" not in html


# --- the notification address -----------------------------------------------------------------


def test_notification_address_on_the_settings_page(world, client, login):
    network = world["network"]
    login(client, world["secretariat"])
    page = f"/n/{network.id}/settings/"
    assert "気づき報告の通知先メールアドレス" in client.get(page).get_data(as_text=True)
    response = client.post(page, data={"concern_notify_email": "not-an-address"})
    assert "メールアドレスの形式が正しくありません。" in response.get_data(as_text=True)
    assert network.concern_notify_email == ""
    response = client.post(page, data={"concern_notify_email": "jimukyoku@example.jp"})
    assert response.status_code == 302
    assert network.concern_notify_email == "jimukyoku@example.jp"
    (event,) = events("network.settings_update")
    assert event.details["changes"]["concern_notify_email"] == ["", "jimukyoku@example.jp"]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "status": "x" * 5000,
            "template": "\x00",
            "body": "\u202e" * 3,
            "connected_to": "police\n",
        },
        {"template": ["bogus", "handled"], "connected_to": ["nowhere", "police"]},
        {"body": "あ" * 100_000, "outcome": "い" * 100_000},
    ],
)
def test_hostile_input_is_refused_without_an_error_page(world, client, login, data):
    report = make_report(world["member"])
    login(client, world["case_worker"])
    for action in ("status", "instruct", "connect"):
        response = client.post(url(world["network"], f"{report.id}/{action}"), data=data)
        assert response.status_code in {200, 302}, (action, response.status_code)
    for query in ("?tab=closed&page=999999", "?page=-1", "?tab=%00"):
        assert client.get(url(world["network"]) + query).status_code == 200
    assert report.status == "new" and report.messages == [] and report.connected_to == ""


def test_the_report_page_says_whether_the_notice_was_mailed(
    app, client, login, make_network, make_user, make_member
):
    """A report through the form queues the secretariat's notice (mail not set up here): the
    report's page says it waits, and why."""
    from tests.concerns.helpers import make_report as submitted

    network = make_network()
    network.concern_notify_email = "jimukyoku@example.jp"
    db.session.commit()
    report = submitted(make_member(network))
    login(client, make_user(network, Role.SECRETARIAT))
    page = client.get(f"/n/{network.id}/concerns/{report.id}").get_data(as_text=True)
    assert "事務局への通知：送信待ち（メール未設定）" in page
