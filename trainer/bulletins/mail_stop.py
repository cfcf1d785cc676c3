"""Stopping bulletin mails: the one-click link at the foot of each mail, and the switch on the
personal page.

The link carries a token signed with the app's SECRET_KEY (itsdangerous, its own salt) that names
the member and nothing else. It does not sign anyone in and shows no name: whoever has the mail
(a forwarded one too) can only stop that member's bulletin mails, which the member turns back on
from their personal page. It does not expire: a mail read a year later must still stop the mails.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainer.accounts.models import Member
from trainer.bulletins.models import BulletinMailStop
from trainer.database import Session
from trainer.timeutil import utcnow

SALT = "bulletin-mail-stop"
MAX_TOKEN = 200


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(member_id: int) -> str:
    return str(_serializer().dumps({"m": member_id}))


def stop_url(member_id: int) -> str:
    """The absolute one-click address (List-Unsubscribe and the mail's last lines)."""
    base = str(current_app.config["TRAINER_BASE_URL"]).rstrip("/")
    return f"{base}/bulletins/stop/{token_for(member_id)}"


def member_of_token(session: Session, token: str) -> Member | None:
    """The member a token names; None for a forged, damaged or unknown one."""
    if not token or len(token) > MAX_TOKEN:
        return None
    try:
        data = _serializer().loads(token)
    except BadData:  # a bad signature, or (with our key) a payload that does not decode
        return None
    member_id = data.get("m") if isinstance(data, dict) else None
    if not isinstance(member_id, int) or isinstance(member_id, bool):
        return None
    return session.get(Member, member_id)


def is_stopped(session: Session, member_id: int) -> bool:
    return (
        session.scalar(select(BulletinMailStop.id).where(BulletinMailStop.member_id == member_id))
        is not None
    )


def stop(session: Session, member: Member) -> bool:
    """Stop the member's bulletin mails; False when they were already stopped (idempotent)."""
    if is_stopped(session, member.id):
        return False
    session.add(BulletinMailStop(member_id=member.id, stopped_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:  # two clicks at once: the other one stored it
        session.rollback()
        return False
    return True


def resume(session: Session, member: Member) -> bool:
    """Send bulletin mails again; False when they were not stopped."""
    row = session.scalar(select(BulletinMailStop).where(BulletinMailStop.member_id == member.id))
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True
