"""Roster import benchmark: how long reading a file takes and how much memory it adds, for files
made to hurt (tests/secretariat/fixtures/hostile_files.py) and for a normal 20,000-member roster
(prints a table; not a pass/fail test).

Each file is read by trainer.secretariat.roster_import.reading.read_table, as an upload is, in a
child process of its own: its peak memory is its own, and a case that runs too long is stopped
(--timeout). "added" is the child's peak resident memory (ru_maxrss) minus its resident memory
just before read_table, with the file already in memory.

    .venv/bin/python bench/import_bombs.py [--timeout 60] [--compare REV] [--only a,b]

--compare REV also reads every file with the trainer package as it was at the git revision REV
(extracted with `git archive` into a temporary folder; before the roster import was a package of
its own, its reader was trainer/secretariat/importing.py), for a before/after table. The files
are built once into a temporary folder (the 100,000 row styled sheet takes ~20 s to build).

The limits the table shows are those of trainer/secretariat/roster_import/ (reading.py and the
xlsx modules); the bar
set for them: the declared-range file, five million empty rows and the deflate bomb are refused
in under 2 s and 100 MB, and a 20,000-row roster reads about as fast as before.
"""

from __future__ import annotations

import argparse
import compileall
import io
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.secretariat.fixtures import hostile_files as hostile  # noqa: E402

HEADER = ["団体名", "氏名", "ふりがな", "職種", "年代", "メールアドレス", "加入日", "構成員番号"]
ROSTER_ROWS = 20_000


def _roster_rows() -> list[list[object]]:
    """20,000 made-up members in 200 organisations, as an office's roster has them."""
    rng = random.Random(7)
    surnames = [("山田", "やまだ"), ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし")]
    given = [("太郎", "たろう"), ("花子", "はなこ"), ("健一", "けんいち"), ("由美", "ゆみ")]
    rows: list[list[object]] = []
    for n in range(ROSTER_ROWS):
        (s, sk), (g, gk) = rng.choice(surnames), rng.choice(given)
        rows.append(
            [
                f"みどり信用金庫 第{n % 200}支店",
                f"{s} {g}{n}",
                f"{sk} {gk}",
                rng.choice(["外勤", "内勤", "相談", ""]),
                rng.choice(["30代", "40代", "50代", "60代以上", ""]),
                f"member{n}@example.jp" if n % 3 else "",
                date(2024, 4, 1) + timedelta(days=n % 700),
                n + 1,
            ]
        )
    return rows


def roster_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["みどり市見守りネットワーク 構成員名簿"])
    sheet.append(HEADER)
    for row in _roster_rows():
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_csv() -> bytes:
    lines = [",".join(HEADER)]
    for row in _roster_rows():
        lines.append(
            ",".join(d.strftime("%Y/%m/%d") if isinstance(d, date) else str(d) for d in row)
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def unclosed_quote_csv() -> bytes:
    lines = [",".join(HEADER), 'みどり警察署,"閉じ忘れ 太郎,,,,,,']
    lines += [",".join(str(v) for v in row[:6]) + ",," for row in _roster_rows()[1:]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def finding_csv() -> bytes:
    """Four lines where, before each line was read on its own, the two members after the
    unclosed quote disappeared into it."""
    lines = [
        "団体名,氏名",
        'みどり警察署,"閉じ忘れ 太郎',
        "みどり警察署,消える 次郎",
        "みどり警察署,消える 三郎",
    ]
    return ("\n".join(lines) + "\n").encode()


def blank_lines_csv() -> bytes:
    return "団体名,氏名\r\nみどり警察署,山田 太郎\r\n".encode() + b"\n" * (16 * 2**20 - 64)


# (name, builder, file name)
CASES: list[tuple[str, Callable[[], bytes], str]] = [
    ("xlsx A1:XFD1048576 declared", hostile.huge_dimension, "名簿.xlsx"),
    ("xlsx A1:XFD10000 declared", lambda: hostile.huge_dimension(10_000), "名簿.xlsx"),
    ("xlsx 5,000,000 empty rows", hostile.empty_rows, "名簿.xlsx"),
    ("xlsx 1,000,000 empty rows", lambda: hostile.empty_rows(1_000_000), "名簿.xlsx"),
    ("xlsx 150,000 empty rows", lambda: hostile.empty_rows(150_000), "名簿.xlsx"),
    ("xlsx deflate bomb 1 GB", hostile.deflate_bomb, "名簿.xlsx"),
    ("xlsx one row of 2,000,001 cells", lambda: hostile.wide_row(2_000_001), "名簿.xlsx"),
    ("xlsx 100,000 rows x 30 styled cells", hostile.styled_blank_cells, "名簿.xlsx"),
    ("xlsx 399,999 shared strings", lambda: hostile.many_strings(399_999), "名簿.xlsx"),
    ("xlsx start tag of 7 MB", hostile.giant_attribute, "名簿.xlsx"),
    ("xlsx 150,000 parts", hostile.many_parts, "名簿.xlsx"),
    ("xlsx roster 20,000 rows", roster_xlsx, "名簿.xlsx"),
    ("csv roster 20,000 rows (CP932)", roster_csv, "名簿.csv"),
    ("csv 16 MB of blank lines", blank_lines_csv, "名簿.csv"),
    ("csv unclosed quote at line 2 of 20,000", unclosed_quote_csv, "名簿.csv"),
    ("csv unclosed quote, 4 lines", finding_csv, "名簿.csv"),
]


# --- the child: one file, one implementation ----------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _load(root: str):
    """The roster file reader of the working tree ("current") or of the package extracted at
    root, whichever layout that version has."""
    if root != "current":
        sys.path.insert(0, root)
        if not (Path(root) / "trainer/secretariat/roster_import/reading.py").exists():
            # Before the roster import was a package of its own.
            from trainer.secretariat import importing

            return importing
    from trainer.secretariat.roster_import import reading

    return reading


def child(path: str, filename: str, root: str) -> None:
    importing = _load(root)
    data = Path(path).read_bytes()
    before = _rss_kb()
    started = time.perf_counter()
    try:
        table = importing.read_table(data, filename)
    except importing.ImportFileError as error:
        outcome = "refused: " + error.message
    else:
        rejected = sum(1 for row in table.rows if row.errors)
        longest = max(len(row.name) for row in table.rows)
        outcome = f"read: {len(table.rows):,} rows, {rejected:,} rejected, longest name {longest:,}"
    elapsed = time.perf_counter() - started
    added = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"seconds": elapsed, "added_mb": added / 1024, "outcome": outcome}))


