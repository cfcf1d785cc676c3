"""The bulletin printed for notice boards: an A4 PDF per organisation, read back with pypdf and
rendered with poppler; who may print which copy."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.bulletins.output_helpers import make_bulletin, picture
from tests.tools import need
from trainer.accounts.models import Role
from trainer.bulletins import print_text, printing
from trainer.bulletins.print_blocks import blocks
from trainer.bulletins.print_text import break_lines, width
from trainer.extensions import db
from trainer.markdown import render
from trainer.pdf_text import printable as printable_each

A4_PT = (595.28, 841.89)


def pdf_text(data: bytes) -> list[str]:
    """Each page's text as pypdf reads it (it puts NULs between these CID glyphs; dropped, as
    tests/certificates/test_printing.py does)."""
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text().replace("\x00", "") for page in reader.pages]


def flat(text: str) -> str:
    """Extracted text without the line breaks and spaces that layout put in."""
    return "".join(text.split())


def png_pages(data: bytes, tmp_path: Path, name: str) -> list[Path]:
    """The pages rendered at 60 dpi (pdftoppm -r 60 -png), as the files poppler wrote."""
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        [need("pdftoppm"), "-r", "60", "-png", str(pdf), str(tmp_path / name)], check=True
    )
    return sorted(tmp_path.glob(f"{name}-*.png"))


@pytest.fixture
def board(make_network, make_org, make_member, make_user):
    network = make_network(name="みどり市見守りネットワーク協議会")
    network.consumer_centre_name = "みどり市消費生活センター"
    network.consumer_centre_phone = "0120-123-456"
    db.session.commit()
    care = make_org(network, name="ひまわり居宅介護支援事業所", kind="care_management")
    bank = make_org(network, name="みどり信用金庫", kind="financial")
    return {
        "network": network,
        "care": care,
        "bank": bank,
        "secretariat": make_user(network, Role.SECRETARIAT),
        "trainer": make_user(network, Role.TRAINER),
        "care_member": make_member(network, care),
        "bank_member": make_member(network, bank),
    }


# --- the document ---------------------------------------------------------------------------


def test_the_copy_names_network_organisation_title_date_and_body(app, board):
    bulletin = make_bulletin(board["network"])
    data = printing.notice_pdf(
        printing.printed_bulletin(bulletin, board["network"]), [board["care"].name]
    )
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == pytest.approx(A4_PT, abs=0.1)
    text = flat(pdf_text(data)[0])
    for expected in (
        "みどり市見守りネットワーク協議会",
        "ひまわり居宅介護支援事業所掲示用",
        "注意喚起",
        "還付金詐欺にご注意ください",
        "2026年12月4日発行",  # 09:30 in Japan on the 4th (00:30 UTC)
        "還付金詐欺の電話が増えています",
        "医療費の還付金があります",
        "ATMでお金が戻ることはありません。",
        "消費者庁の注意喚起（https://www.caa.go.jp/）",  # a link prints with its address
        "1.まず電話を切る",
        "消費者ホットライン188",
        "みどり市消費生活センター0120-123-456",
        "1/1",
    ):
        assert expected in text, expected
    assert reader.metadata.title == "注意喚起 還付金詐欺にご注意ください"


def test_a_long_body_flows_onto_numbered_pages(app, board, tmp_path):
    paragraphs = [f"第{n}段落。" + "見守りの声かけを続けましょう。" * 14 for n in range(1, 41)]
    bulletin = make_bulletin(board["network"], kind="newsletter", body="\n\n".join(paragraphs))
    data = printing.notice_pdf(
        printing.printed_bulletin(bulletin, board["network"]), [board["care"].name]
    )
    pages = pdf_text(data)
    assert len(pages) >= 3
    everything = flat("".join(pages))
    for n in (1, 20, 40):  # nothing is lost between pages
        assert f"第{n}段落。" in everything
    for number, text in enumerate(pages, start=1):
        assert f"{number}/{len(pages)}" in flat(text)
        assert "ひまわり居宅介護支援事業所掲示用" in flat(text)
        assert "消費者ホットライン188" in flat(text)
    assert "（つづき）" in pages[1]
    assert "見守り通信" in pages[0]
    assert len(png_pages(data, tmp_path, "long")) == len(pages)


def test_one_pdf_for_every_organisation_of_the_audience(app, board, make_org):
    police = make_org(board["network"], name="みどり警察署", kind="police")
    bulletin = make_bulletin(board["network"], org_kinds=["financial"], org_ids=[police.id])
    copies = printing.notice_pdf(
        printing.printed_bulletin(bulletin, board["network"]), ["みどり信用金庫", "みどり警察署"]
    )
    pages = pdf_text(copies)
    assert len(pages) == 2
    assert "みどり信用金庫掲示用" in flat(pages[0])
    assert "みどり警察署掲示用" in flat(pages[1])
    assert all("1/1" in flat(page) for page in pages)  # each copy counts its own pages


def test_a_picture_is_printed_and_a_pdf_attachment_named(app, board, tmp_path):
    with_picture = make_bulletin(
        board["network"], attachment=("chirashi.png", "image/png", picture("PNG", (600, 300)))
    )
    data = printing.notice_pdf(
        printing.printed_bulletin(with_picture, board["network"]), [board["care"].name]
    )
    [page] = png_pages(data, tmp_path, "picture")
    with Image.open(page) as image:
        rgb = image.convert("RGB")
        reds = sum(
            1
            for x in range(0, rgb.width, 4)
            for y in range(0, rgb.height, 4)
            if rgb.getpixel((x, y)) == (200, 40, 40)
        )
    assert reds > 200  # the red field of the picture, under the body
    jpeg = make_bulletin(board["network"], attachment=("photo.jpg", "image/jpeg", picture("JPEG")))
    assert printing.printed_bulletin(jpeg, board["network"]).image is not None
    leaflet = make_bulletin(
        board["network"], attachment=("leaflet.pdf", "application/pdf", b"%PDF-1.4 ...")
    )
    text = flat(
        pdf_text(printing.notice_pdf(printing.printed_bulletin(leaflet, board["network"]), ["X"]))[
            0
        ]
    )
    assert "添付資料：leaflet.pdf（画面でご覧ください）" in text
    # A file that says it is a PNG but is not one is left out, not drawn as garbage.
    fake = make_bulletin(board["network"], attachment=("x.png", "image/png", b"not a picture"))
    assert printing.printed_bulletin(fake, board["network"]).image is None
    mislabelled = make_bulletin(
        board["network"], attachment=("x.png", "image/png", picture("JPEG"))
    )
    assert printing.printed_bulletin(mislabelled, board["network"]).image is None


def test_text_the_font_lacks_prints_as_a_mark(app, board):
    bulletin = make_bulletin(board["network"], title="絵文字👍🏽のお知らせ", body="本文🙂です")
    data = printing.notice_pdf(printing.printed_bulletin(bulletin, board["network"]), ["団体"])
    text = flat(pdf_text(data)[0])
    assert "絵文字〓のお知らせ" in text
    assert "本文〓です" in text


def test_a_run_of_characters_the_font_lacks_is_one_mark_and_line_breaks_stay():
    # The print's rule (trainer.pdf_text.printable with one_mark); the certificates mark each.
    assert print_text.printable("😀😀 🇯🇵🇺🇸\n〓😀本") == "〓 〓\n〓本"
    assert printable_each("😀😀 🇯🇵🇺🇸") == "〓〓 〓〓"


def test_placeholders_take_the_networks_values(app, board):
    bulletin = make_bulletin(board["network"], body="電話は {{ consumer_centre_phone }} へ。")
    data = printing.notice_pdf(printing.printed_bulletin(bulletin, board["network"]), ["団体"])
    assert "電話は0120-123-456へ。" in flat(pdf_text(data)[0])


# --- layout helpers -----------------------------------------------------------------------


def test_markdown_becomes_blocks_with_bold_runs_and_list_markers():
    html = str(render("## 見出し\n\n本文の**太字**です。\n\n- 一\n- 二\n\n1. 手順\n\n---\n"))
    found = [(b.kind, b.marker, b.text) for b in blocks(html)]
    assert found == [
        ("heading", "", "見出し"),
        ("paragraph", "", "本文の太字です。"),
        ("item", "・", "一"),
        ("item", "・", "二"),
        ("item", "1.", "手順"),
        ("rule", "", ""),
    ]
    paragraph = blocks(html)[1]
    assert [(r.text, r.bold) for r in paragraph.runs] == [
        ("本文の", False),
        ("太字", True),
        ("です。", False),
    ]


def test_a_call_out_is_set_apart_with_its_title():
    """!!! 注意 prints as on screen: its title and paragraphs marked as a call-out (set in, with
    a bar drawn down their left), and what follows it is ordinary text again."""
    html = str(
        render(
            "前。\n\n!!! 注意\n    その場で契約しない。\n\n    8日以内なら解約できる。\n\n後。\n"
        )
    )
    found = [(b.kind, b.callout, b.text) for b in blocks(html)]
    assert found == [
        ("paragraph", False, "前。"),
        ("heading", True, "注意"),
        ("paragraph", True, "その場で契約しない。"),
        ("paragraph", True, "8日以内なら解約できる。"),
        ("paragraph", False, "後。"),
    ]
    assert [r.bold for r in blocks(html)[1].runs] == [True]
    items = printing.body_items(
        printing.PrintedBulletin(
            network_name="協議会",
            kind="warning",
            kind_label="注意喚起",
            title="題",
            published_on="2026年12月5日",
            body_html=html,
        )
    )
    lines = [i for i in items if isinstance(i, printing.TextLine)]
    texts = ["".join(p.text for p in line.pieces) for line in lines]
    barred = {t for t, line in zip(texts, lines, strict=True) if line.bar}
    assert barred == {"注意", "その場で契約しない。", "8日以内なら解約できる。"}
    assert all(line.x == printing.CALLOUT_INDENT for line in lines if line.bar)


def test_lines_break_with_kinsoku_and_never_overflow():
    text = (
        "見守りの声かけ、「お金の話」が出たら相談。" * 6
        + " https://www.example.jp/a/very/long/path"
    )
    lines = break_lines([(text, False)], 60.0, 12.0)
    assert "".join(p.text for line in lines for p in line).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        joined = "".join(p.text for p in line)
        assert not joined.startswith(("、", "。", "」"))
        assert not joined.endswith("「")
        # Only a hanging 、or 。 may pass the edge.
        assert width(joined.rstrip("、。"), 12.0) <= 60.0 + 1e-6


# --- who may print -------------------------------------------------------------------------


def test_the_secretariat_prints_one_organisation_or_all(app, client, login, board):
    bulletin = make_bulletin(board["network"], org_kinds=["financial"])
    login(client, board["secretariat"])
    base = f"/n/{board['network'].id}/bulletins/{bulletin.id}/notice"
    page = client.get(base)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "みどり信用金庫" in html and "ひまわり居宅介護支援事業所" not in html
    one = client.get(f"{base}/{board['bank'].id}.pdf")
    assert one.status_code == 200
    assert one.headers["Content-Type"] == "application/pdf"
    assert one.headers["Cache-Control"] == "no-store"
    assert "みどり信用金庫掲示用" in flat(pdf_text(one.data)[0])
    # An organisation outside the audience has no copy.
    assert client.get(f"{base}/{board['care'].id}.pdf").status_code == 404
    every = client.get(f"{base}.pdf")
    assert every.status_code == 200
    assert len(pdf_text(every.data)) == 1


def test_drafts_and_scheduled_bulletins_are_not_printed(app, client, login, board):
    login(client, board["secretariat"])
    draft = make_bulletin(board["network"], published_at=None)
    scheduled = make_bulletin(board["network"], published_at=None, publish_at=datetime(2099, 1, 1))
    for bulletin in (draft, scheduled):
        base = f"/n/{board['network'].id}/bulletins/{bulletin.id}/notice"
        assert client.get(base).status_code == 404
        assert client.get(f"{base}.pdf").status_code == 404
        assert client.get(f"{base}/{board['care'].id}.pdf").status_code == 404


def test_trainers_cannot_print(app, client, login, board):
    bulletin = make_bulletin(board["network"])
    login(client, board["trainer"])
    url = f"/n/{board['network'].id}/bulletins/{bulletin.id}/notice.pdf"
    assert client.get(url).status_code == 403


def test_a_member_prints_their_own_organisations_copy(app, client, login, board):
    bulletin = make_bulletin(board["network"], org_kinds=["care_management"])
    login(client, board["care_member"])
    response = client.get(f"/learn/bulletins/{bulletin.id}/notice.pdf")
    assert response.status_code == 200
    assert "ひまわり居宅介護支援事業所掲示用" in flat(pdf_text(response.data)[0])
    # Not meant for the bank's member; not there before it is published.
    login(client, board["bank_member"])
    assert client.get(f"/learn/bulletins/{bulletin.id}/notice.pdf").status_code == 404
    draft = make_bulletin(board["network"], published_at=None)
    login(client, board["care_member"])
    assert client.get(f"/learn/bulletins/{draft.id}/notice.pdf").status_code == 404


def test_a_member_never_prints_another_networks_bulletin(app, client, login, board, make_network):
    other = make_bulletin(make_network(name="よその協議会"))
    login(client, board["care_member"])
    assert client.get(f"/learn/bulletins/{other.id}/notice.pdf").status_code == 404


def test_signed_out_visitors_and_staff_get_no_member_copy(app, client, login, board):
    bulletin = make_bulletin(board["network"])
    assert client.get(f"/learn/bulletins/{bulletin.id}/notice.pdf").status_code == 401
    login(client, board["secretariat"])
    assert client.get(f"/learn/bulletins/{bulletin.id}/notice.pdf").status_code == 403


def test_long_names_and_titles_stay_on_the_page(app, board, tmp_path):
    network = board["network"]
    network.name = (
        "さくら県みどり市・あおば町・こもれび村広域消費者安全確保地域協議会（見守りネットワーク）"
    )
    network.consumer_centre_phone = ""  # not set: the foot gives 188 alone
    db.session.commit()
    title = "「お金が戻る」「点検が必要」と言われたら、まず電話を切って相談を。" * 3
    bulletin = make_bulletin(network, title=title)
    organisation = "社会福祉法人みどり福祉会 特別養護老人ホームこもれびの里 居宅介護支援事業所"
    data = printing.notice_pdf(printing.printed_bulletin(bulletin, network), [organisation])
    text = flat(pdf_text(data)[0])
    assert flat(title) in text
    assert flat(network.name) in text
    assert flat(organisation) + "掲示用" in text
    assert "消費者ホットライン188" in text
    assert "0120" not in text and "みどり市消費生活センター" not in text
    assert png_pages(data, tmp_path, "long-names")


def test_the_date_is_the_day_in_japan(app, board):
    late = make_bulletin(board["network"], published_at=datetime(2026, 12, 4, 16, 0))  # 01:00 JST
    data = printing.notice_pdf(printing.printed_bulletin(late, board["network"]), ["団体"])
    assert "2026年12月5日発行" in flat(pdf_text(data)[0])
