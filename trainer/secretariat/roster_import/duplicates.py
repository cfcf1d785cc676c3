"""Rows of one roster file that name the same person twice.

A row exactly like an earlier one (the same line pasted twice) says nothing new: it is merged
into the earlier one, with a notice. Rows naming the same person with different data are all
rejected, since the file does not say which is right.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trainer.secretariat.roster_import.rows import FIELD_LABELS, FIELDS, ParsedRow
from trainer.text import name_key

if TYPE_CHECKING:  # plan.py imports this module
    from trainer.secretariat.roster_import.plan import RowPlan


@dataclass(frozen=True)
class MergedRow:
    """A row exactly like an earlier one: left out, and said so."""

    line: int
    same_as: int
    name: str
    organisation: str


def same_content(row: ParsedRow) -> tuple:
    """A row's data, compared as names are (「山田　太郎」 = 「山田 太郎」): two rows with the same
    content say the same thing, whatever their row numbers."""
    return (
        name_key(row.organisation),
        name_key(row.name),
        None if row.kana is None else name_key(row.kana),
        row.job_type,
        row.age_band,
        row.email,
        row.membership_start,
        row.member_number,
        row.kind,
        tuple(row.errors),
    )


def merge_exact_duplicates(rows: list[ParsedRow]) -> tuple[list[ParsedRow], list[MergedRow]]:
    """The rows without those exactly like an earlier row; those are reported, not blocking
    (the same line pasted twice says nothing new). Only usable rows are merged: rows with a
    problem of their own (two broken lines can read alike) are each listed with it."""
    first: dict[tuple, int] = {}
    kept: list[ParsedRow] = []
    merged: list[MergedRow] = []
    for row in rows:
        if row.errors or not (row.name and row.organisation):
            kept.append(row)
            continue
        content = same_content(row)
        if content in first:
            merged.append(MergedRow(row.line, first[content], row.name, row.organisation))
        else:
            first[content] = row.line
            kept.append(row)
    return kept, merged


def _differences(a: ParsedRow, b: ParsedRow) -> list[str]:
    """The labels of the columns where two rows about the same person differ."""
    keyed = {"organisation", "name", "kana"}
    labels = []
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if name in keyed:
            x, y = name_key(x), name_key(y)
        if x != y:
            labels.append(FIELD_LABELS[name])
    return labels


def reject_conflicting(planned: list[RowPlan]) -> None:
    """Rows naming the same person with different data: every one of them is rejected, since
    the file does not say which is right (importing the first would be a guess)."""
    groups: dict[tuple, list[RowPlan]] = defaultdict(list)
    for plan in planned:
        if plan.identity is not None:
            groups[plan.identity].append(plan)
    for group in groups.values():
        if len(group) < 2:
            continue
        for plan in group:
            said = False
            for other in group:
                # The same content twice is not merged only when the rows have problems of
                # their own, which they already show.
                if other is plan or same_content(other.row) == same_content(plan.row):
                    continue
                labels = _differences(plan.row, other.row)
                what = f"{'・'.join(labels)}が" if labels else "内容が"
                plan.reasons.append(f"{other.row.line}行目と同じ人ですが、{what}違います。")
                said = True
            if not said:
                continue
            plan.reasons.append("正しい内容の1行だけを残してください。")
            plan.status, plan.member_id = "rejected", None
            plan.changes, plan.values, plan.start_defaulted = [], {}, False
