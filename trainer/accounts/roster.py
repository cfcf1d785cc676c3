"""The roster: organisations (構成団体) and members (構成員) of a network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from sqlalchemy import func, select

from trainer.accounts.models import (
    AgeBand,
    JobType,
    Member,
    Organisation,
    OrganisationKind,
    User,
)
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.parsing import DATE_OUT_OF_RANGE, date_in_range
from trainer.security import new_token, tokens_equal
from trainer.text import clean_multiline, clean_text, hiragana, name_key
from trainer.timeutil import jdate, today_jst, utcnow

LINK_SELECTOR_LENGTH = 16


# --- organisations ----------------------------------------------------------------------------


def organisations(session: Session, network_id: int) -> list[Organisation]:
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.network_id == network_id)
            .order_by(Organisation.kind, Organisation.name)
        )
    )


def organisation_member_counts(session: Session, network_id: int) -> dict[int, int]:
    """Active members per organisation id."""
    today = today_jst()
    rows = session.execute(
        select(Member.organisation_id, func.count())
        .where(Member.network_id == network_id, active_clause(today))
        .group_by(Member.organisation_id)
    ).all()
    return {org_id: count for org_id, count in rows}


def get_organisation(session: Session, network_id: int, organisation_id: int) -> Organisation:
    org = session.scalar(
        select(Organisation).where(
            Organisation.id == organisation_id, Organisation.network_id == network_id
        )
    )
    if org is None:
        raise NotFound("構成団体が見つかりません。")
    return org


def _check_organisation(
    session: Session, network_id: int, kind: str, name: str, exclude_id: int | None
) -> tuple[str, str]:
    name = clean_text(name)
    if not name:
        raise DomainError("団体名を入力してください。", "name")
    try:
        OrganisationKind(kind)
    except ValueError:
        raise DomainError("種別を一覧から選んでください。", "kind") from None
    key = name_key(name)
    clash = session.scalar(
        select(Organisation).where(
            Organisation.network_id == network_id,
            Organisation.name_key == key,
            Organisation.id != (exclude_id or 0),
        )
    )
    if clash is not None:
        raise Conflict(f"同じ名前の構成団体「{clash.name}」がすでにあります。", "name")
    return name, key


def create_organisation(
    session: Session, *, network_id: int, kind: str, name: str, actor: User | None
) -> Organisation:
    name, key = _check_organisation(session, network_id, kind, name, None)
    org = Organisation(network_id=network_id, kind=kind, name=name, name_key=key)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.create",
        target_type="organisation",
        target_id=org.id,
        target_label=name,
        network_id=network_id,
    )
    session.commit()
    return org


def update_organisation(
    session: Session, *, organisation: Organisation, kind: str, name: str, actor: User | None
) -> Organisation:
    name, key = _check_organisation(session, organisation.network_id, kind, name, organisation.id)
    changes = _diff(organisation, {"kind": kind, "name": name})
    if not changes:
        return organisation
    organisation.kind, organisation.name, organisation.name_key = kind, name, key
    audit.record(
        session,
        actor=actor,
        action="organisation.update",
        target_type="organisation",
        target_id=organisation.id,
        target_label=name,
        network_id=organisation.network_id,
        details={"changes": changes},
    )
    session.commit()
    return organisation


# --- members ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberInput:
    """What the secretariat types about a member (a form, an import row, the demo loader)."""

    organisation_id: int
    name: str
    kana: str = ""
    job_type: str = JobType.UNKNOWN.value
    age_band: str = AgeBand.UNKNOWN.value
    email: str = ""
    membership_start: date | None = None


def active_clause(day: date):
    """SQL for Member.is_active_on(day): on the roster (not an entry awaiting review), from the
    start date until the day before the end."""
    return (
        Member.needs_review.is_(False)
        & (Member.membership_start <= day)
        & (Member.membership_end.is_(None) | (Member.membership_end > day))
    )


def get_member(session: Session, network_id: int, member_id: int) -> Member:
    member = session.scalar(
        select(Member).where(Member.id == member_id, Member.network_id == network_id)
    )
    if member is None:
        raise NotFound("構成員が見つかりません。")
    return member


class _MemberValues(TypedDict):
    """A member's columns from a validated MemberInput."""

    organisation_id: int
    name: str
    kana: str
    name_key: str
    kana_key: str
    job_type: str
    age_band: str
    email: str | None
    membership_start: date