# --- the parent ----------------------------------------------------------------------------------


def run_case(path: Path, filename: str, root: str, timeout: float) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", str(path), filename, root]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "added_mb": None, "outcome": f"stopped after {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": None, "added_mb": None, "outcome": f"crashed: {last[:80]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(result: dict[str, object]) -> str:
    seconds, added = result["seconds"], result["added_mb"]
    if seconds is None:
        return f"{'—':>9} {'—':>9}"
    return f"{seconds:>8.2f}s {max(0.0, added):>7.0f}MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--compare", metavar="REV", help="also read with the reader at REV")
    parser.add_argument("--only", help="comma-separated case names (substrings)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    cases = CASES
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        cases = [c for c in CASES if any(w in c[0] for w in wanted)]
    with tempfile.TemporaryDirectory(prefix="import-bombs-") as tmp:
        folder = Path(tmp)
        implementations = [("now", "current")]
        if args.compare:
            before = folder / "before"
            archive = subprocess.run(
                ["git", "archive", "--format=tar", args.compare, "trainer"],
                cwd=ROOT, capture_output=True, check=True,
            ).stdout  # fmt: skip
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(before, filter="data")
            # Compiled here, so that no child's peak memory includes compiling the package.
            compileall.compile_dir(before, quiet=1)
            implementations.insert(0, (args.compare[:10], str(before)))

        cpus = os.cpu_count()
        print(f"Python {platform.python_version()}, {cpus} CPUs, timeout {args.timeout:.0f} s")
        heads = "".join(f" | {name:^19}" for name, _ in implementations)
        print(f"{'case':<36} {'file':>9}{heads} | outcome (each, in order)")
        for name, build, filename in cases:
            path = folder / f"{len(os.listdir(folder))}-{filename}"
            path.write_bytes(build())
            results = [run_case(path, filename, m, args.timeout) for _, m in implementations]
            size = path.stat().st_size
            shown = f"{size / 1024:,.0f}KB" if size < 10 * 2**20 else f"{size / 2**20:,.0f}MB"
            cells = "".join(f" | {_cell(r)}" for r in results)
            outcomes = " / ".join(str(r["outcome"])[:70] for r in results)
            print(f"{name:<36} {shown:>9}{cells} | {outcomes}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
