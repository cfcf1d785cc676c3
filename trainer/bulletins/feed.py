"""The Atom 1.0 feed (RFC 4287) of a network's public bulletins, for the municipality's website
and feed readers. Written with xml.etree, never by joining strings, so every text is escaped.

Ids are tag URIs (RFC 4151) built from the site's host name, the date the record was made and
the record's id: tag:mimamori.example.jp,2026-12-01:network/3/bulletin/17. They never change
when a title, the text or a page address changes, so a reader never shows a bulletin twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from trainer.accounts.models import Network
from trainer.bulletins.models import Bulletin

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True)
class FeedEntry:
    bulletin: Bulletin
    url: str  # the bulletin's public page (absolute)
    html: str  # its body, sanitised


@dataclass(frozen=True)
class FeedLinks:
    base_url: str  # TRAINER_BASE_URL: its host name makes the ids
    page: str  # the public list (absolute)
    feed: str  # this feed (absolute)


def rfc3339(value: datetime) -> str:
    """A stored naive-UTC time as RFC 3339 (what Atom's dates are)."""
    return value.replace(microsecond=0).isoformat() + "Z"


def entry_updated(bulletin: Bulletin) -> datetime:
    published = bulletin.published_at or bulletin.updated_at
    return max(published, bulletin.updated_at or published)


def feed_updated(network: Network, bulletins: Sequence[Bulletin]) -> datetime:
    """The latest change of any entry; the network's creation for a feed with none."""
    return max((entry_updated(b) for b in bulletins), default=network.created_at)


def _tag(base_url: str, made: datetime, specific: str) -> str:
    host = urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},{made:%Y-%m-%d}:{specific}"


def _text(parent: ET.Element, name: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
    element.text = text
    return element


def _link(parent: ET.Element, href: str, rel: str, content_type: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "type": content_type, "href": href})


def _entry(feed: ET.Element, entry: FeedEntry, links: FeedLinks) -> None:
    bulletin = entry.bulletin
    element = ET.SubElement(feed, f"{{{ATOM}}}entry")
    specific = f"network/{bulletin.network_id}/bulletin/{bulletin.id}"
    _text(element, "id", _tag(links.base_url, bulletin.created_at, specific))
    _text(element, "title", f"【{bulletin.kind_label}】{bulletin.title}", type="text")
    _text(element, "updated", rfc3339(entry_updated(bulletin)))
    if bulletin.published_at is not None:
        _text(element, "published", rfc3339(bulletin.published_at))
    _link(element, entry.url, "alternate", "text/html")
    ET.SubElement(
        element, f"{{{ATOM}}}category", {"term": bulletin.kind, "label": bulletin.kind_label}
    )
    _text(element, "content", entry.html, type="html")


def atom_feed(network: Network, entries: Sequence[FeedEntry], links: FeedLinks) -> bytes:
    """The feed document, UTF-8, newest entry first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "ja"})
    _text(feed, "id", _tag(links.base_url, network.created_at, f"network/{network.id}/bulletins"))
    _text(feed, "title", f"{network.name}のお知らせ", type="text")
    _text(feed, "subtitle", "見守りネットワークからの注意喚起と見守り通信", type="text")
    updated = feed_updated(network, [entry.bulletin for entry in entries])
    _text(feed, "updated", rfc3339(updated))
    _link(feed, links.feed, "self", "application/atom+xml")
    _link(feed, links.page, "alternate", "text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", network.name)
    _text(author, "uri", links.page)
    _text(feed, "generator", "見守りトレーナー")
    for entry in entries:
        _entry(feed, entry, links)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
