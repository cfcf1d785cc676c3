"""The figures for the council (気づき報告の集計): every figure checked against a plain count in
Python over the same rows, the page, the print view, the downloads (no personal data), the audit
event, bad periods and who may see them."""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from trainer.accounts.models import ORGANISATION_KIND_LABELS, OrganisationKind, Role
from trainer.audit.models import AuditEvent
from trainer.concerns import figures, figures_export
from trainer.concerns.models import ConcernReport, ConcernSign
from trainer.concerns.vocabulary import SIGN_LABELS, ConcernStatus, ConnectedTo, Consent, Urgency
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.timeutil import to_jst

PERSONAL = ("山田花子", "090-1234-5678", "みどり町三丁目", "玄関先に業者が何度も", "構成員 甲野")


def _report(network, member, org, number, received_at, signs, **fields) -> ConcernReport:
    report = ConcernReport(
        network_id=network.id,
        number=number,
        member_id=member.id,
        organisation_id=org.id,
        organisation_kind=org.kind,
        via="badge",
        received_at=received_at,
        noticed_on=received_at.date(),
        urgency=fields.pop("urgency", Urgency.NORMAL.value),
        consent=fields.pop("consent", Consent.GIVEN.value),
        **fields,
    )
    report.signs = [ConcernSign(sign=s) for s in signs]
    db.session.add(report)
    return report


@pytest.fixture
def world(make_network, make_org, make_member):
    """A network with 9 reports from February to April 2026 (one at 2026-03-31 15:30 UTC, which
    is 4月1日 in Japan), one the month before and one after the period, and another network's
    reports that must never count. Personal fields are filled, so the exports can show they are
    left out."""
    network = make_network("みどり市消費者安全確保地域協議会")
    orgs = {
        kind: make_org(network, name=f"{kind.label}みどり", kind=kind.value)
        for kind in (
            OrganisationKind.CARE_MANAGEMENT,
            OrganisationKind.FINANCIAL,
            OrganisationKind.COOP_DELIVERY,
        )
    }
    members = {kind: make_member(network, org, name=PERSONAL[4]) for kind, org in orgs.items()}
    care, bank, coop = orgs
    personal = {
        "person_name": PERSONAL[0],
        "person_contact": PERSONAL[1],
        "area": PERSONAL[2],
        "details": PERSONAL[3],
        "other_sign": "庭に知らない車",
        "consent_reason": "本人が話せる状態ではなかった",
        "outcome": "センターが訪問した",
    }
    rows = [
        # (kind, received UTC, signs, hours to the first instruction or None, extra fields)
        (care, datetime(2026, 2, 3, 1, 0), ["unfamiliar_traders", "costly_work"], 2.0, {}),
        (bank, datetime(2026, 2, 27, 23, 0), ["atm"], 30.0, {"urgency": "now"}),
        (bank, datetime(2026, 3, 10, 5, 0), ["atm", "money_trouble", "other"], 5.5, {}),
        (coop, datetime(2026, 3, 31, 14, 59), ["deliveries"], None, {"consent": "refused"}),
        (coop, datetime(2026, 3, 31, 15, 30), ["deliveries", "judgement"], 24.0, {}),
        (care, datetime(2026, 4, 2, 0, 0), ["suspicious_calls"], None, {"urgency": "soon"}),
        (
            care,
            datetime(2026, 4, 20, 8, 0),
            ["unfamiliar_traders"],
            1.0,
            {"consent": "unconfirmed"},
        ),
        (bank, datetime(2026, 4, 30, 14, 59), ["prepaid", "told_secret"], 48.0, {}),
        (coop, datetime(2026, 1, 31, 15, 0), ["bills"], 3.0, {}),  # 2月1日 JST: in the period
        (care, datetime(2026, 1, 31, 14, 59), ["bills"], 1.0, {}),  # 1月31日 JST: before it
        (care, datetime(2026, 4, 30, 15, 0), ["bills"], 1.0, {}),  # 5月1日 JST: after it
    ]
    connected = ["consumer_centre", "police", "", "community_support", "", "none", "other", ""]
    statuses = ["closed", "instructed", "instructed", "new", "instructed", "in_review"]
    reports = []
    for number, (kind, received, signs, hours, extra) in enumerate(rows, start=1):
        instructed = received + timedelta(hours=hours) if hours is not None else None
        status = statuses[(number - 1) % len(statuses)]
        if instructed is None:
            status = "new" if number % 2 else "in_review"
        reports.append(
            _report(
                network,
                members[kind],
                orgs[kind],
                number,
                received,
                signs,
                first_instruction_at=instructed,
                connected_to=connected[(number - 1) % len(connected)],
                status=status,
                **personal,
                **extra,
            )
        )
    other = make_network("よそ市協議会")
    other_org = make_org(other, kind=OrganisationKind.POLICE.value)
    other_member = make_member(other, other_org)
    for number in range(1, 4):
        _report(
            other,
            other_member,
            other_org,
            number,
            datetime(2026, 3, 15, 3, 0),
            ["atm", "prepaid"],
            first_instruction_at=datetime(2026, 3, 15, 4, 0),
            connected_to="police",
            urgency="now",
        )
    db.session.commit()
    period = figures.Period(date(2026, 2, 1), date(2026, 4, 1))
    return network, other, period, reports


