"""The import against the roster: new / updated / unchanged / rejected, all or nothing, missing
members, new organisations, a roster changed under the preview, double clicks, who may do it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.secretariat.fixtures.roster_files import (
    confirm,
    count_line,
    counts,
    csv_file,
    digest_of,
    import_events,
    member_named,
    preview,
    roster_snapshot,
    text,
    upload,
    uploaded,
)
from trainer.accounts import roster
from trainer.accounts.models import Member, Organisation, Role
from trainer.extensions import db
from trainer.secretariat.models import RosterImport
from trainer.timeutil import today_jst

HEADER = "団体名,氏名,ふりがな,職種,年代,メールアドレス,加入日"


@pytest.fixture
def bank(make_org, network):
    return make_org(network, name="みどり信用金庫", kind="financial")


def add_member(network, org, name, kana="", **values):
    return roster.create_member(
        db.session,
        network_id=network.id,
        data=roster.MemberInput(
            organisation_id=org.id,
            name=name,
            kana=kana,
            membership_start=values.pop("start", date(2025, 4, 1)),
            **values,
        ),
        actor=None,
        allow_same_name=True,
    )


# --- rejected rows: row number and reason shown, nothing written ------------------------------


def test_each_kind_of_bad_row_is_shown_with_its_row_number_and_nothing_is_written(
    client, secretariat, network, bank
):
    add_member(network, bank, "山田 太郎", "やまだ たろう")
    add_member(network, bank, "山田 太郎", "やまだ たろう")
    lines = [
        "構成員名簿",  # 1: a title
        HEADER,  # 2
        "みどり信用金庫,佐藤 花子,さとう はなこ,内勤,30代,,2026/4/1",  # 3: fine
        "みどり信用金庫,,,,,,",  # 4: no name
        ",鈴木 一郎,,,,,",  # 5: no organisation
        "みどり信用金庫,田中 次郎,,,90代以下,,",  # 6: age band
        "みどり信用金庫,高橋 三郎,,運転手,,,",  # 7: job type
        "みどり信用金庫,伊藤 四郎,,,,ito@@example.jp,",  # 8: email
        "みどり信用金庫,渡辺 五郎,,,,,2026/13/1",  # 9: date
        "みどり信用金庫,山田 太郎,,,,,",  # 10: two 山田 太郎 and no kana or number
        "みどり信用金庫,佐藤　花子,サトウ ハナコ,,,,",  # 11: the same person as row 3
        "",  # 12
        "ひまわり会,中村 六郎,,,,,",  # 13: fine (a new organisation)
    ]
    before = roster_snapshot(network.id)
    draft_id, page = uploaded(client, network, csv_file(lines, "cp932"))
    shown = text(page)
    assert count_line(page, "取り込めない") == 9  # 3 and 11 both: which one is right?
    for expected in (
        "4行目：氏名が空欄です。",
        "5行目：団体名が空欄です。",
        "6行目：年代「90代以下」は使えません。",
        "7行目：職種「運転手」は使えません。",
        "8行目：メールアドレス「ito@@example.jp」の形が正しくありません。",
        "9行目：加入日「2026/13/1」を日付として読めません。",
        "10行目：同じ構成団体に「山田 太郎」さんが2人登録されていて",
        "構成員番号の列を入れて",
        "3行目：11行目と同じ人ですが、職種・年代・加入日が違います。",
        "11行目：3行目と同じ人ですが、職種・年代・加入日が違います。",
        "正しい内容の1行だけを残してください。",
        "このままでは取り込めません。",
    ):
        assert expected in shown, expected
    assert 'name="digest"' not in page  # no confirmation button
    assert "取り込む </button>" not in shown

    # Sending the confirmation anyway (an old tab, a crafted request) changes nothing.
    response = client.post(
        f"/n/{network.id}/roster/import/{draft_id}/confirm",
        data={"digest": _digest(network, draft_id)},
    )
    assert response.status_code == 422
    assert "取り込めない行が9行あります" in text(response.get_data(as_text=True))
    assert roster_snapshot(network.id) == before
    assert counts() == (2, 1)
    assert import_events() == []
    assert db.session.get(RosterImport, draft_id).applied_at is None


def _digest(network, draft_id) -> str:
    from trainer.secretariat.roster_import import drafts

    draft = drafts.get_draft(db.session, network.id, draft_id)
    return drafts.plan_for(db.session, draft).digest


def test_a_member_number_of_another_network_is_rejected(
    client, secretariat, network, make_network, make_org
):
    other = make_network()
    stranger = add_member(other, make_org(other, name="よその信金"), "他所 太郎")
    lines = ["構成員番号,団体名,氏名", f"{stranger.id},みどり信用金庫,他所 太郎", "x,a,b"]
    _, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert f"2行目：構成員番号「{stranger.id}」の構成員は、このネットワークにいません。" in shown
    assert "3行目：構成員番号「x」は数字ではありません。" in shown


def test_same_names_told_apart_by_kana_or_member_number(client, secretariat, network, bank):
    taro = add_member(network, bank, "山田 太郎", "やまだ たろう")
    takao = add_member(network, bank, "山田 太郎", "やまだ たかお")
    lines = [
        "団体名,氏名,フリガナ,年代,構成員番号",
        "みどり信用金庫,山田 太郎,ヤマダ タロウ,40代,",
        f"みどり信用金庫,山田 太郎,,50代,{takao.id}",
    ]
    draft_id, page = uploaded(client, network, csv_file(lines))
    assert count_line(page, "更新") == 2
    assert count_line(page, "取り込めない") == 0
    confirm(client, network, draft_id, page)
    db.session.expire_all()
    assert (taro.age_band, takao.age_band) == ("40s", "50s")


# --- updates, blanks, re-import ---------------------------------------------------------------


def test_changes_are_shown_old_to_new_and_blank_cells_keep_stored_values(
    client, secretariat, network, bank
):
    member = add_member(
        network, bank, "山田　太郎", "やまだ たろう", age_band="40s", email="taro@example.jp"
    )
    lines = [
        HEADER,
        # The same name written another way, age band changed, email and start left blank.
        "みどり信用金庫,山田 太郎,,外勤,50代,,",
    ]
    draft_id, page = uploaded(client, network, csv_file(lines))
    assert count_line(page, "更新") == 1
    shown = text(page)
    assert "年代：40代 → 50代" in shown
    assert "職種：無回答 → 外勤（訪問・営業・配達）" in shown
    assert "氏名：" not in shown and "メールアドレス：" not in shown
    response = confirm(client, network, draft_id, page)
    assert response.status_code == 302
    db.session.expire_all()
    assert (member.name, member.kana, member.email) == (
        "山田　太郎",
        "やまだ たろう",
        "taro@example.jp",
    )
    assert (member.job_type, member.age_band) == ("field", "50s")
    assert member.membership_start == date(2025, 4, 1)


def test_importing_the_same_file_twice_changes_nothing(client, secretariat, network, bank):
    add_member(network, bank, "既存 一郎")
    lines = [
        HEADER,
        "みどり信用金庫,既存 一郎,きぞん いちろう,内勤,30代,ichiro@example.jp,2025/4/1",
        "みどり信用金庫,新人 二郎,しんじん じろう,外勤,20代,,2026/4/1",
        "みどり警察署,警察 三郎,,相談,60代以上,,",
    ]
    data = csv_file(lines, "cp932")
    draft_id, page = uploaded(client, network, data)
    assert (count_line(page, "新規"), count_line(page, "更新")) == (2, 1)
    response = confirm(client, network, draft_id, page)
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert "新規 2人、更新 1人、退会 0人、構成団体 1件を登録しました。" in text(
        follow.get_data(as_text=True)
    )
    after_first = roster_snapshot(network.id)
    assert len(import_events()) == 1

    again_id, again = uploaded(client, network, data)
    assert count_line(again, "変更なし") == 3
    assert (count_line(again, "新規"), count_line(again, "更新")) == (0, 0)
    assert "新しく登録する構成団体" not in again
    response = confirm(client, network, again_id, again)
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert "名簿に変更はありませんでした（変更なし 3人）。" in text(follow.get_data(as_text=True))
    assert roster_snapshot(network.id) == after_first
    assert len(import_events()) == 1  # a confirmation that changed nothing is not logged


def test_a_blank_start_for_a_new_member_means_today(client, secretariat, network, bank):
    draft_id, page = uploaded(client, network, csv_file([HEADER, "みどり信用金庫,新人 花子,,,,,"]))
    today = today_jst()
    assert f"今日（{today.year}年{today.month}月{today.day}日）を加入日にします" in text(page)
    confirm(client, network, draft_id, page)
    assert member_named(network.id, "新人 花子").membership_start == today


def test_a_member_number_renames_and_moves_a_member(client, secretariat, network, bank, make_org):
    member = add_member(network, bank, "旧姓 花子")
    lines = ["構成員番号,団体名,氏名", f"{member.id},ひまわり会,新姓 花子"]
    draft_id, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert "氏名：旧姓 花子 → 新姓 花子" in shown
    assert "構成団体：みどり信用金庫 → ひまわり会" in shown
    confirm(client, network, draft_id, page)
    db.session.expire_all()
    assert member.name == "新姓 花子" and member.name_key == "新姓花子"
    assert member.organisation.name == "ひまわり会"


def test_an_ended_member_listed_again_is_reinstated_visibly(client, secretariat, network, bank):
    member = add_member(network, bank, "戻り 太郎")
    roster.end_membership(
        db.session, member=member, end_date=date(2025, 10, 1), reason="", actor=None
    )
    draft_id, page = uploaded(client, network, csv_file([HEADER, "みどり信用金庫,戻り 太郎,,,,,"]))
    assert "在籍：退会（2025年10月1日） → 在籍" in text(page)
    confirm(client, network, draft_id, page)
    db.session.expire_all()
    assert member.membership_end is None and member.is_member_now


# --- organisations ----------------------------------------------------------------------------


def test_new_organisations_are_offered_and_created_with_the_chosen_kind(
    client, secretariat, network, bank
):
    lines = [
        "団体名,氏名,種別",
        "みどり警察署,警察 一郎,",
        "ひまわり会,日向 花子,",
        "ひまわり会,日向 次郎,",
        "あおば商店会,青葉 三郎,消費者団体",
        "みどり信用金庫,金庫 四郎,",
    ]
    draft_id, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert "新しく登録する構成団体（3件）" in shown
    assert "ひまわり会 2人" in shown
    # The kind is guessed from the name, or taken from the 種別 column.
    assert '<option value="police" selected>' in page
    assert '<option value="consumer_group" selected>' in page
    response = confirm(client, network, draft_id, page, **{"kind-1": "welfare_commissioner"})
    assert response.status_code == 302
    kinds = dict(
        db.session.execute(
            select(Organisation.name, Organisation.kind).where(
                Organisation.network_id == network.id
            )
        ).all()
    )
    assert kinds == {
        "みどり信用金庫": "financial",
        "みどり警察署": "police",
        "ひまわり会": "welfare_commissioner",
        "あおば商店会": "consumer_group",
    }
    assert member_named(network.id, "日向 次郎").organisation.name == "ひまわり会"


def test_a_made_up_kind_is_refused(client, secretariat, network):
    draft_id, page = uploaded(client, network, csv_file(["団体名,氏名", "ひまわり会,日向 花子"]))
    response = confirm(client, network, draft_id, page, **{"kind-0": "aliens"})
    assert response.status_code == 422
    assert "「ひまわり会」の種別を一覧から選んでください。" in text(response.get_data(as_text=True))
    assert counts() == (0, 0)


# --- members missing from the file ------------------------------------------------------------


def test_missing_members_are_listed_and_ended_only_when_ticked(
    client, secretariat, network, bank, make_org
):
    staying = add_member(network, bank, "残る 一郎")
    leaving = add_member(network, bank, "辞めた 二郎")
    unsure = add_member(network, bank, "不明 三郎")
    other_org = make_org(network, name="みどり郵便局", kind="post_office")
    elsewhere = add_member(network, other_org, "郵便 四郎")
    lines = [HEADER, "みどり信用金庫,残る 一郎,,,,,"]
    draft_id, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert "ファイルに載っていない構成員（2人）" in shown
    assert "辞めた 二郎" in shown and "不明 三郎" in shown
    assert "郵便 四郎" not in shown
    assert "ファイルに出てこない構成団体が1件あります。その構成員（1人）は変更しません。" in shown
    assert f'name="end" value="{leaving.id}">' in page
    assert not re.search(r'name="end(_all)?"[^>]*checked', page)  # nobody ticked beforehand

    # Confirming without ticking anyone ends nobody...
    response = confirm(client, network, draft_id, page)
    assert response.status_code == 302
    db.session.expire_all()
    assert all(m.membership_end is None for m in (staying, leaving, unsure, elsewhere))

    # ... and ticking one ends that one, on the chosen day.
    draft_id, page = uploaded(client, network, csv_file(lines))
    response = confirm(
        client, network, draft_id, page, end=[str(leaving.id)], end_date="2026-03-31"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert leaving.membership_end == date(2026, 3, 31)
    assert "名簿の取り込み" in leaving.end_reason
    assert unsure.membership_end is None and elsewhere.membership_end is None
    assert staying.membership_end is None
    event = import_events()[-1]
    assert event.details["ended"] == 1


def test_end_all_ends_every_listed_member(client, secretariat, network, bank):
    members = [add_member(network, bank, f"構成員 {n}") for n in range(3)]
    draft_id, page = uploaded(client, network, csv_file([HEADER, "みどり信用金庫,構成員 0,,,,,"]))
    today = today_jst()
    response = confirm(client, network, draft_id, page, end_all="y", end_date=today.isoformat())
    assert response.status_code == 302
    db.session.expire_all()
    assert [m.membership_end for m in members] == [None, today, today]


def test_an_end_date_before_the_start_is_refused(client, secretariat, network, bank):
    member = add_member(network, bank, "新しい 人", start=date(2026, 4, 1))
    add_member(network, bank, "載る 人")
    draft_id, page = uploaded(client, network, csv_file([HEADER, "みどり信用金庫,載る 人,,,,,"]))
    response = confirm(client, network, draft_id, page, end=[str(member.id)], end_date="2026-01-01")
    assert response.status_code == 422
    assert "新しい 人さんの退会日が加入日より前です。" in text(response.get_data(as_text=True))
    db.session.expire_all()
    assert member.membership_end is None


# --- the plan changed, double clicks ----------------------------------------------------------


def test_a_roster_changed_after_the_preview_is_not_overwritten(client, secretariat, network, bank):
    member = add_member(network, bank, "山田 太郎", age_band="40s")
    draft_id, page = uploaded(
        client, network, csv_file([HEADER, "みどり信用金庫,山田 太郎,,,50代,,"])
    )
    assert "年代：40代 → 50代" in text(page)
    # Meanwhile someone corrects the age band on the member's page.
    roster.update_member(
        db.session,
        member=member,
        data=roster.MemberInput(
            organisation_id=bank.id,
            name="山田 太郎",
            age_band="30s",
            membership_start=date(2025, 4, 1),
        ),
        actor=None,
    )
    before = roster_snapshot(network.id)
    response = confirm(client, network, draft_id, page)
    assert response.status_code == 409
    new_page = response.get_data(as_text=True)
    assert "確認画面を開いた後に名簿が変わったため、取り込みませんでした。" in text(new_page)
    assert "年代：30代 → 50代" in text(new_page)  # the new preview
    assert digest_of(new_page) != digest_of(page)
    assert roster_snapshot(network.id) == before
    assert import_events() == []
    # Confirming the new preview applies it.
    assert confirm(client, network, draft_id, new_page).status_code == 302
    db.session.expire_all()
    assert member.age_band == "50s"


def test_a_double_click_applies_once(client, secretariat, network, bank):
    draft_id, page = uploaded(client, network, csv_file([HEADER, "みどり信用金庫,新人 一郎,,,,,"]))
    first = confirm(client, network, draft_id, page)
    second = confirm(client, network, draft_id, page)
    assert first.status_code == 302
    assert second.status_code == 409
    assert "すでに反映されています" in text(second.get_data(as_text=True))
    assert counts() == (1, 1)
    assert len(import_events()) == 1
    result = preview(client, network, draft_id)
    assert "に名簿へ反映しました" in text(result)
    assert 'name="digest"' not in result


def test_the_import_is_audited_once_with_counts(client, secretariat, network, bank):
    add_member(network, bank, "既存 一郎")
    lines = [
        HEADER,
        "みどり信用金庫,既存 一郎,,,30代,,",
        "ひまわり会,新人 二郎,,,,,",
        "ひまわり会,新人 三郎,,,,,",
    ]
    draft_id, page = uploaded(client, network, csv_file(lines), "4月の名簿.csv")
    from trainer.audit.models import AuditEvent

    last_before = db.session.scalar(select(func.max(AuditEvent.id)))
    confirm(client, network, draft_id, page)
    (event,) = import_events()
    assert event.actor_user_id == secretariat.id
    assert event.network_id == network.id
    assert event.target_label == "4月の名簿.csv"
    assert event.details == {
        "filename": "4月の名簿.csv",
        "created": 2,
        "updated": 1,
        "ended": 0,
        "organisations": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    # No per-row events: one import is one entry in the log.
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.id > last_before))
    assert list(actions) == ["roster.import"]


def test_old_drafts_are_deleted_at_the_next_upload(client, secretariat, network):
    data = csv_file(["団体名,氏名", "ひまわり会,日向 花子"])
    old_id, _ = uploaded(client, network, data)
    recent_id, _ = uploaded(client, network, data)
    draft = db.session.get(RosterImport, old_id)
    draft.created_at -= timedelta(days=2)
    db.session.commit()
    newest_id, _ = uploaded(client, network, data)
    assert db.session.scalars(select(RosterImport.id).order_by(RosterImport.id)).all() == [
        recent_id,
        newest_id,
    ]
    assert client.get(f"/n/{network.id}/roster/import/{old_id}").status_code == 404


# --- who may import ---------------------------------------------------------------------------


def test_a_trainer_gets_403(client, login, network, make_user):
    login(client, make_user(network, Role.TRAINER))
    data = csv_file(["団体名,氏名", "ひまわり会,日向 花子"])
    base = f"/n/{network.id}/roster/import"
    assert client.get(f"{base}/").status_code == 403
    assert client.get(f"{base}/template.csv").status_code == 403
    response, draft_id = upload(client, network, data)
    assert response.status_code == 403 and draft_id is None
    assert db.session.scalars(select(RosterImport)).all() == []


def test_another_networks_secretariat_gets_404(
    client, login, secretariat, network, make_network, make_user
):
    draft_id, page = uploaded(client, network, csv_file(["団体名,氏名", "ひまわり会,日向 花子"]))
    other = make_network()
    login(client, make_user(other, Role.SECRETARIAT))
    assert client.get(f"/n/{network.id}/roster/import/{draft_id}").status_code == 404
    # Through their own network's URLs the draft does not exist either.
    assert client.get(f"/n/{other.id}/roster/import/{draft_id}").status_code == 404
    response = client.post(
        f"/n/{other.id}/roster/import/{draft_id}/confirm", data={"digest": digest_of(page)}
    )
    assert response.status_code == 404
    assert db.session.scalars(select(Member)).all() == []
