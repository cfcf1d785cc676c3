"""Applying a confirmed roster import: the plan the preview showed, written in one transaction.

A plan with a rejected row is applied only if the secretariat chose 「問題のない行だけ取り込む」
after a page listing the rows left out (skip_rejected); otherwise the file is fixed and uploaded
again. Either way what is imported is written in one transaction, or nothing is. A roster changed
since the preview, or a draft applied already (a double click, or a second worker), changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update

from trainer.accounts.models import Gender, Member, Organisation, OrganisationKind, User
from trainer.accounts.roster import _new_link
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict, DomainError
from trainer.secretariat.models import RosterImport
from trainer.secretariat.roster_import.drafts import get_draft, plan_for
from trainer.secretariat.roster_import.plan import MissingMember, Plan
from trainer.text import name_key
from trainer.timeutil import utcnow

END_REASON = "名簿の取り込みで退会（ファイルに載っていなかったため）"
ALREADY_APPLIED = "このファイルの取り込みは、すでに反映されています。"
END_BATCH = 500  # member ids in one UPDATE … WHERE id IN (…)


class StalePlan(Conflict):
    """The roster changed after the preview was shown: the plan is not the one confirmed."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    ended: int
    organisations: int
    unchanged: int
    skipped: int = 0  # rejected rows left out (「問題のない行だけ取り込む」)

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.ended or self.organisations)

    def message(self) -> str:
        skipped = f"取り込めない{self.skipped}行は取り込んでいません。" if self.skipped else ""
        if not self.changed_anything:
            return f"名簿に変更はありませんでした（変更なし {self.unchanged}人）。{skipped}"
        return (
            f"新規 {self.created}人、更新 {self.updated}人、退会 {self.ended}人、"
            f"構成団体 {self.organisations}件を登録しました。{skipped}"
        )


def apply_import(
    session: Session,
    *,
    network_id: int,
    draft_id: int,
    actor: User,
    digest: str,
    kinds: dict[int, str],
    end_ids: set[int],
    end_date: date | None,
    end_all: bool = False,
    skip_rejected: bool = False,
) -> ImportResult:
    """Apply the previewed plan in one transaction, or change nothing.

    kinds: the chosen kind of each new organisation, by its position in the plan's list (a
    missing one keeps the guess). end_ids: the members missing from the file to record as left
    on end_date (end_all: every one of them). skip_rejected: import the other rows when some
    are rejected (the secretariat saw them listed). Raises StalePlan if the roster changed since the
    preview, Conflict if the draft was applied already (a double click), DomainError for a
    rejected row or a bad choice."""
    draft = get_draft(session, network_id, draft_id)
    if draft.applied_at is not None:
        raise Conflict(ALREADY_APPLIED)
    plan = plan_for(session, draft)
    if plan.digest != digest:
        # The roster changed since the preview. If this very draft was applied meanwhile (a
        # double click served by another worker), say so rather than "press again".
        session.refresh(draft)
        if draft.applied_at is not None:
            raise Conflict(ALREADY_APPLIED)
        raise StalePlan(
            "確認画面を開いた後に名簿が変わったため、取り込みませんでした。"
            "新しい内容を確かめてから、もう一度「取り込む」を押してください。"
        )
    if plan.counts["rejected"] and not skip_rejected:
        raise DomainError(
            f"取り込めない行が{plan.counts['rejected']}行あります。ファイルを直してから、"
            "もう一度選んでください（取り込めない行を除くときは「問題のない行だけ取り込む」から）。"
        )
    _choose_kinds(plan, kinds)
    missing = {m.id: m for m in plan.missing}
    if end_all:
        end_ids = set(missing)
    _check_ends(missing, end_ids, end_date)
    try:
        result = _write(session, draft, plan, actor, end_ids, end_date)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return result


def _choose_kinds(plan: Plan, kinds: dict[int, str]) -> None:
    for index, new_org in enumerate(plan.new_organisations):
        kind = kinds.get(index) or new_org.kind
        if kind not in {k.value for k in OrganisationKind}:
            raise DomainError(f"「{new_org.name}」の種別を一覧から選んでください。")
        new_org.kind = kind


def _check_ends(
    missing: dict[int, MissingMember], end_ids: set[int], end_date: date | None
) -> None:
    if not end_ids <= missing.keys():
        raise StalePlan("退会にする構成員の一覧が変わりました。もう一度確かめてください。")
    if end_ids and end_date is None:
        raise DomainError("退会日を入力してください。", "end_date")
    for member_id in sorted(end_ids):
        if end_date is not None and end_date < missing[member_id].membership_start:
            raise DomainError(
                f"{missing[member_id].name}さんの退会日が加入日より前です。", "end_date"
            )


