"""A network's public bulletins, for anyone: a page listing them, a page for each, and their
Atom feed. Only published bulletins marked public; never a draft or a scheduled one, never whom
a bulletin was for, never anything about members.

The addresses are a contract with the websites and feed readers that link to them, so they are
kept apart from the staff area (/n/<network_id>/, which asks for a sign-in) under their own
prefix /p/<network_id>/, and built from ids that never change (a network's name does):

    /p/<network_id>/bulletins              the list
    /p/<network_id>/bulletins/<bulletin_id> one bulletin
    /p/<network_id>/bulletins.atom         the feed

Absolute addresses (in the feed, and the page's link to it) come from TRAINER_BASE_URL, never
from the request's Host header.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from trainer.accounts.models import Network
from trainer.bulletins import feed, published
from trainer.extensions import db, limiter
from trainer.qr import absolute_url

# The URL argument is not called network_id: that name marks a staff route of a network
# (network_blueprint, and tests/test_isolation.py), which these are not.
bp = Blueprint("public_bulletins", __name__, url_prefix="/p/<int:public_network_id>")

# A reader polls the feed every few minutes and a website fetches it for its visitors; a script
# walking every network's pages does far more.
PUBLIC_LIMIT = "60 per minute;600 per hour"
FEED_MAX_AGE = 300  # seconds a reader or a proxy may keep the feed without asking


def _network(network_id: int) -> Network:
    network = db.session.get(Network, network_id)
    if network is None:
        abort(404)
    return network


def _urls(network: Network) -> feed.FeedLinks:
    return feed.FeedLinks(
        base_url=current_app.config["TRAINER_BASE_URL"],
        page=absolute_url(url_for(".index", public_network_id=network.id)),
        feed=absolute_url(url_for(".atom", public_network_id=network.id)),
    )


@bp.get("/bulletins")
@limiter.shared_limit(PUBLIC_LIMIT, scope="public_bulletins")
def index(public_network_id: int):
    network = _network(public_network_id)
    bulletins = published.public_bulletins(db.session, network.id)
    return render_template(
        "bulletins/public/index.html",
        network=network,
        bulletins=bulletins,
        bodies={b.id: published.body_html(b, network) for b in bulletins},
        feed_url=_urls(network).feed,
    )


@bp.get("/bulletins/<int:bulletin_id>")
@limiter.shared_limit(PUBLIC_LIMIT, scope="public_bulletins")
def show(public_network_id: int, bulletin_id: int):
    network = _network(public_network_id)
    bulletin = published.public_bulletin(db.session, network.id, bulletin_id)
    if bulletin is None:
        abort(404)
    return render_template(
        "bulletins/public/show.html",
        network=network,
        bulletin=bulletin,
        body=published.body_html(bulletin, network),
        feed_url=_urls(network).feed,
    )


@bp.get("/bulletins.atom")
@limiter.shared_limit(PUBLIC_LIMIT, scope="public_bulletins")
def atom(public_network_id: int):
    network = _network(public_network_id)
    bulletins = published.public_bulletins(db.session, network.id)
    links = _urls(network)
    entries = [
        feed.FeedEntry(
            bulletin=b,
            url=absolute_url(url_for(".show", public_network_id=network.id, bulletin_id=b.id)),
            html=str(published.body_html(b, network)),
        )
        for b in bulletins
    ]
    response = Response(feed.atom_feed(network, entries, links), content_type=feed.CONTENT_TYPE)
    response.last_modified = feed.feed_updated(network, bulletins)
    response.add_etag()  # a hash of the document: any change anywhere in it is a new tag
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    return response.make_conditional(request)
