"""A submitted attempt's answers as a short fixed-width string, for the statistics.

The before/after report counts, per question, what each learner's first attempt answered. Read
from the answer table, that is 21 rows per attempt (840,000 rows at 40,000 attempts), which no
index makes fast enough for a page. An attempt never changes once submitted, so at submit time
its answers are also written onto it as two strings, which the statistics read instead:

- result_layout: the attempt's question ids, ascending, comma-separated ("12,13,14");
- result_codes: two characters per id of the layout, in the same order. ".." is a question left
  blank; otherwise the two characters are a 12-bit number in the URL-safe base64 alphabet:
  (answer << 1) | fully right, where the answer is the number its question type makes of it
  (QuestionType.encode in trainer.content.question_types): the chosen option's position (single
  choice), the ticked options or the cases answered はい as bits in the question's order
  (multiple choice, true/false), or the value 1..5 (Likert).

Fixed width lets the report cut every attempt's codes into a matrix and count whole columns at
once (trainer.quizzes.course_stats); decoding needs the question version, which the report has.
Banks allow at most 10 options or cases per question (trainer.content.quizzes.MAX_ITEMS), so
every answer fits in 11 bits.
Migration 0007 wrote these for the attempts submitted before it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from trainer.content.question_types import question_type

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
WIDTH = 2
BLANK = ".."


def code(number: int, right: bool) -> str:
    packed = number << 1 | int(right)
    return ALPHABET[packed >> 6] + ALPHABET[packed & 63]


def encode(
    questions: Mapping[int, tuple[str, Mapping[str, Any]]],
    answers: Mapping[int, tuple[bool, Any]],
) -> tuple[str, str]:
    """(layout, codes) for an attempt: its questions {id: (type, body)} and its answers
    {question id: (fully right, stored value)}."""
    ids = sorted(questions)
    codes = []
    for question_id in ids:
        answer = answers.get(question_id)
        if answer is None:
            codes.append(BLANK)
            continue
        right, value = answer
        type_name, body = questions[question_id]
        codes.append(code(question_type(type_name).encode(body, value), right))
    return ",".join(map(str, ids)), "".join(codes)


@lru_cache(maxsize=256)
def layout_ids(layout: str | None) -> tuple[int, ...]:
    """The question ids of a layout. Attempts of one bank version share one layout, so a report
    parses a handful of distinct strings, whatever the number of attempts."""
    return tuple(int(part) for part in layout.split(",")) if layout else ()


# The value of each base64 character, indexed by its ASCII code.
_DIGITS = np.zeros(256, dtype=np.int64)
_DIGITS[np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(64)


def packed_matrix(codes: Sequence[str | None], questions: int) -> np.ndarray:
    """The codes of attempts sharing one layout as an attempts × questions matrix of packed
    numbers, -1 where left blank; an attempt without codes of this width (submitted without
    answers) is all blank. Cut in C from one joined string, whatever the number of attempts."""
    width = questions * WIDTH
    text = "".join(c or "" for c in codes)
    if len(text) != width * len(codes):
        text = "".join(c if c and len(c) == width else BLANK * questions for c in codes)
    chars = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(len(codes), width)
    packed = _DIGITS[chars[:, 0::2]] * 64 + _DIGITS[chars[:, 1::2]]
    packed[chars[:, 0::2] == ord(BLANK[0])] = -1
    return packed


def decode(packed: int) -> tuple[int, bool]:
    """(answer number, fully right) from a code's 12-bit number."""
    return packed >> 1, bool(packed & 1)
