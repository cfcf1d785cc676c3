"""Uploads that must be refused quickly, and cells whose problem must be named truly.

Files made to pin a worker's CPU or fill its memory (a 1.6 KB workbook declaring every cell of a
sheet, five million empty rows, a deflate bomb, …) are refused through the real upload form with
a Japanese message saying what is too big and what to do, within seconds, storing nothing, with
422 and never a 500. A CSV line with an unclosed quote is that line's rejected row, never
members merged into one. A formula without a saved result and an over-long cell are called
what they are. Control characters never reach the roster. Timings and memory proper are
bench/import_bombs.py's; the bounds here are loose because CI machines are noisy."""

from __future__ import annotations

import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests.secretariat.fixtures import hostile_files as hostile
from tests.secretariat.fixtures.roster_files import (
    confirm,
    count_line,
    counts,
    csv_file,
    text,
    upload,
    uploaded,
)
from trainer.accounts.models import Member, Organisation
from trainer.extensions import db
from trainer.secretariat.models import RosterImport
from trainer.secretariat.roster_import import reading, xlsx_parts, xlsx_reader

SECONDS = 10  # loose: the real figures are well under a second (bench/import_bombs.py)
AS_CSV = "「CSV UTF-8（コンマ区切り）」で保存してから選んでください"


def _refused_quickly(client, network, data: bytes, filename: str, message: str) -> str:
    started = time.perf_counter()
    response, draft_id = upload(client, network, data, filename)
    elapsed = time.perf_counter() - started
    page = text(response.get_data(as_text=True))
    assert response.status_code == 422, page[:2000]
    assert draft_id is None
    assert message in page, page[:2000]
    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert db.session.scalars(select(RosterImport)).all() == []
    assert counts() == (0, 0)
    return page


# --- hostile workbooks ------------------------------------------------------------------------

HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    (
        "A1:XFD1048576 declared, 1.6 KB",
        hostile.huge_dimension,
        "シートの行が多すぎます（使われている範囲がA1:XFD1048576まで広がっています。"
        "空の行も含めて100,000行目まで読み込めます）",
    ),
    (
        "5,000,000 empty rows, 45 KB",
        lambda: hostile.empty_rows(5_000_000),
        "Excelファイルの中身が、ふつうのファイルではありえないほど圧縮されています",
    ),
    (
        "deflate bomb: 200 MB of spaces in 200 KB",
        lambda: hostile.deflate_bomb(200),
        "Excelファイルの中身が大きすぎます（シートを展開すると200MB、読み込めるのは64MBまでです）",
    ),
    (
        "150,000 empty rows, under the ratio check",
        lambda: hostile.empty_rows(150_000),
        "シートの行が多すぎます（100,001行目に行があります。",
    ),
    (
        "150,000 empty rows all numbered 5",
        lambda: hostile.empty_rows(150_000, '<row r="5"/>'),
        "シートの行が多すぎます（行が100,000より多くあります。",
    ),
    (
        "an empty row at 100,001 without a dimension",
        lambda: hostile.far_row(100_001),
        "シートの行が多すぎます（100,001行目に行があります。",
    ),
    (
        "one row of 2,000,001 empty cells",
        lambda: hostile.wide_row(2_000_001),
        "シートのセルが多すぎます。",
    ),
    (
        "a start tag of 7 MB",
        lambda: hostile.giant_attribute(7),
        "Excelファイルとして読み込めませんでした",
    ),
    (
        "a DTD with nested entities (billion laughs)",
        hostile.entity_expansion,
        "Excelファイルとして読み込めませんでした",
    ),
]


