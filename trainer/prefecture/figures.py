"""The prefecture / national table: networks (or prefectures) side by side, with the totals.

Counts only, never a person. A figure computed from a group of fewer than SMALL_GROUP people is
not shown: a row's completion figures when it has 1–4 active members, its before/after figures
when 1–4 learners took both tests (the report's own 「少数」 limit, report_figures.SMALL_GROUP).
The cell then says so in words (HIDDEN). Totals are summed over every network, hidden ones too,
and are shown or hidden by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from trainer.accounts.models import Network
from trainer.prefecture.models import NetworkSummary
from trainer.secretariat.report_figures import SMALL_GROUP
from trainer.timeutil import to_jst

HIDDEN = f"{SMALL_GROUP}人未満のため非表示"
NONE = "—"

COUNTED = (
    "members",
    "not_started",
    "pre_done",
    "learning",
    "pending",
    "valid",
    "expiring",
    "lapsed",
    "learners_pre",
    "learners_post",
    "learners_paired",
    "scored_paired",
    "pre_sum",
    "post_sum",
    "improved",
    "same",
    "worse",
)


@dataclass
class Figures:
    """Counts of one network, or summed over several."""

    members: int = 0
    not_started: int = 0
    pre_done: int = 0
    learning: int = 0
    pending: int = 0
    valid: int = 0
    expiring: int = 0
    lapsed: int = 0
    learners_pre: int = 0
    learners_post: int = 0
    learners_paired: int = 0
    scored_paired: int = 0
    pre_sum: float = 0.0
    post_sum: float = 0.0
    improved: int = 0
    same: int = 0
    worse: int = 0

    def add(self, other: Figures | NetworkSummary) -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def completed(self) -> int:
        return self.valid + self.expiring + self.lapsed

    @property
    def holding(self) -> int:
        """Members whose certificate is valid today (修了証有効 and 期限近)."""
        return self.valid + self.expiring

    @property
    def completion_hidden(self) -> bool:
        return 0 < self.members < SMALL_GROUP

    @property
    def scores_hidden(self) -> bool:
        return 0 < self.learners_paired < SMALL_GROUP or 0 < self.scored_paired < SMALL_GROUP


@dataclass
class TableRow:
    label: str
    figures: Figures
    network: Network | None = None
    prefecture: str | None = None  # a national page's row of one prefecture
    networks: int = 1
    computed_at: datetime | None = None  # the oldest summary in the row
    missing: int = 0  # networks in the row whose figures are not counted yet


def _rate(count: int, n: int) -> str:
    return f"{round(100 * count / n)}%" if n else NONE


def _mean(total: float, n: int) -> str:
    return f"{100 * total / n:.1f}%" if n else NONE


def _change(f: Figures) -> str:
    if not f.scored_paired:
        return NONE
    return f"{100 * (f.post_sum - f.pre_sum) / f.scored_paired:+.1f}"


# (header, whether it is a completion or a before/after figure, how to read it)
COLUMNS: tuple[tuple[str, str, Callable[[Figures], str]], ...] = (
    ("在籍者（人）", "completion", lambda f: str(f.members)),
    ("修了（人）", "completion", lambda f: str(f.completed)),
    ("修了率", "completion", lambda f: _rate(f.completed, f.members)),
    ("修了証有効（人）", "completion", lambda f: str(f.holding)),
    ("有効率", "completion", lambda f: _rate(f.holding, f.members)),
    ("未受講率", "completion", lambda f: _rate(f.not_started, f.members)),
    ("事前テスト（人）", "scores", lambda f: str(f.learners_pre)),
    ("事後テスト（人）", "scores", lambda f: str(f.learners_post)),
    ("両方受けた人", "scores", lambda f: str(f.learners_paired)),
    ("事前の平均", "scores", lambda f: _mean(f.pre_sum, f.scored_paired)),
    ("事後の平均", "scores", lambda f: _mean(f.post_sum, f.scored_paired)),
    ("変化（ポイント）", "scores", _change),
    ("上がった人", "scores", lambda f: str(f.improved)),
)
HEADERS = tuple(header for header, _, _ in COLUMNS)


def cells(row: TableRow) -> list[str]:
    """The row's figures as the page and the CSV show them, hidden ones in words."""
    f = row.figures
    if row.missing and row.missing == row.networks:
        return ["集計中"] * len(COLUMNS)
    out = []
    for _, part, read in COLUMNS:
        hidden = f.completion_hidden if part == "completion" else f.scores_hidden
        out.append(HIDDEN if hidden else read(f))
    return out


