"""A forgiving import: exact duplicates merged with a notice, 「問題のない行だけ取り込む」 after a
page listing the rows left out (what is imported still in one transaction), kana in hiragana, and
new organisations counted over the rows that can be imported."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.secretariat.fixtures.roster_files import (
    confirm,
    count_line,
    counts,
    csv_file,
    import_events,
    member_named,
    preview,
    roster_snapshot,
    text,
    uploaded,
)
from trainer.accounts import roster
from trainer.accounts.models import Member, Organisation
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.secretariat.models import RosterImport
from trainer.secretariat.roster_import import apply

HEADER = "団体名,氏名,ふりがな,職種,年代,メールアドレス,加入日"


@pytest.fixture
def bank(make_org, network):
    return make_org(network, name="みどり信用金庫", kind="financial")


def add_member(network, org, name, kana=""):
    return roster.create_member(
        db.session,
        network_id=network.id,
        data=roster.MemberInput(
            organisation_id=org.id, name=name, kana=kana, membership_start=date(2025, 4, 1)
        ),
        actor=None,
    )


def skip_url(network, draft_id) -> str:
    return f"/n/{network.id}/roster/import/{draft_id}/skip"


def test_an_exact_duplicate_is_merged_with_a_notice_and_imported_once(
    client, secretariat, network, bank
):
    lines = [
        HEADER,
        "みどり信用金庫,山田 太郎,やまだ たろう,外勤,40代,,2026/4/1",  # 2
        "みどり信用金庫,佐藤 花子,さとう はなこ,内勤,30代,,2026/4/1",  # 3
        # 4: row 2 again, the name with a full-width space and the kana in katakana: the same.
        "みどり信用金庫,山田　太郎,ヤマダ タロウ,外勤,40代,,2026/4/1",
    ]
    draft_id, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert (count_line(page, "新規"), count_line(page, "取り込めない")) == (2, 0)
    assert "重複のため1件にまとめた行（1行）" in shown
    merged = "4行目は2行目とまったく同じ内容です。重複のため1件にまとめました。"
    assert f"{merged} （山田 太郎・みどり信用金庫）" in shown
    response = confirm(client, network, draft_id, page)
    assert response.status_code == 302
    assert counts() == (2, 1)
    assert member_named(network.id, "山田 太郎").kana == "やまだ たろう"


def test_the_same_person_with_different_data_blocks_both_rows(client, secretariat, network, bank):
    existing = add_member(network, bank, "既存 一郎", "きぞん いちろう")
    lines = [
        HEADER,
        "みどり信用金庫,山田 太郎,やまだ たろう,外勤,40代,,2026/4/1",  # 2
        "みどり信用金庫,山田 太郎,やまだ たろう,外勤,50代,,2026/4/1",  # 3: another age band
        "みどり信用金庫,既存 一郎,,内勤,,,",  # 4: the member on the roster…
        "みどり信用金庫,既存 一郎,,外勤,,,",  # 5: …twice, with different job types
    ]
    draft_id, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert count_line(page, "取り込めない") == 4
    for expected in (
        "2行目：3行目と同じ人ですが、年代が違います。",
        "3行目：2行目と同じ人ですが、年代が違います。",
        "4行目：5行目と同じ人ですが、職種が違います。",
        "5行目：4行目と同じ人ですが、職種が違います。",
        "正しい内容の1行だけを残してください。",
    ):
        assert expected in shown, expected
    assert "重複のため" not in shown
    # Nothing can be imported without them: no 「問題のない行だけ取り込む」.
    assert "問題のない行だけ取り込む" not in shown
    assert text(client.get(skip_url(network, draft_id)).get_data(as_text=True)) == shown
    assert db.session.get(Member, existing.id).job_type == "unknown"


def bad_file() -> bytes:
    """Two good rows (one in a new organisation), a bad row in that organisation, and a second
    new organisation named only by a bad row."""
    return csv_file(
        [
            HEADER,
            "みどり信用金庫,既存 一郎,,,30代,,",  # 2: an update
            "ひまわり会,新人 二郎,シンジン ジロウ,,,,2026/4/1",  # 3: new, in a new organisation
            "ひまわり会,新人 三郎,,運転手,,,",  # 4: rejected (job type)
            "あおぞら商店,店主 四郎,,,90代以下,,",  # 5: rejected (age band), its only row
        ],
        "cp932",
    )


def test_the_rejected_rows_can_be_left_out_after_a_page_listing_them(
    client, secretariat, network, bank
):
    existing = add_member(network, bank, "既存 一郎")
    draft_id, page = uploaded(client, network, bad_file(), "5月.csv")
    shown = text(page)
    assert count_line(page, "取り込めない") == 2
    assert "このままでは取り込めません。" in shown
    assert "問題のない2行だけを取り込めます" in shown
    assert f'href="/n/{network.id}/roster/import/{draft_id}/skip"' in page
    assert 'name="digest"' not in page  # the preview itself still has no 取り込む
    # New organisations: counted over the rows that can be imported; one with none is not listed.
    new_orgs = re.search(r"新しく登録する構成団体.*?</table>", page, re.S).group(0)
    assert "ひまわり会" in new_orgs and "1人" in new_orgs and "あおぞら商店" not in new_orgs
    assert "新しく登録する構成団体（1件）" in shown

    # The page listing what is left out, with the rest of the confirmation under it.
    response = client.get(skip_url(network, draft_id))
    assert response.status_code == 200
    skip_page = response.get_data(as_text=True)
    shown = text(skip_page)
    assert "<h1>名簿の取り込み：取り込まない行の確認</h1>" in skip_page
    assert (
        "まだ名簿は変わっていません。 次の2行は取り込みません。 ほかの行だけを取り込みます。"
        in shown
    )
    assert "取り込まない行（2行）" in shown
    assert "4行目 新人 三郎 ひまわり会 職種「運転手」は使えません。" in shown
    assert "5行目 店主 四郎 あおぞら商店 年代「90代以下」は使えません。" in shown
    assert "新規（1人）" in shown and "年代：無回答 → 30代" in shown
    assert '<input type="hidden" name="skip_rejected" value="1">' in skip_page
    assert '<button type="submit">問題のない行だけ取り込む</button>' in skip_page
    before = roster_snapshot(network.id)

    # The preview's confirmation without the choice (an old tab): refused, nothing written.
    refused = confirm(client, network, draft_id, skip_page)
    assert refused.status_code == 422
    assert "取り込めない行が2行あります" in text(refused.get_data(as_text=True))
    assert roster_snapshot(network.id) == before

    done = confirm(client, network, draft_id, skip_page, skip_rejected="1", **{"kind-0": "other"})
    assert done.status_code == 302
    result = text(client.get(done.headers["Location"]).get_data(as_text=True))
    assert "新規 1人、更新 1人、退会 0人、構成団体 1件を登録しました。" in result
    assert "取り込めない2行は取り込んでいません。" in result  # the message at the top
    assert "取り込めない2行は、取り込んでいません。" in result  # under the result's counts
    db.session.expire_all()
    assert db.session.get(Member, existing.id).age_band == "30s"
    jiro = member_named(network.id, "新人 二郎")
    assert (jiro.kana, jiro.organisation.name, jiro.organisation.kind) == (
        "しんじん じろう",
        "ひまわり会",
        "other",
    )
    names = set(db.session.scalars(select(Member.name)))
    assert names == {"既存 一郎", "新人 二郎"}
    orgs = set(db.session.scalars(select(Organisation.name)))
    assert orgs == {"みどり信用金庫", "ひまわり会"}  # あおぞら商店: only a rejected row
    (event,) = import_events()
    assert event.details["rejected"] == 2 and event.details["created"] == 1
    assert db.session.get(RosterImport, draft_id).applied_at is not None


def test_leaving_rows_out_is_still_all_or_nothing_for_the_rest(
    client, secretariat, network, bank, monkeypatch
):
    add_member(network, bank, "既存 一郎")
    draft_id, _ = uploaded(client, network, bad_file())
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', preview(client, network, draft_id))
    assert digest is None
    skip_page = client.get(skip_url(network, draft_id)).get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', skip_page).group(1)
    before = roster_snapshot(network.id)

    def broken(*args, **kwargs):  # the last write fails, after the new member was inserted
        raise DomainError("書き込みに失敗しました。")

    monkeypatch.setattr(apply, "_update_members", broken)
    with pytest.raises(DomainError):
        apply.apply_import(
            db.session,
            network_id=network.id,
            draft_id=draft_id,
            actor=secretariat,
            digest=digest,
            kinds={},
            end_ids=set(),
            end_date=None,
            skip_rejected=True,
        )
    assert roster_snapshot(network.id) == before  # not 新人 二郎 nor ひまわり会
    assert db.session.get(RosterImport, draft_id).applied_at is None
    assert import_events() == []


def test_a_file_without_rejected_rows_has_nothing_to_leave_out(client, secretariat, network, bank):
    draft_id, page = uploaded(client, network, csv_file([HEADER, "みどり信用金庫,山田 太郎,,,,,"]))
    assert "問題のない行だけ取り込む" not in text(page)
    response = client.get(skip_url(network, draft_id))  # an old link: the preview as it is
    assert response.status_code == 200
    assert "名簿の取り込み：内容の確認" in text(response.get_data(as_text=True))
    assert 'name="skip_rejected"' not in response.get_data(as_text=True)


def test_kana_stored_in_katakana_before_is_rewritten_in_hiragana_visibly(
    client, secretariat, network, bank
):
    member = add_member(network, bank, "山田 太郎")
    member.kana = "ヤマダ タロウ"  # as imports stored it before kana were written in hiragana
    db.session.commit()
    draft_id, page = uploaded(
        client, network, csv_file([HEADER, "みどり信用金庫,山田 太郎,ﾔﾏﾀﾞ ﾀﾛｳ,,,,"])
    )
    assert count_line(page, "更新") == 1
    assert "ふりがな：ヤマダ タロウ → やまだ たろう" in text(page)
    confirm(client, network, draft_id, page)
    db.session.expire_all()
    assert db.session.get(Member, member.id).kana == "やまだ たろう"
    # Once in hiragana, the same file changes nothing.
    _, again = uploaded(
        client, network, csv_file([HEADER, "みどり信用金庫,山田 太郎,ヤマダ タロウ,,,,"])
    )
    assert count_line(again, "変更なし") == 1