@pytest.mark.parametrize(
    ("build", "message"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_workbooks_are_refused_quickly_and_store_nothing(
    client, secretariat, network, build, message
):
    _refused_quickly(client, network, build(), "名簿.xlsx", message)


# Over 500 KB, so read here and not uploaded: werkzeug's test client leaves the temporary file
# of such a request body unclosed, which filterwarnings = error turns into a failure.
LARGE_HOSTILE: list[tuple[str, Callable[[], bytes], str]] = [
    (
        "400,001 shared strings",
        lambda: hostile.many_strings(400_001),
        "Excelファイルの中の文字の種類が多すぎます（400,000種類まで）",
    ),
    (
        "30,000 parts in the archive",
        lambda: hostile.many_parts(30_000),
        "Excelファイルの中に含まれるファイルが多すぎます",
    ),
]


@pytest.mark.parametrize(
    ("build", "message"), [h[1:] for h in LARGE_HOSTILE], ids=[h[0] for h in LARGE_HOSTILE]
)
def test_large_hostile_workbooks_are_refused_quickly(build, message):
    data = build()
    started = time.perf_counter()
    with pytest.raises(reading.ImportFileError) as refused:
        reading.read_table(data, "名簿.xlsx")
    assert message in refused.value.message
    assert time.perf_counter() - started < SECONDS


@pytest.mark.parametrize(
    "build",
    [
        hostile.huge_dimension,
        lambda: hostile.empty_rows(5_000_000),
        lambda: hostile.deflate_bomb(200),
    ],
    ids=["A1:XFD1048576", "5,000,000 empty rows", "200 MB deflate bomb"],
)
def test_the_worst_files_are_refused_in_little_memory(build):
    data = build()
    tracemalloc.start()
    try:
        with pytest.raises(reading.ImportFileError):
            reading.read_table(data, "名簿.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"


def test_the_same_workbook_without_the_hostile_part_is_read(client, secretariat, network):
    _, page = uploaded(client, network, hostile.roster_only(), "名簿.xlsx")
    assert count_line(page, "新規") == 2
    # A far row inside the limit costs nothing: nothing between is made up.
    _, page = uploaded(client, network, hostile.far_row(100_000), "名簿.xlsx")
    assert count_line(page, "新規") == 2


# --- what the reader gives: openpyxl's values, and what openpyxl hid ---------------------------

SHARED = [
    "<t>団体名</t>",
    "<t>氏名</t>",
    "<t>加入日</t>",
    # Rich text runs, and the furigana Japanese Excel stores beside the text (not part of it).
    '<r><rPr><b/></rPr><t>みどり</t></r><r><t>信用金庫</t></r><rPh sb="0" eb="3"><t>ミドリ</t>'
    '</rPh><phoneticPr fontId="0"/>',
    '<t>山田 太郎</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><rPh sb="3" eb="5"><t>タロウ</t></rPh>',
    '<t xml:space="preserve"> 佐藤 花子 </t>',
]
ROWS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    '<c r="C1" t="s"><v>2</v></c><c r="D1" t="inlineStr"><is><t>年齢</t></is></c>'
    '<c r="E1" t="inlineStr"><is><t>在籍</t></is></c><c r="F1" t="inlineStr"><is><t>番号</t></is>'
    "</c></row>"
    '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c>'
    '<c r="C2" s="1"><v>46113</v></c><c r="D2"><v>45</v></c><c r="E2" t="b"><v>1</v></c>'
    '<c r="F2"><v>12.5</v></c></row>'
    # Row 3 is missing; row 4 has cached formula results (text, error, number).
    '<row r="4"><c r="A4" t="s"><v>3</v></c><c r="B4" t="s"><v>5</v></c>'
    '<c r="C4" s="2"><v>46114</v></c><c r="D4" t="str"><f>"4"&amp;"0"</f><v>40</v></c>'
    '<c r="E4" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="F4"><f>1+1</f><v>2</v></c></row>'
    # Neither the row nor its cells say where they are: the next row, from column A.
    '<row><c t="inlineStr"><is><t>ひまわり会</t></is></c><c><v>1</v></c></row>'
)


def _openpyxl_rows(data: bytes) -> dict[int, list[object]]:
    book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    rows = {}
    for number, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        values = list(cells)
        while values and values[-1] is None:
            values.pop()
        if values:
            rows[number] = values
    book.close()
    return rows


def _reader_rows(data: bytes) -> dict[int, list[object]]:
    return {
        number: [c.code if isinstance(c, xlsx_reader.ExcelError) else c for c in cells]
        for number, cells in xlsx_reader.sheet_rows(data)
        if cells
    }


@pytest.mark.parametrize("date1904", [False, True])
def test_the_reader_gives_the_cells_openpyxl_gave(date1904):
    data = hostile.sheet_of(ROWS, SHARED, date1904=date1904)
    assert _reader_rows(data) == _openpyxl_rows(data)
    rows = _reader_rows(data)
    assert rows[2][:3] == [
        "みどり信用金庫",
        "山田 太郎",
        datetime(2026, 4, 1) if not date1904 else datetime(2030, 4, 2),
    ]


def test_a_workbook_written_by_openpyxl_reads_the_same():
    book = Workbook()
    sheet = book.active
    for row in (
        ["みどり市見守りネットワーク 構成員名簿"],
        [],
        ["所属", "お名前", "入会日", "年齢", "番号", "メモ"],
        ["みどり信用金庫", "山田　太郎", datetime(2026, 4, 1), 45, 12.5, True],
        ["ＪＡみどり", None, "R8.5.1", "６２", 7, "=1+1"],
    ):
        sheet.append(row)
    sheet["H9"] = "離れたセル"
    out = BytesIO()
    book.save(out)
    data = out.getvalue()
    reader = _reader_rows(data)
    assert reader[5].pop() is xlsx_reader.FORMULA_NOT_SAVED  # openpyxl: None, like a blank
    expected = _openpyxl_rows(data)
    assert reader == expected


def test_a_formula_without_a_saved_result_is_not_called_blank(client, secretariat, network):
    book = Workbook()
    sheet = book.active
    sheet.append(["団体名", "氏名", "年代"])
    sheet.append(["みどり警察署", '=CONCAT("山田"," ","太郎")', "40代"])
    sheet.append(["=A2", "佐藤 花子", "=C2"])
    out = BytesIO()
    book.save(out)
    _, page = uploaded(client, network, out.getvalue(), "名簿.xlsx")
    shown = text(page)
    assert count_line(page, "取り込めない") == 2
    assert (
        "2行目：氏名の欄は数式ですが、計算した結果がファイルに保存されていません"
        "（Excelで一度も計算されていないファイルのようです）。Excelで開いて保存し直してください。"
    ) in shown
    assert "3行目：団体名の欄は数式ですが" in shown
    assert "3行目：年代の欄は数式ですが" in shown
    assert "空欄" not in shown


def test_an_error_result_is_named(client, secretariat, network):
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>団体名</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>氏名</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>みどり警察署</t></is></c>'
        '<c r="B2" t="e"><f>VLOOKUP(1,Z:Z,2,0)</f><v>#N/A</v></c></row>'
    )
    _, page = uploaded(client, network, hostile.sheet_of(rows), "名簿.xlsx")
    assert "2行目：氏名の欄の数式がエラー（#N/A）になっています。" in text(page)


def test_a_header_of_unsaved_formulas_says_so(client, secretariat, network):
    book = Workbook()
    book.active.append(['="団体名"', '="氏名"'])
    book.active.append(["みどり警察署", "山田 太郎"])
    out = BytesIO()
    book.save(out)
    page = _refused_quickly(client, network, out.getvalue(), "名簿.xlsx", "見出しの行")
    assert "1行目：数式の結果がファイルに保存されていないセルがあります。" in page


def test_an_xlsx_cell_longer_than_excel_allows_is_cut_and_called_too_long(
    client, secretariat, network
):
    long = "長" * 140_000
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>団体名</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>氏名</t></is></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{long}</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>山田 太郎</t></is></c></row>'
    )
    draft_id, page = uploaded(client, network, hostile.sheet_of(rows), "名簿.xlsx")
    assert "2行目：団体名が長すぎます（200文字まで）。" in text(page)
    kept = db.session.get(RosterImport, draft_id).rows[0]["organisation"]
    assert len(kept) == xlsx_parts.MAX_CELL_CHARS


