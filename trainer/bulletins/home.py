"""What the member's personal page shows of bulletins (the include bulletins/_home.html)."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.accounts.models import Member
from trainer.bulletins import mail_stop, reading
from trainer.database import Session

SHOWN = 5  # the rest is on the list page


@dataclass(frozen=True)
class HomeBulletins:
    items: list[reading.MemberItem]
    total: int
    unread: int
    has_address: bool
    mail_stopped: bool


def for_home(session: Session, member: Member) -> HomeBulletins:
    items = reading.for_member(session, member)
    return HomeBulletins(
        items=items[:SHOWN],
        total=len(items),
        unread=sum(1 for item in items if not item.read),
        has_address=bool((member.email or "").strip()),
        mail_stopped=mail_stop.is_stopped(session, member.id),
    )
