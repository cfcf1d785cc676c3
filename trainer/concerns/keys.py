"""Members' reporting keys: the token behind the badge's second QR code (/r/<token>).

The token opens the network's report form tied to one member, and nothing else: not the
personal page, not the learning record. It is separate from the personal link so that a badge
lost in the street exposes no more than a way to send a report in the member's name, and it is
replaced ("rotated") by the secretariat when a badge is lost; the old badge's code then opens
the same page as an unknown code.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select

from trainer.accounts.models import Member, User
from trainer.audit import service as audit
from trainer.concerns.models import ReportingKey
from trainer.database import Session
from trainer.security import new_token, token_digest
from trainer.timeutil import utcnow

# 16 random bytes = 128 bits, 22 URL-safe characters (as a certificate's token): unguessable,
# and short enough that the badge's second code stays a small QR version.
TOKEN_BYTES = 16
# Longer input is cut before hashing: the lookup costs the same for any token (one SHA-256 of at
# most this many characters and one indexed query), so its time tells nothing about the token.
TOKEN_MAX = 100


def _new_secret() -> tuple[str, str]:
    token = new_token(TOKEN_BYTES)
    return token, token_digest(token)


def ensure_key(session: Session, member: Member) -> ReportingKey:
    """The member's reporting key, made when first needed (flush only: the caller commits)."""
    key = session.scalar(select(ReportingKey).where(ReportingKey.member_id == member.id))
    if key is None:
        token, digest = _new_secret()
        key = ReportingKey(
            network_id=member.network_id, member_id=member.id, token=token, token_hash=digest
        )
        session.add(key)
        session.flush()
    return key


def ensure_keys(session: Session, members: Iterable[Member]) -> dict[int, ReportingKey]:
    """ensure_key for many members (a sheet of badges) in one query: member id → key."""
    wanted = {member.id: member for member in members}
    if not wanted:
        return {}
    keys = {
        key.member_id: key
        for key in session.scalars(select(ReportingKey).where(ReportingKey.member_id.in_(wanted)))
    }
    for member_id, member in wanted.items():
        if member_id not in keys:
            token, digest = _new_secret()
            keys[member_id] = ReportingKey(
                network_id=member.network_id, member_id=member_id, token=token, token_hash=digest
            )
            session.add(keys[member_id])
    session.flush()
    return keys


def existing_key(session: Session, member: Member) -> ReportingKey | None:
    """The member's key if one was ever made (a badge was printed), without making one."""
    return session.scalar(select(ReportingKey).where(ReportingKey.member_id == member.id))


def rotate_key(session: Session, *, member: Member, actor: User | None) -> ReportingKey:
    """A new token replaces the old one (the old badge's code stops working at once); recorded
    as concern.key_rotate and committed. The badge must be printed again."""
    key = existing_key(session, member)
    token, digest = _new_secret()
    if key is None:
        key = ReportingKey(network_id=member.network_id, member_id=member.id)
        session.add(key)
    key.token, key.token_hash, key.created_at = token, digest, utcnow()
    audit.record(
        session,
        actor=actor,
        action="concern.key_rotate",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=member.network_id,
    )
    session.commit()
    return key


def can_report(member: Member) -> bool:
    """Whether the member's reporting code opens the form: not for an entry the secretariat has
    not confirmed (needs_review) nor once the membership has ended."""
    return not member.needs_review and not member.membership_ended


def member_by_report_token(session: Session, token: str) -> Member | None:
    """The member whose reporting token this is; None for an unknown or rotated-away token, an
    ended membership and an entry not yet confirmed (needs_review): all get the same page.

    The same work whatever the token: it is always hashed (cut to TOKEN_MAX) and looked up by
    its digest in one indexed query, so neither its length nor whether it exists shows in the
    time taken."""
    digest = token_digest((token or "")[:TOKEN_MAX])
    member = session.scalar(
        select(Member)
        .join(ReportingKey, ReportingKey.member_id == Member.id)
        .where(ReportingKey.token_hash == digest)
    )
    if member is None or len(token or "") > TOKEN_MAX or not can_report(member):
        return None
    return member


def report_url(token: str) -> str:
    """The address printed as the badge's second QR code. From TRAINER_BASE_URL, never from the
    request's host: a printed code must point at the real site for years."""
    return f"{current_app.config['TRAINER_BASE_URL']}/r/{token}"


def badge_report_urls(session: Session, members: Iterable[Member]) -> dict[int, str]:
    """Member id → the report URL to print on their badge back, making keys where needed (flush
    only). A member whose code would open nothing gets "" and the square stays empty:

    - an entry not yet confirmed (needs_review) is not a member yet; the form would refuse its
      code, and a badge with a dead code teaches people that the code does not work;
    - an ended membership likewise (its certificate is 失効 anyway, so no badge is printed).

    The code belongs to the member, not to the certificate: a member whose certificate is not
    valid but who is still a confirmed member would still get a working code, should such a badge
    ever be printed (today badges are printed from valid certificates only)."""
    eligible = [member for member in members if can_report(member)]
    keys = ensure_keys(session, eligible)
    return {member_id: report_url(key.token) for member_id, key in keys.items()}
