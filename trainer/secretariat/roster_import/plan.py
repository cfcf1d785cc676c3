"""The plan of a roster import: each parsed row compared with the roster, nothing written.

A row is new (no member matches), an update (a member matches and a value differs), unchanged,
or rejected with its reasons. A row exactly the same as an earlier one (a pasted line twice) is
merged into it, with a notice; rows naming the same person with different data are all rejected,
since the file does not say which is right. Members of the file's organisations who are not in
the file are listed, for the secretariat to record as having left. The plan's digest is what the
preview showed: the confirmation applies the plan only if it is still the same.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from trainer.accounts.models import AgeBand, JobType, Member, Organisation, OrganisationKind
from trainer.database import Session
from trainer.secretariat.roster_import.duplicates import (
    MergedRow,
    merge_exact_duplicates,
    reject_conflicting,
)
from trainer.secretariat.roster_import.rows import ParsedRow
from trainer.secretariat.roster_import.values import guess_kind
from trainer.text import has_katakana, name_key
from trainer.timeutil import jdate

STATUS_LABELS = {
    "new": "新規",
    "updated": "更新",
    "unchanged": "変更なし",
    "rejected": "取り込めない",
}


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
    # Who the row is (a member's id, or a new person's organisation, name and kana): rows with
    # the same identity and different data are rejected together.
    identity: tuple | None = None

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
    merged: list[MergedRow] = field(default_factory=list)
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
    def importable(self) -> int:
        """Rows that 「問題のない行だけ取り込む」 would take (new, updated or unchanged)."""
        return len(self.rows) - self.counts["rejected"]

    @property
    def defaulted_starts(self) -> int:
        return sum(1 for r in self.rows if r.status == "new" and r.start_defaulted)


# --- the roster, read once --------------------------------------------------------------------

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


@dataclass
class _Roster:
    """The network's members and organisations as plain rows, looked up by id and by key."""

    members: dict[int, Any]
    organisations: list[Any]
    by_key: dict[str, Any]  # organisation name_key → organisation
    names: dict[int, str]  # organisation id → name
    keys: dict[int, str]  # organisation id → name_key
    by_name: dict[tuple[int, str], list[Any]]  # (organisation id, member name_key) → members


def _read_roster(session: Session, network_id: int) -> _Roster:
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
    by_name: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for m in members.values():
        by_name[(m.organisation_id, m.name_key)].append(m)
    return _Roster(
        members=members,
        organisations=list(orgs),
        by_key={o.name_key: o for o in orgs},
        names={o.id: o.name for o in orgs},
        keys={o.id: o.name_key for o in orgs},
        by_name=by_name,
    )


@dataclass
class _Seen:
    """What the rows planned so far have named: people, members and organisations."""

    matched: set[int] = field(default_factory=set)  # member ids
    organisations: dict[str, str] = field(default_factory=dict)  # name_key → name in the file


def _active(member: Any, day: date) -> bool:
    return member.membership_start <= day and (
        member.membership_end is None or day < member.membership_end
    )


def _jdate(value: date | None) -> str:
    return jdate(value) if value else "（空欄）"


# --- the plan ---------------------------------------------------------------------------------


def build_plan(session: Session, network_id: int, rows: list[ParsedRow], today: date) -> Plan:
    """Classify each row against the roster. The roster is read once into dicts (a 20,000-row
    file is planned in well under a second), and nothing is written."""
    roster = _read_roster(session, network_id)
    seen = _Seen()
    rows, merged = merge_exact_duplicates(rows)
    planned = [_plan_row(row, roster, seen, today) for row in rows]
    reject_conflicting(planned)
    untouched = {o.id for o in roster.organisations if o.name_key not in seen.organisations}
    plan = Plan(
        rows=planned,
        new_organisations=_new_organisations(planned, roster),
        missing=_missing(roster, seen, today),
        untouched_organisations=len(untouched),
        untouched_members=sum(
            1
            for m in roster.members.values()
            if m.organisation_id in untouched and _active(m, today)
        ),
        today=today,
        merged=merged,
    )
    plan.digest = _digest(plan)
    return plan