def _in_period(reports: list[ConcernReport], period: figures.Period) -> list[ConcernReport]:
    """The plain count's own idea of the period: the Japan date of each report."""
    start, end = period.first, figures._add_months(period.last, 1)
    return [r for r in reports if start <= to_jst(r.received_at).date() < end]


def _table(result: figures.Figures, key: str) -> dict[str, int]:
    return dict(next(t for t in result.tables if t.key == key).rows)


def test_every_figure_matches_a_plain_count(world):
    network, _other, period, reports = world
    result = figures.build_figures(db.session, network.id, period)
    mine = _in_period(reports, period)
    assert len(mine) == 9 and result.total == 9

    months = Counter(f"{to_jst(r.received_at).year}年{to_jst(r.received_at).month}月" for r in mine)
    assert _table(result, "months") == {"2026年2月": 3, "2026年3月": 2, "2026年4月": 4}
    assert _table(result, "months") == dict(months)

    kinds = Counter(OrganisationKind(r.organisation_kind).label for r in mine)
    by_kind = _table(result, "kinds")
    assert set(by_kind) == set(ORGANISATION_KIND_LABELS.values())  # zeros included
    assert {k: v for k, v in by_kind.items() if v} == dict(kinds)

    signs = Counter(SIGN_LABELS[s.sign] for r in mine for s in r.signs)
    by_sign = _table(result, "signs")
    assert {k: v for k, v in by_sign.items() if v} == dict(signs)
    assert sum(by_sign.values()) == sum(len(r.signs) for r in mine) > len(mine)

    for key, enum, attribute in (
        ("urgency", Urgency, "urgency"),
        ("consent", Consent, "consent"),
        ("status", ConcernStatus, "status"),
    ):
        plain = Counter(enum(getattr(r, attribute)).label for r in mine)
        table = _table(result, key)
        assert set(table) == {item.label for item in enum}, key
        assert {k: v for k, v in table.items() if v} == dict(plain), key

    connected = Counter(
        ConnectedTo(r.connected_to).label if r.connected_to else "未記録" for r in mine
    )
    by_place = _table(result, "connected")
    assert by_place["未記録"] == 3
    assert {k: v for k, v in by_place.items() if v} == dict(connected)

    hours = [
        (r.first_instruction_at - r.received_at).total_seconds() / 3600
        for r in mine
        if r.first_instruction_at is not None
    ]
    instruction = result.instruction
    assert instruction.instructed == len(hours) == 7
    assert instruction.median_hours == pytest.approx(statistics.median(hours)) == 5.5
    assert instruction.within == sum(1 for h in hours if h <= 24) == 5  # 24.0 h counts
    assert instruction.waiting == sum(1 for r in mine if r.first_instruction_at is None) == 2


