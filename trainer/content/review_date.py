"""When a course's content was last checked against the law (内容の確認日) and where (法令の出典).

Laws change (特定商取引法 and 消費者契約法 were amended in 2021–2023, and more was under discussion
in 2026): a course that states periods and remedies must say how current it is. course.yaml holds
`reviewed_on` (a date) and `sources` (the laws and pages it was checked against); the course page
shows both, and the checker warns when the date is more than a year old.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

# The checker's warning: older than this, the course should be checked against the law again.
REVIEW_INTERVAL = timedelta(days=365)

Report = Callable[..., None]  # problem(key, message, line=None, warning=False)


def read_reviewed_on(data: dict, problem: Report, today: date) -> date | None:
    """course.yaml's reviewed_on as a date. An old date is a warning, not an error (the course
    can still be served); a malformed one is an error. Without one the course page shows none
    (a course of a network's own cases need not state the law)."""
    value = data.get("reviewed_on")
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, bool):
        problem("reviewed_on", "reviewed_on は 2026-12-03 の形の日付にしてください")
        return None
    if value > today:
        problem("reviewed_on", f"reviewed_on（{value.isoformat()}）が未来の日付です")
        return None
    if today - value > REVIEW_INTERVAL:
        problem(
            "reviewed_on",
            f"内容の確認日（{value.isoformat()}）から1年以上たっています。"
            "法令の改正がないか確かめ、reviewed_on を更新してください",
            warning=True,
        )
    return value


def read_sources(data: dict, problem: Report) -> tuple[str, ...]:
    """course.yaml's sources: the laws and pages the content was checked against."""
    value = data.get("sources", [])
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        problem("sources", "sources は出典（法令名など）の文字列を並べたリストにしてください")
        return ()
    if "reviewed_on" in data and not value:
        problem("sources", "sources（法令の出典）を1つ以上書いてください", warning=True)
    return tuple(item.strip() for item in value)
