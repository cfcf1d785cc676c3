"""A participant's post-test on their phone, question by question, with each question's right
answer and explanation (the newcomer review's L12: a participant who failed saw only a score,
where a learner on their own reads every explanation).

When: from アンケート on. During 事後テスト the rest of the room is still answering the same
questions (half of them the same form), and a phone showing the right answers is a phone a
neighbour can read; once the trainer has moved on, the test is over for the room. Someone who
had begun may still finish it during アンケート (answering.ANSWERING_PHASES), a small gap the
trainer can see on the control page.

Who: everyone with a submitted post-test. Someone who failed sees them open, as what to read
before taking the test again with their personal link; someone who passed has them folded
away (the page is long, and they are done).
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.content.question_types import question_type
from trainer.content.quizzes import Question
from trainer.database import Session
from trainer.quizzes.models import Answer, Attempt
from trainer.quizzes.questions import answers_by_question, attempt_questions, question_of
from trainer.workshops.models import Phase, Workshop

# The first phase in which the explanations are on the phones.
SHOWN_FROM = Phase.SURVEY


@dataclass(frozen=True)
class ExplainedQuestion:
    number: int  # as the phone numbered it in the test (the scored questions come first)
    question: Question
    answer: Answer | None  # None: left unanswered
    order: list[str]  # the choice keys in the order this participant saw them

    @property
    def right(self) -> bool:
        return self.answer is not None and self.answer.fully_right

    @property
    def mark(self) -> str:
        if self.right:
            return "正解"
        return "一部正解" if self.answer is not None and self.answer.score > 0 else "不正解"


def shown(workshop: Workshop, attempt: Attempt | None) -> bool:
    """Whether the phone shows this post-test's explanations now."""
    return (
        attempt is not None
        and attempt.status == "submitted"
        and workshop.current_phase.position >= SHOWN_FROM.position
    )


def explained_questions(session: Session, attempt: Attempt) -> list[ExplainedQuestion]:
    """The attempt's scored questions (the survey's are not marked), numbered as asked."""
    answered = answers_by_question(session, attempt)
    items = []
    for number, row in enumerate(attempt_questions(session, attempt), start=1):
        if not question_type(row.type).scored:
            continue
        items.append(
            ExplainedQuestion(
                number=number,
                question=question_of(row),
                answer=answered.get(row.id),
                order=attempt.choice_order.get(str(row.id), []),
            )
        )
    return items
