"""The refresher itself: what to review, the refresher test (a quiz attempt in the "refresher"
phase, on the after-test's form, in versions the member has not seen), and the renewal a pass
brings: a new certificate, the old one kept on record as superseded.

The new certificate's validity counts from the later of the pass date and the day after the old
certificate's last day: renewing early loses no days, renewing late gives no days back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import url_for

from trainer.accounts.models import Member
from trainer.audit import service as audit
from trainer.certificates import service as certificates
from trainer.certificates.models import Certificate, CertificateSupersession
from trainer.database import Session
from trainer.learning.models import Course
from trainer.quizzes import attempts
from trainer.quizzes.models import REFRESHER, Attempt
from trainer.refresher import eligibility
from trainer.timeutil import today_jst


@dataclass(frozen=True)
class RefresherPage:
    course: Course
    certificate: Certificate | None  # the one a pass would renew; None: the refresher is closed
    refusal: str | None
    review: eligibility.Review | None
    open_attempt: Attempt | None
    tries: int  # refresher tests submitted for this certificate (failed ones)
    key: str
    today: date

    @property
    def expired(self) -> bool:
        return self.certificate is not None and self.certificate.valid_until < self.today

    @property
    def last_day(self) -> date | None:
        if self.certificate is None:
            return None
        return eligibility.last_refresher_day(self.certificate.valid_until)


def page(session: Session, member: Member, course: Course, today: date) -> RefresherPage:
    certificate = eligibility.refresher_certificate(session, member, course, today)
    tries = 0
    if certificate is not None:
        tries = sum(
            1
            for a in attempts.submitted_attempts(session, member, course, REFRESHER)
            if a.submitted_at and a.submitted_at >= certificate.issued_at
        )
    return RefresherPage(
        course=course,
        certificate=certificate,
        refusal=eligibility.refusal(session, member, course, today),
        review=eligibility.review(course, certificate) if certificate else None,
        open_attempt=attempts.open_attempt(session, member, course, REFRESHER),
        tries=tries,
        key=attempts.new_idempotency_key(),
        today=today,
    )


def start(session: Session, *, member: Member, course: Course, key: str, today: date) -> Attempt:
    """Start (or continue) the refresher test; refused outside the window (eligibility)."""
    return attempts.start_attempt(
        session,
        member=member,
        course=course,
        phase=REFRESHER,
        key=key,
        refusal=lambda: eligibility.refusal(session, member, course, today),
    )


def retake(session: Session, member: Member, course: Course) -> dict[str, str] | None:
    """A failed refresher test's result offers another (fresh unseen versions while they
    last): the start form's action, key and label, or None when the refresher is closed."""
    action = url_for("refresher.start", course_slug=course.slug)
    current = attempts.open_attempt(session, member, course, REFRESHER)
    if current is not None:
        return {"action": action, "key": current.idempotency_key, "label": "続きから答える"}
    if eligibility.refusal(session, member, course, today_jst()) is not None:
        return None
    return {"action": action, "key": attempts.new_idempotency_key(), "label": "もう一度受ける"}


def renew(session: Session, member: Member, attempt: Attempt) -> Certificate:
    """Issue the new certificate for a passed refresher test, inside the submit's transaction,
    and mark the certificate it renews as superseded (audit: certificate.renew). Should the old
    one have gone meanwhile (revoked), the pass still earns a certificate, superseding none."""
    today = today_jst()
    course = session.get_one(Course, attempt.course_id)
    old = eligibility.refresher_certificate(session, member, course, today)
    period_from = old.valid_until + timedelta(days=1) if old else None
    new = certificates.issue_for_attempt(
        session, member=member, course=course, attempt_id=attempt.id, period_from=period_from
    )
    if old is not None:
        session.add(CertificateSupersession(old_certificate_id=old.id, new_certificate_id=new.id))
        session.flush()
        session.expire(old, ["supersession"])
    event = audit.record(
        session,
        actor=None,
        action="certificate.renew",
        target_type="certificate",
        target_id=new.id,
        target_label=f"{new.serial_label} {member.name}",
        network_id=member.network_id,
        details={
            "serial": new.serial_label,
            "renewed_from": old.serial_label if old else "",
            "valid_until": new.valid_until.isoformat(),
        },
    )
    event.actor_label = f"構成員本人（{member.name}・更新テストに合格）"
    return new
