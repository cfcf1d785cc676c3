"""Reading roster files as Japanese offices produce them: encodings, Excel, messy cells, headers.

Files go through the real upload form; what the preview shows and what confirming stores is
checked. The value rules (dates, age bands, kinds) are also checked on the pure parser."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests.secretariat.fixtures.roster_files import (
    confirm,
    count_line,
    counts,
    csv_file,
    member_named,
    text,
    upload,
    uploaded,
    xlsx_file,
)
from trainer.accounts.models import Member
from trainer.extensions import db
from trainer.secretariat.models import RosterImport
from trainer.secretariat.roster_import import reading
from trainer.secretariat.roster_import.values import age_band, guess_kind, parse_date

HEADER = "団体名,氏名,ふりがな,職種,年代,加入日"
ROWS = [
    "みどり信用金庫,山田 太郎,やまだ たろう,外勤,40代,2026/4/1",
    "みどり信用金庫,佐藤 花子,さとう はなこ,窓口,30代,2026/4/1",
]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "filename"),
    [
        ("utf-8", ",", "meibo.csv"),
        ("utf-8-sig", ",", "名簿.csv"),
        ("cp932", ",", "名簿（Shift_JIS）.csv"),
        ("utf-16", "\t", "名簿.txt"),  # Excel's 「Unicode テキスト」: BOM, tab separated
    ],
)
def test_each_encoding_is_read(client, secretariat, network, encoding, delimiter, filename):
    lines = [line.replace(",", delimiter) for line in [HEADER, *ROWS]]
    _, page = uploaded(client, network, csv_file(lines, encoding), filename)
    assert count_line(page, "新規") == 2
    assert count_line(page, "取り込めない") == 0
    assert "山田 太郎" in page and "佐藤 花子" in page
    assert "みどり信用金庫" in page


def test_cp932_characters_outside_shift_jis_proper_are_read(client, secretariat, network):
    # 髙 (はしご高), 﨑 and ㈱ exist only in Windows' CP932, not in plain Shift_JIS.
    lines = [
        HEADER,
        "㈱みどり宅配,髙橋 一郎,たかはし いちろう,外勤,50代,2026/4/1",
        "㈱みどり宅配,山﨑 二郎,,,,",
    ]
    _, page = uploaded(client, network, csv_file(lines, "cp932"))
    assert count_line(page, "新規") == 2
    assert "髙橋 一郎" in page and "山﨑 二郎" in page
    assert "(株)みどり宅配" in page  # NFKC: the one-character ㈱ as three characters


def test_xlsx_with_a_title_row_date_cells_and_numbers(client, secretariat, network):
    data = xlsx_file(
        [
            ["みどり市見守りネットワーク 構成員名簿（令和8年4月）"],
            [],
            ["所属", "お名前", "フリガナ", "年齢", "入会日", "構成員番号", "備考"],
            ["みどり信用金庫", "山田　太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", 45, datetime(2026, 4, 1), None, "係長"],
            [],
            ["みどり信用金庫", "佐藤 花子", "サトウ ハナコ", "６２", "R8.5.1", None, None],
        ]
    )
    draft_id, page = uploaded(client, network, data, "名簿.xlsx")
    shown = text(page)
    assert "見出しの行：3行目" in shown
    assert "使わない列：備考" in shown
    assert count_line(page, "新規") == 2
    confirm(client, network, draft_id, page)
    yamada = member_named(network.id, "山田 太郎")
    assert (yamada.kana, yamada.age_band, yamada.membership_start) == (
        "やまだ たろう",  # katakana in the file, stored in hiragana
        "40s",
        date(2026, 4, 1),
    )
    sato = member_named(network.id, "佐藤 花子")
    assert (sato.age_band, sato.membership_start) == ("60plus", date(2026, 5, 1))


def test_full_width_digits_spaces_trailing_blanks_and_blank_lines(client, secretariat, network):
    lines = [
        "みどり市見守りネットワーク 名簿",
        "",
        "団体名 , 氏名 ,ふりがな,職種,年齢,加入年月日,メールアドレス",
        "",
        "ＪＡみどり ,山田　　太郎　,ﾔﾏﾀﾞ　ﾀﾛｳ ,営業,４５,２０２６年４月１日,Taro@Example.JP ",
        ",,,,,,",
        "ＪＡみどり,鈴木 一郎,,,,令和８年４月２日,",
        "   ",
    ]
    draft_id, page = uploaded(client, network, csv_file(lines, "cp932"))
    assert count_line(page, "新規") == 2
    assert count_line(page, "取り込めない") == 0
    response = confirm(client, network, draft_id, page, **{"kind-0": "financial"})
    assert response.status_code == 302
    yamada = member_named(network.id, "山田 太郎")
    assert yamada.organisation.name == "JAみどり"
    assert yamada.kana == "やまだ たろう"  # half-width katakana in the file
    assert (yamada.job_type, yamada.age_band) == ("field", "40s")
    assert yamada.email == "taro@example.jp"
    assert yamada.membership_start == date(2026, 4, 1)
    assert member_named(network.id, "鈴木 一郎").membership_start == date(2026, 4, 2)


def test_a_quoted_cell_with_a_comma_and_doubled_quotes_is_one_cell(client, secretariat, network):
    # A cell split over lines by a line break is refused instead (test_import_limits.py).
    lines = [
        HEADER,
        '"みどり信用金庫, 本店",山田 太郎,,,,2026/4/1',
        '"みどり信用金庫, 本店","佐藤 ""はな"" 花子",,,,2026/4/1',
        "みどり信用金庫 本店,,,,,",
    ]
    _, page = uploaded(client, network, csv_file(lines))
    assert count_line(page, "新規") == 2
    assert "みどり信用金庫, 本店" in page
    assert '佐藤 "はな" 花子' in text(page)
    assert "4行目：氏名が空欄です。" in text(page)


def test_the_template_csv_has_a_bom_and_japanese_headers(client, secretariat, network):
    response = client.get(f"/n/{network.id}/roster/import/template.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    header = response.data.decode("utf-8-sig").splitlines()[0]
    assert header.split(",")[:3] == ["団体名", "氏名", "ふりがな"]
    # Filled in by an office and uploaded again, it is read.
    filled = response.data + "みどり信用金庫,山田 太郎,,,,,,,\r\n".encode()
    _, page = uploaded(client, network, filled, "meibo_template.csv")
    assert count_line(page, "新規") == 1


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.csv", "文字を読み取れませんでした"),
        (b"\x82\xa0\xff\xfe\x81\x00\xfd", "broken.csv", "文字を読み取れませんでした"),
        (
            "団体名,ふりがな\nみどり信金,やまだ\n".encode(),
            "a.csv",
            "氏名の列（見出し「氏名」など）が見つかりません",
        ),
        (
            "氏名,ふりがな\n山田,やまだ\n".encode(),
            "a.csv",
            "構成団体の列（見出し「団体名」など）が見つかりません",
        ),
        ("これは名簿ではありません\n".encode(), "memo.txt", "見出しの行"),
        (b"", "empty.csv", "ファイルが空です"),
        ("団体名,氏名\n".encode(), "a.csv", "構成員の行がありません"),
        (
            b"PK\x03\x04 not really a workbook",
            "名簿.xlsx",
            "Excelファイルとして読み込めませんでした",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "名簿.xls", "古い形式のExcelファイル（.xls）"),
        (b"%PDF-1.7", "名簿.pdf", "CSVファイル（.csv）かExcelファイル（.xlsx）を選んでください"),
    ],
)
def test_file_level_errors_say_why_and_store_nothing(
    client, secretariat, network, data, filename, message
):
    response, draft_id = upload(client, network, data, filename)
    assert response.status_code == 422
    assert draft_id is None
    assert message in text(response.get_data(as_text=True))
    assert db.session.scalars(select(RosterImport)).all() == []


def test_no_file_chosen(client, secretariat, network):
    response = client.post(f"/n/{network.id}/roster/import/", data={})
    assert response.status_code == 422
    assert "ファイルを選んでください" in text(response.get_data(as_text=True))


def test_too_many_rows(client, secretariat, network, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    lines = [HEADER] + [f"みどり信用金庫,構成員 {n},,,,2026/4/1" for n in range(4)]
    response, draft_id = upload(client, network, csv_file(lines))
    assert response.status_code == 422 and draft_id is None
    assert "一度に取り込めるのは3人までです" in text(response.get_data(as_text=True))
    assert counts() == (0, 0)


def test_twenty_thousand_rows_are_accepted(network):
    lines = [HEADER] + [f"団体{n % 200},構成員 {n},,,,2026/4/1" for n in range(20_000)]
    table = reading.read_table(csv_file(lines), "big.csv")
    assert len(table.rows) == 20_000
    assert table.rows[-1].line == 20_001


def test_the_upload_page_explains_the_columns(client, secretariat, network):
    page = text(client.get(f"/n/{network.id}/roster/import/").get_data(as_text=True))
    for words in (
        "団体名",
        "氏名",
        "ふりがな",
        "加入日",
        "ひな形（CSV）をダウンロード",
        "Shift_JIS",
    ):
        assert words in page


# --- the value rules (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026/4/1", date(2026, 4, 1)),
        ("2026-04-01", date(2026, 4, 1)),
        ("2026.4.1", date(2026, 4, 1)),
        ("2026年4月1日", date(2026, 4, 1)),
        ("２０２６／４／１", date(2026, 4, 1)),
        ("令和8年4月1日", date(2026, 4, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R8.4.1", date(2026, 4, 1)),
        ("平成31年4月1日", date(2019, 4, 1)),
        ("H31.4.30", date(2019, 4, 30)),
        ("2026/4/1 0:00", date(2026, 4, 1)),
        ("20260401", date(2026, 4, 1)),
        ("46113", date(2026, 4, 1)),  # Excel's serial number, as a CSV saved from Excel has it
        (datetime(2026, 4, 1, 0, 0), date(2026, 4, 1)),
        ("2026/2/30", None),
        ("来月", None),
        ("4/1", None),
    ],
)
def test_dates(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20代以下", "u30"),
        ("10代", "u30"),
        ("20代", "u30"),
        ("30代", "30s"),
        ("30歳代", "30s"),
        ("４０代", "40s"),
        ("45", "40s"),
        ("45歳", "40s"),
        ("50代", "50s"),
        ("60代以上", "60plus"),
        ("70代", "60plus"),
        ("80代", "60plus"),
        ("65歳以上", "60plus"),
        ("無回答", "unknown"),
        ("30代以下", None),  # spans two bands
        ("20歳以上", None),
        ("若手", None),
        ("5", None),
    ],
)
def test_age_bands(value, expected):
    assert age_band(value) == expected


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("みどり警察署", "police"),
        ("みどり市地域包括支援センター", "community_support"),
        ("みどり市社会福祉協議会", "social_welfare"),
        ("みどり市民生委員児童委員協議会", "welfare_commissioner"),
        ("ケアプランみどり", "care_management"),
        ("みどり信用金庫", "financial"),
        ("ＪＡみどり", "financial"),
        ("コープみどり", "coop_delivery"),
        ("みどり郵便局", "post_office"),
        ("みどり生命保険", "insurance"),
        ("みどり市消費生活センター", "consumer_centre"),
        ("みどり市役所", "municipality"),
        ("高齢福祉課", "municipality"),
        ("ひまわり会", "other"),
    ],
)
def test_kinds_guessed_from_names(name, kind):
    assert guess_kind(name) == kind


def test_members_are_stored_with_search_keys(client, secretariat, network):
    draft_id, page = uploaded(client, network, csv_file([HEADER, ROWS[0]]))
    confirm(client, network, draft_id, page)
    member = db.session.scalars(select(Member)).one()
    assert (member.name_key, member.kana_key) == ("山田太郎", "やまだたろう")
    assert len(member.link_selector) == 16 and len(member.link_verifier) >= 32


def test_a_join_date_outside_the_sane_range_is_a_rejected_row(client, secretariat, network):
    """9999/12/31 (or an Excel serial of year 2118) would otherwise reach the roster: the
    import writes members directly, so it checks the same range as every form."""
    data = (
        "団体名,氏名,加入日\r\n"
        "みどり信用金庫,遠い 未来,9999/12/31\r\n"
        "みどり信用金庫,遠い 過去,1900/1/1\r\n"
    )
    _, page = uploaded(client, network, data.encode(), "名簿.csv")
    shown = text(page)
    assert count_line(page, "取り込めない") == 2
    assert "加入日「9999/12/31」：日付は2000年から2100年の間で入力してください。" in shown
    assert db.session.scalar(select(Member).where(Member.name == "遠い 未来")) is None


def test_the_template_says_its_charset_once(client, secretariat, network):
    response = client.get(f"/n/{network.id}/roster/import/template.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