# --- writing ----------------------------------------------------------------------------------


def _write(
    session: Session,
    draft: RosterImport,
    plan: Plan,
    actor: User,
    end_ids: set[int],
    end_date: date | None,
) -> ImportResult:
    counts = plan.counts
    result = ImportResult(
        created=counts["new"],
        updated=counts["updated"],
        ended=len(end_ids),
        organisations=len(plan.new_organisations),
        unchanged=counts["unchanged"],
        skipped=counts["rejected"],
    )
    now = utcnow()
    _claim(session, draft, result, now)
    org_ids = _add_organisations(session, draft.network_id, plan, now)
    _add_members(session, draft.network_id, plan, org_ids, now)
    _update_members(session, plan, org_ids, now)
    _end_members(session, draft.network_id, end_ids, end_date, now)
    if result.changed_anything:
        _record(session, draft, actor, result)
    return result


def _claim(session: Session, draft: RosterImport, result: ImportResult, now: datetime) -> None:
    """The first statement of the transaction claims the draft: a second click (or a second
    worker) finds applied_at set and writes nothing."""
    # Session.execute is typed as returning a Result; an UPDATE gives a CursorResult, whose
    # rowcount says whether this transaction was the one that claimed the draft.
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(RosterImport)
            .where(RosterImport.id == draft.id, RosterImport.applied_at.is_(None))
            .values(applied_at=now, summary={**draft.summary, "result": result.__dict__})
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        raise Conflict(ALREADY_APPLIED)


def _add_organisations(
    session: Session, network_id: int, plan: Plan, now: datetime
) -> dict[str, int]:
    """The plan's new organisations; returns every organisation's id by its name key."""
    org_ids = {
        o.name_key: o.id
        for o in session.execute(
            select(Organisation.id, Organisation.name_key).where(
                Organisation.network_id == network_id
            )
        )
    }
    for new_org in plan.new_organisations:
        org = Organisation(
            network_id=network_id,
            kind=new_org.kind,
            name=new_org.name,
            name_key=new_org.key,
            created_at=now,
        )
        session.add(org)
        session.flush()
        org_ids[new_org.key] = org.id
    return org_ids


def _add_members(
    session: Session, network_id: int, plan: Plan, org_ids: dict[str, int], now: datetime
) -> None:
    new_members = []
    for row in plan.of("new"):
        selector, verifier = _new_link()
        values = row.values
        new_members.append(
            {
                "network_id": network_id,
                "organisation_id": org_ids[row.organisation_key],
                **values,
                "name_key": name_key(values["name"]),
                "kana_key": name_key(values["kana"]),
                "gender": Gender.UNKNOWN.value,
                "end_reason": "",
                "needs_review": False,
                "link_selector": selector,
                "link_verifier": verifier,
                "link_rotated_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    if new_members:
        session.execute(insert(Member), new_members)


def _update_members(session: Session, plan: Plan, org_ids: dict[str, int], now: datetime) -> None:
    updates = []
    for row in plan.of("updated"):
        values = dict(row.values)
        if "organisation_key" in values:
            values["organisation_id"] = org_ids[values.pop("organisation_key")]
        updates.append({"id": row.member_id, **values, "updated_at": now})
    if updates:
        # ORM bulk UPDATE by primary key: rows changing the same columns share one statement.
        # The ids come from this network's members (build_plan reads no other network).
        session.execute(update(Member), updates)


def _end_members(
    session: Session, network_id: int, end_ids: set[int], end_date: date | None, now: datetime
) -> None:
    ids = sorted(end_ids)
    for start in range(0, len(ids), END_BATCH):
        session.execute(
            update(Member)
            .where(
                Member.id.in_(ids[start : start + END_BATCH]),
                Member.network_id == network_id,
                Member.membership_end.is_(None),
            )
            .values(membership_end=end_date, end_reason=END_REASON, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def _record(session: Session, draft: RosterImport, actor: User, result: ImportResult) -> None:
    audit.record(
        session,
        actor=actor,
        action="roster.import",
        target_type="roster_import",
        target_id=draft.id,
        target_label=draft.filename,
        network_id=draft.network_id,
        details={
            "filename": draft.filename,
            "created": result.created,
            "updated": result.updated,
            "ended": result.ended,
            "organisations": result.organisations,
            "unchanged": result.unchanged,
            # Rows left out by 「問題のない行だけ取り込む」 (shown as 取り込めない行).
            "rejected": result.skipped,
        },
    )
