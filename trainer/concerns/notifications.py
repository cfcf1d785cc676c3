"""Mail that a concern report causes: a new report to the network's notification address, an
instruction to the member's own address. Queued in the caller's transaction (flush only), so a
report is saved whatever happens to the mail; sent after the commit, and retried.

Mail never carries the report's contents (the person's details travel only inside the app):
the number, the urgency, and the link to open it.
"""

from __future__ import annotations

from trainer.concerns.models import ConcernMessage, ConcernReport
from trainer.database import Session


def new_report(session: Session, report: ConcernReport) -> None:
    """Queue the secretariat's notice of a new report (if the network has an address)."""
    # Implemented with the outbox (trainer/mail): see the helper's branch.


def instruction(session: Session, message: ConcernMessage) -> None:
    """Queue the member's notice of a new instruction (if the member has an address)."""


def deliver_soon() -> None:
    """Send the queued mail after the commit (the mail outbox's; a no-op until it is there)."""