def _new_organisations(planned: list[RowPlan], roster: _Roster) -> list[NewOrganisation]:
    """Organisations not on the roster yet, counted over the rows that can be imported: one
    named only by rejected rows is not registered (and not listed)."""
    found: dict[str, NewOrganisation] = {}
    for plan in planned:
        key = plan.organisation_key
        if plan.status == "rejected" or not key or key in roster.by_key:
            continue
        new_org = found.setdefault(
            key, NewOrganisation(key=key, name=plan.row.organisation, kind="")
        )
        new_org.rows += 1
        new_org.kind = new_org.kind or plan.row.kind or ""
    for new_org in found.values():
        new_org.kind = new_org.kind or guess_kind(new_org.name)
    return list(found.values())


def _plan_row(row: ParsedRow, roster: _Roster, seen: _Seen, today: date) -> RowPlan:
    plan = RowPlan(row=row, reasons=list(row.errors))
    key = name_key(row.organisation)
    plan.organisation_key = key
    org = roster.by_key.get(key)
    if key:
        seen.organisations.setdefault(key, row.organisation)
    member = _find_member(plan, row, roster, org, today)
    if member is not None:
        plan.identity = ("member", member.id)
        seen.matched.add(member.id)
    elif key and row.name:
        plan.identity = ("new", key, name_key(row.name), name_key(row.kana))
    if plan.reasons:
        return plan
    if member is None:
        _plan_new(plan, row, today)
    else:
        _plan_update(plan, row, member, org, roster.names, today)
    return plan


def _find_member(
    plan: RowPlan, row: ParsedRow, roster: _Roster, org: Any | None, today: date
) -> Any | None:
    """The member the row means: by 構成員番号 if it has one, else by name in its organisation.
    Why none could be chosen goes to the plan's reasons."""
    if row.member_number is not None:
        member = roster.members.get(row.member_number)
        if member is None:
            plan.reasons.append(
                f"構成員番号「{row.member_number}」の構成員は、このネットワークにいません。"
            )
        return member
    if org is not None and row.name:
        member, why = _match(roster.by_name.get((org.id, name_key(row.name)), []), row, today)
        if why:
            plan.reasons.append(why)
        return member
    return None


def _missing(roster: _Roster, seen: _Seen, today: date) -> list[MissingMember]:
    """Active members of the file's organisations that no row matched."""
    names = roster.names
    return [
        MissingMember(
            id=m.id,
            name=m.name,
            kana=m.kana,
            organisation=names[m.organisation_id],
            membership_start=m.membership_start,
        )
        for m in sorted(
            roster.members.values(),
            key=lambda m: (names[m.organisation_id], m.kana_key or m.name_key, m.id),
        )
        if m.id not in seen.matched
        and not m.needs_review  # workshop sign-ups awaiting review are not on the roster yet
        and _active(m, today)
        and roster.keys[m.organisation_id] in seen.organisations
    ]


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
    _plan_value_changes(plan, row, member)
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


def _plan_value_changes(plan: RowPlan, row: ParsedRow, member: Any) -> None:
    """Name, kana, job type, age band and e-mail: each one the file gives that differs."""
    changes, values = plan.changes, plan.values
    # Matched by name, the names are the same already (as keys: 「山田　太郎」 = 「山田 太郎」).
    if name_key(row.name) != member.name_key:
        changes.append(Change("name", "氏名", member.name, row.name))
        values.update(name=row.name, name_key=name_key(row.name))
    # Kana stored in katakana before kana were written in hiragana is written again (the file's
    # kana is in hiragana already: rows.py), so the list ends up in one script.
    if row.kana is not None and (
        name_key(row.kana) != member.kana_key
        or (has_katakana(member.kana) and row.kana != member.kana)
    ):
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
        "merged": [[m.line, m.same_as] for m in plan.merged],
        "missing": [[m.id, str(m.membership_start)] for m in plan.missing],
    }
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
