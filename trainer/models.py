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
from trainer.learning.models import Course, CourseModule, ModuleRead, ModuleVersion

__all__ = [
    "AuditEvent",
    "Course",
    "CourseModule",
    "Member",
    "ModuleRead",
    "ModuleVersion",
    "Network",
    "NetworkRole",
    "Organisation",
    "PasswordResetToken",
    "User",
]
