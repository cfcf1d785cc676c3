"""Roster import: a parsed file compared with the roster (the plan), then applied all at once.

Nothing is written to the roster before the secretariat confirms. The upload stores the parsed
rows in a draft (RosterImport); the preview and the confirmation each compute the plan afresh
from those rows and the roster as it is then, so a roster changed in between is noticed (the
plan's digest differs) instead of being overwritten. A plan with any rejected row cannot be
applied: the file is fixed and uploaded again (all or nothing).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from trainer.accounts.models import (
    AgeBand,
    Gender,
    JobType,
    Member,
    Organisation,
    OrganisationKind,
    User,
)
from trainer.accounts.roster import _new_link
from trainer.audit import service as audit
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.secretariat.importing import ParsedRow, guess_kind, read_table
from trainer.secretariat.models import RosterImport
from trainer.text import clean_text, name_key
from trainer.timeutil import jdate, today_jst, utcnow

STATUS_LABELS = {
    "new": "新規",
    "updated": "更新",
    "unchanged": "変更なし",
    "rejected": "取り込めない",
}
DRAFT_LIFETIME = timedelta(days=1)
END_REASON = "名簿の取り込みで退会（ファイルに載っていなかったため）"


ALREADY_APPLIED = "このファイルの取り込みは、すでに反映されています。"


class StalePlan(Conflict):
    """The roster changed after the preview was shown: the plan is not the one confirmed."""


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str


@dataclass
class RowPlan:
    row: ParsedRow
    status: str = "rejected"
    member_id: int | None = None
    organisation_key: str = ""
    changes: list[Change] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    # Columns to write: for a new member all of them, for an update the changed ones.
    values: dict[str, Any] = field(default_factory=dict)
    start_defaulted: bool = False

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class NewOrganisation:
    key: str
    name: str
    kind: str
    rows: int = 0

    @property
    def kind_label(self) -> str:
        return OrganisationKind(self.kind).label


@dataclass(frozen=True)
class MissingMember:
    id: int
    name: str
    kana: str
    organisation: str
    membership_start: date


@dataclass
class Plan:
    rows: list[RowPlan]
    new_organisations: list[NewOrganisation]
    missing: list[MissingMember]
    untouched_organisations: int
    untouched_members: int
    today: date
    digest: str = ""

    def of(self, status: str) -> list[RowPlan]:
        return [r for r in self.rows if r.status == status]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUS_LABELS, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def defaulted_starts(self) -> int:
        return sum(1 for r in self.rows if r.status == "new" and r.start_defaulted)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    ended: int
    organisations: int
    unchanged: int

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.updated or self.ended or self.organisations)

    def message(self) -> str:
        if not self.changed_anything:
            return f"名簿に変更はありませんでした（変更なし {self.unchanged}人）。"
        return (
            f"新規 {self.created}人、更新 {self.updated}人、退会 {self.ended}人、"
            f"構成団体 {self.organisations}件を登録しました。"
        )


# --- the draft --------------------------------------------------------------------------------


def create_draft(
    session: Session, *, network_id: int, actor: User, filename: str, data: bytes
) -> RosterImport:
    """Parse an uploaded file and keep its rows for the preview; the roster is not touched.

    Raises ImportFileError (a DomainError) when the file cannot be read as a roster."""
    table = read_table(data, filename)
    # Drafts hold personal data and are only needed between upload and confirmation.
    session.execute(
        delete(RosterImport).where(
            RosterImport.network_id == network_id,
            RosterImport.created_at < utcnow() - DRAFT_LIFETIME,
        )
    )
    draft = RosterImport(
        network_id=network_id,
        user_id=actor.id,
        filename=clean_text(filename)[:255],  # the browser's name for the file, shown back
        sha256=hashlib.sha256(data).hexdigest(),
        rows=[row.to_json() for row in table.rows],
        summary={
            "header_line": table.header_line,
            "columns": table.columns,
            "unused_columns": table.unused_columns,
        },
    )
    session.add(draft)
    session.commit()
    return draft


def get_draft(session: Session, network_id: int, draft_id: int) -> RosterImport:
    draft = session.scalar(
        select(RosterImport).where(
            RosterImport.id == draft_id, RosterImport.network_id == network_id
        )
    )
    if draft is None:
        raise NotFound("取り込みが見つかりません。もう一度ファイルを選んでください。")
    return draft


def plan_for(session: Session, draft: RosterImport, today: date | None = None) -> Plan:
    rows = [ParsedRow.from_json(data) for data in draft.rows]
    return build_plan(session, draft.network_id, rows, today or today_jst())


# --- the plan ---------------------------------------------------------------------------------

_MEMBER_COLUMNS = (
    Member.id,
    Member.organisation_id,
    Member.name,
    Member.kana,
    Member.name_key,
    Member.kana_key,
    Member.job_type,
    Member.age_band,
    Member.email,
    Member.membership_start,
    Member.membership_end,
    Member.needs_review,
)


def _active(member: Any, day: date) -> bool:
    return member.membership_start <= day and (
        member.membership_end is None or day < member.membership_end
    )


def _jdate(value: date | None) -> str:
    return jdate(value) if value else "（空欄）"


def build_plan(session: Session, network_id: int, rows: list[ParsedRow], today: date) -> Plan:
    """Classify each row against the roster. The roster is read once into dicts (a 20,000-row
    file is planned in well under a second), and nothing is written."""
    # Members first, then organisations: each read sees what was committed before it began
    # (PostgreSQL's read committed; SQLite outside a write), so an import committed between
    # the two could otherwise give members whose new organisation is missing from the dicts.
    # Organisations are never deleted, so every member read first has its organisation here.
    members = {
        m.id: m
        for m in session.execute(
            select(*_MEMBER_COLUMNS).where(Member.network_id == network_id)
        ).all()
    }
    orgs = session.execute(
        select(Organisation.id, Organisation.name, Organisation.name_key, Organisation.kind).where(
            Organisation.network_id == network_id
        )
    ).all()
    orgs_by_key = {o.name_key: o for o in orgs}
    org_names = {o.id: o.name for o in orgs}
    org_keys = {o.id: o.name_key for o in orgs}
    by_name: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for m in members.values():
        by_name[(m.organisation_id, m.name_key)].append(m)

    planned: list[RowPlan] = []
    seen: dict[tuple, int] = {}
    matched: set[int] = set()
    file_orgs: dict[str, str] = {}
    new_orgs: dict[str, NewOrganisation] = {}
    for row in rows:
        plan = RowPlan(row=row, reasons=list(row.errors))
        planned.append(plan)
        key = name_key(row.organisation)
        plan.organisation_key = key
        org = orgs_by_key.get(key)
        if key:
            file_orgs.setdefault(key, row.organisation)
            if org is None:
                new_org = new_orgs.setdefault(
                    key, NewOrganisation(key=key, name=row.organisation, kind="")
                )
                new_org.rows += 1
                new_org.kind = new_org.kind or row.kind or ""
        member = None
        if row.member_number is not None:
            member = members.get(row.member_number)
            if member is None:
                plan.reasons.append(
                    f"構成員番号「{row.member_number}」の構成員は、このネットワークにいません。"
                )
        elif org is not None and row.name:
            member, why = _match(by_name.get((org.id, name_key(row.name)), []), row, today)
            if why:
                plan.reasons.append(why)
        if member is not None:
            identity: tuple = ("member", member.id)
            matched.add(member.id)
        else:
            identity = ("new", key, name_key(row.name), name_key(row.kana))
        if member is not None or (key and row.name):
            if identity in seen:
                plan.reasons.append(f"{seen[identity]}行目と同じ人です。")
            else:
                seen[identity] = row.line
        if plan.reasons:
            continue
        if member is None:
            _plan_new(plan, row, today)
        else:
            _plan_update(plan, row, member, org, org_names, today)

    for new_org in new_orgs.values():
        new_org.kind = new_org.kind or guess_kind(new_org.name)
    missing = [
        MissingMember(
            id=m.id,
            name=m.name,
            kana=m.kana,
            organisation=org_names[m.organisation_id],
            membership_start=m.membership_start,
        )
        for m in sorted(
            members.values(),
            key=lambda m: (org_names[m.organisation_id], m.kana_key or m.name_key, m.id),
        )
        if m.id not in matched
        and not m.needs_review  # workshop sign-ups awaiting review are not on the roster yet
        and _active(m, today)
        and org_keys[m.organisation_id] in file_orgs
    ]
    untouched = {o.id for o in orgs if o.name_key not in file_orgs}
    plan = Plan(
        rows=planned,
        new_organisations=list(new_orgs.values()),
        missing=missing,
        untouched_organisations=len(untouched),
        untouched_members=sum(
            1 for m in members.values() if m.organisation_id in untouched and _active(m, today)
        ),
        today=today,
    )
    plan.digest = _digest(plan)
    return plan


def _match(candidates: list[Any], row: ParsedRow, today: date) -> tuple[Any | None, str | None]:
    """The one member a row means, among those of its organisation with its name."""
    if len(candidates) > 1:
        active = [c for c in candidates if _active(c, today)]
        candidates = active or candidates
    if len(candidates) > 1 and row.kana:
        same_kana = [c for c in candidates if c.kana_key == name_key(row.kana)]
        candidates = same_kana or candidates
    if len(candidates) > 1:
        return None, (
            f"同じ構成団体に「{row.name}」さんが{len(candidates)}人登録されていて、"
            "どの人か決められません。構成員番号の列を入れて、どの人か指定してください。"
        )
    return (candidates[0] if candidates else None), None


def _plan_new(plan: RowPlan, row: ParsedRow, today: date) -> None:
    plan.status = "new"
    plan.start_defaulted = row.membership_start is None
    plan.values = {
        "name": row.name,
        "kana": row.kana or "",
        "job_type": row.job_type or JobType.UNKNOWN.value,
        "age_band": row.age_band or AgeBand.UNKNOWN.value,
        "email": row.email,
        "membership_start": row.membership_start or today,
    }


def _plan_update(
    plan: RowPlan,
    row: ParsedRow,
    member: Any,
    org: Any | None,
    org_names: dict[int, str],
    today: date,
) -> None:
    """Blank cells keep what is stored: a file never erases a value."""
    plan.member_id = member.id
    changes, values = plan.changes, plan.values
    if org is None or org.id != member.organisation_id:
        changes.append(
            Change("organisation", "構成団体", org_names[member.organisation_id], row.organisation)
        )
        values["organisation_key"] = plan.organisation_key
    # Matched by name, the names are the same already (as keys: 「山田　太郎」 = 「山田 太郎」).
    if name_key(row.name) != member.name_key:
        changes.append(Change("name", "氏名", member.name, row.name))
        values.update(name=row.name, name_key=name_key(row.name))
    if row.kana is not None and name_key(row.kana) != member.kana_key:
        changes.append(Change("kana", "ふりがな", member.kana or "（空欄）", row.kana))
        values.update(kana=row.kana, kana_key=name_key(row.kana))
    if row.job_type is not None and row.job_type != member.job_type:
        old, new = JobType(member.job_type).label, JobType(row.job_type).label
        changes.append(Change("job_type", "職種", old, new))
        values["job_type"] = row.job_type
    if row.age_band is not None and row.age_band != member.age_band:
        old, new = AgeBand(member.age_band).label, AgeBand(row.age_band).label
        changes.append(Change("age_band", "年代", old, new))
        values["age_band"] = row.age_band
    if row.email is not None and row.email != (member.email or ""):
        changes.append(Change("email", "メールアドレス", member.email or "（空欄）", row.email))
        values["email"] = row.email
    ended = member.membership_end is not None and member.membership_end <= today
    if row.membership_start is not None and row.membership_start != member.membership_start:
        end = member.membership_end
        if end is not None and not ended and row.membership_start >= end:
            plan.reasons.append(
                f"加入日が、記録されている退会日（{_jdate(end)}）より後になっています。"
            )
            return
        changes.append(
            Change(
                "membership_start",
                "加入日",
                _jdate(member.membership_start),
                _jdate(row.membership_start),
            )
        )
        values["membership_start"] = row.membership_start
    if ended:
        # The file lists someone recorded as having left: they are a member again.
        changes.append(
            Change("membership_end", "在籍", f"退会（{_jdate(member.membership_end)}）", "在籍")
        )
        values.update(membership_end=None, end_reason="")
    plan.status = "updated" if changes else "unchanged"


def _digest(plan: Plan) -> str:
    """What the preview showed, as a hash: the confirmation applies only this very plan."""
    content = {
        "rows": [
            [
                r.row.line,
                r.status,
                r.member_id,
                r.organisation_key,
                [[c.field, c.old, c.new] for c in r.changes],
                r.reasons,
                sorted((k, str(v)) for k, v in r.values.items()),
            ]
            for r in plan.rows
        ],
        "organisations": [[o.key, o.name] for o in plan.new_organisations],
        "missing": [[m.id, str(m.membership_start)] for m in plan.missing],
    }
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --- confirmation -----------------------------------------------------------------------------


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
) -> ImportResult:
    """Apply the previewed plan in one transaction, or change nothing.

    kinds: the chosen kind of each new organisation, by its position in the plan's list (a
    missing one keeps the guess). end_ids: the members missing from the file to record as left
    on end_date (end_all: every one of them). Raises StalePlan if the roster changed since the
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
    if plan.counts["rejected"]:
        raise DomainError(
            f"取り込めない行が{plan.counts['rejected']}行あります。ファイルを直してから、"
            "もう一度選んでください（1行でも問題があると、どの行も取り込みません）。"
        )
    for index, new_org in enumerate(plan.new_organisations):
        kind = kinds.get(index) or new_org.kind
        if kind not in {k.value for k in OrganisationKind}:
            raise DomainError(f"「{new_org.name}」の種別を一覧から選んでください。")
        new_org.kind = kind
    missing = {m.id: m for m in plan.missing}
    if end_all:
        end_ids = set(missing)
    if not end_ids <= missing.keys():
        raise StalePlan("退会にする構成員の一覧が変わりました。もう一度確かめてください。")
    if end_ids and end_date is None:
        raise DomainError("退会日を入力してください。", "end_date")
    for member_id in sorted(end_ids):
        if end_date is not None and end_date < missing[member_id].membership_start:
            raise DomainError(
                f"{missing[member_id].name}さんの退会日が加入日より前です。", "end_date"
            )
    try:
        result = _write(session, draft, plan, actor, end_ids, end_date)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return result


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
    )
    now = utcnow()
    # The first statement of the transaction claims the draft: a second click (or a second
    # worker) finds applied_at set and writes nothing.
    claimed = session.execute(
        update(RosterImport)
        .where(RosterImport.id == draft.id, RosterImport.applied_at.is_(None))
        .values(applied_at=now, summary={**draft.summary, "result": result.__dict__})
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(ALREADY_APPLIED)
    network_id = draft.network_id
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
    ids = sorted(end_ids)
    for start in range(0, len(ids), 500):
        session.execute(
            update(Member)
            .where(
                Member.id.in_(ids[start : start + 500]),
                Member.network_id == network_id,
                Member.membership_end.is_(None),
            )
            .values(membership_end=end_date, end_reason=END_REASON, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if result.changed_anything:
        audit.record(
            session,
            actor=actor,
            action="roster.import",
            target_type="roster_import",
            target_id=draft.id,
            target_label=draft.filename,
            network_id=network_id,
            details={
                "filename": draft.filename,
                "created": result.created,
                "updated": result.updated,
                "ended": result.ended,
                "organisations": result.organisations,
                "unchanged": result.unchanged,
                "rejected": 0,
            },
        )
    return result