def _validated(session: Session, network_id: int, data: MemberInput) -> _MemberValues:
    name = clean_text(data.name)
    kana = hiragana(data.kana)
    if not name:
        raise DomainError("氏名を入力してください。", "name")
    if len(name) > 100:
        raise DomainError("氏名は100文字以内で入力してください。", "name")
    if len(kana) > 100:
        raise DomainError("ふりがなは100文字以内で入力してください。", "kana")
    get_organisation_or_field_error(session, network_id, data.organisation_id)
    if data.job_type not in {j.value for j in JobType}:
        raise DomainError("職種を一覧から選んでください。", "job_type")
    if data.age_band not in {a.value for a in AgeBand}:
        raise DomainError("年代を一覧から選んでください。", "age_band")
    email = clean_text(data.email).lower()
    if email and ("@" not in email or len(email) > 254):
        raise DomainError("メールアドレスの形式が正しくありません。", "email")
    if data.membership_start is None:
        raise DomainError("加入日を入力してください。", "membership_start")
    if not date_in_range(data.membership_start):  # the form checks it too; the CLI does not
        raise DomainError(DATE_OUT_OF_RANGE, "membership_start")
    return _MemberValues(
        organisation_id=data.organisation_id,
        name=name,
        kana=kana,
        name_key=name_key(name),
        kana_key=name_key(kana),
        job_type=data.job_type,
        age_band=data.age_band,
        email=email or None,
        membership_start=data.membership_start,
    )


def get_organisation_or_field_error(
    session: Session, network_id: int, organisation_id: int
) -> Organisation:
    try:
        return get_organisation(session, network_id, organisation_id)
    except NotFound:
        raise DomainError("構成団体を一覧から選んでください。", "organisation_id") from None


def find_same_name(
    session: Session,
    network_id: int,
    organisation_id: int,
    name: str,
    exclude_id: int | None = None,
) -> Member | None:
    """An existing member of the same organisation whose normalised name is the same."""
    return session.scalar(
        select(Member).where(
            Member.network_id == network_id,
            Member.organisation_id == organisation_id,
            Member.name_key == name_key(name),
            Member.id != (exclude_id or 0),
        )
    )


def _new_link() -> tuple[str, str]:
    token = new_token(36)  # 48 characters, 288 bits
    return token[:LINK_SELECTOR_LENGTH], token[LINK_SELECTOR_LENGTH:]


def create_member(
    session: Session,
    *,
    network_id: int,
    data: MemberInput,
    actor: User | None,
    allow_same_name: bool = False,
) -> Member:
    values = _validated(session, network_id, data)
    if not allow_same_name:
        twin = find_same_name(session, network_id, data.organisation_id, data.name)
        if twin is not None:
            raise Conflict(
                f"同じ構成団体に同じ氏名の構成員「{twin.name}」がすでに登録されています。"
                "別の人なら「同姓同名の別人として登録する」にチェックしてください。",
                "name",
            )
    selector, verifier = _new_link()
    member = Member(network_id=network_id, link_selector=selector, link_verifier=verifier, **values)
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="member.create",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=network_id,
    )
    session.commit()
    return member


def _diff(obj: object, values: dict[str, object]) -> dict[str, list[str]]:
    return {
        key: [str(getattr(obj, key)), str(value)]
        for key, value in values.items()
        if getattr(obj, key) != value
    }


