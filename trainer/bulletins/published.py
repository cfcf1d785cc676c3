"""Published bulletins as the print and public outputs read them: which ones, for whom, and the
body as sanitised HTML.

A bulletin is published when published_at is set (a draft or a scheduled one never is). Its
audience is two lists on the row: both empty means every organisation of the network.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup
from sqlalchemy import select

from trainer.accounts.models import Network, Organisation
from trainer.bulletins.models import Bulletin
from trainer.content import placeholders
from trainer.database import Session
from trainer.markdown import render

# The public page and the feed show this many of the latest bulletins (a feed reader keeps the
# older ones it has already seen; the page is for reading, not an archive).
PUBLIC_LIMIT = 50


def body_html(bulletin: Bulletin, network: Network) -> Markup:
    """The body as sanitised HTML, placeholders ({{ consumer_centre_phone }}) filled with the
    network's values, as a member reads it (an unset value reads as the neutral phrase)."""
    html = render(placeholders.to_tokens(bulletin.body or ""))
    return placeholders.fill(html, network.local_facts(), staff=False)


def reaches(bulletin: Bulletin, organisation: Organisation) -> bool:
    """Whether the organisation is in the bulletin's audience."""
    if organisation.network_id != bulletin.network_id:
        return False
    kinds = bulletin.audience_org_kinds or []
    ids = bulletin.audience_organisation_ids or []
    if not kinds and not ids:
        return True
    return organisation.kind in kinds or organisation.id in ids


def published(session: Session, network_id: int, bulletin_id: int) -> Bulletin | None:
    """A published bulletin of the network (None for a draft, a scheduled one, or another
    network's)."""
    return session.scalar(
        select(Bulletin).where(
            Bulletin.id == bulletin_id,
            Bulletin.network_id == network_id,
            Bulletin.published_at.is_not(None),
        )
    )


def audience_organisations(session: Session, bulletin: Bulletin) -> list[Organisation]:
    """The organisations of the network the bulletin is for, in name order."""
    organisations = session.scalars(
        select(Organisation)
        .where(Organisation.network_id == bulletin.network_id)
        .order_by(Organisation.name_key, Organisation.id)
    ).all()
    return [organisation for organisation in organisations if reaches(bulletin, organisation)]


def organisation_in_audience(
    session: Session, bulletin: Bulletin, organisation_id: int
) -> Organisation | None:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not reaches(bulletin, organisation):
        return None
    return organisation


def public_bulletins(session: Session, network_id: int) -> Sequence[Bulletin]:
    """The network's published public bulletins, newest first."""
    return session.scalars(
        select(Bulletin)
        .where(
            Bulletin.network_id == network_id,
            Bulletin.public.is_(True),
            Bulletin.published_at.is_not(None),
        )
        .order_by(Bulletin.published_at.desc(), Bulletin.id.desc())
        .limit(PUBLIC_LIMIT)
    ).all()


def public_bulletin(session: Session, network_id: int, bulletin_id: int) -> Bulletin | None:
    bulletin = published(session, network_id, bulletin_id)
    return bulletin if bulletin is not None and bulletin.public else None
