"""A network's public bulletin pages (/p/<network_id>/bulletins): only published public
bulletins, nothing about the audience or members, 404 for what is not there, rate limited."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.bulletins.output_helpers import make_bulletin
from trainer.accounts.models import Role
from trainer.extensions import db


@pytest.fixture
def shown(make_network, make_org, make_member):
    network = make_network(name="みどり市見守りネットワーク協議会")
    org = make_org(network, name="ひまわり居宅介護支援事業所")
    member = make_member(network, org, name="見守 花子")
    public = make_bulletin(network, title="還付金詐欺にご注意ください", public=True)
    newsletter = make_bulletin(
        network,
        kind="newsletter",
        title="12月の見守り通信",
        body="今月の**研修会**は12日です。",
        public=True,
        published_at=datetime(2026, 12, 1, 1, 0),
        org_ids=[org.id],
    )
    members_only = make_bulletin(network, title="構成員だけのお知らせ", public=False)
    draft = make_bulletin(network, title="下書きのお知らせ", public=True, published_at=None)
    scheduled = make_bulletin(
        network,
        title="予約したお知らせ",
        public=True,
        published_at=None,
        publish_at=datetime(2099, 1, 1),
    )
    return {
        "network": network,
        "org": org,
        "member": member,
        "public": public,
        "newsletter": newsletter,
        "hidden": [members_only, draft, scheduled],
    }


def test_the_list_shows_published_public_bulletins_only(client, shown):
    response = client.get(f"/p/{shown['network'].id}/bulletins")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "みどり市見守りネットワーク協議会のお知らせ" in html
    assert "還付金詐欺にご注意ください" in html
    assert "注意喚起" in html and "見守り通信" in html
    assert "2026年12月4日" in html and "2026年12月1日" in html
    assert '<time datetime="2026-12-04T00:30:00Z">2026年12月4日</time>' in html
    assert "<strong>研修会</strong>" in html  # the body, rendered
    assert html.index("還付金詐欺にご注意ください") < html.index("12月の見守り通信")  # newest first
    for hidden in ("構成員だけのお知らせ", "下書きのお知らせ", "予約したお知らせ"):
        assert hidden not in html
    # Nothing about whom it was for, nor about members.
    assert "ひまわり居宅介護支援事業所" not in html
    assert "見守 花子" not in html
    feed = f"http://trainer.test/p/{shown['network'].id}/bulletins.atom"
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert feed in html


def test_one_bulletin_has_its_own_page(client, shown):
    network_id = shown["network"].id
    response = client.get(f"/p/{network_id}/bulletins/{shown['newsletter'].id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "12月の見守り通信" in html and "<strong>研修会</strong>" in html
    assert "還付金詐欺にご注意ください" not in html
    for hidden in shown["hidden"]:
        assert client.get(f"/p/{network_id}/bulletins/{hidden.id}").status_code == 404


def test_unknown_networks_and_other_networks_bulletins_are_404(client, shown, make_network):
    other = make_network(name="よその協議会")
    assert client.get("/p/999999/bulletins").status_code == 404
    assert client.get("/p/999999/bulletins.atom").status_code == 404
    assert client.get(f"/p/999999/bulletins/{shown['public'].id}").status_code == 404
    # A bulletin is shown only under its own network's address.
    assert client.get(f"/p/{other.id}/bulletins/{shown['public'].id}").status_code == 404
    empty = client.get(f"/p/{other.id}/bulletins")
    assert empty.status_code == 200
    assert "いまお知らせはありません" in empty.get_data(as_text=True)


def test_the_pages_open_without_signing_in_and_for_a_signed_in_member(client, login, shown):
    url = f"/p/{shown['network'].id}/bulletins"
    assert client.get(url).status_code == 200
    login(client, shown["member"])
    assert client.get(url).status_code == 200


def test_a_script_walking_the_pages_is_slowed_down(make_app, shown):
    limited = make_app(RATELIMIT_ENABLED=True)
    client = limited.test_client()
    url = f"/p/{shown['network'].id}/bulletins"
    statuses = [client.get(url).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    # The feed counts against the same limit.
    assert client.get(f"/p/{shown['network'].id}/bulletins.atom").status_code == 429


def test_the_body_is_sanitised(client, shown):
    bulletin = make_bulletin(
        shown["network"],
        title="<script>alert(1)</script>",
        body=(
            '<script>alert(2)</script><a href="javascript:alert(3)">x</a>'
            " <img src=x onerror=alert(4)>"
        ),
        public=True,
    )
    db.session.commit()
    html = client.get(f"/p/{shown['network'].id}/bulletins/{bulletin.id}").get_data(as_text=True)
    assert "<script>" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_the_secretariats_home_page_gives_the_public_addresses(client, login, shown, make_user):
    network_id = shown["network"].id
    login(client, make_user(shown["network"], Role.SECRETARIAT))
    html = client.get(f"/n/{network_id}/").get_data(as_text=True)
    assert "ホームページ用のお知らせ" in html
    assert f"http://trainer.test/p/{network_id}/bulletins.atom" in html
    login(client, make_user(shown["network"], Role.TRAINER))
    assert "ホームページ用のお知らせ" not in client.get(f"/n/{network_id}/").get_data(as_text=True)