# --- the page: a count with its rate beneath, a hidden part as one cell in words ------------

COMPLETION_HEADERS = ("在籍者", "修了", "修了証有効", "未受講")
SCORE_HEADERS = ("事前", "事後", "両方", "事前平均", "事後平均", "変化", "上がった")


@dataclass(frozen=True)
class Cell:
    text: str
    note: str = ""  # the rate under a count


@dataclass(frozen=True)
class Part:
    """One part of a row on the page: its cells, or one cell spanning them, in words."""

    span: int
    cells: tuple[Cell, ...] = ()
    words: str = ""


def _completion(f: Figures) -> tuple[Cell, ...]:
    return (
        Cell(f"{f.members}人"),
        Cell(f"{f.completed}人", _rate(f.completed, f.members)),
        Cell(f"{f.holding}人", _rate(f.holding, f.members)),
        Cell(f"{f.not_started}人", _rate(f.not_started, f.members)),
    )


def _scores(f: Figures) -> tuple[Cell, ...]:
    return (
        Cell(f"{f.learners_pre}人"),
        Cell(f"{f.learners_post}人"),
        Cell(f"{f.learners_paired}人"),
        Cell(_mean(f.pre_sum, f.scored_paired)),
        Cell(_mean(f.post_sum, f.scored_paired)),
        Cell(_change(f)),
        Cell(f"{f.improved}人"),
    )


def parts(row: TableRow) -> list[Part]:
    """The row as the page shows it: completion, then before/after."""
    wide = len(COMPLETION_HEADERS) + len(SCORE_HEADERS)
    if row.missing and row.missing == row.networks:
        return [Part(wide, words="集計中")]
    f = row.figures
    shown = []
    for hidden, headers, make in (
        (f.completion_hidden, COMPLETION_HEADERS, _completion),
        (f.scores_hidden, SCORE_HEADERS, _scores),
    ):
        shown.append(Part(len(headers), words=HIDDEN) if hidden else Part(len(headers), make(f)))
    return shown


@dataclass
class Table:
    rows: list[TableRow]
    total: TableRow
    oldest: datetime | None = None
    missing: int = 0
    by_prefecture: bool = False
    notes: list[str] = field(default_factory=list)


def _row_of(label: str, pairs: Sequence[tuple[Network, NetworkSummary | None]]) -> TableRow:
    figures = Figures()
    stamps = []
    missing = 0
    for _network, summary in pairs:
        if summary is None:
            missing += 1
            continue
        figures.add(summary)
        stamps.append(summary.computed_at)
    return TableRow(
        label=label,
        figures=figures,
        networks=len(pairs),
        computed_at=min(stamps, default=None),
        missing=missing,
    )


def network_table(pairs: Sequence[tuple[Network, NetworkSummary | None]]) -> Table:
    rows = []
    for network, summary in pairs:
        row = _row_of(f"{network.municipality}　{network.name}", [(network, summary)])
        row.network = network
        rows.append(row)
    return _table(rows, _row_of("合計", pairs))


def prefecture_table(pairs: Sequence[tuple[Network, NetworkSummary | None]]) -> Table:
    grouped: dict[str, list[tuple[Network, NetworkSummary | None]]] = {}
    for network, summary in pairs:
        grouped.setdefault(network.prefecture, []).append((network, summary))
    rows = []
    for prefecture, mine in grouped.items():
        row = _row_of(f"{prefecture}（{len(mine)}ネットワーク）", mine)
        row.prefecture = prefecture
        rows.append(row)
    table = _table(rows, _row_of("全国の合計", pairs))
    table.by_prefecture = True
    return table


def _table(rows: list[TableRow], total: TableRow) -> Table:
    return Table(rows=rows, total=total, oldest=total.computed_at, missing=total.missing)


def csv_rows(table: Table) -> Iterable[list[str]]:
    for row in [*table.rows, table.total]:
        yield [row.label, *cells(row)]


def as_of(moment: datetime | None) -> str:
    """「12月4日 18時05分時点」 in Japan time, for the figures' age."""
    if moment is None:
        return ""
    local = to_jst(moment)
    return f"{local.month}月{local.day}日 {local.hour}時{local.minute:02d}分時点"