def update_member(
    session: Session,
    *,
    member: Member,
    data: MemberInput,
    actor: User | None,
    allow_same_name: bool = False,
) -> Member:
    values = _validated(session, member.network_id, data)
    if member.membership_end is not None and values["membership_start"] > member.membership_end:
        raise DomainError("加入日は退会日より前にしてください。", "membership_start")
    if not allow_same_name:
        twin = find_same_name(
            session, member.network_id, data.organisation_id, data.name, exclude_id=member.id
        )
        if twin is not None:
            raise Conflict(
                f"同じ構成団体に同じ氏名の構成員「{twin.name}」がすでに登録されています。"
                "別の人なら「同姓同名の別人として登録する」にチェックしてください。",
                "name",
            )
    shown = {k: v for k, v in values.items() if not k.endswith("_key")}
    changes = _diff(member, shown)
    if not changes:
        return member
    for key, value in values.items():
        setattr(member, key, value)
    audit.record(
        session,
        actor=actor,
        action="member.update",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=member.network_id,
        details={"changes": changes},
    )
    session.commit()
    return member


def check_end(member: Member, end_date: date) -> None:
    """Refuse an end that end_membership would refuse: the confirmation page is shown only for
    an end that can be recorded, so that 「退会を記録する」 on it does not fail."""
    if member.membership_end is not None:
        raise Conflict("この構成員はすでに退会が記録されています。", "end_date")
    if end_date < member.membership_start:
        raise DomainError("退会日は加入日以降の日付にしてください。", "end_date")
    if not date_in_range(end_date):
        raise DomainError(DATE_OUT_OF_RANGE, "end_date")


def end_membership(
    session: Session, *, member: Member, end_date: date, reason: str, actor: User | None
) -> Member:
    """Record the date a membership ends (the first day the person is no longer a member)."""
    check_end(member, end_date)
    member.membership_end = end_date
    member.end_reason = clean_multiline(reason)  # a textarea: its line breaks stay
    audit.record(
        session,
        actor=actor,
        action="member.end",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=member.network_id,
        details={"end_date": end_date.isoformat(), "reason": member.end_reason},
    )
    session.commit()
    return member


def ended_message(member: Member) -> str:
    """Why a member whose membership has ended may not take a test or get a certificate."""
    return (
        f"構成員としての登録は{jdate(member.membership_end)}に終了しているため、"
        "テストの回答や修了証の発行はできません。"
        f"心当たりがない場合は、{member.network.name}の事務局にお問い合わせください。"
    )


def ensure_not_ended(member: Member) -> None:
    """Refuse (Conflict) once the member's membership has ended (Member.membership_ended). The
    learner pages never get this far (they show their own page); the services check anyway, for
    the workshop pages and whatever else calls them."""
    if member.membership_ended:
        raise Conflict(ended_message(member))


def reinstate_membership(session: Session, *, member: Member, actor: User | None) -> Member:
    """Undo an end recorded by mistake; the audit log keeps the date that was removed."""
    if member.membership_end is None:
        raise Conflict("この構成員は退会していません。")
    previous = member.membership_end.isoformat()
    member.membership_end = None
    reason, member.end_reason = member.end_reason, ""
    audit.record(
        session,
        actor=actor,
        action="member.reinstate",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=member.network_id,
        details={"removed_end_date": previous, "removed_reason": reason},
    )
    session.commit()
    return member


def rotate_member_link(session: Session, *, member: Member, actor: User | None) -> Member:
    """Replace the personal link: the old link and every session opened with it stop working."""
    member.link_selector, member.link_verifier = _new_link()
    member.link_rotated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="member.link_rotate",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=member.network_id,
    )
    session.commit()
    return member


def record_link_view(session: Session, *, member: Member, actor: User) -> None:
    """Showing a personal link hands over the right to act as the member: it is logged."""
    audit.record(
        session,
        actor=actor,
        action="member.link_view",
        target_type="member",
        target_id=member.id,
        target_label=member.name,
        network_id=member.network_id,
    )
    session.commit()


def member_by_link_token(session: Session, token: str) -> Member | None:
    """The member whose personal link this is, whether or not their membership has ended: an
    ended member is still signed in, and then shown that it has ended (learner_required), so the
    same phone works again at once if the secretariat undoes the end."""
    if len(token) <= LINK_SELECTOR_LENGTH or len(token) > 100:
        return None
    selector, verifier = token[:LINK_SELECTOR_LENGTH], token[LINK_SELECTOR_LENGTH:]
    member = session.scalar(select(Member).where(Member.link_selector == selector))
    if member is None or not tokens_equal(member.link_verifier, verifier):
        return None
    return member
