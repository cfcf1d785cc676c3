"""The secretariat's review of participants no member matched: confirm as a new member, or
merge into the member they are (everything they did moves over; nothing is lost)."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from trainer.accounts.models import Member, User
from trainer.accounts.roster import get_member
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.errors import Conflict, DomainError
from trainer.learning.models import ModuleRead
from trainer.quizzes.models import Attempt
from trainer.workshops.models import Participant, Workshop


def pending(session: Session, network_id: int) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(Member.network_id == network_id, Member.needs_review.is_(True))
            .order_by(Member.created_at, Member.id)
        )
    )


def pending_count(session: Session, network_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.network_id == network_id, Member.needs_review.is_(True))
    )


def workshops_joined(session: Session, member: Member) -> list[Workshop]:
    return list(
        session.scalars(
            select(Workshop)
            .join(Participant, Participant.workshop_id == Workshop.id)
            .where(Participant.member_id == member.id)
            .order_by(Workshop.held_on)
        )
    )


def merge_candidates(session: Session, member: Member) -> list[Member]:
    """Members this entry may be: the same organisation first, same-sounding names first."""
    others = list(
        session.scalars(
            select(Member)
            .where(
                Member.network_id == member.network_id,
                Member.needs_review.is_(False),
                Member.organisation_id == member.organisation_id,
            )
            .order_by(Member.kana_key, Member.name_key)
        )
    )
    similar = {member.name_key, member.kana_key} - {""}
    return sorted(others, key=lambda m: not ({m.name_key, m.kana_key} & similar))


def _pending(session: Session, network_id: int, member_id: int) -> Member:
    member = get_member(session, network_id, member_id)
    if not member.needs_review:
        raise Conflict(f"{member.name}さんはすでに確認済みです。")
    return member


def confirm(session: Session, *, network_id: int, member_id: int, actor: User) -> Member:
    member = _pending(session, network_id, member_id)
    member.needs_review = False
    audit.record(
        session,
        actor=actor,
        action="member.confirm",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=network_id,
    )
    session.commit()
    return member


def merge(
    session: Session, *, network_id: int, member_id: int, into_id: int | None, actor: User
) -> Member:
    """Move the entry's participations, attempts, reads and certificates to the member it is,
    then delete the entry. Refused, changing nothing, where the two would clash."""
    source = _pending(session, network_id, member_id)
    if not into_id:
        raise DomainError("統合先の構成員を選んでください。", "into")
    target = get_member(session, network_id, into_id)
    if target.id == source.id or target.needs_review:
        raise DomainError("統合先には確認済みの構成員を選んでください。", "into")
    both_in = session.scalar(
        select(func.count())
        .select_from(Participant)
        .where(Participant.member_id == target.id)
        .where(
            Participant.workshop_id.in_(
                select(Participant.workshop_id).where(Participant.member_id == source.id)
            )
        )
    )
    if both_in:
        raise Conflict(
            f"{target.name}さんと同じ研修会に参加しているため統合できません。"
            "別の人として「新しい構成員として確認」してください。"
        )
    open_clash = session.scalar(
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.member_id == target.id, Attempt.status == "open")
        .where(
            Attempt.course_id.in_(
                select(Attempt.course_id).where(
                    Attempt.member_id == source.id, Attempt.status == "open"
                )
            )
        )
    )
    if open_clash:
        raise Conflict(
            f"{target.name}さんにも回答途中のテストがあるため、いまは統合できません。"
            "どちらかのテストが提出されてから統合してください。"
        )
    moved = {}
    for model in (Participant, Attempt, Certificate):
        result = session.execute(
            update(model).where(model.member_id == source.id).values(member_id=target.id)
        )
        moved[model.__tablename__] = result.rowcount
    already = select(ModuleRead.module_version_id).where(ModuleRead.member_id == target.id)
    session.execute(
        delete(ModuleRead).where(
            ModuleRead.member_id == source.id, ModuleRead.module_version_id.in_(already)
        )
    )
    session.execute(
        update(ModuleRead).where(ModuleRead.member_id == source.id).values(member_id=target.id)
    )
    audit.record(
        session,
        actor=actor,
        action="member.merge",
        target_type="member",
        target_id=target.id,
        target_label=target.name,
        network_id=network_id,
        details={
            "merged": f"{source.name}（{source.kana}）" if source.kana else source.name,
            "attempts": moved["attempt"],
            "certificates": moved["certificate"],
        },
    )
    session.delete(source)
    session.commit()
    return target
