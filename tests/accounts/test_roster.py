"""The secretariat's roster pages: organisations and members, through the real forms."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from trainer.accounts import roster
from trainer.accounts.models import Member, Organisation, Role
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.text import name_key
from trainer.timeutil import today_jst


@pytest.fixture
def network(make_network):
    return make_network(name="みどり市見守りネットワーク")


@pytest.fixture
def secretariat(client, login, network, make_user):
    user = make_user(network, Role.SECRETARIAT, name="事務局 花子")
    login(client, user)
    return user


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("山田　太郎", "山田 太郎"),
        ("山田 太郎", "山田太郎"),
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
        ("ヤマダ タロウ", "やまだ たろう"),
        ("ＡＢＣ銀行", "abc銀行"),
        (" 佐藤  恵子 ", "佐藤恵子"),
    ],
)
def test_name_keys_match_what_people_type(a, b):
    assert name_key(a) == name_key(b)


def test_different_names_stay_different():
    assert name_key("佐藤恵子") != name_key("佐藤恵")


# --- organisations ----------------------------------------------------------------------------


def test_create_and_list_organisations(client, network, secretariat):
    response = client.post(
        f"/n/{network.id}/organisations/new",
        data={"kind": "financial", "name": "みどり信用金庫　本店"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "構成団体「みどり信用金庫　本店」を登録しました。" in html  # shown as typed
    assert "金融機関" in html
    org = db.session.scalar(select(Organisation))
    assert org.name == "みどり信用金庫　本店" and org.network_id == network.id
    assert org.name_key == "みどり信用金庫本店"
    assert actions() == ["organisation.create"]


def test_duplicate_organisation_name_is_refused_after_normalising(
    client, network, secretariat, make_org
):
    make_org(network, name="ケアプランセンターひだまり")
    response = client.post(
        f"/n/{network.id}/organisations/new",
        data={"kind": "care_management", "name": "ケアプランセンター ひだまり"},
    )
    assert response.status_code == 200
    assert (
        "同じ名前の構成団体「ケアプランセンターひだまり」がすでにあります。"
        in response.get_data(as_text=True)
    )
    assert count(Organisation) == 1


def test_organisation_form_rejects_bad_input(client, network, secretariat):
    html = client.post(
        f"/n/{network.id}/organisations/new", data={"kind": "nonsense", "name": ""}
    ).get_data(as_text=True)
    assert "入力してください。" in html
    assert "Not a valid choice" not in html
    assert count(Organisation) == 0


def test_edit_organisation_is_audited(client, network, secretariat, make_org):
    org = make_org(network, name="旧名称")
    client.post(
        f"/n/{network.id}/organisations/{org.id}/edit",
        data={"kind": "post_office", "name": "みどり郵便局"},
    )
    org = db.session.get(Organisation, org.id)
    assert (org.name, org.kind) == ("みどり郵便局", "post_office")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.update"))
    assert event.details["changes"]["name"] == ["旧名称", "みどり郵便局"]


# --- members ----------------------------------------------------------------------------------


def member_form(org_id: int, **overrides) -> dict[str, object]:
    data = {
        "organisation_id": org_id,
        "name": "山田 太郎",
        "kana": "やまだ たろう",
        "job_type": "field",
        "age_band": "50s",
        "email": "",
        "membership_start": "2026-04-01",
    }
    data.update(overrides)
    return data


def test_create_member(client, network, secretariat, make_org):
    org = make_org(network, name="ケアプランセンターひだまり")
    response = client.post(
        f"/n/{network.id}/members/new", data=member_form(org.id), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "山田 太郎さんを登録しました。" in html
    assert "ケアプランセンターひだまり" in html and "2026年4月1日" in html
    member = db.session.scalar(select(Member))
    assert member.name_key == "山田太郎" and member.kana_key == "やまだたろう"
    assert member.job_type == "field" and member.age_band == "50s"
    assert len(member.link_token) >= 43  # ≥ 256 bits of randomness in the personal link
    assert actions() == ["organisation.create", "member.create"]


@pytest.mark.parametrize("typed", ["ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ　たろう"])
def test_kana_is_stored_in_hiragana_whatever_was_typed(
    client, network, secretariat, make_org, typed
):
    org = make_org(network)
    client.post(f"/n/{network.id}/members/new", data=member_form(org.id, kana=typed))
    member = db.session.scalar(select(Member))
    assert member.kana == "やまだ たろう"
    # A member stored in katakana before (no data migration): saving the form rewrites it.
    member.kana = "ヤマダ タロウ"
    db.session.commit()
    client.post(
        f"/n/{network.id}/members/{member.id}/edit", data=member_form(org.id, kana="ヤマダ タロウ")
    )
    assert db.session.get(Member, member.id).kana == "やまだ たろう"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "入力してください。"),
        ({"membership_start": "2026/13/45"}, "日付を 2026-04-01 の形で入力してください。"),
        ({"email": "not-an-address"}, "メールアドレスの形式が正しくありません。"),
        ({"organisation_id": "0"}, "構成団体を一覧から選んでください。"),
        ({"name": "あ" * 101}, "100文字以内で入力してください。"),
    ],
)
def test_member_form_errors_are_japanese_and_save_nothing(
    client, network, secretariat, make_org, overrides, message
):
    org = make_org(network)
    response = client.post(f"/n/{network.id}/members/new", data=member_form(org.id, **overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(Member) == 0


def test_member_cannot_be_put_in_another_networks_organisation(
    client, network, secretariat, make_network, make_org
):
    foreign = make_org(make_network(), name="よそ事業所")
    response = client.post(f"/n/{network.id}/members/new", data=member_form(foreign.id))
    assert "構成団体を一覧から選んでください。" in response.get_data(as_text=True)
    assert count(Member) == 0


def test_same_name_in_same_organisation_needs_confirmation(
    client, network, secretariat, make_org, make_member
):
    org = make_org(network)
    make_member(network, org, name="山田　太郎")
    refused = client.post(f"/n/{network.id}/members/new", data=member_form(org.id, name="山田太郎"))
    html = refused.get_data(as_text=True)
    assert "同じ構成団体に同じ氏名の構成員「山田　太郎」がすでに登録されています。" in html
    assert "同姓同名の別人として登録する" in html
    assert count(Member) == 1
    accepted = client.post(
        f"/n/{network.id}/members/new",
        data=member_form(org.id, name="山田太郎", allow_same_name="y"),
    )
    assert accepted.status_code == 302
    assert count(Member) == 2


def test_search_by_name_or_kana_in_any_width(client, network, secretariat, make_org, make_member):
    org = make_org(network)
    make_member(network, org, name="佐藤 恵子", kana="さとう けいこ")
    make_member(network, org, name="高橋 真理", kana="たかはし まり")
    for query in ("佐藤恵子", "サトウ", "ｻﾄｳ", "けい こ"):
        html = client.get(f"/n/{network.id}/members", query_string={"q": query}).get_data(
            as_text=True
        )
        assert "佐藤 恵子" in html and "高橋 真理" not in html, query
    html = client.get(f"/n/{network.id}/members", query_string={"q": "%"}).get_data(as_text=True)
    assert "0人" in html  # LIKE wildcards are searched for literally


def test_member_list_pages_and_filters(app, client, network, secretariat, make_org, make_member):
    app.config["MEMBERS_PER_PAGE"] = 5
    first, second = make_org(network, name="第一"), make_org(network, name="第二")
    for i in range(7):
        make_member(network, first, name=f"一番 {i}", kana=f"いちばん {i}")
    make_member(network, second, name="二番 花子", kana="にばん はなこ")
    page1 = client.get(f"/n/{network.id}/members").get_data(as_text=True)
    assert "8人" in page1 and "1 / 2 ページ" in page1
    page2 = client.get(f"/n/{network.id}/members?page=2").get_data(as_text=True)
    assert "6〜8人目" in page2
    filtered = client.get(f"/n/{network.id}/members?organisation={second.id}").get_data(
        as_text=True
    )
    assert "1人" in filtered and "二番 花子" in filtered
    assert client.get(f"/n/{network.id}/members?page=abc").status_code == 200
    assert "2 / 2 ページ" in client.get(f"/n/{network.id}/members?page=99").get_data(as_text=True)


def test_edit_member_records_changes(client, network, secretariat, make_org, make_member):
    org = make_org(network)
    member = make_member(network, org, name="佐藤 恵子", kana="さとう けいこ")
    client.post(
        f"/n/{network.id}/members/{member.id}/edit",
        data=member_form(org.id, name="佐藤 恵子", kana="さとう けいこ", age_band="60plus"),
    )
    member = db.session.get(Member, member.id)
    assert member.age_band == "60plus"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.update"))
    assert event.details["changes"]["age_band"][1] == "60plus"


def test_end_membership_keeps_the_record(client, network, secretariat, make_member):
    member = make_member(network, name="吉田 浩二")
    response = client.post(
        f"/n/{network.id}/members/{member.id}/end",
        data={"end_date": today_jst().isoformat(), "reason": "異動", "confirmed": "1"},
        follow_redirects=True,
    )
    assert "吉田 浩二さんの退会を記録しました。" in response.get_data(as_text=True)
    member = db.session.get(Member, member.id)
    assert member.membership_end == today_jst() and member.end_reason == "異動"
    assert member.status_label == "退会" and not member.is_member_now
    assert count(Member) == 1
    active = client.get(f"/n/{network.id}/members").get_data(as_text=True)
    assert "吉田 浩二" not in active
    ended = client.get(f"/n/{network.id}/members?status=ended").get_data(as_text=True)
    assert "吉田 浩二" in ended
    assert "member.end" in actions()


def test_end_date_before_start_is_refused(client, network, secretariat, make_member):
    member = make_member(network, start=date(2025, 4, 1))
    for confirmed in ("", "1"):  # on the form, and sent as if from the confirmation page
        response = client.post(
            f"/n/{network.id}/members/{member.id}/end",
            data={"end_date": "2025-03-31", "reason": "", "confirmed": confirmed},
        )
        page = response.get_data(as_text=True)
        assert "退会日は加入日以降の日付にしてください。" in page
        assert "退会の確認" not in page  # the form again, not the confirmation page
    assert db.session.get(Member, member.id).membership_end is None


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split())


def test_ending_a_membership_shows_the_date_and_reason_before_recording_it(
    client, network, secretariat, make_org, make_member
):
    org = make_org(network, name="みどり信用金庫")
    member = make_member(network, org, name="吉田 浩二", kana="よしだ こうじ")
    url = f"/n/{network.id}/members/{member.id}/end"
    form_page = client.get(url).get_data(as_text=True)
    assert "内容を確認する" in form_page and 'name="confirmed" type="hidden" value=""' in form_page

    # The form's button: the confirmation page, nothing recorded yet.
    response = client.post(url, data={"end_date": "2026-06-30", "reason": " 異動\r\n（本店へ） "})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = _text(page)
    assert "<h1>吉田 浩二さんの退会の確認</h1>" in page
    for expected in (
        "次の内容で退会を記録します。 まだ記録していません。",
        "氏名 吉田 浩二（よしだ こうじ）",
        "構成団体 みどり信用金庫",
        "退会日 2026年6月30日 （この日から構成員ではなくなります）",
        "理由 異動 （本店へ）",
        "「退会を取り消す」で元に戻せます。",
    ):
        assert expected in shown, expected
    # What will be recorded travels as hidden fields, with confirmed=1; red button, way back.
    assert '<input type="hidden" name="end_date" value="2026-06-30">' in page
    assert '<input type="hidden" name="reason" value="異動\n（本店へ）">' in page
    assert '<input type="hidden" name="confirmed" value="1">' in page
    assert '<button type="submit" class="danger">退会を記録する</button>' in page
    assert (
        '<button type="submit" name="back" value="1" class="secondary">戻って直す</button>' in page
    )
    assert db.session.get(Member, member.id).membership_end is None
    assert "member.end" not in actions()

    # 「戻って直す」: the form with what was typed, not confirmed.
    back = client.post(
        url,
        data={
            "end_date": "2026-06-30",
            "reason": "異動\n（本店へ）",
            "confirmed": "1",
            "back": "1",
        },
    ).get_data(as_text=True)
    assert "退会の確認" not in back and "内容を確認する" in back
    assert 'value="2026-06-30"' in back and "異動\n（本店へ）</textarea>" in back
    assert 'name="confirmed" type="hidden" value=""' in back
    assert db.session.get(Member, member.id).membership_end is None

    # 「退会を記録する」 on the confirmation page records exactly what it showed.
    done = client.post(
        url, data={"end_date": "2026-06-30", "reason": "異動\n（本店へ）", "confirmed": "1"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/members/{member.id}")
    member = db.session.get(Member, member.id)
    assert (member.membership_end, member.end_reason) == (date(2026, 6, 30), "異動\n（本店へ）")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.end"))
    assert event.details == {"end_date": "2026-06-30", "reason": "異動\n（本店へ）"}

    # The same confirmation sent again (a second click, an old tab): refused, logged once.
    again = client.post(url, data={"end_date": "2026-07-01", "reason": "", "confirmed": "1"})
    assert "この構成員はすでに退会が記録されています。" in again.get_data(as_text=True)
    assert db.session.get(Member, member.id).membership_end == date(2026, 6, 30)
    assert actions().count("member.end") == 1


def test_reinstate_undoes_a_mistaken_end_and_logs_it(client, network, secretariat, make_member):
    member = make_member(network)
    roster.end_membership(
        db.session, member=member, end_date=today_jst(), reason="誤り", actor=None
    )
    client.post(f"/n/{network.id}/members/{member.id}/reinstate")
    member = db.session.get(Member, member.id)
    assert member.membership_end is None and member.is_member_now
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.reinstate"))
    assert event.details["removed_end_date"] == today_jst().isoformat()


def test_membership_status_follows_the_dates():
    member = Member(membership_start=date(2026, 4, 1), membership_end=date(2026, 10, 1))
    assert not member.is_active_on(date(2026, 3, 31))
    assert member.is_active_on(date(2026, 4, 1))
    assert member.is_active_on(date(2026, 9, 30))
    assert not member.is_active_on(date(2026, 10, 1))


def test_personal_link_page_shows_a_qr_and_is_audited(client, network, secretariat, make_member):
    member = make_member(network, name="佐藤 恵子")
    html = client.get(f"/n/{network.id}/members/{member.id}/link").get_data(as_text=True)
    assert f"http://trainer.test/m/{member.link_token}" in html  # TRAINER_BASE_URL, not Host
    assert '<svg class="qr" role="img"' in html or 'class="qr"' in html
    assert "<path" in html
    assert actions()[-1] == "member.link_view"


def test_rotating_the_link_invalidates_the_old_one_and_its_sessions(
    app, client, network, secretariat, make_member
):
    member = make_member(network, name="佐藤 恵子")
    phone = app.test_client()
    old = member.link_token
    assert phone.get(f"/m/{old}").status_code == 302
    assert "佐藤 恵子さん" in phone.get("/learn").get_data(as_text=True)
    client.post(f"/n/{network.id}/members/{member.id}/link/rotate")
    member = db.session.get(Member, member.id)
    assert member.link_token != old
    assert phone.get(f"/m/{old}").status_code == 404
    assert phone.get("/learn").status_code == 401  # the phone's session ended too
    assert phone.get(f"/m/{member.link_token}").status_code == 302
    assert "member.link_rotate" in actions()


def test_future_start_is_shown_as_not_started(network, make_member):
    member = make_member(network, start=today_jst() + timedelta(days=10))
    assert member.status_label == "開始前" and not member.is_member_now


def test_audit_log_page_shows_changes_in_japanese(
    client, network, secretariat, make_org, make_member
):
    org = make_org(network)
    member = make_member(network, org, name="佐藤 恵子")
    client.post(
        f"/n/{network.id}/members/{member.id}/edit",
        data=member_form(org.id, name="佐藤 恵子", kana="", age_band="60plus", job_type="field"),
    )
    roster.end_membership(
        db.session, member=member, end_date=date(2026, 6, 30), reason="異動", actor=None
    )
    html = client.get(f"/n/{network.id}/audit/").get_data(as_text=True)
    assert "構成員の変更" in html and "年代: 無回答 → 60代以上" in html
    assert "退会日: 2026-06-30" in html and "理由: 異動" in html
    assert "end_date" not in html and "age_band" not in html
