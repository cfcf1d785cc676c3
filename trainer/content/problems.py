"""Problems found in content files, reported as `file:line: message`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        prefix = "警告: " if self.warning else ""
        return f"{self.file}:{self.line}: {prefix}{self.message}"


class ContentError(Exception):
    """Content that must not be served; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible, as editors and terminals expect."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
