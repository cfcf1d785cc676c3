"""つなぐ, the member's side: the badge's report form (/r/<token>), its thanks page, the same
form on the personal page, and the thread (了解しました, answers)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.concerns.helpers import make_report, report_input, report_token
from trainer.accounts import roster
from trainer.concerns import keys, submission
from trainer.concerns.models import ConcernMessage, ConcernReport, ReportingKey
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.security import new_token, token_digest
from trainer.timeutil import today_jst, utcnow


def form_data(**overrides):
    data = {
        "urgency": "normal",
        "signs": ["unfamiliar_traders", "bills"],
        "other_sign": "",
        "noticed_on": today_jst().isoformat(),
        "area": "みどり町2丁目あたり",
        "consent": "given",
        "consent_reason": "",
        "person_name": "",
        "person_contact": "",
        "details": "",
    }
    data.update(overrides)
    return data


def report_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ConcernReport)) or 0


def stored(number: int, network_id: int) -> ConcernReport:
    return db.session.scalars(
        select(ConcernReport).where(
            ConcernReport.number == number, ConcernReport.network_id == network_id
        )
    ).one()


def instruct(report: ConcernReport, template: str = "recommend_centre", body: str = ""):
    message = ConcernMessage(report_id=report.id, template=template, body=body)
    db.session.add(message)
    db.session.commit()
    return message


def html_of(response) -> str:
    return response.get_data(as_text=True)


# --- the badge's form -----------------------------------------------------------------------------


def test_a_report_from_the_badge_is_stored_with_its_number_per_network(
    client, make_network, make_org, make_member
):
    network = make_network()
    bank = make_org(network, kind="financial")
    member = make_member(network, bank, name="佐藤 恵子")
    token = report_token(member)

    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert "気づいたことを事務局へ知らせる" in html_of(page)
    assert page.headers["Cache-Control"] == "no-store"

    sent = client.post(
        f"/r/{token}", data=form_data(details="玄関先に業者の車が毎日来ている", person_name="山田")
    )
    assert sent.status_code == 302
    assert sent.headers["Location"] == f"/r/{token}/sent/1"
    thanks = html_of(client.get(sent.headers["Location"]))
    assert "受付番号" in thanks and "00001" in thanks

    report = stored(1, network.id)
    assert report.member_id == member.id and report.via == "badge"
    assert [s.sign for s in report.signs] == ["bills", "unfamiliar_traders"]  # checklist order
    assert report.consent == "given" and report.consent_reason == ""
    assert report.organisation_id == bank.id and report.organisation_kind == "financial"
    assert report.details == "玄関先に業者の車が毎日来ている" and report.person_name == "山田"
    assert report.status == "new" and report.area == "みどり町2丁目あたり"

    # The member moves to another organisation: the report keeps the kind it was sent with.
    member.organisation_id = make_org(network, kind="post_office").id
    db.session.commit()
    assert client.post(f"/r/{token}", data=form_data()).headers["Location"].endswith("/sent/2")
    assert stored(1, network.id).organisation_kind == "financial"
    assert stored(2, network.id).organisation_kind == "post_office"

    # Numbers are per network.
    other = make_member(make_network())
    response = client.post(f"/r/{report_token(other)}", data=form_data())
    assert response.headers["Location"].endswith("/sent/1")


def test_the_110_box_is_in_the_urgency_question_before_anything_is_sent(
    client, make_network, make_member
):
    token = report_token(make_member(make_network()))
    html = html_of(client.get(f"/r/{token}"))
    # The top line, before the form.
    assert html.index('href="tel:110"') < html.index("<form")
    assert "いま危ない場合は、まず" in html
    fieldset = re.search(r'<fieldset class="report-part urgency.*?</fieldset>', html, re.S)
    assert fieldset is not None
    box = fieldset.group(0)
    assert 'class="call-110"' in box and 'href="tel:110"' in box
    assert "まず110番に電話してください。" in box
    assert "このあと、落ち着いてから送ってください。" in box
    assert 'value="now"' in box
    stylesheet = client.get("/static/css/concern-form.css")
    css = stylesheet.get_data(as_text=True)
    stylesheet.close()
    assert ".urgency:has(input[value=now]:checked) .call-110" in css
    assert "<script" not in html


def test_an_urgent_report_thanks_page_shows_110_first(client, make_network, make_member):
    network = make_network()
    network.consumer_centre_name = "みどり市消費生活センター"
    network.consumer_centre_phone = "0120-000-188"
    token = report_token(make_member(network))
    response = client.post(f"/r/{token}", data=form_data(urgency="now"))
    html = html_of(client.get(response.headers["Location"]))
    assert html.index('href="tel:110"') < html.index("受付番号")
    assert "みどり市消費生活センター" in html and 'href="tel:0120000188"' in html
    assert stored(1, network.id).urgency == "now"


def test_thanks_page_uses_neutral_phrases_for_unset_facts_and_says_where_answers_come(
    client, make_network, make_member
):
    network = make_network()
    member = make_member(network)
    token = report_token(member)
    location = client.post(f"/r/{token}", data=form_data()).headers["Location"]
    html = html_of(client.get(location))
    assert "お住まいの市区町村の消費生活センター" in html
    assert "お住まいの地域の地域包括支援センター" in html
    assert "tel:188" in html
    assert "未設定" not in html
    assert html.index("受付番号") < html.index('href="tel:188"')  # not urgent: no 110 first
    assert "tel:110" not in html.split("受付番号")[0]
    assert "事務局からの連絡は、あなたの個人用ページに届きます" in html
    assert "メールアドレスにも" not in html
    member.email = "sato@example.jp"
    db.session.commit()
    assert "メールアドレスにも" in html_of(client.get(location))


@pytest.mark.parametrize(
    ("consent", "reason"), [("refused", "本人が断った"), ("unconfirmed", "会話が難しかった")]
)
def test_consent_reason_is_required_when_not_given_and_stored(
    client, make_network, make_member, consent, reason
):
    network = make_network()
    token = report_token(make_member(network))
    refused = client.post(f"/r/{token}", data=form_data(consent=consent))
    assert refused.status_code == 200
    assert "同意がない理由、または確認できなかった理由を書いてください" in html_of(refused)
    assert report_count() == 0
    client.post(f"/r/{token}", data=form_data(consent=consent, consent_reason=reason))
    report = stored(1, network.id)
    assert report.consent == consent and report.consent_reason == reason


def test_a_reason_typed_with_consent_given_is_not_kept(client, make_network, make_member):
    network = make_network()
    token = report_token(make_member(network))
    client.post(f"/r/{token}", data=form_data(consent="given", consent_reason="念のため"))
    assert stored(1, network.id).consent_reason == ""


def test_the_form_explains_why_a_reason_is_asked(client, make_network, make_member):
    html = html_of(client.get(f"/r/{report_token(make_member(make_network()))}"))
    assert "同意の有無とその理由の記録が求められるため" in html
    assert "住所（番地）は書かないでください" in html
    assert "同意がないときは、急ぐ場合を除いて書かないでください" in html
    # The order on the page: urgency, signs, when/where, consent, then the optional details.
    order = [
        html.index(s)
        for s in (
            "どのくらい急ぎますか",
            "気づいたこと</legend>",
            "いつ気づきましたか",
            "どのあたりですか",
            "本人の同意</legend>",
            "ご本人の名前",
        )
    ]
    assert order == sorted(order)


TOO_LONG = "あ" * 101


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signs": []}, "気づいたことを1つ以上選んでください。"),
        ({"signs": ["bills", "other"]}, "「その他」を選んだときは、内容を短く書いてください。"),
        ({"signs": ["no_such_sign"]}, "気づいたことは一覧から選んでください。"),
        ({"urgency": ""}, "どのくらい急ぐかを選んでください。"),
        ({"urgency": "panic"}, "どのくらい急ぐかを選んでください。"),
        ({"consent": ""}, "本人の同意について選んでください。"),
        ({"consent": "maybe"}, "本人の同意について選んでください。"),
        ({"area": ""}, "どのあたりかを入力してください。"),
        ({"area": TOO_LONG}, "100文字以内で入力してください。"),
        ({"noticed_on": ""}, "気づいた日を入力してください。"),
        ({"noticed_on": "きのう"}, "日付を 2026-04-01 の形で入力してください。"),
        (
            {"noticed_on": (today_jst() + timedelta(days=1)).isoformat()},
            "今日より後の日付は選べません。",
        ),
        ({"details": "あ" * 2001}, "2000文字以内で入力してください。"),
        ({"person_contact": "0" * 201}, "200文字以内で入力してください。"),
    ],
)
def test_each_mistake_gets_its_message_and_nothing_is_stored(
    client, make_network, make_member, overrides, message
):
    token = report_token(make_member(make_network()))
    response = client.post(f"/r/{token}", data=form_data(**overrides))
    assert response.status_code == 200
    html = html_of(response)
    assert message in html
    assert "まだ送っていません" in html
    assert report_count() == 0


def test_the_same_report_sent_twice_is_stored_once(client, make_network, make_member):
    """A double tap, or 「送る」 again after a slow answer: one report, the same thanks page."""
    network = make_network()
    token = report_token(make_member(network))
    first = client.post(f"/r/{token}", data=form_data(details="業者が来た"))
    again = client.post(f"/r/{token}", data=form_data(details="業者が来た"))
    assert first.headers["Location"] == again.headers["Location"] == f"/r/{token}/sent/1"
    assert report_count() == 1
    # Anything different is a new report, numbered on (the twin gave its number back).
    other = client.post(f"/r/{token}", data=form_data(details="業者がまた来た"))
    assert other.headers["Location"] == f"/r/{token}/sent/2"


def test_the_service_refuses_codes_the_form_does_not_offer(app, make_network, make_member):
    member = make_member(make_network())
    for overrides in ({"signs": ("bogus",)}, {"signs": ()}, {"urgency": "x"}, {"consent": "x"}):
        with pytest.raises(DomainError):
            make_report(member, **overrides)
    with pytest.raises(DomainError):
        make_report(member, via="email")
    db.session.rollback()
    assert report_count() == 0


def test_a_sign_ticked_twice_is_stored_once_and_other_only_with_its_text(
    app, make_network, make_member
):
    member = make_member(make_network())
    report = make_report(member, signs=("bills", "bills"), other_sign="捨てられる文")
    assert [s.sign for s in report.signs] == ["bills"] and report.other_sign == ""
    report = make_report(member, signs=("other", "atm", "bills"), other_sign="話が合わない")
    assert [s.sign for s in report.signs] == ["bills", "atm", "other"]
    assert report.other_sign == "話が合わない"


# --- tokens ---------------------------------------------------------------------------------------


def test_unknown_rotated_and_ended_tokens_get_one_page_and_store_nothing(
    client, make_network, make_member
):
    network = make_network()
    rotated, ended, unconfirmed = (make_member(network) for _ in range(3))
    old = report_token(rotated)
    key = db.session.scalars(select(ReportingKey).where(ReportingKey.member_id == rotated.id)).one()
    key.token = new_token()
    key.token_hash = token_digest(key.token)
    ended_token = report_token(ended)
    roster.end_membership(db.session, member=ended, end_date=today_jst(), reason="", actor=None)
    unconfirmed_token = report_token(unconfirmed)
    unconfirmed.needs_review = True
    db.session.commit()

    pages = set()
    for token in (new_token(), old, ended_token, unconfirmed_token, "x", "y" * 300):
        for response in (client.get(f"/r/{token}"), client.post(f"/r/{token}", data=form_data())):
            assert response.status_code == 404, token
            pages.add(html_of(response))
        assert client.get(f"/r/{token}/sent/1").status_code == 404
    assert len(pages) == 1
    page = pages.pop()
    assert "この報告用リンクは使えません" in page
    assert 'href="tel:110"' in page and 'href="tel:188"' in page
    assert report_count() == 0


def test_the_token_never_signs_the_member_in(client, make_network, make_member):
    member = make_member(make_network())
    token = report_token(member)
    client.get(f"/r/{token}")
    client.post(f"/r/{token}", data=form_data())
    assert report_count() == 1
    signed_out = client.get("/me/reports/")
    assert signed_out.status_code == 401
    assert "個人用リンクから開いてください" in html_of(signed_out)
    assert client.get("/learn").status_code == 401
    assert client.get("/me/reports/1").status_code == 401


def test_the_thanks_page_shows_only_the_tokens_own_reports(client, make_network, make_member):
    network = make_network()
    mine, theirs = make_member(network), make_member(network)
    make_report(theirs)
    assert client.get(f"/r/{report_token(mine)}/sent/1").status_code == 404


def test_wrong_tokens_are_rate_limited_and_right_ones_never(app, client, make_network, make_member):
    token = report_token(make_member(make_network()))
    for n in range(60):
        assert client.get(f"/r/{n:020d}wrong").status_code == 404, n
    refused = client.get(f"/r/{'z' * 40}")
    assert refused.status_code == 429
    assert "操作の回数が多すぎます" in html_of(refused)
    # A right token from the same address still opens and sends, and is not counted.
    for _ in range(3):
        assert client.get(f"/r/{token}").status_code == 200
    assert client.post(f"/r/{token}", data=form_data()).status_code == 302


# --- the personal page ----------------------------------------------------------------------------


def test_the_personal_page_has_the_same_form(client, login, make_network, make_member):
    network = make_network()
    member = make_member(network)
    login(client, member)
    home = html_of(client.get("/learn"))
    assert "気づいたことを事務局へ知らせる" in home and 'href="/me/reports/new"' in home
    form = html_of(client.get("/me/reports/new"))
    assert 'class="call-110"' in form and "どのくらい急ぎますか" in form

    bad = client.post("/me/reports/new", data=form_data(signs=[]))
    assert "気づいたことを1つ以上選んでください。" in html_of(bad) and report_count() == 0

    response = client.post(
        "/me/reports/new", data=form_data(consent="unconfirmed", consent_reason="留守だった")
    )
    assert response.headers["Location"] == "/me/reports/1"
    shown = html_of(client.get("/me/reports/1"))
    assert "受付番号は 00001 です" in shown and "留守だった" in shown
    assert "見慣れない業者が出入りしている" in shown and "新規" in shown
    report = stored(1, network.id)
    assert report.via == "personal_page" and report.member_id == member.id

    listing = html_of(client.get("/me/reports/"))
    assert "受付番号 00001" in listing and "新規" in listing


def test_another_members_report_is_404(client, login, make_network, make_member):
    network = make_network()
    owner, other = make_member(network), make_member(network)
    report = make_report(owner)
    message = instruct(report)
    login(client, other)
    assert client.get("/me/reports/1").status_code == 404
    assert client.post(f"/me/reports/1/acknowledge/{message.id}").status_code == 404
    assert client.post("/me/reports/1/reply", data={"body": "なりすまし"}).status_code == 404
    assert "受付番号" not in html_of(client.get("/me/reports/"))
    db.session.refresh(message)
    assert message.acknowledged_at is None
    assert len(db.session.get(ConcernReport, report.id).messages) == 1


def test_an_instruction_is_acknowledged_once(client, login, make_network, make_member):
    member = make_member(make_network())
    report = make_report(member)
    message = instruct(report, body="明日、センターに電話してみてください。")
    login(client, member)

    home = html_of(client.get("/learn"))
    assert "事務局から返事があります" in home and 'href="/me/reports/1"' in home
    assert "事務局から返事があります" in html_of(client.get("/me/reports/"))
    shown = html_of(client.get("/me/reports/1"))
    assert "ご本人に、消費生活センターへの相談をすすめてください。" in shown
    assert "明日、センターに電話してみてください。" in shown
    assert f'action="/me/reports/1/acknowledge/{message.id}"' in shown

    done = client.post(f"/me/reports/1/acknowledge/{message.id}", follow_redirects=True)
    assert "「了解しました」と事務局に伝えました。" in html_of(done)
    db.session.refresh(message)
    first = message.acknowledged_at
    assert first is not None
    assert "/acknowledge/" not in html_of(client.get("/me/reports/1"))
    again = client.post(f"/me/reports/1/acknowledge/{message.id}", follow_redirects=True)
    assert "もう「了解しました」と伝えてあります" in html_of(again)
    db.session.refresh(message)
    assert message.acknowledged_at == first
    assert "事務局から返事があります" not in html_of(client.get("/learn"))


def test_only_an_instruction_of_that_report_can_be_acknowledged(
    client, login, make_network, make_member
):
    member = make_member(make_network())
    first, second = make_report(member), make_report(member)
    theirs = instruct(second)
    own_answer = submission.reply(db.session, member=member, report=first, body="了解です")
    login(client, member)
    assert client.post(f"/me/reports/1/acknowledge/{theirs.id}").status_code == 404
    assert client.post(f"/me/reports/1/acknowledge/{own_answer.id}").status_code == 404
    db.session.refresh(theirs)
    assert theirs.acknowledged_at is None


def test_a_reply_is_stored_on_the_thread(client, login, make_network, make_member):
    member = make_member(make_network())
    report = make_report(member)
    instruct(report)
    login(client, member)
    empty = client.post("/me/reports/1/reply", data={"body": "  "})
    assert empty.status_code == 400 and "返事を入力してください。" in html_of(empty)
    too_long = client.post("/me/reports/1/reply", data={"body": "あ" * 2001})
    assert "2000文字以内で入力してください。" in html_of(too_long)
    sent = client.post("/me/reports/1/reply", data={"body": "センターに電話しました。"})
    assert sent.status_code == 302
    answers = [m for m in db.session.get(ConcernReport, report.id).messages if m.from_member]
    assert [m.body for m in answers] == ["センターに電話しました。"]
    assert "センターに電話しました。" in html_of(client.get("/me/reports/1"))


def test_after_the_purge_the_member_reads_that_personal_data_was_deleted(
    client, login, make_network, make_member
):
    member = make_member(make_network())
    report = make_report(member, details="秘密の話", person_name="山田")
    report.details, report.person_name, report.area = "", "", ""
    report.personal_data_deleted_at = utcnow()
    db.session.commit()
    login(client, member)
    html = html_of(client.get("/me/reports/1"))
    assert "個人情報は保存期間が過ぎたため削除しました" in html
    assert "見慣れない業者が出入りしている" in html  # the codes stay
    assert "返事を送る" not in html
    assert client.post("/me/reports/1/reply", data={"body": "まだですか"}).status_code == 400


def test_ensure_key_makes_one_key_per_member(app, make_network, make_member):
    member = make_member(make_network())
    first = report_token(member)
    assert report_token(member) == first
    assert keys.member_by_report_token(db.session, first).id == member.id
    assert report_input().signs  # the shared default stays a valid report
