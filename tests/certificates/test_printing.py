"""PDF certificates (修了証) and badge sheets (構成員証): text, pages, embedded fonts, QR codes that
real tools decode, duplex mirroring, and long texts that stay inside the card."""

from __future__ import annotations

import io
import os
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tests.tools import need
from trainer.certificates.badge_sheet import BADGE_BACK_FREE_AREA, BADGE_BACK_QR, badge_sheet_pdf
from trainer.certificates.certificate_sheet import (
    CERTIFICATE_QR,
    PrintedCertificate,
    certificate_pdf,
)
from trainer.pdf_drawing import qr_modules
from trainer.pdf_text import fit_font_size, fit_text, text_width, wrap_text
from trainer.timeutil import jdate

MM_PER_PT = 25.4 / 72
DPI = 200
# The 10-up business-card grid, from the paper's geometry rather than from the module's constants.
CARD_W, CARD_H, GRID_LEFT, GRID_TOP = 91.0, 55.0, 14.0, 11.0

CERT = PrintedCertificate(
    serial_label="第00012号",
    member_name="山田　太郎",
    member_kana="やまだ　たろう",
    organisation="みどり信用金庫 本店営業部",
    network="みどり市消費者安全確保地域協議会",
    course_title="見守りネットワーク 基礎研修",
    issued_on=date(2026, 11, 23),
    valid_until=date(2028, 11, 22),
    verify_url="https://mimamori.example.jp/verify/AbCdEfGhIjKlMnOpQrStUvWxYz0123456",
)
SURNAMES = [
    "佐藤", "鈴木", "髙橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山口",
    "松本",
]  # fmt: skip
GIVEN = [
    "花子", "一郎", "﨑子", "美智子", "健", "さくら", "翔太", "由美", "誠", "和子", "浩二", "陽菜",
    "隆",
]  # fmt: skip


def cards(count: int) -> list[PrintedCertificate]:
    return [
        replace(
            CERT,
            serial_label=f"第{i:05d}号",
            member_name=f"{SURNAMES[i - 1]}　{GIVEN[i - 1]}",
            verify_url=f"https://mimamori.example.jp/verify/card{i:02d}-{'x' * 20}",
        )
        for i in range(1, count + 1)
    ]


def text_of(data: bytes, page: int) -> str:
    """The text of a page (0-based) as pypdf extracts it."""
    # fpdf2 gives its CID-keyed OpenType fonts an embedded CMap stream as /Encoding; pypdf 7 reads
    # that as a one-byte encoding, so each two-byte code comes out as NUL + the character (right
    # for the first 256 glyphs of a subset, which is all these small documents use; beyond that
    # the text would come out garbled and the tests fail, never pass wrongly). poppler reads the
    # CMap properly: see test_poppler_extracts_the_same_text.
    return PdfReader(io.BytesIO(data)).pages[page].extract_text().replace("\x00", "")


