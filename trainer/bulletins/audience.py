"""Who a bulletin is for: everyone, organisation kinds, or chosen organisations of the network.

A member is in a bulletin's audience when they are a current member of its network (on the
roster, not an entry awaiting review or rejected, membership not ended: the roster's own rules,
with a start date still ahead counted in, as such a member may already use the personal page)
and their organisation matches (both lists empty = every organisation). The organisation is the
member's organisation now: a member who moves sees what their new organisation gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select, true

from trainer.accounts.models import Member, Organisation, OrganisationKind
from trainer.bulletins.models import Bulletin, BulletinMailStop
from trainer.database import Session
from trainer.errors import DomainError

EVERYONE, KINDS, ORGANISATIONS = "everyone", "kinds", "organisations"
MODES = (EVERYONE, KINDS, ORGANISATIONS)


@dataclass(frozen=True)
class Audience:
    """What the form chose: a mode and the kinds or organisations it names."""

    mode: str = EVERYONE
    org_kinds: tuple[str, ...] = ()
    organisation_ids: tuple[int, ...] = ()


def mode_of(bulletin: Bulletin) -> str:
    if bulletin.audience_organisation_ids:
        return ORGANISATIONS
    return KINDS if bulletin.audience_org_kinds else EVERYONE


def validated(session: Session, network_id: int, audience: Audience) -> tuple[list[str], list[int]]:
    """The (kinds, organisation ids) to store; DomainError for a choice that does not fit."""
    if audience.mode not in MODES:
        raise DomainError("送る相手を選んでください。", field="audience")
    if audience.mode == EVERYONE:
        return [], []
    if audience.mode == KINDS:
        kinds = sorted(set(audience.org_kinds))
        if not kinds:
            raise DomainError("構成団体の種別を1つ以上選んでください。", field="org_kinds")
        known = {kind.value for kind in OrganisationKind}
        if any(kind not in known for kind in kinds):
            raise DomainError("構成団体の種別を一覧から選んでください。", field="org_kinds")
        return kinds, []
    ids = sorted(set(audience.organisation_ids))
    if not ids:
        raise DomainError("構成団体を1つ以上選んでください。", field="organisation_ids")
    found = set(
        session.scalars(
            select(Organisation.id).where(
                Organisation.network_id == network_id, Organisation.id.in_(ids)
            )
        )
    )
    if found != set(ids):  # another network's organisation, or one that does not exist
        raise DomainError("構成団体を一覧から選んでください。", field="organisation_ids")
    return [], ids


def _organisation_clause(bulletin: Bulletin) -> ColumnElement[bool]:
    kinds, ids = (
        list(bulletin.audience_org_kinds or []),
        list(bulletin.audience_organisation_ids or []),
    )
    if not kinds and not ids:
        return true()
    parts: list[ColumnElement[bool]] = []
    if ids:
        parts.append(Member.organisation_id.in_(ids))
    if kinds:
        parts.append(
            Member.organisation_id.in_(
                select(Organisation.id).where(
                    Organisation.network_id == bulletin.network_id, Organisation.kind.in_(kinds)
                )
            )
        )
    return or_(*parts)


def current_clause(today: date) -> ColumnElement[bool]:
    """A current member: on the roster (not awaiting review, not rejected), not ended."""
    return and_(
        Member.needs_review.is_(False),
        or_(Member.membership_end.is_(None), Member.membership_end > today),
    )


def members_clause(bulletin: Bulletin, today: date) -> ColumnElement[bool]:
    """SQL: the members in the bulletin's audience on `today`."""
    return and_(
        Member.network_id == bulletin.network_id,
        current_clause(today),
        _organisation_clause(bulletin),
    )


def size(session: Session, bulletin: Bulletin, today: date) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Member).where(members_clause(bulletin, today))
        )
        or 0
    )


def _mail_clause(bulletin: Bulletin, today: date) -> ColumnElement[bool]:
    """The audience members who get the mail: an address, and no stop."""
    return and_(
        members_clause(bulletin, today),
        Member.email.is_not(None),
        Member.email != "",
        Member.id.not_in(select(BulletinMailStop.member_id)),
    )


def mail_recipients(session: Session, bulletin: Bulletin, today: date) -> list[tuple[int, str]]:
    """(member id, address) of everyone who gets the bulletin's mail, in id order."""
    rows = session.execute(
        select(Member.id, Member.email).where(_mail_clause(bulletin, today)).order_by(Member.id)
    )
    return [(member_id, email or "") for member_id, email in rows]


def mail_recipient_count(session: Session, bulletin: Bulletin, today: date) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Member).where(_mail_clause(bulletin, today))
        )
        or 0
    )


def includes(bulletin: Bulletin, member: Member) -> bool:
    """Whether the member's organisation is in the audience (the member's own pages)."""
    kinds, ids = bulletin.audience_org_kinds or [], bulletin.audience_organisation_ids or []
    if not kinds and not ids:
        return True
    return member.organisation_id in ids or member.organisation.kind in kinds


def describe(bulletin: Bulletin, organisation_names: dict[int, str]) -> str:
    """The audience in words, for the secretariat's pages."""
    if bulletin.audience_organisation_ids:
        names = [
            organisation_names.get(i, "（削除された団体）")
            for i in bulletin.audience_organisation_ids
        ]
        return "構成団体：" + "、".join(names)
    if bulletin.audience_org_kinds:
        return "種別：" + "、".join(OrganisationKind(k).label for k in bulletin.audience_org_kinds)
    return "すべての構成員"
