"""Every model, imported in one place so that metadata (migrations, create_all) sees them all."""

from trainer.accounts.models import (
    Member,
    Network,
    NetworkRole,
    Organisation,
    PasswordResetToken,
    StaffInvitation,
    User,
)
from trainer.audit.models import AuditEvent
from trainer.bulletins.models import Bulletin, BulletinMailStop, BulletinRead
from trainer.certificates.models import Certificate, CertificateSupersession
from trainer.concerns.models import ConcernMessage, ConcernReport, ConcernSign, ReportingKey
from trainer.learning.models import Course, CourseModule, ModuleRead, ModuleVersion
from trainer.mail.models import OutgoingMail
from trainer.prefecture.models import AreaRole, NetworkFiguresChange, NetworkSummary
from trainer.quizzes.models import Answer, Attempt, QuizBank, QuizQuestion
from trainer.refresher.models import CertificateReminder
from trainer.secretariat.models import RosterImport
from trainer.workshops.models import Participant, Workshop, WorkshopFeedback

__all__ = [
    "Answer",
    "AreaRole",
    "Attempt",
    "AuditEvent",
    "Bulletin",
    "BulletinMailStop",
    "BulletinRead",
    "Certificate",
    "CertificateReminder",
    "CertificateSupersession",
    "ConcernMessage",
    "ConcernReport",
    "ConcernSign",
    "Course",
    "CourseModule",
    "Member",
    "ModuleRead",
    "ModuleVersion",
    "Network",
    "NetworkFiguresChange",
    "NetworkRole",
    "NetworkSummary",
    "Organisation",
    "OutgoingMail",
    "Participant",
    "PasswordResetToken",
    "QuizBank",
    "QuizQuestion",
    "ReportingKey",
    "RosterImport",
    "StaffInvitation",
    "User",
    "Workshop",
    "WorkshopFeedback",
]
