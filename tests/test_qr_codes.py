"""The personal-link QR code, decoded by a real decoder (zbar), carries the link shown beside it."""

from __future__ import annotations

import re
import subprocess

from tests.tools import need
from trainer.accounts.models import Role


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
