"""Cleaning the text stored before text was cleaned at the door (trainer/text.py).

Until migration 0011 a name could hold NUL, ESC or a right-to-left override (the join form
only stripped blanks). Migration 0011 runs this once, at upgrade; `trainer clean-text` runs it
again on demand: by default it only reports (table.column and row ids), with --apply it writes.
Both leave one audit event listing what changed.

A value is replaced by what the door would store now: clean_text for one-line columns,
clean_multiline for the free-text ones (so a CR LF stored from a textarea becomes LF and counts
as a change too). The normalised *_key columns follow their name, because the roster search and
the workshop's name matching read them.

Not every row can be cleaned by a program alone; these are reported as left for a person and
not changed (the exports cope with them, see trainer/tables.py):

* the cleaned value would be empty where one is required (a name that was only controls);
* the cleaned value would clash with another row's under a unique constraint (two
  organisations 「信金」 and 「信金\\x1b」, or two accounts whose addresses differ only so).

The audit log is left as it was written: its rows are only ever added, never changed. Course and
quiz text comes from the repository's files, not from a person typing, and is not touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainer.text import clean_multiline, clean_text, name_key

BATCH = 1000


@dataclass(frozen=True)
class TextColumn:
    name: str
    label: str  # what the report calls it: 「構成員の氏名」
    multiline: bool = False
    required: bool = False  # an empty value is not allowed: such a row is left for a person
    key: str | None = None  # the name_key column kept in step with this one
    # The value (or its key) is unique together with these columns; () across the table.
    unique_with: tuple[str, ...] | None = None

    def clean(self, value: str) -> str:
        return clean_multiline(value) if self.multiline else clean_text(value)


@dataclass(frozen=True)
class TextTable:
    name: str
    columns: tuple[TextColumn, ...]
    json_columns: tuple[TextColumn, ...] = ()  # JSON documents: every text in them, one line
    primary_key: str = "id"


# Every column that holds what a person typed (tests/test_text_input.py checks that a new String
# or Text column of the models is either here or named there as not typed by a person).
TABLES: tuple[TextTable, ...] = (
    TextTable(
        "network",
        (
            TextColumn("name", "ネットワーク名", required=True),
            TextColumn("prefecture", "都道府県", required=True),
            TextColumn("municipality", "市区町村", required=True),
            TextColumn("consumer_centre_name", "消費生活センターの名称"),
            TextColumn("consumer_centre_address", "消費生活センターの所在地"),
            TextColumn("consumer_centre_phone", "消費生活センターの電話番号"),
            TextColumn("consumer_centre_hours", "消費生活センターの受付時間"),
            TextColumn("police_name", "警察署の名称"),
            TextColumn("police_phone", "警察署の電話番号"),
            TextColumn("police_address", "警察署の所在地"),
            TextColumn("community_support_name", "地域包括支援センターの名称"),
            TextColumn("community_support_phone", "地域包括支援センターの電話番号"),
            TextColumn("community_support_address", "地域包括支援センターの所在地"),
            TextColumn("secretariat_phone", "事務局の電話番号"),
            TextColumn("certificate_issuer_title", "修了証の発行者（役職）"),
            TextColumn("certificate_issuer_name", "修了証の発行者（氏名）"),
            TextColumn("concern_notify_email", "気づき報告の通知先メールアドレス"),
        ),
    ),
    TextTable(
        "organisation",
        (
            TextColumn(
                "name", "構成団体名", required=True, key="name_key", unique_with=("network_id",)
            ),
        ),
    ),
    TextTable(
        "member",
        (
            TextColumn("name", "構成員の氏名", required=True, key="name_key"),
            TextColumn("kana", "構成員のふりがな", key="kana_key"),
            TextColumn("email", "構成員のメールアドレス"),
            TextColumn("end_reason", "退会の理由", multiline=True),
            TextColumn("rejected_reason", "確認しない理由"),
        ),
    ),
    TextTable(
        "user",
        (
            TextColumn("email", "職員のメールアドレス", required=True, unique_with=()),
            TextColumn("name", "職員の氏名", required=True),
        ),
    ),
    TextTable("staff_invitation", (TextColumn("name_given", "招待した職員の氏名", required=True),)),
    TextTable(
        "certificate", (TextColumn("revoked_reason", "修了証を取り消した理由", multiline=True),)
    ),
    TextTable(
        "workshop",
        (TextColumn("title", "研修会の名前", required=True), TextColumn("place", "研修会の会場")),
    ),
    TextTable(
        "participant",
        (
            TextColumn("entered_name", "参加者が入力した氏名", required=True),
            TextColumn("entered_kana", "参加者が入力したふりがな"),
        ),
    ),
    TextTable(
        "participant_device",
        (
            TextColumn("entered_name", "別の端末で入力された氏名"),
            TextColumn("entered_kana", "別の端末で入力されたふりがな"),
        ),
    ),
    TextTable(
        "workshop_feedback",
        (TextColumn("comment", "アンケートの感想", multiline=True),),
        primary_key="participant_id",
    ),
    TextTable(
        "concern_report",
        (
            TextColumn("area", "気づき報告の場所（地域）"),
            TextColumn("consent_reason", "同意が得られなかった理由", multiline=True),
            TextColumn("other_sign", "気づき報告の「その他」"),
            TextColumn("person_name", "気づき報告の本人の名前"),
            TextColumn("person_contact", "気づき報告の本人の連絡先"),
            TextColumn("details", "気づき報告の内容", multiline=True),
            TextColumn("outcome", "気づき報告の対応の結果", multiline=True),
        ),
    ),
    TextTable("concern_message", (TextColumn("body", "気づき報告の指示・返信", multiline=True),)),
    TextTable(
        "bulletin",
        (
            TextColumn("title", "見守り通信・注意喚起の題名", required=True),
            TextColumn("body", "見守り通信・注意喚起の本文", multiline=True),
        ),
    ),
    TextTable(
        "roster_import",
        (TextColumn("filename", "取り込んだ名簿のファイル名"),),
        json_columns=(
            TextColumn("rows", "取り込み中の名簿の行"),
            TextColumn("summary", "取り込み中の名簿の見出し"),
        ),
    ),
    # Typed by the platform admin (「東京都」 or 「全国」; 全国 is stored as "*").
    TextTable(
        "area_role", (TextColumn("prefecture", "閲覧できる範囲（都道府県）", required=True),)
    ),
)


@dataclass
class Cleanup:
    """What was (or, without apply, would be) changed: row ids per "table.column"."""

    tables: tuple[TextTable, ...]
    changed: dict[str, list[int]] = field(default_factory=dict)
    left: dict[str, list[int]] = field(default_factory=dict)  # for a person: see the docstring

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.changed.values())

    def _label(self, where: str) -> str:
        table, column = where.split(".", 1)
        for spec in self.tables:
            for col in (*spec.columns, *spec.json_columns):
                if spec.name == table and col.name == column:
                    return f"{col.label}（{where}）"
        return where

    def lines(self) -> list[str]:
        """The report in Japanese, one line per column: label (table.column): count and ids."""
        lines = [
            f"{self._label(where)}: {len(ids)}件 ID {_ids(ids)}"
            for where, ids in self.changed.items()
        ]
        lines += [
            f"手作業で直す必要があります: {self._label(where)}: {len(ids)}件 ID {_ids(ids)}"
            for where, ids in self.left.items()
        ]
        return lines

    def audit_details(self) -> dict[str, str]:
        details = {
            self._label(w): f"{len(ids)}件 ID {_ids(ids)}" for w, ids in self.changed.items()
        }
        details.update(
            {
                f"未処理 {self._label(w)}": f"{len(ids)}件 ID {_ids(ids)}"
                for w, ids in self.left.items()
            }
        )
        return details


def _ids(ids: list[int], shown: int = 50) -> str:
    text = ", ".join(str(i) for i in ids[:shown])
    return text + (f" ほか{len(ids) - shown}件" if len(ids) > shown else "")


def _clean_json(value: Any) -> Any:
    """Every text in a JSON document cleaned as one line (a draft's cells and header names)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {_clean_json(k): _clean_json(v) for k, v in value.items()}
    return value


def _batches(
    connection: Connection, query: sa.Select, pk: sa.ColumnElement
) -> Iterator[Sequence[sa.Row[Any]]]:
    """All rows, a batch at a time in primary-key order (the rows of a batch are fetched before
    any of them is updated)."""
    after = None
    while True:
        page = query.order_by(pk).limit(BATCH)
        if after is not None:
            page = page.where(pk > after)
        rows = connection.execute(page).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


class _UniqueValues:
    """The values taken under one unique constraint, kept up to date as rows are cleaned."""

    def __init__(
        self,
        connection: Connection,
        table: sa.TableClause,
        pk: str,
        col: TextColumn,
        scope: tuple[str, ...],
    ) -> None:
        self.scope = scope
        column = table.c[col.key or col.name]
        query = sa.select(table.c[pk], column, *(table.c[s] for s in scope))
        self.taken: dict[tuple, int] = {}
        for row_id, value, *where in connection.execute(query):
            self.taken[(*where, value)] = row_id

    def free_for(self, row: dict[str, Any], row_id: int, value: str) -> bool:
        holder = self.taken.get((*(row[s] for s in self.scope), value))
        return holder is None or holder == row_id

    def move(self, row: dict[str, Any], row_id: int, old: str, new: str) -> None:
        where = tuple(row[s] for s in self.scope)
        if self.taken.get((*where, old)) == row_id:
            del self.taken[(*where, old)]
        self.taken[(*where, new)] = row_id


def _clean_table(connection: Connection, spec: TextTable, cleanup: Cleanup, *, apply: bool) -> None:
    texts = [name for col in spec.columns for name in (col.name, col.key) if name]
    scope = [s for col in spec.columns for s in (col.unique_with or ())]
    table = sa.table(
        spec.name,
        sa.column(spec.primary_key, sa.Integer),
        *(sa.column(n, sa.Integer) for n in dict.fromkeys(scope)),
        *(sa.column(n, sa.Text) for n in dict.fromkeys(texts)),
        *(sa.column(col.name, sa.JSON) for col in spec.json_columns),
    )
    pk = table.c[spec.primary_key]
    unique = {
        col.name: _UniqueValues(connection, table, spec.primary_key, col, col.unique_with)
        for col in spec.columns
        if col.unique_with is not None
    }
    for rows in _batches(connection, sa.select(*table.c), pk):
        for row in rows:
            values = row._asdict()
            row_id = values[spec.primary_key]
            outcome, writes = _cleaned_row(spec, values, unique)
            for where, cleaned in outcome.items():
                (cleanup.changed if cleaned else cleanup.left).setdefault(where, []).append(row_id)
            if writes and apply:
                connection.execute(sa.update(table).where(pk == row_id).values(**writes))


def _cleaned_row(
    spec: TextTable, values: dict[str, Any], unique: dict[str, _UniqueValues]
) -> tuple[dict[str, bool], dict[str, Any]]:
    """Which columns of the row need cleaning ("table.column" → whether it can be cleaned), and
    the values to write (a cleaned name with its key)."""
    outcome: dict[str, bool] = {}
    writes: dict[str, Any] = {}
    row_id = values[spec.primary_key]
    for col in spec.columns:
        old = values[col.name]
        if not isinstance(old, str) or (new := col.clean(old)) == old:
            continue
        where = f"{spec.name}.{col.name}"
        stored = name_key(new) if col.key else new
        check = unique.get(col.name)
        if (col.required and not new) or (
            check is not None and not check.free_for(values, row_id, stored)
        ):
            outcome[where] = False
            continue
        if check is not None:
            check.move(values, row_id, values[col.key] if col.key else old, stored)
        writes[col.name] = new
        if col.key:
            writes[col.key] = stored
        outcome[where] = True
    for col in spec.json_columns:
        old = values[col.name]
        if (new := _clean_json(old)) != old:
            writes[col.name] = new
            outcome[f"{spec.name}.{col.name}"] = True
    return outcome, writes


def present_in(connection: Connection, tables: tuple[TextTable, ...]) -> tuple[TextTable, ...]:
    """The tables and columns that exist in this database. Migration 0011 cleans what exists at
    its revision: a column added by a later migration cannot hold text stored before 0011, and
    would not be there yet when 0011 runs on an older database."""
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    kept = []
    for spec in tables:
        if spec.name not in existing:
            continue
        have = {c["name"] for c in inspector.get_columns(spec.name)}

        def exists(col: TextColumn, have: set[str] = have) -> bool:
            needed = {col.name, *([col.key] if col.key else []), *(col.unique_with or ())}
            return needed <= have

        columns = tuple(c for c in spec.columns if exists(c))
        documents = tuple(c for c in spec.json_columns if exists(c))
        if (columns or documents) and spec.primary_key in have:
            kept.append(replace(spec, columns=columns, json_columns=documents))
    return tuple(kept)


def clean_stored_text(
    connection: Connection,
    *,
    apply: bool,
    tables: tuple[TextTable, ...] = TABLES,
) -> Cleanup:
    """Find (and with apply, clean) every typed text that the door would now store otherwise.
    Runs in the caller's transaction: the caller commits (or, for a dry run, need not)."""
    cleanup = Cleanup(tables=tables)
    for spec in tables:
        _clean_table(connection, spec, cleanup, apply=apply)
    return cleanup
