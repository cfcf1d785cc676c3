"""Shared helpers for the bulletin tests: a bulletin written the way the form writes it, and
members with an address."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from trainer.bulletins import audience, editing, publishing
from trainer.bulletins.models import Bulletin
from trainer.extensions import db
from trainer.mail.models import OutgoingMail
from trainer.timeutil import utcnow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def write(
    network,
    *,
    actor=None,
    kind: str = "newsletter",
    title: str = "12月の見守り通信",
    body: str = "## 今月のお知らせ\n\n訪問販売の **点検商法** に注意してください。",
    mode: str = audience.EVERYONE,
    kinds=(),
    organisations=(),
    **extra: Any,
) -> Bulletin:
    """A draft bulletin of the network (committed)."""
    return editing.create_draft(
        db.session,
        network_id=network.id,
        data=editing.BulletinInput(
            kind=kind,
            title=title,
            body=body,
            audience=audience.Audience(
                mode=mode, org_kinds=tuple(kinds), organisation_ids=tuple(organisations)
            ),
            **extra,
        ),
        actor=actor,
    )


def publish(bulletin: Bulletin, now: datetime | None = None) -> int:
    return publishing.publish_now(db.session, bulletin=bulletin, actor=None, now=now or utcnow())


def with_address(member, address: str | None = None):
    member.email = address or f"member{member.id}@example.jp"
    db.session.commit()
    return member


def mails_of(bulletin: Bulletin) -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.subject_type == "bulletin", OutgoingMail.subject_id == bulletin.id)
            .order_by(OutgoingMail.id)
        )
    )
