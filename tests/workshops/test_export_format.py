"""The workshop table's numbers, in the one format every export uses (whole numbers only; see
trainer/secretariat/exports/common.py), read from the file's bytes. Built from objects made here:
the table is pure formatting once the rows and the questions right are known."""

from __future__ import annotations

import io
from types import SimpleNamespace

from openpyxl import load_workbook

from trainer.quizzes.models import Attempt
from trainer.workshops import exports
from trainer.workshops.participants import ParticipantRow


def participant(name: str) -> SimpleNamespace:
    return SimpleNamespace(
        member=SimpleNamespace(name=name, kana="みまもり"),
        organisation=SimpleNamespace(name="みどり信用金庫"),
        matched_by="roster",
        confirmation=None,
    )


def test_scores_are_whole_numbers_in_the_csv_bytes_and_the_xlsx_cells():
    # 14/3 of 7 points (partial credit): 66.7% before; 6.5 of 7 after: 92.9%.
    pre = Attempt(id=1, status="submitted", score=14 / 3, max_score=7)
    post = Attempt(id=2, status="submitted", score=6.5, max_score=7, passed=True)
    rows = [
        ParticipantRow(participant("見守 花子"), pre, post, None, "第00001号"),
        ParticipantRow(participant("見守 太郎"), None, None, None, None),
    ]
    right = {1: 4, 2: 6}  # questions answered fully right (the partly right ones are not)
    raw = exports.to_csv(rows, right)
    header, first, second = raw.decode("utf-8-sig").split("\r\n")[:3]
    assert header.split(",")[6:12] == [
        "事前テスト正答数",
        "事前テスト問題数",
        "事前テスト正答率（%）",
        "事後テスト正答数",
        "事後テスト問題数",
        "事後テスト正答率（%）",
    ]
    assert ",4,7,67,6,7,93,合格,第00001号," in first
    assert ",,,,,,," in second  # no attempt: empty cells, not 0
    assert b"." not in raw.split(b"\r\n", 1)[1]  # no decimal point anywhere in the rows
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(rows, right, title="研修会"))).active
    cells = next(sheet.iter_rows(min_row=3, max_row=3, values_only=True))
    assert cells[6:12] == (4, 7, 67, 6, 7, 93)
    assert all(type(c) is int for c in cells[6:12])