def poppler_text(data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(data)
    return subprocess.run(
        [need("pdftotext"), "-layout", str(source), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def unembedded_fonts(data: bytes) -> list[str]:
    """Names of the fonts used on any page that carry no font file."""
    missing = []
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"].get_object().get("/Font", DictionaryObject()).get_object()
        for ref in fonts.values():
            font = ref.get_object()
            leaves = font["/DescendantFonts"] if font["/Subtype"] == "/Type0" else [font]
            for leaf in leaves:
                descriptor = leaf.get_object().get("/FontDescriptor")
                files = ("/FontFile", "/FontFile2", "/FontFile3")
                if descriptor is None or not any(f in descriptor.get_object() for f in files):
                    missing.append(str(font["/BaseFont"]))
    return missing


def render(data: bytes, page: int, tmp_path: Path) -> Image.Image:
    """One page rendered at DPI by poppler with no fonts installed at all (an empty fontconfig):
    the text can only come from the fonts embedded in the PDF."""
    fonts_dir, config = tmp_path / "no-fonts", tmp_path / "fonts.conf"
    fonts_dir.mkdir(exist_ok=True)
    config.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{fonts_dir}</dir>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    source, stem = tmp_path / "doc.pdf", tmp_path / f"page{page}"
    source.write_bytes(data)
    result = subprocess.run(
        [
            need("pdftoppm"),
            "-r",
            str(DPI),
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(source),
            str(stem),
        ],
        env={**os.environ, "FONTCONFIG_FILE": str(config)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "font" not in result.stderr.lower(), result.stderr
    return Image.open(stem.with_suffix(".png")).convert("L")


def decode(image: Image.Image, tmp_path: Path, name: str = "decode") -> list[str]:
    """Every QR code zbar finds in the image, one string each."""
    picture = tmp_path / f"{name}.png"
    image.save(picture)
    result = subprocess.run(
        [need("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(picture)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout.splitlines()


def px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def assert_quiet_zone(image: Image.Image, x: float, y: float, side: float, url: str) -> None:
    """Nothing but the code itself within four modules of it: the dark pixels of the square
    grown by the quiet zone are exactly those of the code's own square."""
    quiet = 4 * side / len(qr_modules(url))
    area = image.crop((px(x - quiet), px(y - quiet), px(x + side + quiet), px(y + side + quiet)))
    left, top, right, bottom = area.point(lambda value: 255 if value < 128 else 0).getbbox()
    expected = (px(quiet), px(quiet), px(quiet + side), px(quiet + side))
    assert all(abs(a - b) <= 2 for a, b in zip((left, top, right, bottom), expected, strict=True))


def cell(image: Image.Image, column: int, row: int) -> Image.Image:
    left, top = GRID_LEFT + column * CARD_W, GRID_TOP + row * CARD_H
    return image.crop((px(left), px(top), px(left + CARD_W), px(top + CARD_H)))


# --- The certificate ----------------------------------------------------------------------------


def test_certificate_is_one_a4_page_with_every_detail():
    data = certificate_pdf(CERT)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.28) < 1 and abs(float(box.height) - 841.89) < 1
    text = text_of(data, 0)
    for expected in CERT_TEXTS:
        assert expected in text
    assert unembedded_fonts(data) == []


def test_poppler_extracts_the_same_text(tmp_path):
    # Compared without spaces: poppler lays out the spaced-out title as 「修 了 証」.
    text = "".join(poppler_text(certificate_pdf(CERT), tmp_path).split())
    for expected in CERT_TEXTS:
        assert "".join(expected.split()) in text


CERT_TEXTS = [
    "修了証",
    "第00012号",
    "山田　太郎",
    "やまだ　たろう",
    "みどり信用金庫 本店営業部",
    "みどり市消費者安全確保地域協議会",
    "見守りネットワーク 基礎研修",
    "2026年11月23日",
    "2028年11月22日",
    "この修了証が有効かどうかは、QRコードを読み取ると確認できます。",
    CERT.verify_url,
]


def test_certificate_with_long_texts_keeps_every_word():
    long = replace(
        CERT,
        organisation="社会福祉法人さくら会 特別養護老人ホームみどりの里 在宅介護支援センター",
        network="さくら県みどり市・あおば町・ひかり村広域消費者安全確保地域協議会（見守りネットワーク）",
        course_title="見守りネットワーク 基礎研修（消費者被害の早期発見と相談窓口へのつなぎ方）",
    )
    text = text_of(certificate_pdf(long), 0).replace("\n", "")
    for word in [
        "特別養護老人ホームみどりの里",
        "ひかり村広域消費者安全確保地域協議会",
        "相談窓口",
    ]:
        assert word in text


def test_certificate_qr_code_decodes_without_installed_fonts(tmp_path):
    page = render(certificate_pdf(CERT), 1, tmp_path)
    assert decode(page, tmp_path) == [CERT.verify_url]
    assert_quiet_zone(page, *CERTIFICATE_QR, CERT.verify_url)
    # The text is drawn too (dark pixels in the title's area), not dropped for want of a font.
    title = page.crop((px(60), px(45), px(150), px(70)))
    assert title.getextrema()[0] < 64


# --- The badge sheet ----------------------------------------------------------------------------


def test_badge_sheet_alternates_fronts_and_backs():
    members = cards(13)
    data = badge_sheet_pdf(members)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 4
    first, back, third = (text_of(data, i) for i in (0, 1, 2))
    for member in members[:10]:
        assert member.member_name in first
        assert member.serial_label in back
    assert members[10].member_name not in first
    for member in members[10:]:
        assert member.member_name in third
    assert "見守りネットワーク 構成員" in first
    assert "有効期限 2028年11月22日" in first
    assert members[0].member_name not in back  # backs carry the code, not the name
    assert unembedded_fonts(data) == []


def test_badge_sheet_needs_cards():
    with pytest.raises(ValueError):
        badge_sheet_pdf([])


def test_back_page_codes_decode_and_mirror_the_fronts(tmp_path):
    members = cards(13)
    page = render(badge_sheet_pdf(members), 2, tmp_path)
    assert set(decode(page, tmp_path)) == {m.verify_url for m in members[:10]}
    # Long-edge duplex: the back of the front's left card is on the right, rows unchanged.
    for index, member in enumerate(members[:10]):
        row, column = divmod(index, 2)
        card = cell(page, 1 - column, row)
        found = decode(card, tmp_path, f"cell{index}")
        assert found == [member.verify_url], (index, found)
        assert_quiet_zone(card, *BADGE_BACK_QR, member.verify_url)


def test_last_sheet_backs_are_mirrored_too(tmp_path):
    members = cards(13)
    page = render(badge_sheet_pdf(members), 4, tmp_path)
    assert decode(cell(page, 1, 0), tmp_path, "a") == [members[10].verify_url]
    assert decode(cell(page, 0, 0), tmp_path, "b") == [members[11].verify_url]
    assert decode(cell(page, 1, 1), tmp_path, "c") == [members[12].verify_url]
    assert decode(cell(page, 0, 1), tmp_path, "d") == []


def test_back_keeps_a_free_square_for_a_second_code(tmp_path):
    x, y, side = BADGE_BACK_FREE_AREA
    assert side >= 25 and x >= CARD_W / 2 and x + side <= CARD_W and y + side <= CARD_H
    page = render(badge_sheet_pdf(cards(10)), 2, tmp_path)
    for column in range(2):
        for row in range(5):
            area = cell(page, column, row).crop((px(x), px(y), px(x + side), px(y + side)))
            assert area.getextrema() == (255, 255), (column, row)


def test_long_names_and_organisations_stay_inside_the_card(tmp_path):
    long = replace(
        CERT,
        member_name="寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路",
        member_kana="じゅげむじゅげむごこうのすりきれかいじゃりすいぎょのすいぎょうまつうんらいまつ",
        organisation=(
            "社会福祉法人さくら会 特別養護老人ホームみどりの里 "
            "在宅介護支援センター 居宅介護支援事業所"
        ),
        network="さくら県みどり市・あおば町・ひかり村広域消費者安全確保地域協議会（見守りネットワーク）",
        secretariat_phone="0123-45-6789（平日 9時〜17時、土日祝日・年末年始を除く）",
    )
    assert len(long.member_name) >= 40
    data = badge_sheet_pdf([long, replace(CERT, secretariat_phone="0120-000-000")])
    source = tmp_path / "cards.pdf"
    source.write_bytes(data)
    html = subprocess.run(
        [need("pdftotext"), "-bbox", "-f", "1", "-l", "1", str(source), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    words = [line for line in html.splitlines() if line.strip().startswith("<word ")]
    assert len(words) > 10
    for word in words:
        box = {
            k: float(word.split(f'{k}="')[1].split('"')[0])
            for k in ("xMin", "xMax", "yMin", "yMax")
        }
        left, right = box["xMin"] * MM_PER_PT, box["xMax"] * MM_PER_PT
        top, bottom = box["yMin"] * MM_PER_PT, box["yMax"] * MM_PER_PT
        column = int((left - GRID_LEFT) // CARD_W)
        row = int((top - GRID_TOP) // CARD_H)
        card_left, card_top = GRID_LEFT + column * CARD_W, GRID_TOP + row * CARD_H
        assert card_left + 3 <= left and right <= card_left + CARD_W - 3, word
        assert card_top + 2 <= top and bottom <= card_top + CARD_H - 2, word


# --- Text fitting -------------------------------------------------------------------------------


def test_fit_font_size_shrinks_to_the_width():
    name = "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処"
    size = fit_font_size(name, 81, max_pt=18, min_pt=4)
    assert 4 < size < 18
    assert text_width(name, size) <= 81 < text_width(name, size + 0.25)
    assert fit_font_size("山田　太郎", 81, max_pt=18, min_pt=6) == 18


def test_fit_text_wraps_then_shrinks_never_wider():
    organisation = (
        "社会福祉法人さくら会 特別養護老人ホームみどりの里 在宅介護支援センター 居宅介護支援事業所"
    )
    block = fit_text(organisation, 81, max_pt=9, min_pt=7, max_lines=2)
    assert len(block.lines) == 2 and block.size_pt >= 7
    assert "".join(block.lines).replace(" ", "") == organisation.replace(" ", "")
    assert all(text_width(line, block.size_pt) <= 81 for line in block.lines)
    tiny = fit_text("あ" * 200, 20, max_pt=9, min_pt=7, max_lines=2)
    assert tiny.lines[-1].endswith("…")
    assert all(text_width(line, tiny.size_pt) <= 20 for line in tiny.lines)


def test_wrap_text_keeps_punctuation_off_line_starts():
    size = 10
    width = text_width("あいうえお", size) + 0.1
    assert wrap_text("あいうえお。かき", width, size) == ["あいうえ", "お。かき"]
    assert wrap_text("あいう「えお」", width, size)[0] == "あいう"
    assert wrap_text("みどり市・あおば町", text_width("みどり市・あお", size), size) == [
        "みどり市・",
        "あおば町",
    ]


def test_japanese_dates_are_not_zero_padded():
    assert jdate(date(2026, 1, 5)) == "2026年1月5日"


def test_qr_modules_is_a_square_matrix_with_finder_patterns():
    modules = qr_modules(CERT.verify_url)
    size = len(modules)
    assert size >= 21 and (size - 21) % 4 == 0
    assert all(len(row) == size for row in modules)
    assert modules[0][:7] == [True] * 7 and modules[0][-7:] == [True] * 7
    assert modules[-1][:7] == [True] * 7