# --- CSV: one line, one row -------------------------------------------------------------------

UNCLOSED = [
    "団体名,氏名",
    "みどり警察署,山田 一郎",
    'みどり警察署,"閉じ忘れ 太郎',
    "みどり警察署,消える 次郎",
    "みどり警察署,消える 三郎",
]


def test_an_unclosed_quote_is_a_rejected_row_not_members_merged(client, secretariat, network):
    draft_id, page = uploaded(client, network, csv_file(UNCLOSED))
    shown = text(page)
    assert count_line(page, "取り込めない") == 1
    assert count_line(page, "新規") == 3
    assert '3行目：引用符「"」の数が合いません（閉じ忘れか、セルの中の改行）。' in shown
    assert "消える 次郎" in shown and "消える 三郎" in shown
    assert "閉じ忘れ 太郎 みどり警察署" not in shown
    assert 'name="digest"' not in page  # all or nothing: no confirmation
    posted = client.post(
        f"/n/{network.id}/roster/import/{draft_id}/confirm", data={"digest": "0" * 64}
    )
    assert posted.status_code in (409, 422)
    assert counts() == (0, 0)


def test_a_quoted_cell_split_over_lines_is_refused_line_by_line(client, secretariat, network):
    lines = [
        "団体名,氏名,ふりがな",
        '"みどり信用金庫, 本店",山田 太郎,やまだ たろう',
        '"みどり信用金庫, 本店","佐藤',
        '花子",さとう はなこ',
        "みどり信用金庫 本店,,",
    ]
    _, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert count_line(page, "新規") == 1  # the comma inside quotes still works
    assert '3行目：引用符「"」の数が合いません' in shown
    assert '4行目：引用符「"」の数が合いません' in shown
    assert "5行目：氏名が空欄です。" in shown


