"""Completion (受講状況): status counts against members put in each status through the services,
the drill-down, the not-started list, the members export, and who may see them."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.certificates.helpers import make_certificate
from tests.quizzes.helpers import load_repository_content, take
from trainer.accounts import roster
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.certificates import service as certificates
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.learning import service as learning
from trainer.learning.models import Course
from trainer.quizzes.models import Attempt, QuizQuestion
from trainer.secretariat import completion
from trainer.secretariat.exports import members as members_export
from trainer.timeutil import today_jst, utcnow


def read_one_module(member, course):
    module = learning.active_modules(course)[0]
    page = learning.module_page(db.session, member, course.slug, module.slug)
    learning.mark_read(db.session, member, page)


def certificate_until(member, course, valid_until: date):
    certificate = make_certificate(member, course)
    certificate.valid_until = valid_until
    db.session.commit()
    return certificate


def failed_post_without_reading(member, course):
    """A post-test sat in a workshop (no module read), not passed."""
    db.session.add(
        Attempt(
            member_id=member.id,
            course_id=course.id,
            phase="post",
            status="submitted",
            idempotency_key=uuid.uuid4().hex,
            question_ids=[],
            score=3,
            max_score=10,
            passed=False,
            submitted_at=utcnow(),
        )
    )
    db.session.commit()


@pytest.fixture
def world(app, make_network, make_org, make_member, make_user):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    today = today_jst()
    network = make_network()
    home = make_org(network, name="みどり信用金庫", kind="financial")
    coop = make_org(network, name="みどり生協", kind="coop_delivery")
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    m = {}

    def member(key, org, **kw):
        m[key] = make_member(network, org, name=f"{key}さん", kana=f"{key}", **kw)
        return m[key]

    member("a", home)  # nothing
    take(member("b", home), course, "pre", right=everything)  # pre only (100 %)
    read_one_module(member("c", home), course)  # reading
    take(member("d", home), course, "post", right=set())  # failed post
    failed_post_without_reading(member("d2", home), course)
    take(member("e", home), course, "pre", right=set())
    take(m["e"], course, "post", right=everything)  # passed: a certificate for 24 months
    certificate_until(member("f", home), course, today + timedelta(days=30))  # expiring
    certificate_until(member("g", home), course, today - timedelta(days=1))  # expired
    revoked = make_certificate(member("h", home), course)
    certificates.revoke(db.session, certificate=revoked, reason="誤って発行", actor=None)
    # One revoked and one valid certificate: the valid one counts.
    old = make_certificate(member("i", home), course)
    certificates.revoke(db.session, certificate=old, reason="再発行のため", actor=None)
    make_certificate(m["i"], course)
    # Not counted: an ended membership (with a certificate), a membership not started yet.
    ended = member("j", home)
    make_certificate(ended, course)
    roster.end_membership(
        db.session, member=ended, end_date=today, reason="退職", actor=None
    )  # the end date is the first day no longer a member
    member("k", home, start=today + timedelta(days=1))
    # Passed in a workshop under a typed name nobody confirmed: 確認待ち, not 修了.
    pending = make_certificate(member("p", home), course)
    pending.awaiting_confirmation = True
    # An entry awaiting the secretariat's review (not on the roster): not counted at all.
    walk_in = make_certificate(member("q", home), course)
    walk_in.member.needs_review = True
    db.session.commit()

    member("l", coop)
    take(m["l"], course, "pre", right=set())  # pre only (0 %)
    member("n", coop)  # nothing
    certificate_until(member("o90", coop), course, today + timedelta(days=90))  # expiring
    certificate_until(member("o0", coop), course, today)  # the last valid day: expiring
    certificate_until(member("o91", coop), course, today + timedelta(days=91))  # valid

    # Another network: never counted.
    elsewhere = make_network()
    stranger = make_member(elsewhere, make_org(elsewhere, kind="financial"), name="よその人")
    take(stranger, course, "pre", right=everything)
    make_certificate(stranger, course)
    return {
        "course": course,
        "network": network,
        "home": home,
        "coop": coop,
        "m": m,
        "secretariat": make_user(network, Role.SECRETARIAT),
        "trainer": make_user(network, Role.TRAINER),
        "outsider": make_user(elsewhere, Role.SECRETARIAT),
        "elsewhere": elsewhere,
    }


HOME = {
    "not_started": {"a"},
    "pre_done": {"b"},
    "learning": {"c", "d", "d2"},
    "pending": {"p"},
    "valid": {"e", "i"},
    "expiring": {"f"},
    "lapsed": {"g", "h"},
}
COOP = {
    "not_started": {"n"},
    "pre_done": {"l"},
    "learning": set(),
    "pending": set(),
    "valid": {"o91"},
    "expiring": {"o90", "o0"},
    "lapsed": set(),
}


def url(world, path: str = "", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/n/{world['network'].id}/completion/{path}" + (f"?{query}" if query else "")


def names_on(page: str) -> set[str]:
    """The members listed on a page (their names link to the member page)."""
    return set(re.findall(r'/members/\d+">([^<]+)さん</a>', page))


# --- counting --------------------------------------------------------------------------------


def test_status_counts_per_organisation(world):
    table = completion.table(db.session, network_id=world["network"].id, course=world["course"])
    rows = {row.organisation.name: row for row in table.rows}
    assert set(rows) == {"みどり信用金庫", "みどり生協"}
    for name, expected in (("みどり信用金庫", HOME), ("みどり生協", COOP)):
        row = rows[name]
        assert {s: row.count(s) for s in completion.STATUSES} == {
            s: len(v) for s, v in expected.items()
        }
    home = rows["みどり信用金庫"]
    # j (ended), k (not started yet) and q (awaiting review, off the roster) are not counted
    assert home.members == 11
    assert home.count("completed") == 5  # p's pending certificate is not a completion
    assert home.rate("completed") == 45 and home.rate("learning") == 27
    assert table.total.members == 16
    assert table.total.count("expiring") == 3 and table.total.count("completed") == 8


def test_summary_is_the_network_total(world):
    summary = completion.summary(db.session, world["network"].id, world["course"])
    assert summary.members == 16
    assert summary.count("not_started") == 2 and summary.rate("not_started") == 12
    assert summary.count("completed") == 8 and summary.rate("completed") == 50
    assert summary.count("pending") == 1


def test_kind_filter_keeps_only_that_kind(world):
    table = completion.table(
        db.session, network_id=world["network"].id, course=world["course"], kind="coop_delivery"
    )
    assert [row.organisation.name for row in table.rows] == ["みどり生協"]
    assert table.total.members == 5 and table.total.count("valid") == 1


def test_completion_page_shows_counts_rates_and_drill_down_links(world, client, login):
    login(client, world["secretariat"])
    response = client.get(url(world))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "みどり信用金庫" in page and "金融機関" in page and "生協・宅配事業者" in page
    home, course = world["home"].id, world["course"].id
    # 学習中 in the credit union: 3 of 11, linked to exactly those people.
    link = f"/completion/members?course={course}&amp;organisation={home}&amp;status=learning"
    assert re.search(re.escape(link) + r'">3</a><small>27%</small>', page)
    # 確認待ち: its own column, not part of 修了.
    link = f"/completion/members?course={course}&amp;organisation={home}&amp;status=pending"
    assert re.search(re.escape(link) + r'">1</a><small>9%</small>', page)
    assert "本人確認（講師・事務局）がまだの人" in page
    # The total row: 8 of 16 completed (50 %), linked without an organisation.
    assert re.search(r'status=completed">8</a><small>50%</small>', page)
    assert "見出しの意味" in page and "90日以内に有効期限が来る人" in page
    assert "在籍者 <strong>16人</strong>" in page


def test_completion_page_kind_filter(world, client, login):
    login(client, world["secretariat"])
    page = client.get(url(world, kind="coop_delivery")).get_data(as_text=True)
    table = page.split("<table", 1)[1]
    assert "みどり生協" in table and "みどり信用金庫" not in table


@pytest.mark.parametrize("status", list(completion.STATUSES))
def test_drill_down_lists_exactly_the_members_in_a_status(world, client, login, status):
    login(client, world["secretariat"])
    home = world["home"].id
    page = client.get(
        url(world, "members", course=world["course"].id, organisation=home, status=status)
    ).get_data(as_text=True)
    assert names_on(page) == HOME[status]
    assert f"{len(HOME[status])}人" in page


def test_drill_down_completed_over_a_kind_and_certificate_shown(world, client, login):
    login(client, world["secretariat"])
    page = client.get(url(world, "members", kind="coop_delivery", status="completed")).get_data(
        as_text=True
    )
    assert names_on(page) == {"o90", "o0", "o91"}
    assert f"{(today_jst() + timedelta(days=91)).year}年" in page
    assert "第000" in page  # the certificate's number


def test_drill_down_shows_last_activity_and_paginates(world, client, login, app):
    app.config["MEMBERS_PER_PAGE"] = 4
    login(client, world["secretariat"])
    first = client.get(url(world, "members", status="all")).get_data(as_text=True)
    second = client.get(url(world, "members", status="all", page=2)).get_data(as_text=True)
    assert "16人" in first and "1 / 4 ページ" in first
    assert len(names_on(first)) == 4 and names_on(first).isdisjoint(names_on(second))
    today = today_jst()
    assert f"{today.year}年{today.month}月{today.day}日" in first


def test_not_started_list(world, client, login):
    login(client, world["secretariat"])
    page = client.get(url(world, "not-started")).get_data(as_text=True)
    assert names_on(page) == {"a", "n"}
    assert "QRシートのPDFを作る（2人" in page
    page = client.get(url(world, "not-started", organisation=world["coop"].id)).get_data(
        as_text=True
    )
    assert names_on(page) == {"n"}


# --- the members export ------------------------------------------------------------------------


def expected_rows(world) -> dict[str, list[str]]:
    """Some rows worked out by hand (CSV text)."""
    m, today = world["m"], today_jst()
    return {
        "bさん": [str(m["b"].id), "みどり信用金庫", "金融機関", "bさん", "b", "無回答", "無回答",
                 "2025-04-01", "事前テスト済", "100", "", "", ""],
        "lさん": [str(m["l"].id), "みどり生協", "生協・宅配事業者", "lさん", "l", "無回答",
                 "無回答", "2025-04-01", "事前テスト済", "0", "", "", ""],
        "o90さん": [str(m["o90"].id), "みどり生協", "生協・宅配事業者", "o90さん", "o90",
                   "無回答", "無回答", "2025-04-01", "90日以内に期限切れ", "", "", "",
                   (today + timedelta(days=90)).isoformat()],
    }  # fmt: skip


def test_csv_export_reads_back(world, client, login):
    login(client, world["secretariat"])
    response = client.get(url(world, "export.csv"))
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == list(members_export.EXPORT_HEADER)
    by_name = {row[3]: row for row in rows[1:]}
    counted = set().union(*HOME.values(), *COOP.values())
    assert len(rows) == 17 and set(by_name) == {f"{k}さん" for k in counted}
    for name, expected in expected_rows(world).items():
        expected[11] = by_name[name][11]  # serials follow the order certificates were issued in
        assert by_name[name] == expected
    e = by_name["eさん"]
    assert (e[8], e[9], e[10]) == ("修了証有効", "0", "100")
    assert re.fullmatch(r"第\d{5}号", e[11])
    assert by_name["dさん"][8:11] == ["学習中", "", "0"]
    assert by_name["hさん"][8] == "失効" and by_name["hさん"][11]  # the revoked one is shown
    assert by_name["iさん"][8] == "修了証有効"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.members"))
    event = event.one()
    assert event.details == {"format": "csv", "rows": 16, "course": world["course"].title}
    assert event.network_id == world["network"].id


def test_xlsx_export_with_filters_reads_back(world, client, login):
    login(client, world["secretariat"])
    response = client.get(url(world, "export.xlsx", kind="coop_delivery", status="completed"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == members_export.EXPORT_HEADER
    by_name = {row[3]: row for row in rows[1:]}
    assert set(by_name) == {"o90さん", "o0さん", "o91さん"}
    o91 = by_name["o91さん"]
    assert o91[0] == world["m"]["o91"].id and o91[8] == "修了証有効"
    assert o91[7].date() == date(2025, 4, 1)
    assert o91[12].date() == today_jst() + timedelta(days=91)
    assert o91[9] is None and o91[10] is None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.members"))
    assert event.one().details["format"] == "xlsx"


def test_export_of_unknown_format_is_not_found(world, client, login):
    login(client, world["secretariat"])
    assert client.get(url(world, "export.pdf")).status_code == 404
    with pytest.raises(DomainError, match="CSV か Excel"):
        members_export.export_members(
            db.session,
            network_id=world["network"].id,
            course=world["course"],
            filters=completion.Filters(),
            fmt="pdf",
            actor=world["secretariat"],
        )
    exported = select(AuditEvent).where(AuditEvent.action == "export.members")
    assert db.session.scalars(exported).all() == []


# --- access and bad input ----------------------------------------------------------------------

PAGES = ["", "members", "not-started", "export.csv", "export.xlsx"]


@pytest.mark.parametrize("path", PAGES)
def test_trainer_is_forbidden(world, client, login, path):
    login(client, world["trainer"])
    assert client.get(url(world, path)).status_code == 403


def test_trainer_cannot_print_the_sheet(world, client, login):
    login(client, world["trainer"])
    response = client.post(url(world, "not-started/sheet.pdf"), data={"organisation": "0"})
    assert response.status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_other_network_gets_404(world, client, login, path):
    login(client, world["outsider"])
    assert client.get(url(world, path)).status_code == 404


def test_another_networks_organisation_is_not_found(world, client, login):
    login(client, world["secretariat"])
    stranger_org = roster.organisations(db.session, world["elsewhere"].id)[0]
    response = client.get(url(world, "members", organisation=stranger_org.id))
    assert response.status_code == 404
    response = client.get(url(world, "export.csv", organisation=stranger_org.id))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "bakery"}, "種別を一覧から選んでください"),
        ({"status": "done"}, "受講状況を一覧から選んでください"),
    ],
)
def test_bad_filters_get_a_japanese_message(world, client, login, params, message):
    login(client, world["secretariat"])
    for path in ("", "members", "export.csv"):
        response = client.get(url(world, path, **params))
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.members")).all()
        == []
    )


def test_unknown_course_is_not_found(world, client, login):
    login(client, world["secretariat"])
    assert client.get(url(world, course=999_999)).status_code == 404


def test_dashboard_shows_the_completion_summary_to_the_secretariat_only(
    client, make_network, make_user, make_org, make_member, login
):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    network = make_network()
    org = make_org(network)
    done, _waiting, _idle = (make_member(network, org) for _ in range(3))
    make_certificate(done, course)
    secretariat = make_user(network)
    login(client, secretariat)
    page = client.get(f"/n/{network.id}/").get_data(as_text=True)
    assert "修了した構成員" in page
    assert re.search(r"33<small>%</small>", page)
    text = re.sub(r"<[^>]+>", "", page)
    assert "修了 1人 ／ 在籍 3人" in text and "未受講 2人" in text

    trainer_client = client.application.test_client()
    login(trainer_client, make_user(network, Role.TRAINER))
    assert "修了した構成員" not in trainer_client.get(f"/n/{network.id}/").get_data(as_text=True)
