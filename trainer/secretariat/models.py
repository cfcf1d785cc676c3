"""Roster import drafts: what a file said, kept between the preview and the confirmation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from trainer.extensions import Model
from trainer.timeutil import utcnow


class RosterImport(Model):
    """An uploaded roster, parsed. Not a roster change: nothing is written to the roster until
    the secretariat confirms the preview (applied_at is then set, once).

    The parsed, normalised rows are kept, not the file: the preview and the confirmation plan
    from the same rows, and the plan is recomputed against the roster as it is at that moment.
    Drafts older than a day are deleted when the network's next file is uploaded.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[list] = mapped_column(JSON)
    # Header line, columns used and ignored; after confirmation the counts of what was done.
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
