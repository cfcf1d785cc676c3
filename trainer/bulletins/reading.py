"""Reading bulletins: a member's list and page (with the first open recorded), the secretariat's
lists, who has opened a bulletin per organisation, and how long ago the last one went out.

Order, for members and the secretariat alike: 注意喚起 of the last RECENT days first (urgent,
so not lost under newer newsletters), then everything else newest first. An old 注意喚起 takes
its place by date: a warning from last year is no longer the first thing to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from trainer.accounts.models import Member, Organisation
from trainer.bulletins import audience
from trainer.bulletins.models import Bulletin, BulletinKind, BulletinRead
from trainer.database import Session
from trainer.timeutil import to_jst, utcnow

RECENT = timedelta(days=30)
# The network home page warns when no bulletin has gone out for longer than this.
QUIET_DAYS = 30


def _ordered(bulletins: list[Bulletin], now: datetime) -> list[Bulletin]:
    def key(b: Bulletin) -> tuple[int, float]:
        when = b.published_at or now
        urgent = b.kind == BulletinKind.WARNING.value and now - when <= RECENT
        return (0 if urgent else 1, -when.timestamp())

    return sorted(bulletins, key=key)


# --- members --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberItem:
    bulletin: Bulletin
    read: bool


def for_member(session: Session, member: Member) -> list[MemberItem]:
    """The published bulletins for the member, in reading order, each with whether it is read."""
    published = list(
        session.scalars(
            select(Bulletin).where(
                Bulletin.network_id == member.network_id, Bulletin.published_at.is_not(None)
            )
        )
    )
    mine = [b for b in published if audience.includes(b, member)]
    read = set(
        session.scalars(select(BulletinRead.bulletin_id).where(BulletinRead.member_id == member.id))
    )
    return [MemberItem(b, b.id in read) for b in _ordered(mine, utcnow())]


def get_for_member(session: Session, member: Member, bulletin_id: int) -> Bulletin | None:
    """The bulletin if it is published and for the member; None otherwise (the page's 404)."""
    bulletin = session.get(Bulletin, bulletin_id)
    if (
        bulletin is None
        or bulletin.network_id != member.network_id
        or bulletin.published_at is None
        or not audience.includes(bulletin, member)
    ):
        return None
    return bulletin


def record_open(session: Session, bulletin: Bulletin, member: Member) -> bool:
    """Record the member's first open (later ones change nothing); True when it was the first."""
    seen = session.scalar(
        select(BulletinRead.id).where(
            BulletinRead.bulletin_id == bulletin.id, BulletinRead.member_id == member.id
        )
    )
    if seen is not None:
        return False
    session.add(BulletinRead(bulletin_id=bulletin.id, member_id=member.id, read_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:  # the same page opened twice at once
        session.rollback()
        return False
    return True


# --- the secretariat ------------------------------------------------------------------------


@dataclass
class NetworkBulletins:
    drafts: list[Bulletin] = field(default_factory=list)
    scheduled: list[Bulletin] = field(default_factory=list)
    published: list[Bulletin] = field(default_factory=list)


def for_network(session: Session, network_id: int) -> NetworkBulletins:
    result = NetworkBulletins()
    rows = session.scalars(
        select(Bulletin).where(Bulletin.network_id == network_id).order_by(Bulletin.id.desc())
    )
    for bulletin in rows:
        if bulletin.published_at is not None:
            result.published.append(bulletin)
        elif bulletin.publish_at is not None:
            result.scheduled.append(bulletin)
        else:
            result.drafts.append(bulletin)
    result.scheduled.sort(key=lambda b: b.publish_at or utcnow())
    result.published = _ordered(result.published, utcnow())
    return result


@dataclass
class OrganisationReads:
    organisation: Organisation
    audience: int
    opened: int = 0
    readers: list[tuple[str, datetime]] = field(default_factory=list)  # (name, first open)

    @property
    def unopened(self) -> int:
        return self.audience - self.opened


def reads_by_organisation(
    session: Session, bulletin: Bulletin, today: date
) -> list[OrganisationReads]:
    """Per organisation with audience members today: how many they are, how many of them have
    opened the bulletin, and who (names, for the secretariat only). A member who has left since
    opening it is counted in neither."""
    in_audience = audience.members_clause(bulletin, today)
    sizes = dict(
        session.execute(
            select(Member.organisation_id, func.count())
            .where(in_audience)
            .group_by(Member.organisation_id)
        ).all()
    )
    organisations = session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(list(sizes)))
        .order_by(Organisation.kind, Organisation.name)
    )
    result = {o.id: OrganisationReads(o, int(sizes[o.id])) for o in organisations}
    readers = session.execute(
        select(Member.organisation_id, Member.name, BulletinRead.read_at)
        .join(BulletinRead, BulletinRead.member_id == Member.id)
        .where(BulletinRead.bulletin_id == bulletin.id, in_audience)
        .order_by(BulletinRead.read_at, Member.id)
    ).all()
    for organisation_id, name, read_at in readers:
        entry = result[organisation_id]
        entry.opened += 1
        entry.readers.append((name, read_at))
    return list(result.values())


@dataclass(frozen=True)
class LastSent:
    """For the network home page's card."""

    bulletin: Bulletin | None
    days: int | None  # days since it was published (Japan dates); None: never

    @property
    def warning(self) -> bool:
        return self.days is None or self.days > QUIET_DAYS


def last_sent(session: Session, network_id: int, today: date) -> LastSent:
    bulletin = session.scalar(
        select(Bulletin)
        .where(Bulletin.network_id == network_id, Bulletin.published_at.is_not(None))
        .order_by(Bulletin.published_at.desc(), Bulletin.id.desc())
        .limit(1)
    )
    if bulletin is None or bulletin.published_at is None:
        return LastSent(None, None)
    return LastSent(bulletin, (today - to_jst(bulletin.published_at).date()).days)
