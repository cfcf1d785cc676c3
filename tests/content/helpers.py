"""Writing small courses into a temporary folder for tests."""

from __future__ import annotations

from pathlib import Path

COURSE_YAML = """\
title: テスト研修
summary: 短い研修です。
modules:
  - 01-first.md
  - 02-second.md
pass_mark: 80
certificate_months: 24
"""

FIRST = """\
---
title: はじめに
minutes: 3
---
## 私たちの窓口

- 名称：{{ consumer_centre_name }}
- 電話：{{ consumer_centre_phone }}

!!! 注意
    **188** はお近くの消費生活センターにつながります。
"""

SECOND = """\
---
title: つぎに
minutes: 4
---
## 表

| 取引 | 期間 |
|---|---|
| 訪問販売 | 8日間 |
"""


def write_course(
    root: Path,
    slug: str = "test-course",
    *,
    course_yaml: str = COURSE_YAML,
    modules: dict[str, str] | None = None,
) -> Path:
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.yaml").write_text(course_yaml, encoding="utf-8")
    for name, text in (
        modules if modules is not None else {"01-first.md": FIRST, "02-second.md": SECOND}
    ).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
