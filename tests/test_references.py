"""The repository stands alone: its code, comments, docs, content and scripts cite nothing that
is not in it (planning documents, source papers, review notes, issue numbers). A reader who
meets such a reference has nowhere to follow it; say what it means instead."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEARCHED = ("trainer", "docs", "tests", "bench", "scripts", "deploy", "courses", "quizzes")
TOP_FILES = ("README.md", "Makefile", "pyproject.toml", "mkdocs.yml")
SUFFIXES = {".py", ".md", ".html", ".yaml", ".yml", ".toml", ".txt", ".css", ".js", ".cfg", ""}

OUTSIDE = re.compile(
    r"DESIGN\.md|DOMAIN\.md|FIELD-NOTES|shared/(reviews|seeds)|\bseeds?\s*0*\d+"
    r"|\bthe pilot\b|\bissue\s*#?\d+|\((quiz|course|seat|the)\s+issue\)"
    r"|\bthe (quiz|course) issue\b",
    re.IGNORECASE,
)


def _files() -> list[Path]:
    found = [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    for folder in SEARCHED:
        for path in sorted((ROOT / folder).rglob("*")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"node_modules", "__pycache__", ".venv", "site"}:
                continue
            if path.is_file() and path.suffix in SUFFIXES and path != Path(__file__).resolve():
                found.append(path)
    return found


def test_nothing_cites_documents_outside_the_repository_or_issue_numbers():
    hits = []
    for path in _files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert hits == [], "references to things outside the repository:\n" + "\n".join(hits)
