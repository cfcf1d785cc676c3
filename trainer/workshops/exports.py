"""A workshop's results as a table: CSV (UTF-8 with a BOM, so Excel opens it in Japanese) and
xlsx. One row per participant. Every export handed out is in the audit log."""

from __future__ import annotations

from trainer import tables
from trainer.accounts.models import User
from trainer.audit import service as audit
from trainer.database import Session
from trainer.quizzes.models import Attempt
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
    "事前テスト正答数",
    "事前テスト問題数",
    "事後テスト正答数",
    "事後テスト問題数",
    "事後テスト合否",
    "修了証番号",
    "研修の感想",
    "理解できましたか",
    "感想（自由記述）",
)
MATCHED = {"roster": "名簿と一致", "link": "個人用リンク", "new": "名簿にない（事務局が確認）"}


def _score(attempt: Attempt | None) -> tuple[object, object]:
    if attempt is None or attempt.status != "submitted":
        return "", ""
    score = attempt.score or 0.0
    return (int(score) if score.is_integer() else round(score, 2)), attempt.max_score


def rows(participants: list[ParticipantRow]) -> list[list[object]]:
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
                *_score(row.pre),
                *_score(post),
                passed,
                (row.certificate_serial or "") + ("（確認中）" if row.certificate_pending else ""),
                SATISFACTION_LABELS[feedback.satisfaction - 1] if feedback else "",
                UNDERSTANDING_LABELS[feedback.understanding - 1] if feedback else "",
                feedback.comment if feedback else "",
            ]
        )
    return table


def to_csv(participants: list[ParticipantRow]) -> bytes:
    return tables.csv_bytes(HEADER, rows(participants))


def to_xlsx(participants: list[ParticipantRow], *, title: str) -> bytes:
    return tables.xlsx_bytes(
        HEADER,
        rows(participants),
        sheet_title="参加者",
        title=title,
        widths=(6, 16, 18, 24, 20, 14, 10, 10, 10, 10, 10, 18, 14, 18, 40),
    )


def export(session: Session, workshop: Workshop, kind: str, actor: User) -> tuple[bytes, str]:
    """The workshop's table as a file (`kind` is "csv" or "xlsx") and its name, recorded in the
    audit log as handed out by `actor`."""
    rows = participant_rows(session, workshop)
    # The file first: an export that fails (an error page, nothing downloaded) is not recorded
    # in the audit log as one that was handed out.
    if kind == "csv":
        body = to_csv(rows)
    else:
        body = to_xlsx(rows, title=f"{workshop.title}（{workshop.held_on:%Y-%m-%d}）")
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
