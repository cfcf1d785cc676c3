"""Every model, imported in one place so that metadata (migrations, create_all) sees them all."""

from trainer.accounts.models import (
    Member,
    Network,
    NetworkRole,
    Organisation,
    PasswordResetToken,
    User,
)
from trainer.audit.models import AuditEvent

__all__ = [
    "AuditEvent",
    "Member",
    "Network",
    "NetworkRole",
    "Organisation",
    "PasswordResetToken",
    "User",
]
