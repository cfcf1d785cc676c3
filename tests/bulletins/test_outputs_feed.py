"""The Atom feed of a network's public bulletins, checked against RFC 4287's own schema
(Appendix B, converted to RELAX NG XML once: tests/data/atom.rnc says how) and read by a second
consumer, feedparser."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from tests.bulletins.output_helpers import make_bulletin

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "atom.rng"
NS = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


@pytest.fixture
def feed_network(make_network, make_org, make_member):
    network = make_network(name="みどり市見守りネットワーク協議会")
    org = make_org(network, name="ひまわり居宅介護支援事業所")
    member = make_member(network, org, name="見守 花子")
    warning = make_bulletin(
        network,
        title="還付金詐欺 & 「点検商法」<ご注意>",
        public=True,
        published_at=datetime(2026, 12, 4, 0, 30),
        org_ids=[org.id],
    )
    newsletter = make_bulletin(
        network,
        kind="newsletter",
        title="12月の見守り通信",
        body="研修会は**12日**です。[申し込み](https://example.jp/apply?a=1&b=2)",
        public=True,
        published_at=datetime(2026, 12, 1, 1, 0),
    )
    make_bulletin(network, title="構成員だけ", public=False)
    make_bulletin(network, title="下書き", public=True, published_at=None)
    return {"network": network, "member": member, "warning": warning, "newsletter": newsletter}


def fetch(client, network, **headers):
    return client.get(f"/p/{network.id}/bulletins.atom", headers=headers)


def test_the_feed_is_valid_atom(client, feed_network, atom_schema):
    response = fetch(client, feed_network["network"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    document = etree.fromstring(response.data)
    assert atom_schema.validate(document), atom_schema.error_log
    # The schema's two Schematron rules, which RELAX NG alone does not check.
    assert document.xpath("a:author", namespaces=NS)
    for entry in document.xpath("a:entry", namespaces=NS):
        assert entry.xpath("a:link[@rel='alternate']", namespaces=NS)


def test_the_feed_names_the_network_and_links_itself(client, feed_network):
    network = feed_network["network"]
    document = etree.fromstring(fetch(client, network).data)
    base = f"http://trainer.test/p/{network.id}/bulletins"

    def one(path: str) -> str:
        [value] = document.xpath(path, namespaces=NS)
        return str(value)

    assert one("a:title/text()") == "みどり市見守りネットワーク協議会のお知らせ"
    assert (
        one("a:id/text()")
        == f"tag:trainer.test,{network.created_at:%Y-%m-%d}:network/{network.id}/bulletins"
    )
    assert one("a:link[@rel='self']/@href") == f"{base}.atom"
    assert one("a:link[@rel='alternate']/@href") == base
    assert one("a:author/a:name/text()") == "みどり市見守りネットワーク協議会"
    entries = document.xpath("a:entry", namespaces=NS)
    assert len(entries) == 2  # not the members-only one, not the draft
    # The feed changed when its latest entry did (RFC 3339 in UTC sorts as text).
    assert one("a:updated/text()") == max(e.findtext("a:updated", namespaces=NS) for e in entries)


def test_entries_carry_stable_ids_dates_and_the_sanitised_body(client, feed_network):
    network, warning = feed_network["network"], feed_network["warning"]
    document = etree.fromstring(fetch(client, network).data)
    first = document.xpath("a:entry", namespaces=NS)[0]
    assert first.findtext("a:id", namespaces=NS) == (
        f"tag:trainer.test,2026-12-01:network/{network.id}/bulletin/{warning.id}"
    )
    assert (
        first.findtext("a:title", namespaces=NS) == "【注意喚起】還付金詐欺 & 「点検商法」<ご注意>"
    )
    assert first.findtext("a:published", namespaces=NS) == "2026-12-04T00:30:00Z"
    assert first.find("a:link", namespaces=NS).get("href") == (
        f"http://trainer.test/p/{network.id}/bulletins/{warning.id}"
    )
    second = document.xpath("a:entry", namespaces=NS)[1]
    content = second.find("a:content", namespaces=NS)
    assert content.get("type") == "html"
    assert "<strong>12日</strong>" in content.text
    assert 'href="https://example.jp/apply?a=1&amp;b=2"' in content.text


def test_feedparser_reads_titles_links_and_dates(client, feed_network):
    network = feed_network["network"]
    parsed = feedparser.parse(fetch(client, network).data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "みどり市見守りネットワーク協議会のお知らせ"
    assert parsed.feed.link == f"http://trainer.test/p/{network.id}/bulletins"
    assert [e.title for e in parsed.entries] == [
        "【注意喚起】還付金詐欺 & 「点検商法」<ご注意>",
        "【見守り通信】12月の見守り通信",
    ]
    first = parsed.entries[0]
    assert (
        first.link == f"http://trainer.test/p/{network.id}/bulletins/{feed_network['warning'].id}"
    )
    assert tuple(first.published_parsed)[:6] == (2026, 12, 4, 0, 30, 0)
    assert parsed.feed.author == "みどり市見守りネットワーク協議会"
    assert "12日" in parsed.entries[1].content[0].value


def test_urls_come_from_the_base_url_not_the_host_header(client, feed_network):
    network = feed_network["network"]
    response = client.get(f"/p/{network.id}/bulletins.atom", headers={"Host": "evil.example"})
    assert b"evil.example" not in response.data
    assert b"http://trainer.test/p/" in response.data


def test_no_audience_and_no_member_data(client, feed_network):
    data = fetch(client, feed_network["network"]).data.decode()
    assert "ひまわり居宅介護支援事業所" not in data
    assert "見守 花子" not in data
    assert "構成員だけ" not in data and "下書き" not in data


def test_conditional_requests_get_304(client, feed_network):
    network = feed_network["network"]
    first = fetch(client, network)
    assert first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=300" in first.headers["Cache-Control"]
    assert "Set-Cookie" not in first.headers
    again = fetch(client, network, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    since = fetch(client, network, **{"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    # A new public bulletin changes the feed: the old tag no longer matches.
    make_bulletin(network, title="新しいお知らせ", public=True, published_at=datetime(2026, 12, 5))
    changed = fetch(client, network, **{"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_a_network_without_public_bulletins_has_a_valid_empty_feed(
    client, make_network, atom_schema
):
    network = make_network(name="静かな協議会")
    response = fetch(client, network)
    document = etree.fromstring(response.data)
    assert atom_schema.validate(document), atom_schema.error_log
    assert document.xpath("a:entry", namespaces=NS) == []


def test_a_signed_in_reader_gets_no_cookie_with_the_shared_feed(client, login, feed_network):
    """The feed may be kept by shared caches (public): it must never carry a session cookie."""
    login(client, feed_network["member"])
    response = fetch(client, feed_network["network"])
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "見守 花子" not in response.get_data(as_text=True)
