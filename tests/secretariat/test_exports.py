"""The certificates and answers exports, read back with csv and openpyxl and compared with what is
stored, against a small network made by hand."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.quizzes.helpers import load_repository_content, set_local_facts, take
from trainer.accounts.models import Network, Role
from trainer.audit.models import AuditEvent
from trainer.certificates import service as certificates
from trainer.certificates.models import Certificate
from trainer.content.placeholders import fill_text
from trainer.content.quizzes import LIKERT_SCALES
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.quizzes import attempts as quizzes
from trainer.quizzes.models import Answer, Attempt, QuizQuestion
from trainer.secretariat.exports import answers
from trainer.secretariat.exports import certificates as certificate_export
from trainer.tables import XLSX
from trainer.timeutil import today_jst

BOM = b"\xef\xbb\xbf"


def jst(year, month, day, hour, minute) -> datetime:
    """A Japanese wall-clock time as the naive UTC the columns store."""
    return datetime(year, month, day, hour, minute) - timedelta(hours=9)


def asked_per_test() -> int:
    """Questions one test asks (a form's, then the survey's): the forms have as many."""
    return len(db.session.scalars(select(Attempt.question_ids)).first())


@pytest.fixture
def world(app, make_network, make_org, make_member, make_user):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    network = make_network()
    set_local_facts(network)  # no question withheld: every test asks the whole bank
    network.consumer_centre_name = "みどり市消費生活センター"
    bank = make_org(network, name="みどり信用金庫", kind="financial")
    coop = make_org(network, name="あおば生協", kind="coop_delivery")
    valid = make_member(network, bank, name="佐藤 花子", kana="さとう はなこ")
    revoked = make_member(network, bank, name="=HYPERLINK(1)", kana="いこーる")
    expired = make_member(network, coop, name="鈴木 一郎", kana="すずき いちろう")
    pre_only = make_member(network, coop, name="田中 次郎")
    everything = {q.key for q in db.session.scalars(select(QuizQuestion))}
    first = take(valid, course, "pre", right=everything - {"where-188"}, likert=2)
    take(valid, course, "post", right=everything, likert=5)
    take(revoked, course, "pre", right=set())
    take(revoked, course, "post", right=everything)
    take(expired, course, "post", right=everything)
    late = take(pre_only, course, "pre", right=everything)
    take(pre_only, course, "post", right=set(), submit=False)  # open: never exported
    # Submission times on both sides of a Japanese midnight, for the date filter.
    first.submitted_at = jst(2026, 1, 10, 0, 30)  # 2026-01-09 15:30 UTC
    late.submitted_at = jst(2026, 1, 9, 23, 30)
    certs = {
        c.member_id: c
        for c in db.session.scalars(select(Certificate).where(Certificate.network_id == network.id))
    }
    certs[expired.id].valid_until = today_jst() - timedelta(days=1)
    db.session.commit()
    secretariat = make_user(network, Role.SECRETARIAT)
    certificates.revoke(
        db.session, certificate=certs[revoked.id], reason="本人の申し出", actor=secretariat
    )
    # Another network's learner and certificate never show up.
    stranger = make_member(make_network(), name="よその人")
    take(stranger, course, "post", right=everything)
    return {
        "course": course,
        "network": network,
        "bank": bank,
        "coop": coop,
        "members": {"valid": valid, "revoked": revoked, "expired": expired, "pre": pre_only},
        "certs": certs,
        "first": first,
        "late": late,
        "secretariat": secretariat,
        "url": f"/n/{network.id}/exports",
    }


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def read_xlsx(response) -> list[dict[str, object]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- the page ------------------------------------------------------------------------------------


def test_page_lists_the_downloads_with_filters(client, login, world):
    login(client, world["secretariat"])
    page = client.get(world["url"] + "/").get_data(as_text=True)
    assert "修了証の一覧" in page and "テストの回答" in page
    assert "いま 3件" in page  # three certificates of this network (not the stranger's)
    assert "いま 6件" in page  # submitted attempts: the open one and the stranger's are not
    assert "みどり信用金庫" in page and "あおば生協" in page
    assert f'action="/n/{world["network"].id}/exports/answers.csv"' in page
    assert 'formaction="/n/' in page and "answers.xlsx" in page
    network_id = world["network"].id
    assert f'href="/n/{network_id}/completion/export.csv"' in page
    assert f'href="/n/{network_id}/completion/export.xlsx"' in page
    assert "<script" not in page and "style=" not in page


# --- certificates --------------------------------------------------------------------------------


def test_certificates_csv_matches_what_is_stored(client, login, world):
    login(client, world["secretariat"])
    rows = read_csv(client.get(world["url"] + "/certificates.csv"))
    assert list(rows[0]) == list(certificate_export.CERTIFICATE_HEADER)
    stored = sorted(world["certs"].values(), key=lambda c: c.serial)
    assert [r["通し番号"] for r in rows] == [str(c.serial) for c in stored]
    by_member = {int(r["構成員番号"]): r for r in rows}
    valid = by_member[world["members"]["valid"].id]
    cert = world["certs"][world["members"]["valid"].id]
    assert valid["修了証番号"] == f"第{cert.serial:05d}号"
    assert (valid["氏名"], valid["ふりがな"], valid["構成団体"]) == (
        "佐藤 花子",
        "さとう はなこ",
        "みどり信用金庫",
    )
    assert valid["研修"] == world["course"].title
    assert valid["交付日"] == today_jst().isoformat()
    assert valid["有効期限"] == cert.valid_until.isoformat()
    assert valid["状況"] == "有効" and valid["取消日"] == "" and valid["取消理由"] == ""
    assert valid["確認用URL"] == f"{BASE_URL}/verify/{cert.token}"
    revoked = by_member[world["members"]["revoked"].id]
    assert revoked["状況"] == "取消" and revoked["取消理由"] == "本人の申し出"
    assert revoked["取消日"] == today_jst().isoformat()
    # A name typed as a formula stays text: Excel would otherwise run it.
    assert revoked["氏名"] == "'=HYPERLINK(1)"
    expired = by_member[world["members"]["expired"].id]
    assert expired["状況"] == "期限切れ"
    assert expired["有効期限"] == (today_jst() - timedelta(days=1)).isoformat()


def test_certificates_xlsx_has_the_same_rows(client, login, world):
    login(client, world["secretariat"])
    rows = read_xlsx(client.get(world["url"] + "/certificates.xlsx"))
    assert len(rows) == 3
    by_member = {r["構成員番号"]: r for r in rows}
    cert = world["certs"][world["members"]["expired"].id]
    row = by_member[world["members"]["expired"].id]
    assert row["修了証番号"] == cert.serial_label and row["通し番号"] == cert.serial
    assert row["有効期限"].date() == cert.valid_until  # a real date cell, not text
    assert row["状況"] == "期限切れ" and row["構成団体"] == "あおば生協"
    assert by_member[world["members"]["revoked"].id]["氏名"] == "'=HYPERLINK(1)"


def test_certificate_filters(client, login, world):
    login(client, world["secretariat"])
    url = world["url"] + "/certificates.csv"
    revoked = read_csv(client.get(url, query_string={"status": "revoked"}))
    assert [r["氏名"] for r in revoked] == ["'=HYPERLINK(1)"]
    coop = read_csv(client.get(url, query_string={"organisation": world["coop"].id}))
    assert [r["氏名"] for r in coop] == ["鈴木 一郎"]
    valid = read_csv(client.get(url, query_string={"status": "valid", "course": ""}))
    assert [r["氏名"] for r in valid] == ["佐藤 花子"]
    by_course = read_csv(client.get(url, query_string={"course": world["course"].id}))
    assert len(by_course) == 3


def test_certificates_export_is_logged_with_its_row_count(client, login, world):
    login(client, world["secretariat"])
    client.get(world["url"] + "/certificates.xlsx", query_string={"status": "expired"})
    (event,) = events("export.certificates")
    assert event.network_id == world["network"].id
    assert event.actor_user_id == world["secretariat"].id
    assert event.details == {"format": "xlsx", "rows": 1, "status": "期限切れ"}


def test_bad_certificate_filters_are_refused_and_not_logged(client, login, world, make_network):
    login(client, world["secretariat"])
    foreign = make_network()
    from trainer.accounts import roster

    other_org = roster.create_organisation(
        db.session, network_id=foreign.id, kind="other", name="よその団体", actor=None
    )
    for args in ({"organisation": other_org.id}, {"status": "bogus"}, {"course": "x"}):
        response = client.get(world["url"] + "/certificates.csv", query_string=args)
        assert response.status_code == 422
        assert "一覧から選んでください。" in response.get_data(as_text=True)
    assert events("export.certificates") == []


# --- answers -------------------------------------------------------------------------------------


def _stored_answer_count(network_id: int) -> int:
    from trainer.accounts.models import Member

    return len(
        db.session.scalars(
            select(Answer.id)
            .join(Attempt, Answer.attempt_id == Attempt.id)
            .join(Member, Attempt.member_id == Member.id)
            .where(Member.network_id == network_id, Attempt.status == "submitted")
        ).all()
    )


def test_answers_csv_has_one_row_per_answer_of_submitted_attempts(client, login, world):
    login(client, world["secretariat"])
    response = client.get(world["url"] + "/answers.csv")
    assert response.is_streamed
    rows = read_csv(response)
    assert list(rows[0]) == list(answers.ANSWER_HEADER)
    assert len(rows) == _stored_answer_count(world["network"].id) == 6 * asked_per_test()
    open_attempt = quizzes.open_attempt(
        db.session, world["members"]["pre"], world["course"], "post"
    )
    assert str(open_attempt.id) not in {r["受験番号"] for r in rows}
    assert "よその人" not in {r["氏名"] for r in rows}
    # Each attempt's answers in the order its questions were asked.
    first = world["first"]
    keys = [db.session.get(QuizQuestion, q).key for q in first.question_ids]
    assert [r["問題ID"] for r in rows if r["受験番号"] == str(first.id)] == keys


def test_answer_rows_show_what_the_learner_chose(client, login, world):
    login(client, world["secretariat"])
    rows = read_csv(client.get(world["url"] + "/answers.csv"))
    first = world["first"]
    mine = {r["問題ID"]: r for r in rows if r["受験番号"] == str(first.id)}
    member = world["members"]["valid"]
    row = mine["where-188"]
    assert (row["構成員番号"], row["氏名"], row["構成団体"]) == (
        str(member.id),
        "佐藤 花子",
        "みどり信用金庫",
    )
    assert (row["種別"], row["職種"], row["年代"]) == ("金融機関", "無回答", "無回答")
    assert (row["研修"], row["事前/事後"], row["研修会"]) == (world["course"].title, "事前", "")
    assert row["提出日時"] == "2026-01-10 00:30:00"  # Japan time
    questions = {
        q.key: q
        for q in db.session.scalars(
            select(QuizQuestion).where(QuizQuestion.id.in_(first.question_ids))
        )
    }
    where = questions["where-188"].body
    wrong = next(c["text"] for c in where["choices"] if not c["correct"])
    assert row["問題文"] == where["text"]
    assert (row["回答"], row["正誤"], row["得点（%）"]) == (wrong, "不正解", "0")
    who = questions["who-may-call"].body
    right = next(c["text"] for c in who["choices"] if c["correct"])
    assert (mine["who-may-call"]["回答"], mine["who-may-call"]["正誤"]) == (right, "正解")
    assert mine["who-may-call"]["得点（%）"] == "100"
    signs = questions["signs-in-home"].body
    ticked = "／".join(c["text"] for c in signs["choices"] if c["correct"])
    assert mine["signs-in-home"]["回答"] == ticked and mine["signs-in-home"]["正誤"] == "正解"
    cases = questions["centre-cases"].body["cases"]
    expected = "／".join(
        f"事例{n}:{'はい' if c['answer'] else 'いいえ'}" for n, c in enumerate(cases, start=1)
    )
    assert mine["centre-cases"]["回答"] == expected
    # The local centre's name, as the learner saw it, not the placeholder.
    centre = next(c for c in questions["our-centre"].body["choices"] if c["correct"])
    assert "{{" in centre["text"]
    facts = db.session.get(Network, world["network"].id).local_facts()
    assert mine["our-centre"]["回答"].startswith(fill_text(centre["text"], facts))
    survey = questions["heed-government"]
    assert mine["heed-government"]["回答"] == LIKERT_SCALES[survey.body["scale"]][1]
    assert (mine["heed-government"]["正誤"], mine["heed-government"]["得点（%）"]) == ("—", "")


def test_partly_right_answers(client, login, world, make_member):
    """A 事例 question with some cases right: 部分正解 and its share of the point."""
    login(client, world["secretariat"])
    attempt = take(
        make_member(world["network"], world["bank"]), world["course"], "pre", right=set()
    )
    question = next(
        q
        for q in (db.session.get(QuizQuestion, i) for i in attempt.question_ids)
        if q.key == "centre-cases"
    )
    cases = question.body["cases"]
    answer = db.session.scalar(
        select(Answer).where(Answer.attempt_id == attempt.id, Answer.question_id == question.id)
    )
    answer.value = {
        c["key"]: c["answer"] if n < 3 else not c["answer"] for n, c in enumerate(cases)
    }
    answer.score, answer.fully_right = 3 / len(cases), False
    db.session.commit()
    rows = read_csv(client.get(world["url"] + "/answers.csv"))
    row = next(
        r for r in rows if r["受験番号"] == str(attempt.id) and r["問題ID"] == "centre-cases"
    )
    assert row["正誤"] == "部分正解"
    # One number format in every export (exports/common.py): whole numbers only, a partly
    # right answer's credit as whole percent of its point, the same in the CSV's bytes and as
    # a real number in the xlsx.
    share = round(100 * 3 / len(cases))
    raw = client.get(world["url"] + "/answers.csv").data
    assert b",centre-cases," in raw
    assert f",部分正解,{share}\r\n".encode() in raw
    assert_whole_numbers(raw)
    book = read_xlsx(client.get(world["url"] + "/answers.xlsx"))
    cell = next(
        r["得点（%）"]
        for r in book
        if r["受験番号"] == attempt.id and r["問題ID"] == "centre-cases"
    )
    assert cell == share and isinstance(cell, int)
    assert {type(r["得点（%）"]) for r in book} <= {int, type(None)}


def assert_whole_numbers(raw: bytes) -> None:
    """No cell of a CSV is a number with a decimal point (3.67 next to 4.7 was the finding)."""
    text = raw.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert not [c for c in cells if re.fullmatch(r"-?\d+\.\d+", c)]


def test_answers_xlsx_matches_the_csv(client, login, world):
    login(client, world["secretariat"])
    csv_rows = read_csv(client.get(world["url"] + "/answers.csv"))
    xlsx_rows = read_xlsx(client.get(world["url"] + "/answers.xlsx"))
    assert len(xlsx_rows) == len(csv_rows)
    for a, b in zip(csv_rows, xlsx_rows, strict=True):
        assert a["受験番号"] == str(b["受験番号"]) and a["問題ID"] == b["問題ID"]
        assert a["回答"] == (b["回答"] or "") and a["正誤"] == b["正誤"]
    submitted = xlsx_rows[0]["提出日時"]
    assert isinstance(submitted, datetime)  # a real date-time cell


def test_answer_filters_by_japanese_date_organisation_and_course(client, login, world):
    login(client, world["secretariat"])
    url = world["url"] + "/answers.csv"
    day = read_csv(
        client.get(url, query_string={"submitted_from": "2026-01-10", "submitted_to": "2026/1/10"})
    )
    assert {r["受験番号"] for r in day} == {str(world["first"].id)}
    before = read_csv(client.get(url, query_string={"submitted_to": "2026-01-09"}))
    assert {r["受験番号"] for r in before} == {str(world["late"].id)}
    coop = read_csv(client.get(url, query_string={"organisation": world["coop"].id}))
    assert {r["構成団体"] for r in coop} == {"あおば生協"} and len(coop) == 2 * asked_per_test()
    by_course = read_csv(client.get(url, query_string={"course": world["course"].id}))
    assert len(by_course) == 6 * asked_per_test()


def test_answers_export_is_logged_with_filters_and_count(client, login, world):
    login(client, world["secretariat"])
    client.get(
        world["url"] + "/answers.csv",
        query_string={"organisation": world["bank"].id, "submitted_to": "2026-12-31"},
    ).get_data()
    (event,) = events("export.answers")
    assert event.details == {
        "format": "csv",
        "rows": 4 * asked_per_test(),  # the bank's two members, each with both tests
        "organisation": "みどり信用金庫",
        "submitted_to": "2026-12-31",
    }


def test_bad_dates_are_refused_with_a_message(client, login, world):
    login(client, world["secretariat"])
    url = world["url"] + "/answers.csv"
    response = client.get(url, query_string={"submitted_from": "2026-13-01"})
    assert response.status_code == 422
    assert "日付を 2026-04-01 の形で入力してください。" in response.get_data(as_text=True)
    response = client.get(
        url, query_string={"submitted_from": "2026-02-01", "submitted_to": "2026-01-01"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "「から」の日付は「まで」の日付より前にしてください。" in page
    assert 'value="2026-02-01"' in page  # what was typed stays in the form
    assert events("export.answers") == []


def test_xlsx_over_the_row_limit_is_refused(client, login, world, monkeypatch):
    login(client, world["secretariat"])
    monkeypatch.setattr(answers, "XLSX_MAX_ROWS", 100)
    response = client.get(world["url"] + "/answers.xlsx")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Excel形式（100行まで）では書き出せません" in page and "CSV" in page
    assert events("export.answers") == []
    narrow = client.get(
        world["url"] + "/answers.xlsx",
        query_string={"submitted_from": "2026-01-10", "submitted_to": "2026-01-10"},
    )
    assert len(read_xlsx(narrow)) == asked_per_test()


# --- who may download ----------------------------------------------------------------------------

URLS = ("/", "/certificates.csv", "/certificates.xlsx", "/answers.csv", "/answers.xlsx")


def test_only_the_secretariat_of_the_network_gets_the_files(
    client, login, world, make_user, make_network
):
    login(client, make_user(world["network"], Role.TRAINER))
    assert [client.get(world["url"] + u).status_code for u in URLS] == [403] * len(URLS)
    login(client, make_user(make_network(), Role.SECRETARIAT))
    assert [client.get(world["url"] + u).status_code for u in URLS] == [404] * len(URLS)
    login(client, world["members"]["valid"])
    assert [client.get(world["url"] + u).status_code for u in URLS] == [404] * len(URLS)
    fresh = client.application.test_client()
    assert all(fresh.get(world["url"] + u).status_code in (302, 401) for u in URLS)
    assert events("export.certificates") == [] and events("export.answers") == []