def test_the_jst_month_boundary(world):
    network, _other, _period, _reports = world
    april = figures.build_figures(
        db.session, network.id, figures.Period(date(2026, 4, 1), date(2026, 4, 1))
    )
    # 2026-03-31 15:30 UTC is 4月1日 0:30 in Japan; 14:59 UTC is still 3月31日.
    assert april.total == 4
    march = figures.build_figures(
        db.session, network.id, figures.Period(date(2026, 3, 1), date(2026, 3, 1))
    )
    assert march.total == 2


def test_empty_period_has_every_month_and_no_median(world):
    network, _other, _period, _reports = world
    result = figures.build_figures(
        db.session, network.id, figures.Period(date(2025, 6, 1), date(2025, 8, 1))
    )
    assert _table(result, "months") == {"2025年6月": 0, "2025年7月": 0, "2025年8月": 0}
    assert result.total == 0 and result.instruction.median_hours is None
    assert figures.hours_label(None) == "—"


def test_period_parsing():
    today = date(2026, 12, 3)
    default = figures.parse_period("", "", today=today)
    assert (default.first, default.last) == (date(2026, 1, 1), date(2026, 12, 1))
    assert len(default.months) == 12
    assert figures.parse_period("2026/4", "2026年6月", today=today).args == {
        "from": "2026-04",
        "to": "2026-06",
    }
    only_from = figures.parse_period("2026-10", "", today=today)
    assert only_from.last == date(2026, 12, 1)  # not into months that have not come
    only_to = figures.parse_period("", "2026-03", today=today)
    assert only_to.first == date(2025, 4, 1)
    for raw_from, raw_to, field in (
        ("2026-13", "", "from"),
        ("abc", "", "from"),
        ("", "1999-12", "to"),
        ("2026-05", "2026-04", "to"),
        ("2020-01", "2026-01", "to"),  # 73 months
        ("２０２６－０４", "9" * 40, "to"),
    ):
        with pytest.raises(DomainError) as caught:
            figures.parse_period(raw_from, raw_to, today=today)
        assert caught.value.field == field, (raw_from, raw_to)


def test_the_page_shows_the_figures(world, client, make_user, login):
    network, _other, _period, _reports = world
    login(client, make_user(network, Role.CASE_WORKER))
    response = client.get(f"/n/{network.id}/concerns/figures/?from=2026-02&to=2026-04")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "報告数：<strong>9件</strong>" in html
    assert "2026年2月〜2026年4月" in html
    assert figures.SIGNS_NOTE in html
    assert re.search(r'<th scope="row">2026年4月</th>\s*<td>4</td>', html)
    assert re.search(r'<th scope="row">未記録</th>\s*<td>3</td>', html)
    assert re.search(r"合計（のべ）</th>\s*<td>14</td>", html)  # 14 signs ticked in 9 reports
    assert "5.5時間" in html
    for text in PERSONAL:
        assert text not in html


def test_the_print_view(world, client, make_user, login):
    network, _other, _period, _reports = world
    login(client, make_user(network))
    response = client.get(f"/n/{network.id}/concerns/figures/print?from=2026-02&to=2026-04")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert network.name in html and "作成日：" in html and "報告数：<strong>9件</strong>" in html
    assert "最初の指示までの時間" in html


@pytest.mark.parametrize(
    "query",
    ["from=2026-13", "to=abc", "from=2026-05&to=2026-04", "from=1900-01", "to=" + "9" * 500],
)
@pytest.mark.parametrize("path", ["", "print", "figures.csv", "figures.xlsx"])
def test_a_bad_period_is_a_japanese_message(world, client, make_user, login, path, query):
    network, _other, _period, _reports = world
    login(client, make_user(network, Role.CASE_WORKER))
    response = client.get(f"/n/{network.id}/concerns/figures/{path}?{query}")
    assert response.status_code == 400
    assert "期間に誤りがあります" in response.get_data(as_text=True)
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concern.export")) is None
    )


