"""The personal-link QR code, decoded by a real decoder (zbar), carries the link shown beside it;
the QR sheet's help is large enough to read."""

from __future__ import annotations

import io
import re
import subprocess

from pypdf import PdfReader

from tests.conftest import BASE_URL
from tests.tools import need
from trainer.accounts.models import Role
from trainer.secretariat.link_sheet import (
    INSTRUCTION_PHRASES,
    INSTRUCTIONS,
    LinkSlip,
    link_sheet_pdf,
)


def decode_svg(svg: str, tmp_path) -> str:
    source, picture = tmp_path / "qr.svg", tmp_path / "qr.png"
    source.write_text(svg, encoding="utf-8")
    subprocess.run(
        [need("rsvg-convert"), "-w", "400", "-b", "white", str(source), "-o", str(picture)],
        check=True,
        timeout=30,
    )
    done = subprocess.run(
        [need("zbarimg"), "--raw", "-q", str(picture)], capture_output=True, text=True, timeout=30
    )
    return done.stdout.strip()


def test_member_link_qr_decodes_to_the_absolute_link(
    client, login, make_network, make_user, make_member, tmp_path
):
    network = make_network()
    login(client, make_user(network, Role.SECRETARIAT))
    member = make_member(network)
    # The test client's host is "localhost": the code must use TRAINER_BASE_URL instead.
    html = client.get(f"/n/{network.id}/members/{member.id}/link").get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", html, re.DOTALL).group(0)
    expected = f"http://trainer.test/m/{member.link_token}"
    assert decode_svg(svg, tmp_path) == expected
    assert f'value="{expected}"' in html


def test_the_qr_sheet_help_is_at_least_10_pt_and_the_codes_still_decode(tmp_path):
    """The slips' one line of help, read at arm's length (L17): every piece of it set at 10 pt
    or more, for a normal and a very long slip; the codes still decode (zbar on pdftoppm)."""
    normal = LinkSlip(
        member_name="佐藤 恵子",
        organisation="みどり信用金庫 本店営業部",
        network="みどり市消費者安全確保地域協議会",
        course_title="見守りネットワーク 基礎研修",
        url=f"{BASE_URL}/m/{'A' * 48}",
    )
    long = LinkSlip(
        member_name="寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末",
        organisation="社会福祉法人みどり福祉会 指定居宅介護支援事業所 ひまわりケアプランセンター",
        network="さくら県みどり市・あおば町・ひかり村広域消費者安全確保地域協議会（見守りネットワーク）",
        course_title="見守りネットワーク 基礎研修 ― 悪質商法から高齢者を守る",
        url=f"{BASE_URL}/m/{'B' * 48}",
    )
    data = link_sheet_pdf([normal, long])
    pieces: list[tuple[str, float]] = []
    PdfReader(io.BytesIO(data)).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: pieces.append(
            (text.replace("\x00", "").strip(), size * tm[3])
        )
    )
    help_sizes = [size for text, size in pieces if text and text in INSTRUCTIONS]
    # Each slip draws the help phrase by phrase (a line each, or two to a line).
    assert len(help_sizes) >= 2 * 3, pieces
    assert min(help_sizes) >= 10, pieces
    assert "".join(INSTRUCTION_PHRASES) == INSTRUCTIONS

    source, stem = tmp_path / "sheet.pdf", tmp_path / "sheet"
    source.write_bytes(data)
    subprocess.run(
        [need("pdftoppm"), "-r", "150", "-png", "-singlefile", str(source), str(stem)],
        check=True,
        timeout=60,
    )
    done = subprocess.run(
        [need("zbarimg"), "--raw", "-q", str(stem.with_suffix(".png"))],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert sorted(done.stdout.split()) == sorted([normal.url, long.url])
