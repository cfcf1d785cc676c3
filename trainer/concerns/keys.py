"""Members' reporting keys: the token behind the badge's second QR code.

Minimal version for the member's side (helper A); the full version (rotation, report_url)
replaces it with the same names."""

from __future__ import annotations

from sqlalchemy import select

from trainer.accounts.models import Member
from trainer.concerns.models import ReportingKey
from trainer.database import Session
from trainer.security import new_token, token_digest

TOKEN_MAX = 100


def ensure_key(session: Session, member: Member) -> ReportingKey:
    """The member's reporting key, made when first needed (flush only)."""
    key = session.scalar(select(ReportingKey).where(ReportingKey.member_id == member.id))
    if key is None:
        token = new_token()
        key = ReportingKey(
            network_id=member.network_id,
            member_id=member.id,
            token=token,
            token_hash=token_digest(token),
        )
        session.add(key)
        session.flush()
    return key


def member_by_report_token(session: Session, token: str) -> Member | None:
    """The member whose reporting token this is; None for an unknown or rotated-away token, an
    ended membership and an entry not yet confirmed (needs_review): all get the same page."""
    if not token or len(token) > TOKEN_MAX:
        return None
    member = session.scalar(
        select(Member)
        .join(ReportingKey, ReportingKey.member_id == Member.id)
        .where(ReportingKey.token_hash == token_digest(token))
    )
    if member is None or member.needs_review or member.membership_ended:
        return None
    return member
