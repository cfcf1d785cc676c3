"""Recording audit events. Callers add the event inside their own unit of work (flush only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from trainer.audit.models import AuditEvent
from trainer.database import Session

if TYPE_CHECKING:
    from trainer.accounts.models import User


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int | None,
    target_label: str = "",
    network_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction; it commits with the change it describes."""
    event = AuditEvent(
        network_id=network_id,
        actor_user_id=actor.id if actor else None,
        actor_label=f"{actor.name} <{actor.email}>" if actor else "システム（コマンド）",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event


def events_for_network(
    session: Session, network_id: int, *, page: int, per_page: int
) -> tuple[list[AuditEvent], int]:
    """A page of the network's events, newest first, and the total count."""
    total = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.network_id == network_id)
    )
    rows = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.network_id == network_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), int(total or 0)
