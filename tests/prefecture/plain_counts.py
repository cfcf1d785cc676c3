"""The prefecture page's figures counted again, independently: plain SQL over the tables and the
rules of completion_status and stats_query written out anew, for the tests to compare with the
stored summaries (trainer/prefecture/summaries.py reuses the pages' own queries instead)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, bindparam, text

from trainer.extensions import db
from trainer.prefecture.models import NetworkSummary

MEMBERS = text(
    """
    SELECT m.id,
      (SELECT max(c.valid_until) FROM certificate c
        WHERE c.member_id = m.id AND c.course_id = :course AND c.network_id = :network
          AND c.revoked_at IS NULL AND c.awaiting_confirmation = false) AS best,
      (SELECT count(*) FROM certificate c
        WHERE c.member_id = m.id AND c.course_id = :course AND c.network_id = :network
          AND c.revoked_at IS NULL AND c.awaiting_confirmation = true) AS pending,
      (SELECT count(*) FROM certificate c
        WHERE c.member_id = m.id AND c.course_id = :course AND c.network_id = :network) AS certs,
      (SELECT count(*) FROM module_read r JOIN course_module cm ON cm.id = r.module_id
        WHERE r.member_id = m.id AND cm.course_id = :course) AS reads,
      (SELECT count(*) FROM attempt a
        WHERE a.member_id = m.id AND a.course_id = :course AND a.status = 'submitted'
          AND a.awaiting_confirmation = false AND a.phase = 'post') AS posts,
      (SELECT count(*) FROM attempt a
        WHERE a.member_id = m.id AND a.course_id = :course AND a.status = 'submitted'
          AND a.awaiting_confirmation = false AND a.phase = 'pre') AS pres
    FROM member m
    WHERE m.network_id = :network AND m.needs_review = false AND m.membership_start <= :today
      AND (m.membership_end IS NULL OR m.membership_end > :today)
    """
).bindparams(bindparam("today", type_=Date))

FIRSTS = text(
    """
    SELECT a.member_id, a.phase, a.score, a.max_score
    FROM attempt a JOIN member m ON m.id = a.member_id
    WHERE m.network_id = :network AND a.course_id = :course AND a.phase IN ('pre', 'post')
      AND a.status = 'submitted' AND a.awaiting_confirmation = false AND m.needs_review = false
      AND a.id = (SELECT min(b.id) FROM attempt b
                  WHERE b.member_id = a.member_id AND b.phase = a.phase
                    AND b.course_id = a.course_id
                    AND b.status = 'submitted' AND b.awaiting_confirmation = false)
    """
)


def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def plain_counts(network_id: int, course_id: int, today: date) -> dict[str, float]:
    """The figures of one network and course, counted from the tables."""
    counts: dict[str, float] = {
        k: 0
        for k in ("not_started", "pre_done", "learning", "pending", "valid", "expiring", "lapsed")
    }
    params = {"network": network_id, "course": course_id, "today": today}
    for _id, best, pending, certs, reads, posts, pres in db.session.execute(MEMBERS, params):
        best = _day(best)
        if best is not None and today <= best <= today + timedelta(days=90):
            counts["expiring"] += 1
        elif best is not None and best > today + timedelta(days=90):
            counts["valid"] += 1
        elif pending:
            counts["pending"] += 1
        elif certs:
            counts["lapsed"] += 1
        elif reads or posts:
            counts["learning"] += 1
        elif pres:
            counts["pre_done"] += 1
        else:
            counts["not_started"] += 1
    counts["members"] = sum(counts.values())
    score: dict[str, dict[int, float | None]] = {"pre": {}, "post": {}}
    for member_id, phase, points, max_points in db.session.execute(FIRSTS, params):
        score[phase][member_id] = points / max_points if points is not None and max_points else None
    both = score["pre"].keys() & score["post"].keys()
    scored = [(score["pre"][m], score["post"][m]) for m in both]
    scored = [(a, b) for a, b in scored if a is not None and b is not None]
    counts.update(
        learners_pre=len(score["pre"]),
        learners_post=len(score["post"]),
        learners_paired=len(both),
        scored_paired=len(scored),
        pre_sum=round(sum(a for a, _ in scored), 9),
        post_sum=round(sum(b for _, b in scored), 9),
        improved=sum(b - a > 1e-9 for a, b in scored),
        worse=sum(a - b > 1e-9 for a, b in scored),
        same=sum(abs(b - a) <= 1e-9 for a, b in scored),
    )
    return counts


def stored_counts(network_id: int, course_id: int) -> dict[str, float] | None:
    row = db.session.get(NetworkSummary, (network_id, course_id))
    if row is None:
        return None
    values = {name: getattr(row, name) for name in _NAMES}
    values["pre_sum"], values["post_sum"] = round(row.pre_sum, 9), round(row.post_sum, 9)
    return values


_NAMES = (
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