def test_a_quote_followed_by_text_is_a_rejected_row(client, secretariat, network):
    lines = ["団体名,氏名", '"みどり"警察署,山田 太郎', "みどり警察署,佐藤 花子"]
    _, page = uploaded(client, network, csv_file(lines))
    assert count_line(page, "取り込めない") == 1
    assert '2行目：引用符「"」の位置が正しくありません' in text(page)


def test_a_cell_longer_than_csvs_field_limit_is_called_too_long(client, secretariat, network):
    lines = ["団体名,氏名", "みどり警察署," + "長" * 140_000, "みどり警察署,佐藤 花子"]
    _, page = uploaded(client, network, csv_file(lines))
    shown = text(page)
    assert count_line(page, "取り込めない") == 1
    assert "2行目：この行は文字が多すぎます（140,007文字。1行に100,000文字まで）。" in shown
    assert "引用符" not in shown


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_each_line_is_one_row_whatever_ends_it(client, secretariat, network, newline):
    lines = ["団体名,氏名", "みどり警察署,山田 太郎", "", "みどり警察署,"]
    _, page = uploaded(client, network, csv_file(lines, newline=newline))
    assert "4行目：氏名が空欄です。" in text(page)


def test_blank_lines_count_towards_the_line_limit(client, secretariat, network):
    data = csv_file(["団体名,氏名", "みどり警察署,山田 太郎"] + [""] * 100_000)
    _refused_quickly(
        client,
        network,
        data,
        "名簿.csv",
        "行が多すぎます（空の行も含めて100,000行まで読み込めます）",
    )


def test_a_member_number_of_thousands_of_digits_is_a_rejected_row(client, secretariat, network):
    lines = ["団体名,氏名,構成員番号", "みどり警察署,山田 太郎," + "1" * 5000]
    _, page = uploaded(client, network, csv_file(lines))
    assert "2行目：構成員番号「" + "1" * 40 + "…」は数字ではありません。" in text(page)


# --- control characters -----------------------------------------------------------------------


def _no_controls(value: str | None) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Cf") for c in value or "")


def _assert_clean_roster(network_id: int) -> None:
    members = db.session.scalars(select(Member).where(Member.network_id == network_id)).all()
    assert sorted(m.name for m in members) == ["佐藤 花子", "山田 太郎"]
    assert sorted(m.kana for m in members) == ["さとう はなこ", "やまだ たろう"]
    orgs = db.session.scalars(select(Organisation.name)).all()
    assert orgs == ["みどり警察署"]
    for member in members:
        assert _no_controls(member.name) and _no_controls(member.kana)


def test_control_characters_in_a_csv_never_reach_the_roster(client, secretariat, network):
    lines = [
        "団体名,氏名,ふりがな",
        "みどり\x1b警察署\x7f,山\x9b田\u202e 太郎,\u200bやまだ\x85たろう",
        'みどり警察署,"佐藤\t花子",さとう\x01 はなこ\x1f',
    ]
    draft_id, page = uploaded(client, network, csv_file(lines, "utf-8"))
    assert count_line(page, "新規") == 2
    draft = db.session.get(RosterImport, draft_id)
    assert all(_no_controls(str(value)) for row in draft.rows for value in row.values())
    confirm(client, network, draft_id, page)
    _assert_clean_roster(network.id)


def test_control_characters_in_an_xlsx_never_reach_the_roster(client, secretariat, network):
    shared = [
        "<t>団体名</t>",
        "<t>氏名</t>",
        "<t>ふりがな</t>",
        "<t>みどり_x001B_警察署\x7f</t>",  # ESC as OOXML writes it, DEL as it is
        "<t>山\x9b田_x0000_ 太郎</t>",  # a C1 control, NUL
        "<t>やまだ_x000D_\nたろう</t>",  # Excel's Alt+Enter line break after a CR
        "<t>佐藤\t花子</t>",
        "<t>さとう\x85はなこ</t>",  # NEL: a line break
    ]
    rows = "".join(
        f'<row r="{n}">'
        + "".join(
            f'<c r="{col}{n}" t="s"><v>{index}</v></c>'
            for col, index in zip("ABC", indexes, strict=True)
        )
        + "</row>"
        for n, indexes in ((1, (0, 1, 2)), (2, (3, 4, 5)), (3, (3, 6, 7)))
    )
    draft_id, page = uploaded(client, network, hostile.sheet_of(rows, shared), "名簿.xlsx")
    assert count_line(page, "新規") == 2
    draft = db.session.get(RosterImport, draft_id)
    assert all(_no_controls(str(value)) for row in draft.rows for value in row.values())
    confirm(client, network, draft_id, page)
    _assert_clean_roster(network.id)