def _csv_rows(data: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_one_row_per_report_and_no_personal_data(world, client, make_user, login):
    network, _other, period, reports = world
    user = make_user(network, Role.CASE_WORKER)
    login(client, user)
    response = client.get(f"/n/{network.id}/concerns/figures/figures.csv?from=2026-02&to=2026-04")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "concern-figures" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    assert tuple(rows[0]) == figures_export.EXPORT_HEADER
    mine = sorted(_in_period(reports, period), key=lambda r: r.received_at)
    assert [row[0] for row in rows[1:]] == [f"{r.number:05d}" for r in mine]
    by_number = {row[0]: row for row in rows[1:]}
    boundary = by_number["00005"]  # 2026-03-31 15:30 UTC
    assert boundary[1] == "2026-04"
    assert boundary[2] == "生協・宅配事業者"
    assert boundary[3] == "・".join(SIGN_LABELS[s] for s in ("deliveries", "judgement"))
    assert boundary[8] == "24.0"
    assert by_number["00004"][8] == "" and by_number["00004"][5] == "同意なし"
    assert by_number["00003"][7] == "未記録"
    assert by_number["00003"][3].endswith("・その他")
    text = response.data.decode("utf-8-sig")
    for personal in (*PERSONAL, "庭に知らない車", "本人が話せる状態", "センターが訪問"):
        assert personal not in text
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "concern.export")
    ).all()
    assert len(events) == 1
    event = events[0]
    assert event.details == {"format": "csv", "rows": 9, "period": "2026年2月〜2026年4月"}
    assert event.network_id == network.id and event.actor_user_id == user.id


def test_xlsx_has_the_same_rows_and_a_sheet_per_table(world, client, make_user, login):
    network, _other, _period, _reports = world
    login(client, make_user(network))
    query = "from=2026-02&to=2026-04"
    csv_rows = _csv_rows(client.get(f"/n/{network.id}/concerns/figures/figures.csv?{query}").data)
    response = client.get(f"/n/{network.id}/concerns/figures/figures.xlsx?{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "報告ごと"
    assert len(book.sheetnames) == 9  # the reports, 7 count tables, the instruction times
    sheet = book["報告ごと"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == csv_rows[0]
    for cells, csv_row in zip(values[1:], csv_rows[1:], strict=True):
        hours = cells.pop()  # a number in the xlsx (3.0 is stored as 3), text in the CSV
        assert ["" if v is None else str(v) for v in cells] == csv_row[:-1]
        assert hours == (float(csv_row[-1]) if csv_row[-1] else None)
    months = [row for row in book["月ごとの報告数"].iter_rows(values_only=True)][2:]
    assert months == [("2026年2月", 3), ("2026年3月", 2), ("2026年4月", 4), ("合計", 9)]
    everything = " ".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )
    for personal in PERSONAL:
        assert personal not in everything
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "concern.export"))
    assert [e.details["format"] for e in event] == ["csv", "xlsx"]


def test_another_networks_reports_never_count(world):
    _network, other, period, _reports = world
    result = figures.build_figures(db.session, other.id, period)
    assert result.total == 3 and _table(result, "signs")[SIGN_LABELS["atm"]] == 3


@pytest.mark.parametrize("path", ["", "print", "figures.csv", "figures.xlsx"])
def test_trainers_are_refused_and_outsiders_get_404(world, client, make_user, login, path):
    network, other, _period, _reports = world
    login(client, make_user(network, Role.TRAINER))
    assert client.get(f"/n/{network.id}/concerns/figures/{path}").status_code == 403
    login(client, make_user(other, Role.SECRETARIAT))
    assert client.get(f"/n/{network.id}/concerns/figures/{path}").status_code == 404


def test_default_period_is_the_last_twelve_months(world, client, make_user, login):
    network, _other, _period, _reports = world
    login(client, make_user(network, Role.CASE_WORKER))
    response = client.get(f"/n/{network.id}/concerns/figures/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<th scope="row">20') >= 12  # a row for each of the 12 months
