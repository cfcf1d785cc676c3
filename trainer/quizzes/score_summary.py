"""A submitted attempt's score in whole questions, as learners are shown it: 「15問中 9問正解」.

Grading gives partial credit (a 〇× question with four cases, a choose-all question), and the
percentage and the pass count it. Learners over 50 read 「5.7点」 as nonsense, so the headline
counts only questions answered fully right, and one plain sentence says that the partly right
ones still count toward the percentage.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.content.question_types import question_type
from trainer.database import Session
from trainer.quizzes.models import Attempt
from trainer.quizzes.questions import answers_by_question, attempt_questions


@dataclass(frozen=True)
class ScoreSummary:
    questions: int  # scored questions the attempt asked (withheld ones are not asked)
    right: int  # answered fully right
    partly_right: int  # some credit, not full
    percent: int | None  # the attempt's percentage, partial credit included

    @property
    def headline(self) -> str:
        return f"{self.questions}問中 {self.right}問正解"

    @property
    def partial_note(self) -> str:
        """One plain sentence, or "" when no question was partly right."""
        if not self.partly_right:
            return ""
        return (
            f"一部だけ正しかった{self.partly_right}問は、"
            "正しかった部分の割合だけ正答率（%）に入っています。"
        )


def score_summary(session: Session, attempt: Attempt) -> ScoreSummary:
    answered = answers_by_question(session, attempt)
    right = partly = questions = 0
    for row in attempt_questions(session, attempt):
        if not question_type(row.type).scored:
            continue
        questions += 1
        answer = answered.get(row.id)
        if answer is None:
            continue
        if answer.fully_right:
            right += 1
        elif answer.score > 0:
            partly += 1
    return ScoreSummary(
        questions=questions, right=right, partly_right=partly, percent=attempt.percent
    )
