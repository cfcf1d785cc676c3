"""A workshop's results as a table: CSV (UTF-8 with a BOM, so Excel opens it in Japanese) and
xlsx. One row per participant. Every export handed out is in the audit log."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select

from trainer import tables
from trainer.accounts.models import User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.quizzes.models import Answer, Attempt
from trainer.workshops.models import Workshop
from trainer.workshops.participants import ParticipantRow, participant_rows
from trainer.workshops.survey import SATISFACTION_LABELS, UNDERSTANDING_LABELS

HEADER = (
    "番号",
    "氏名",
    "ふりがな",
    "所属",
    "名簿との照合",
    "本人確認",
    "事前テスト正答数",  # questions answered fully right, as the learner was shown it
    "事前テスト問題数",
    "事前テスト正答率（%）",  # partial credit included, whole percent (exports/common.py)
    "事後テスト正答数",
    "事後テスト問題数",
    "事後テスト正答率（%）",
    "事後テスト合否",
    "修了証番号",
    "研修の感想",
    "理解できましたか",
    "感想（自由記述）",
)
MATCHED = {"roster": "名簿と一致", "link": "個人用リンク", "new": "名簿にない（事務局が確認）"}


def _score(attempt: Attempt | None, right: Mapping[int, int]) -> tuple[object, object, object]:
    """Questions fully right, questions asked, and the percentage: whole numbers only, as every
    export writes them (trainer/secretariat/exports/common.py). The questions right match the
    learner's 「15問中 9問正解」 (trainer/quizzes/score_summary.py); the percentage counts partial
    credit, as the pass mark does."""
    if attempt is None or attempt.status != "submitted":
        return "", "", ""
    percent = attempt.percent
    return right.get(attempt.id, 0), attempt.max_score, "" if percent is None else percent


def right_counts(session: Session, participants: list[ParticipantRow]) -> dict[int, int]:
    """Per submitted attempt of the table: how many questions were answered fully right (one
    query for the whole workshop)."""
    ids = [
        a.id
        for row in participants
        for a in (row.pre, row.post)
        if a is not None and a.status == "submitted"
    ]
    if not ids:
        return {}
    stmt = (
        select(Answer.attempt_id, func.count())
        .where(Answer.attempt_id.in_(ids), Answer.fully_right.is_(True))
        .group_by(Answer.attempt_id)
    )
    return {attempt_id: int(n) for attempt_id, n in session.execute(stmt)}


def rows(participants: list[ParticipantRow], right: Mapping[int, int]) -> list[list[object]]:
    table = []
    for number, row in enumerate(participants, start=1):
        p, post, feedback = row.participant, row.post, row.feedback
        passed = ""
        if post is not None and post.status == "submitted":
            passed = "合格" if post.passed else "不合格"
        table.append(
            [
                number,
                p.member.name,
                p.member.kana,
                p.organisation.name,
                MATCHED.get(p.matched_by, p.matched_by),
                p.confirmation.label if p.confirmation else "未確認",
                *_score(row.pre, right),
                *_score(post, right),
                passed,
                (row.certificate_serial or "") + ("（確認中）" if row.certificate_pending else ""),
                SATISFACTION_LABELS[feedback.satisfaction - 1] if feedback else "",
                UNDERSTANDING_LABELS[feedback.understanding - 1] if feedback else "",
                feedback.comment if feedback else "",
            ]
        )
    return table


def to_csv(participants: list[ParticipantRow], right: Mapping[int, int]) -> bytes:
    return tables.csv_bytes(HEADER, rows(participants, right))


def to_xlsx(participants: list[ParticipantRow], right: Mapping[int, int], *, title: str) -> bytes:
    return tables.xlsx_bytes(
        HEADER,
        rows(participants, right),
        sheet_title="参加者",
        title=title,
        widths=(6, 16, 18, 24, 20, 14, 10, 10, 12, 10, 10, 12, 10, 18, 14, 18, 40),
    )


def export(session: Session, workshop: Workshop, kind: str, actor: User) -> tuple[bytes, str]:
    """The workshop's table as a file (`kind` is "csv" or "xlsx") and its name, recorded in the
    audit log as handed out by `actor`."""
    rows = participant_rows(session, workshop)
    right = right_counts(session, rows)
    # The file first: an export that fails (an error page, nothing downloaded) is not recorded
    # in the audit log as one that was handed out.
    if kind == "csv":
        body = to_csv(rows, right)
    else:
        body = to_xlsx(rows, right, title=f"{workshop.title}（{workshop.held_on:%Y-%m-%d}）")
    audit.record(
        session,
        actor=actor,
        action="workshop.export",
        target_type="workshop",
        target_id=workshop.id,
        target_label=workshop.title,
        network_id=workshop.network_id,
        details={"format": kind, "rows": len(rows)},
    )
    session.commit()
    return body, f"workshop-{workshop.id}-{workshop.held_on.isoformat()}.{kind}"
