"""The secretariat's list of members due for the refresher, per organisation: those whose
current certificate runs out within 90 days (due) and those whose certificate ran out but who
may still take the refresher (expired, up to GRACE_DAYS after): eligibility.py's rules, in SQL.
And the personal-link QR slips of the chosen members, logged as refresher.link_sheet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from trainer.accounts import roster
from trainer.accounts.models import Member, Organisation, User
from trainer.audit import service as audit
from trainer.certificates.models import Certificate
from trainer.database import Session
from trainer.errors import DomainError
from trainer.refresher import eligibility

MAX_SLIPS = 500


@dataclass(frozen=True)
class DueCounts:
    organisation: Organisation
    due: int  # runs out within WINDOW_DAYS
    expired: int  # ran out, refresher still open

    @property
    def total(self) -> int:
        return self.due + self.expired


def _due_statement(network_id: int, today: date, organisation_id: int | None):
    first = today - timedelta(days=eligibility.GRACE_DAYS)
    last = today + timedelta(days=eligibility.WINDOW_DAYS)
    stmt = eligibility.current_statement(today).where(
        Certificate.network_id == network_id,
        Certificate.valid_until >= first,
        Certificate.valid_until <= last,
    )
    if organisation_id:
        stmt = stmt.where(Member.organisation_id == organisation_id)
    return stmt


def due_certificates(
    session: Session,
    *,
    network_id: int,
    today: date,
    organisation_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Certificate]:
    """The due and recently expired current certificates, by organisation, then the soonest;
    with limit, one page of them (the page shows a page; the slips take them all)."""
    stmt = (
        _due_statement(network_id, today, organisation_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .options(joinedload(Certificate.member).joinedload(Member.organisation))
        .options(joinedload(Certificate.course))
        .order_by(
            Organisation.name_key,
            Certificate.valid_until,
            Member.kana_key,
            Member.id,
            Certificate.id,
        )
    )
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(session.scalars(stmt).unique())


def counts(session: Session, *, network_id: int, today: date) -> list[DueCounts]:
    """Per organisation with anyone due: how many are due and how many expired (one query)."""
    sub = _due_statement(network_id, today, None).subquery()
    expired = case((sub.c.valid_until < today, 1), else_=0)
    rows = session.execute(
        select(Member.organisation_id, func.count(), func.sum(expired))
        .select_from(sub)
        .join(Member, Member.id == sub.c.member_id)
        .group_by(Member.organisation_id)
    ).all()
    orgs = {o.id: o for o in roster.organisations(session, network_id)}
    found = [
        DueCounts(orgs[org_id], due=int(n) - int(gone or 0), expired=int(gone or 0))
        for org_id, n, gone in rows
        if org_id in orgs
    ]
    return sorted(found, key=lambda c: c.organisation.name_key)


def slip_certificates(
    session: Session,
    *,
    network_id: int,
    today: date,
    organisation_id: int | None,
    member_ids: Sequence[int],
) -> list[Certificate]:
    """One due certificate per member to print a slip for: the members chosen (only if due),
    else everyone due under the filter; each member once, in the list's order."""
    chosen = set(member_ids)
    members: dict[int, Certificate] = {}
    for certificate in due_certificates(
        session, network_id=network_id, today=today, organisation_id=organisation_id
    ):
        if not chosen or certificate.member_id in chosen:
            members.setdefault(certificate.member_id, certificate)
    if not members:
        raise DomainError("この条件では、更新研修の対象の構成員はいません。")
    if len(members) > MAX_SLIPS:
        raise DomainError(
            f"対象が{len(members)}人いて、一度に印刷できる{MAX_SLIPS}人を超えています。"
            "構成団体を選んで、分けて印刷してください。"
        )
    return list(members.values())


def link_sheet(
    session: Session,
    *,
    network_id: int,
    members: list[Certificate],
    organisation: Organisation | None,
    actor: User,
    make_pdf: Callable[[list[Certificate]], bytes],
) -> bytes:
    """The slips of the chosen members, logged (a slip hands over a member's sign-in). The
    personal links are printed as they are, not replaced: slips handed out before keep working."""
    data = make_pdf(members)
    audit.record(
        session,
        actor=actor,
        action="refresher.link_sheet",
        target_type="organisation" if organisation else "network",
        target_id=organisation.id if organisation else network_id,
        target_label=organisation.name if organisation else "全構成団体",
        network_id=network_id,
        details={"count": len(members)},
    )
    session.commit()
    return data
