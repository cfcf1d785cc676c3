"""Certificates made directly through the service (the quiz path is tested on its own)."""

from __future__ import annotations

from sqlalchemy import select

from trainer.accounts.models import Member
from trainer.certificates import service
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.learning.models import Course


def make_certificate(member: Member, course: Course | None = None) -> Certificate:
    course = course or db.session.scalars(select(Course).order_by(Course.id)).first()
    certificate = service.issue_for_attempt(
        db.session, member=member, course=course, attempt_id=None
    )
    db.session.commit()
    return certificate
