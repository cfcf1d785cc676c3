"""Who may take the refresher, and when: the rules every part of the refresher shares.

- The member's *current* certificate for a course is their settled one (not revoked, not
  awaiting confirmation) that is not superseded and has no settled successor lasting longer
  (a renewal, or a pass of the post-test after expiry): only that one is reminded of, listed
  as due, or renewed.
- The refresher opens WINDOW_DAYS (90) before the certificate's last valid day, the day of the
  first reminder, and stays open until GRACE_DAYS (365) after it: a member who missed the
  reminders can still renew with the short refresher for a year; after that, the full course
  (post-test) again, as the knowledge is then too old to refresh.
- The review: the modules whose current version was loaded after the certificate was issued;
  when none changed, every module is offered as optional reading and the test can start at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, not_, select
from sqlalchemy.orm import aliased

from trainer.accounts.models import Member
from trainer.accounts.roster import active_clause
from trainer.certificates.models import Certificate, CertificateSupersession
from trainer.database import Session
from trainer.learning.models import Course, CourseModule
from trainer.learning.service import active_modules, current_version

WINDOW_DAYS = 90
THRESHOLDS = (90, 30)
GRACE_DAYS = 365
# The refresher test, about one minute a question for the after-test's length, read as a whole.
TEST_MINUTES = 10


def current_clause(today: date):
    """SQL: a certificate that is its member's current one for its course (module docstring),
    for a member on the roster today, in an active course. Needs Member and Course joined."""
    newer = aliased(Certificate)
    superseded = select(CertificateSupersession.old_certificate_id)
    return and_(
        Certificate.revoked_at.is_(None),
        Certificate.awaiting_confirmation.is_(False),
        active_clause(today),
        Course.is_active.is_(True),
        Certificate.id.not_in(superseded),
        not_(
            exists().where(
                newer.member_id == Certificate.member_id,
                newer.course_id == Certificate.course_id,
                newer.revoked_at.is_(None),
                newer.awaiting_confirmation.is_(False),
                newer.id.not_in(superseded),
                newer.valid_until > Certificate.valid_until,
            )
        ),
    )


def current_statement(today: date) -> Select:
    """Current certificates with their member and course joined (filter further)."""
    return (
        select(Certificate)
        .join(Member, Member.id == Certificate.member_id)
        .join(Course, Course.id == Certificate.course_id)
        .where(current_clause(today))
    )


def in_window(valid_until: date, today: date) -> bool:
    return valid_until - timedelta(days=WINDOW_DAYS) <= today <= last_refresher_day(valid_until)


def last_refresher_day(valid_until: date) -> date:
    return valid_until + timedelta(days=GRACE_DAYS)


def refresher_certificate(
    session: Session, member: Member, course: Course, today: date
) -> Certificate | None:
    """The certificate the refresher would renew now, or None."""
    certificate = session.scalar(
        current_statement(today).where(
            Certificate.member_id == member.id, Certificate.course_id == course.id
        )
    )
    if certificate is None or not in_window(certificate.valid_until, today):
        return None
    return certificate


def refusal(session: Session, member: Member, course: Course, today: date) -> str | None:
    """None if the member may start the refresher of the course today, else why not."""
    if not course.post_quiz:
        return "この研修には更新テストがありません。"
    if refresher_certificate(session, member, course, today) is not None:
        return None
    return (
        "更新研修は、修了証の有効期限の"
        f"{WINDOW_DAYS}日前から、期限が過ぎて{GRACE_DAYS}日後まで受けられます。"
        "いまは受けられる修了証がありません。"
    )


@dataclass(frozen=True)
class Review:
    """What to read before the refresher test."""

    changed: list[CourseModule]  # changed since the certificate was issued
    optional: list[CourseModule]  # every module, when none changed

    @property
    def minutes(self) -> int:
        """About how long the refresher takes: the changed modules and the test."""
        return sum(current_version(m).minutes for m in self.changed) + TEST_MINUTES


def review(course: Course, certificate: Certificate) -> Review:
    modules = active_modules(course)
    changed = [m for m in modules if current_version(m).created_at > certificate.issued_at]
    return Review(changed=changed, optional=[] if changed else modules)
