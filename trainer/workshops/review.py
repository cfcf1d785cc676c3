"""The secretariat's review of who took part in workshops without anyone vouching for them.

Two kinds of people wait here:
- entries no member matched (Member.needs_review): confirm as a new member, merge into the
  member they are (everything they did moves over), or reject with a reason (their
  certificates are revoked; the entry stays, off the roster, so that nothing is lost);
- roster members matched by a typed name whom the trainer did not confirm in the room: confirm,
  or reject with a reason (what was done in their name moves to a rejected entry, so the
  member's own record is as if it had never happened, and its certificates are revoked).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update

from trainer.accounts.models import Member, User
from trainer.accounts.roster import _new_link, get_member
from trainer.audit import service as audit
from trainer.bulletins.models import BulletinMailStop, BulletinRead
from trainer.certificates.models import Certificate
from trainer.concerns.models import ConcernReport, ReportingKey
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.learning.models import ModuleRead
from trainer.quizzes.models import Attempt
from trainer.text import clean_text, hiragana
from trainer.timeutil import utcnow
from trainer.workshops import confirming
from trainer.workshops.models import Confirmation, Participant, Workshop

REASON_MAX = 500
# The tables a merge moves from the entry to the member: each has a member_id.
MemberOwned = (
    type[Participant]
    | type[Attempt]
    | type[Certificate]
    | type[ModuleRead]
    | type[ConcernReport]
    | type[ReportingKey]
    | type[BulletinRead]
    | type[BulletinMailStop]
)


def _awaiting(network_id: int):
    return (
        Member.network_id == network_id,
        Member.needs_review.is_(True),
        Member.rejected_at.is_(None),
    )


def pending(session: Session, network_id: int) -> list[Member]:
    return list(
        session.scalars(
            select(Member).where(*_awaiting(network_id)).order_by(Member.created_at, Member.id)
        )
    )


def _unconfirmed_matches(network_id: int):
    return (
        select(Participant)
        .join(Member, Member.id == Participant.member_id)
        .where(
            Member.network_id == network_id,
            Member.needs_review.is_(False),
            Participant.confirmed_via.is_(None),
        )
    )


def unconfirmed_matches(session: Session, network_id: int) -> list[Participant]:
    """Roster members matched by a typed name whom nobody has confirmed yet."""
    return list(
        session.scalars(
            _unconfirmed_matches(network_id).order_by(Participant.joined_at, Participant.id)
        )
    )


def pending_count(session: Session, network_id: int) -> int:
    """Everyone waiting for the secretariat: entries off the roster and unconfirmed matches."""
    entries = session.scalar(select(func.count()).select_from(Member).where(*_awaiting(network_id)))
    matches = session.scalar(
        select(func.count()).select_from(_unconfirmed_matches(network_id).subquery())
    )
    return int(entries or 0) + int(matches or 0)


def _reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise DomainError("確認しない理由を入力してください。", "reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"理由は{REASON_MAX}文字以内で入力してください。", "reason")
    return reason


def _revoke_all(session: Session, certificates: list[Certificate], reason: str, actor: User) -> int:
    now = utcnow()
    revoked = 0
    for certificate in certificates:
        if certificate.revoked_at is None:
            certificate.revoked_at = now
            certificate.revoked_reason = f"本人確認ができなかったため（{reason}）"
            certificate.revoked_by_id = actor.id
            revoked += 1
    return revoked


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
    if member.rejected_at is not None:
        raise Conflict(f"{member.name}さんは「確認しない」としました。")
    return member


def _participations(session: Session, member_id: int) -> list[Participant]:
    return list(session.scalars(select(Participant).where(Participant.member_id == member_id)))


def participations(session: Session, member: Member) -> list[Participant]:
    """Where this entry took part, with who confirmed them there (shown on the review)."""
    return _participations(session, member.id)


def confirm(session: Session, *, network_id: int, member_id: int, actor: User) -> Member:
    """A new member: on the roster from now on, their results count, their certificates are
    valid (the secretariat's confirmation covers the workshops they joined)."""
    member = _pending(session, network_id, member_id)
    confirming.confirm_seats(
        session, _participations(session, member.id), Confirmation.SECRETARIAT, actor
    )
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


def _move_rows(model: MemberOwned) -> Callable[[Session, int, int], int]:
    def move(session: Session, source_id: int, target_id: int) -> int:
        # An UPDATE's result is a CursorResult, which alone has rowcount; execute() is typed
        # for every statement.
        result = cast(
            CursorResult[Any],
            session.execute(
                update(model).where(model.member_id == source_id).values(member_id=target_id)
            ),
        )
        return result.rowcount

    return move


def _move_reads(session: Session, source_id: int, target_id: int) -> int:
    """A module both have read is read once: the entry's read of it goes, the others move."""
    already = select(ModuleRead.module_version_id).where(ModuleRead.member_id == target_id)
    session.execute(
        delete(ModuleRead).where(
            ModuleRead.member_id == source_id, ModuleRead.module_version_id.in_(already)
        )
    )
    return _move_rows(ModuleRead)(session, source_id, target_id)


def _move_reporting_key(session: Session, source_id: int, target_id: int) -> int:
    """The member keeps their own reporting key (the code on their badge): the entry's goes.
    An entry has a key only in rare cases (an entry on the roster is never printed a badge
    with one), and a member without a key gets the entry's."""
    if session.scalar(select(ReportingKey.id).where(ReportingKey.member_id == target_id)):
        session.execute(delete(ReportingKey).where(ReportingKey.member_id == source_id))
        return 0
    return _move_rows(ReportingKey)(session, source_id, target_id)


def _move_bulletin_reads(session: Session, source_id: int, target_id: int) -> int:
    """A bulletin both have opened stays opened once (the member's first open is kept)."""
    already = select(BulletinRead.bulletin_id).where(BulletinRead.member_id == target_id)
    session.execute(
        delete(BulletinRead).where(
            BulletinRead.member_id == source_id, BulletinRead.bulletin_id.in_(already)
        )
    )
    return _move_rows(BulletinRead)(session, source_id, target_id)


def _move_bulletin_mail_stop(session: Session, source_id: int, target_id: int) -> int:
    """The member's own choice about bulletin mails stands; a member who never chose takes the
    entry's (who stopped them from the entry's mails)."""
    if session.scalar(select(BulletinMailStop.id).where(BulletinMailStop.member_id == target_id)):
        session.execute(delete(BulletinMailStop).where(BulletinMailStop.member_id == source_id))
        return 0
    return _move_rows(BulletinMailStop)(session, source_id, target_id)


# How a merge carries each member-owned table from the entry to the member, by table name. Every
# table with a foreign key to member is here (tests/workshops/test_review.py walks the schema):
# a row left behind would keep the entry from being deleted, or be lost with it.
MERGE_MOVES: dict[str, Callable[[Session, int, int], int]] = {
    Participant.__tablename__: _move_rows(Participant),
    Attempt.__tablename__: _move_rows(Attempt),
    Certificate.__tablename__: _move_rows(Certificate),
    ModuleRead.__tablename__: _move_reads,
    # What the entry reported from its personal page is the member's report.
    ConcernReport.__tablename__: _move_rows(ConcernReport),
    ReportingKey.__tablename__: _move_reporting_key,
    BulletinRead.__tablename__: _move_bulletin_reads,
    BulletinMailStop.__tablename__: _move_bulletin_mail_stop,
}


def _merge_target(session: Session, network_id: int, into_id: int | None, source: Member) -> Member:
    if not into_id:
        raise DomainError("統合先の構成員を選んでください。", "into")
    target = get_member(session, network_id, into_id)
    if target.id == source.id or target.needs_review:
        raise DomainError("統合先には確認済みの構成員を選んでください。", "into")
    return target


def _refuse_clashes(session: Session, source: Member, target: Member) -> None:
    """Two seats in one workshop, or two open attempts at one course, cannot become one."""
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


def merge(
    session: Session, *, network_id: int, member_id: int, into_id: int | None, actor: User
) -> Member:
    """Move the entry's participations, attempts, reads and certificates to the member it is,
    then delete the entry. Refused, changing nothing, where the two would clash."""
    source = _pending(session, network_id, member_id)
    target = _merge_target(session, network_id, into_id, source)
    _refuse_clashes(session, source, target)
    # Confirmed first (participant, then results and certificates: see confirming.py), then
    # moved.
    confirming.confirm_seats(
        session, _participations(session, source.id), Confirmation.SECRETARIAT, actor
    )
    moved = {table: move(session, source.id, target.id) for table, move in MERGE_MOVES.items()}
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


def reject(
    session: Session, *, network_id: int, member_id: int, reason: str, actor: User
) -> Member:
    """Not a member: the entry stays off the roster with the reason, its certificates are
    revoked (/verify shows 取消), and it is never matched again."""
    member = _pending(session, network_id, member_id)
    reason = _reason(reason)
    member.rejected_at = utcnow()
    member.rejected_reason = reason
    certificates = list(
        session.scalars(select(Certificate).where(Certificate.member_id == member.id))
    )
    revoked = _revoke_all(session, certificates, reason, actor)
    audit.record(
        session,
        actor=actor,
        action="member.reject",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=network_id,
        details={"reason": reason, "certificates_revoked": revoked},
    )
    session.commit()
    return member


def _unconfirmed_match(session: Session, network_id: int, participant_id: int) -> Participant:
    participant = session.scalar(
        _unconfirmed_matches(network_id).where(Participant.id == participant_id)
    )
    if participant is None:
        if session.scalar(
            select(Participant.id)
            .join(Member, Member.id == Participant.member_id)
            .where(Participant.id == participant_id, Member.network_id == network_id)
        ):
            raise Conflict("この参加者の確認はすでに済んでいます。")
        raise NotFound("参加者が見つかりません。")
    return participant


def confirm_match(
    session: Session, *, network_id: int, participant_id: int, actor: User
) -> Participant:
    participant = _unconfirmed_match(session, network_id, participant_id)
    confirming.confirm_seats(session, [participant], Confirmation.SECRETARIAT, actor)
    audit.record(
        session,
        actor=actor,
        action="workshop.participant_confirm",
        target_type="participant",
        target_id=participant.id,
        target_label=f"{participant.member.name}（{participant.workshop.title}）",
        network_id=network_id,
    )
    session.commit()
    return participant


def reject_match(
    session: Session, *, network_id: int, participant_id: int, reason: str, actor: User
) -> Member:
    """Someone typed this member's name and it was not them: what was done in that workshop
    moves to a rejected entry (kept, never on the roster), its certificates are revoked, and
    the member's own record is as if it had never happened."""
    participant = _unconfirmed_match(session, network_id, participant_id)
    reason = _reason(reason)
    member = participant.member
    selector, verifier = _new_link()
    entry = Member(
        network_id=network_id,
        organisation_id=participant.organisation_id,
        name=participant.entered_name,
        kana=hiragana(participant.entered_kana),
        name_key=member.name_key,
        kana_key=member.kana_key,
        membership_start=member.membership_start,
        link_selector=selector,
        link_verifier=verifier,
        needs_review=True,
        rejected_at=utcnow(),
        rejected_reason=reason,
    )
    session.add(entry)
    session.flush()
    in_workshop = (Attempt.workshop_id == participant.workshop_id, Attempt.member_id == member.id)
    attempt_ids = list(session.scalars(select(Attempt.id).where(*in_workshop)))
    certificates = list(
        session.scalars(select(Certificate).where(Certificate.attempt_id.in_(attempt_ids)))
    )
    revoked = _revoke_all(session, certificates, reason, actor)
    session.execute(update(Attempt).where(*in_workshop).values(member_id=entry.id))
    for certificate in certificates:
        certificate.member_id = entry.id
    participant.member_id = entry.id
    audit.record(
        session,
        actor=actor,
        action="workshop.participant_reject",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=network_id,
        details={
            "workshop": participant.workshop.title,
            "reason": reason,
            "attempts_moved": len(attempt_ids),
            "certificates_revoked": revoked,
        },
    )
    session.commit()
    return entry
