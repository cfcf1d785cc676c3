"""Bulletins (見守り通信・注意喚起): what the secretariat sends to members, who it is for, and who
has opened it."""

from __future__ import annotations

import enum
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from trainer.accounts.models import Member, Network, User
from trainer.extensions import Model
from trainer.markdown import render
from trainer.timeutil import utcnow


class BulletinKind(enum.StrEnum):
    WARNING = "warning"  # 注意喚起: urgent, listed first
    NEWSLETTER = "newsletter"  # 見守り通信: the regular one

    @property
    def label(self) -> str:
        return {"warning": "注意喚起", "newsletter": "見守り通信"}[self.value]


class Bulletin(Model):
    """One bulletin. A draft has neither publish_at nor published_at; a scheduled one has
    publish_at in the future; a published one has published_at (members see it from then on,
    and its mails were queued in the same transaction).

    Audience: both lists empty = every member of the network; otherwise a member is in it when
    their organisation's kind is in audience_org_kinds or their organisation's id is in
    audience_organisation_ids. The lists are small (a network has a few dozen organisations),
    hence JSON rather than two link tables.
    """

    __table_args__ = (Index("ix_bulletin_network_published", "network_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"))
    kind: Mapped[str] = mapped_column(String(20), default=BulletinKind.NEWSLETTER.value)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # the course's Markdown
    audience_org_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience_organisation_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Shown on the network's public page and Atom feed (for the municipality's website).
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    # An optional image (PNG/JPEG) or PDF. Kept in the database, so that a backup has it.
    attachment_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    attachment_type: Mapped[str] = mapped_column(String(100), default="", server_default="")
    attachment_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    publish_at: Mapped[datetime | None] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    network: Mapped[Network] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return BulletinKind(self.kind).label

    @property
    def is_warning(self) -> bool:
        return self.kind == BulletinKind.WARNING.value

    @property
    def body_html(self) -> Markup:
        """The body as the course's Markdown, sanitised (trainer/markdown.py)."""
        return render(self.body)


class BulletinRead(Model):
    """A member opened a bulletin on their personal page (the first time). Opens are counted
    here, never by a pixel in the mail."""

    __table_args__ = (UniqueConstraint("bulletin_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    member: Mapped[Member] = relationship()


class BulletinMailStop(Model):
    """A member stopped bulletin mails (the one-click link at the foot of each one, or their
    personal page). No row = they get them, where they have an address. Bulletins still show on
    their personal page. Kept apart from the member row: the opt-out belongs to bulletins."""

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), unique=True)
    stopped_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
