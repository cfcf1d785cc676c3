"""The prefecture / national role, and the per-network figures its page reads.

AreaRole: a staff account that sees one prefecture's networks (prefecture = "東京都", compared
with Network.prefecture as typed) or every network (prefecture = NATIONAL). One per account;
granted and revoked by the platform admin (trainer/prefecture/roles.py).

NetworkSummary: one row per network and course, the counts that the network's own completion
table and before/after report show, computed by trainer/prefecture/summaries.py from the same
queries those pages use; computed_for says for which Japanese day the date-dependent figures
(valid / expiring / lapsed, who is a member) were counted.

NetworkFiguresChange: one row per change to a network's counts, inserted in the transaction of
the change (trainer/prefecture/stale.py), deleted by the recomputation that will count it.
Inserts never wait for one another: the submits of a busy workshop take no shared lock.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import User
from trainer.extensions import Model
from trainer.timeutil import utcnow

# AreaRole.prefecture of the national role (全国): not a prefecture's name, so it never
# matches Network.prefecture.
NATIONAL = "*"


class AreaRole(Model):
    """A user's prefecture-wide or national view (都道府県・全国の担当)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    prefecture: Mapped[str] = mapped_column(String(20))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_national(self) -> bool:
        return self.prefecture == NATIONAL

    @property
    def label(self) -> str:
        return "全国" if self.is_national else self.prefecture


class NetworkSummary(Model):
    """One network's counts for one course, as of computed_at (for the day computed_for)."""

    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), primary_key=True)
    computed_for: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    # Completion (受講状況) of the members active on computed_for: the completion table's counts.
    members: Mapped[int] = mapped_column(default=0)
    not_started: Mapped[int] = mapped_column(default=0)
    pre_done: Mapped[int] = mapped_column(default=0)
    learning: Mapped[int] = mapped_column(default=0)
    pending: Mapped[int] = mapped_column(default=0)
    valid: Mapped[int] = mapped_column(default=0)
    expiring: Mapped[int] = mapped_column(default=0)
    lapsed: Mapped[int] = mapped_column(default=0)
    # The before/after report without filters (first attempt before and after): learners with
    # a counted pre-test, post-test, both; the paired learners' score sums (fractions 0..1) and
    # how many went up, stayed, went down.
    learners_pre: Mapped[int] = mapped_column(default=0)
    learners_post: Mapped[int] = mapped_column(default=0)
    learners_paired: Mapped[int] = mapped_column(default=0)
    scored_paired: Mapped[int] = mapped_column(default=0)
    pre_sum: Mapped[float] = mapped_column(Float, default=0.0)
    post_sum: Mapped[float] = mapped_column(Float, default=0.0)
    improved: Mapped[int] = mapped_column(default=0)
    same: Mapped[int] = mapped_column(default=0)
    worse: Mapped[int] = mapped_column(default=0)


class NetworkFiguresChange(Model):
    """A change to a network's counts that its summary has not counted yet (no unique key, so
    that concurrent writers never wait for one another)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(Integer, index=True)
