"""What a question bank holds, as frozen dataclasses: questions with their choices or cases, and
the vocabulary bank files use (topics, Likert scales, the most options a question may have).

Reading the files is trainer.content.banks; what differs per question type is
trainer.content.question_types.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

# Options or cases per question: more do not fit on a phone, and the statistics store an answer
# in 11 bits (trainer/quizzes/result_codes.py).
MAX_ITEMS = 10

# The choice a learner takes instead of guessing (scored wrong). Recognised by its exact text:
# it stays last when choices are shuffled, and the item analysis counts who chose it.
DONT_KNOW = "わからない"

# Topics group questions in the results (before vs after per topic) and pair parallel forms.
TOPICS: dict[str, str] = {
    "consumer-centre": "消費生活センターが受ける相談",
    "cooling-off": "クーリング・オフ",
    "local-centre": "地域の消費生活センター",
    "hotline-188": "消費者ホットライン188",
    "warning-signs": "気づきのポイント",
    "connect": "つなぎ先",
    "remedies": "8日を過ぎてもできること",
    "confidentiality": "秘密の保持と情報の共有",
    "attitude": "意識",
}

# The attitude survey's 5-point scales. Stored as 1..5; "どちらでもない" is the middle.
LIKERT_SCALES: dict[str, tuple[str, ...]] = {
    "heed": (
        "全く気にかけていない",
        "気にかけていない",
        "どちらでもない",
        "気にかけている",
        "とても気にかけている",
    ),
    "agree": (
        "まったくそう思わない",
        "そう思わない",
        "どちらでもない",
        "そう思う",
        "とてもそう思う",
    ),
}


@dataclass(frozen=True)
class Choice:
    key: str  # "a", "b", … in file order: stable even when shown shuffled
    text: str
    correct: bool


@dataclass(frozen=True)
class Case:
    key: str  # "1", "2", … in file order
    text: str
    answer: bool  # True: はい


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    topic: str
    text: str
    explanation: str
    choices: tuple[Choice, ...] = ()
    cases: tuple[Case, ...] = ()
    scale: str | None = None
    required: bool = True
    # 1 for the question as written; 2, 3, … for its `variants:` (other situations, the same
    # rule), which a retake serves so that a learner does not meet the same item twice.
    variant: int = 1
    variants: tuple[Question, ...] = ()

    @property
    def versions(self) -> tuple[Question, ...]:
        """The question itself, then its variants."""
        return (self, *self.variants)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a learner sees or is scored on changes: a new version."""
        shape: dict[str, object] = {
            "type": self.type,
            "text": self.text,
            "choices": [(c.text, c.correct) for c in self.choices],
            "cases": [(c.text, c.answer) for c in self.cases],
            "scale": self.scale,
        }
        if self.variant > 1:  # (the main version's hash is as it was before variants existed)
            shape["variant"] = self.variant
        return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class QuestionBank:
    id: str
    title: str
    description: str
    shuffle: bool
    questions: tuple[Question, ...]
    source_hash: str

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)
