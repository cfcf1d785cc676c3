"""Finding members on the roster (by name or kana, organisation and status), a page at a time,
and the roster's counts for the network's home page."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from trainer.accounts.models import Member, Organisation
from trainer.accounts.roster import active_clause
from trainer.database import Session
from trainer.text import name_key
from trainer.timeutil import today_jst


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


MEMBER_STATUSES = {
    "active": "在籍中",
    "ended": "退会済み",
    "review": "確認待ち（研修会で名簿になかった方）",
    "all": "すべて",
}


def search_members(
    session: Session,
    *,
    network_id: int,
    query: str = "",
    organisation_id: int | None = None,
    status: str = "active",
    page: int = 1,
    per_page: int = 50,
) -> MemberPage:
    """Members matching a name or kana fragment (normalised), an organisation and a status."""
    stmt: Select = select(Member).where(Member.network_id == network_id)
    key = name_key(query)
    if key:
        pattern = f"%{_escape_like(key)}%"
        stmt = stmt.where(
            or_(
                Member.name_key.like(pattern, escape="\\"),
                Member.kana_key.like(pattern, escape="\\"),
            )
        )
    if organisation_id:
        stmt = stmt.where(Member.organisation_id == organisation_id)
    today = today_jst()
    # Entries from workshops awaiting the secretariat's review are not on the roster: only
    # under their own filter (and すべて), never among 在籍中 or 退会済み.
    on_roster = Member.needs_review.is_(False)
    if status == "active":
        stmt = stmt.where(
            on_roster, Member.membership_end.is_(None) | (Member.membership_end > today)
        )
    elif status == "ended":
        stmt = stmt.where(
            on_roster, Member.membership_end.is_not(None) & (Member.membership_end <= today)
        )
    elif status == "review":
        stmt = stmt.where(Member.needs_review.is_(True), Member.rejected_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    rows = session.scalars(
        stmt.order_by(Member.kana_key, Member.name_key, Member.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return MemberPage(members=list(rows), total=int(total), page=page, per_page=per_page)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def network_counts(session: Session, network_id: int) -> dict[str, int]:
    today = today_jst()
    organisations_count = session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.network_id == network_id)
    )
    active = session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.network_id == network_id, active_clause(today))
    )
    total = session.scalar(
        select(func.count()).select_from(Member).where(Member.network_id == network_id)
    )
    return {
        "organisations": int(organisations_count or 0),
        "active_members": int(active or 0),
        "all_members": int(total or 0),
    }
