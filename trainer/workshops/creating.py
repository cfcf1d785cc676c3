"""Creating a workshop, and finding one: a staff member's by id within their network, a phone's by
its join code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trainer.accounts.models import User
from trainer.accounts.roster import get_organisation
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.learning.models import Course
from trainer.parsing import DATE_OUT_OF_RANGE, date_in_range
from trainer.text import clean_text
from trainer.timeutil import today_jst
from trainer.workshops import codes
from trainer.workshops.models import Workshop


@dataclass(frozen=True)
class WorkshopInput:
    course_id: int
    title: str
    held_on: date | None
    place: str = ""
    organisation_ids: tuple[int, ...] = ()


def create_workshop(
    session: Session, *, network_id: int, data: WorkshopInput, actor: User
) -> Workshop:
    title, place = clean_text(data.title), clean_text(data.place)
    if not title:
        raise DomainError("研修会の名前を入力してください。", "title")
    if len(title) > 200 or len(place) > 200:
        raise DomainError(
            "200文字以内で入力してください。", "title" if len(title) > 200 else "place"
        )
    course = session.get(Course, data.course_id)
    if course is None or not course.is_active or not course.post_quiz:
        raise DomainError("研修を一覧から選んでください。", "course_id")
    if data.held_on is None:
        raise DomainError("開催日を入力してください。", "held_on")
    if data.held_on < today_jst():
        raise DomainError("開催日は今日以降の日付にしてください。", "held_on")
    if not date_in_range(data.held_on):  # for callers without the form, which checks it too
        raise DomainError(DATE_OUT_OF_RANGE, "held_on")
    for organisation_id in data.organisation_ids:
        try:
            get_organisation(session, network_id, organisation_id)
        except NotFound:
            raise DomainError("構成団体を一覧から選んでください。", "organisation_ids") from None
    for _ in range(5):  # a clash among 34 million codes is rare; try again if it happens
        workshop = Workshop(
            network_id=network_id,
            course_id=course.id,
            title=title,
            held_on=data.held_on,
            place=place,
            organisation_ids=sorted(set(data.organisation_ids)),
            join_code=codes.new_code(),
            created_by_id=actor.id,
        )
        session.add(workshop)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            continue
        audit.record(
            session,
            actor=actor,
            action="workshop.create",
            target_type="workshop",
            target_id=workshop.id,
            target_label=title,
            network_id=network_id,
            details={"held_on": data.held_on.isoformat(), "course": course.title},
        )
        session.commit()
        return workshop
    raise Conflict("参加コードを作れませんでした。もう一度お試しください。")


def workshops_of(session: Session, network_id: int) -> list[Workshop]:
    return list(
        session.scalars(
            select(Workshop)
            .where(Workshop.network_id == network_id)
            .order_by(Workshop.held_on.desc(), Workshop.id.desc())
        )
    )


def get_workshop(session: Session, network_id: int, workshop_id: int) -> Workshop:
    workshop = session.scalar(
        select(Workshop).where(Workshop.id == workshop_id, Workshop.network_id == network_id)
    )
    if workshop is None:
        raise NotFound("研修会が見つかりません。")
    return workshop


def by_code(session: Session, typed: str) -> Workshop:
    """The workshop a join code names. Unknown, malformed and another workshop's code all read
    the same: the page cannot be used to learn which codes exist."""
    code = codes.normalise(typed)
    workshop = None
    if codes.is_well_formed(code):
        workshop = session.scalar(select(Workshop).where(Workshop.join_code == code))
    if workshop is None:
        raise NotFound("参加コードが見つかりません。コードをもう一度お確かめください。")
    return workshop
