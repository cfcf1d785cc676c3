"""Shared helpers for the つなぐ tests: a report made the way the form makes it, and a
member's reporting token."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from trainer.accounts.models import Member
from trainer.concerns import keys
from trainer.concerns.models import ConcernReport
from trainer.concerns.submission import ReportInput, submit_report
from trainer.extensions import db
from trainer.timeutil import today_jst

_numbers = itertools.count(1)


def report_input(**overrides: Any) -> ReportInput:
    """A plain, complete report: two signs, not urgent, consent given, an area."""
    data = ReportInput(
        signs=("unfamiliar_traders", "costly_work"),
        noticed_on=today_jst(),
        urgency="normal",
        consent="given",
        area="みどり町2丁目あたり",
    )
    return replace(data, **overrides)


def make_report(member: Member, *, via: str = "badge", **overrides: Any) -> ConcernReport:
    """A report from `member` through submit_report (numbered, committed). Keyword arguments
    override ReportInput's fields (signs=("other",), other_sign="…", urgency="now", …).

    submit_report takes the same report sent twice within two minutes for a double tap and
    stores it once; so each call here has its own details unless the caller gives them."""
    overrides.setdefault("details", f"テストの報告 {next(_numbers)}")
    return submit_report(db.session, member=member, data=report_input(**overrides), via=via)


def report_token(member: Member) -> str:
    """The member's reporting token (made if needed, committed)."""
    key = keys.ensure_key(db.session, member)
    token = key.token
    db.session.commit()
    return token
