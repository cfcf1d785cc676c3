"""Certificates near their expiry, for the refresher's tests (a fake clock: `today` is passed)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from trainer.accounts.models import Member
from trainer.certificates import service
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.learning.models import Course

COURSE = "mimamori-basic"


def course() -> Course:
    return db.session.scalar(select(Course).where(Course.slug == COURSE))


def certificate_until(member: Member, valid_until: date) -> Certificate:
    """A certificate for the course, its last valid day moved to `valid_until`."""
    certificate = service.issue_for_attempt(
        db.session, member=member, course=course(), attempt_id=None
    )
    certificate.valid_until = valid_until
    db.session.commit()
    return certificate
