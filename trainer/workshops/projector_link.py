"""The projector link: /projector/<workshop id>/<token>, the projector view without signing in.

A workshop is often shown from the venue's PC, where the trainer should not have to type their
password (nor leave a session open). The trainer's control page shows a link that opens the
projector there; what it shows is what is on the wall anyway: counts, no names, no comments.

The token is an HMAC of the workshop id and its projector_version under SECRET_KEY (128 bits,
nothing stored): 「新しいリンクにする」 raises the version and every earlier link stops working.
A link works until the day after the workshop (Japan time), then it says it has expired.
The projector page that a signed-in trainer opens polls the same link, so every screen is served
from one rendering per second (live_cache.py) without a database query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, timedelta

from flask import current_app, url_for
from sqlalchemy import update

from trainer.accounts.models import User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.security import tokens_equal
from trainer.workshops.models import Workshop

# Days after the workshop's date on which the link still works (the next morning's review).
VALID_DAYS_AFTER = 1


def token(workshop_id: int, version: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"projector:{workshop_id}:{version}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")


def matches(workshop_id: int, version: int, given: str) -> bool:
    # As bytes: the token comes from the URL, and compare_digest raises on a non-ASCII str.
    return tokens_equal(token(workshop_id, version), given)


def last_day(held_on: date) -> date:
    # The form keeps new dates far from the calendar's end (trainer/parsing.py), but a workshop
    # stored before it could be dated 9999-12-31, where adding a day overflows.
    if held_on > date.max - timedelta(days=VALID_DAYS_AFTER):
        return date.max
    return held_on + timedelta(days=VALID_DAYS_AFTER)


def expired(held_on: date, today: date) -> bool:
    return today > last_day(held_on)


def page_path(workshop: Workshop) -> str:
    return url_for(
        "projector.page",
        workshop_id=workshop.id,
        token=token(workshop.id, workshop.projector_version),
    )


def live_path(workshop: Workshop) -> str:
    return url_for(
        "projector.live",
        workshop_id=workshop.id,
        token=token(workshop.id, workshop.projector_version),
    )


def renew(session: Session, *, workshop: Workshop, actor: User) -> Workshop:
    """A new projector link: every earlier one stops working (its token was signed with the
    version this raises)."""
    session.execute(
        update(Workshop)
        .where(Workshop.id == workshop.id)
        .values(projector_version=Workshop.projector_version + 1)
    )
    audit.record(
        session,
        actor=actor,
        action="workshop.projector_link",
        target_type="workshop",
        target_id=workshop.id,
        target_label=workshop.title,
        network_id=workshop.network_id,
    )
    session.commit()
    session.refresh(workshop)
    return workshop
