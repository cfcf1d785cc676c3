"""Unit sizes in trainer/: no module over 450 lines and no function over 60.

Prints the five largest of each, and every unit over its limit; exits 1 if there is one. Run by
`make lint`. Migrations are generated history and are not counted.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MODULE_LIMIT = 450
FUNCTION_LIMIT = 60
ROOT = Path(__file__).resolve().parent.parent / "trainer"


def measure() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    modules: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent)
        if "migrations" in relative.parts:
            continue
        source = path.read_text(encoding="utf-8")
        modules.append((len(source.splitlines()), str(relative)))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{relative}:{node.lineno} {node.name}"))
    return sorted(modules, reverse=True), sorted(functions, reverse=True)


def main() -> int:
    modules, functions = measure()
    print("largest modules:", ", ".join(f"{name} {n}" for n, name in modules[:5]))
    print("largest functions:", ", ".join(f"{name} {n}" for n, name in functions[:5]))
    over = [
        f"module {name}: {n} lines (limit {MODULE_LIMIT})"
        for n, name in modules
        if n > MODULE_LIMIT
    ]
    over += [
        f"function {name}: {n} lines (limit {FUNCTION_LIMIT})"
        for n, name in functions
        if n > FUNCTION_LIMIT
    ]
    for line in over:
        print("TOO LARGE", line)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
