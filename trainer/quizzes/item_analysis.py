"""Item analysis of a course's two forms, and the before/after gain corrected for their difficulty.

Per question key, form and phase, the way Moodle's quiz statistics report does it: how many
answered, the facility (the share fully right), the discrimination (the point-biserial
correlation of being fully right with the rest of the learner's score in that attempt), the share
choosing each option (or answering each case right), and flags a secretariat can act on.

The form of a question version is its bank: the course's pre_quiz is form A, its post_quiz form B
(a counterbalanced course serves either in either phase). Only each form's current main version
of a key counts (variant 1, the version every first attempt gets; a variant is served on retakes,
which the report does not count, and an older version asked other options). Each learner counts
once per phase (their first submitted attempt), so every n here is people.

The gain: each form's difficulty is estimated from the learners who took it before training
(random halves of the same people, when the course is counterbalanced); every score is put on
form A's scale by adding (pre mean on A − pre mean on B) to scores on form B (mean equating), and
the corrected gain is the mean over paired learners of equated post − equated pre.

Pure functions over numpy arrays first (tested against a plain computation), then the adapter
that cuts those arrays out of CountedAttempts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

import numpy as np
from sqlalchemy import select

from trainer.content.question_types import question_type
from trainer.content.quizzes import DONT_KNOW
from trainer.database import Session
from trainer.learning.models import Course
from trainer.quizzes.course_stats import CountedAttempts, LayoutGroup
from trainer.quizzes.models import QuizBank, QuizQuestion

# Below this many answers a correlation or an upper group says more about chance than about the
# question: no discrimination figure and no flags (the counts and shares are still shown).
MIN_N = 20
CEILING = 0.9  # facility before training above this: most knew it already
UPPER_SHARE = 0.27  # the upper group: the best 27 % by total score (Kelley)
FORMS = ("A", "B")
PHASES = ("pre", "post")

FLAG_CEILING = "事前から正答率90%超（研修前から多くの人が知っている）"
FLAG_NEGATIVE = "識別力がマイナス（よくできる人ほどまちがえる）"
FLAG_DONT_KNOW = "「わからない」がいちばん多い"
FLAG_UNCHOSEN = "誰も選ばない選択肢"
FLAG_UPPER = "上位群で正答より多く選ばれた誤答"


# --- pure figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option (single, multi) or case (truefalse) of a question version, in its order."""

    key: str
    text: str
    right: bool  # a right option; for a case, whether its right answer is はい
    dont_know: bool = False


def options_of(type_name: str, body: Mapping[str, Any]) -> list[Option]:
    if question_type(type_name).name == "truefalse":
        return [Option(c["key"], c["text"], bool(c["answer"])) for c in body.get("cases", [])]
    return [
        Option(c["key"], c["text"], bool(c.get("correct")), c["text"].strip() == DONT_KNOW)
        for c in body.get("choices", [])
    ]


def item_marks(type_name: str, options: Sequence[Option], packed: np.ndarray) -> np.ndarray:
    """Each answer's mark (0..1) as graded: right or not for a single choice; for a multiple
    choice or cases, the share of options (cases) answered as the key says."""
    if type_name == "single":
        return (packed & 1).astype(np.float64)
    parts = len(options)
    key = sum(1 << i for i, o in enumerate(options) if o.right)
    wrong = np.bitwise_count((packed >> 1) ^ key).astype(np.float64)
    return (parts - wrong) / parts


def option_counts(type_name: str, options: Sequence[Option], packed: np.ndarray) -> np.ndarray:
    """Per option: how many chose it (single), ticked it (multi), answered the case right
    (truefalse)."""
    answer = packed >> 1
    if type_name == "single":
        return np.bincount(answer, minlength=len(options))[: len(options)]
    counts = []
    for i, option in enumerate(options):
        ticked = (answer >> i) & 1
        counts.append(
            int(ticked.sum()) if type_name == "multi" else int((ticked == option.right).sum())
        )
    return np.array(counts, dtype=np.int64)


def point_biserial(right: np.ndarray, rest: np.ndarray) -> float | None:
    """Pearson's correlation of fully right (0/1) with the rest score; None below MIN_N answers
    or when either does not vary (everyone right, or everyone with the same rest)."""
    if len(right) < MIN_N:
        return None
    x, y = right.astype(np.float64), rest.astype(np.float64)
    dx, dy = x - x.mean(), y - y.mean()
    spread = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    if spread == 0.0:
        return None
    return float((dx * dy).sum()) / spread


def upper_group(total: np.ndarray) -> np.ndarray:
    """The learners in the best UPPER_SHARE by total score; everyone tied with the last one in
    is in too (so the group does not depend on the order of the rows)."""
    if len(total) == 0:
        return np.zeros(0, dtype=bool)
    k = ceil(UPPER_SHARE * len(total))
    cutoff = np.partition(total, len(total) - k)[len(total) - k]  # the k-th highest
    return total >= cutoff


@dataclass
class OptionFigures:
    option: Option
    count: int
    share: float | None  # count / n
    upper: int | None  # in the upper group (None below MIN_N)
    flags: list[str] = field(default_factory=list)


@dataclass
class ItemFigures:
    phase: str
    n: int  # learners who answered (one first attempt each)
    right: int  # fully right
    discrimination: float | None
    upper_n: int | None
    options: list[OptionFigures]
    flags: list[str] = field(default_factory=list)

    @property
    def facility(self) -> float | None:
        return self.right / self.n if self.n else None


def item_figures(
    type_name: str,
    options: Sequence[Option],
    phase: str,
    packed: np.ndarray,
    score: np.ndarray,
    max_score: np.ndarray,
) -> ItemFigures:
    """The figures of one question version in one phase, from the learners' packed codes and
    their attempts' scores (points, and the points possible), row by row."""
    n = len(packed)
    right = packed & 1
    marks = item_marks(type_name, options, packed)
    others = max_score - 1
    rest = np.divide(score - marks, others, out=np.zeros(n), where=others > 0)
    counts = option_counts(type_name, options, packed)
    upper_counts: np.ndarray | None = None
    upper_n = None
    if n >= MIN_N:
        top = upper_group(np.divide(score, max_score, out=np.zeros(n), where=max_score > 0))
        upper_n = int(top.sum())
        upper_counts = option_counts(type_name, options, packed[top])
    figures = ItemFigures(
        phase=phase,
        n=n,
        right=int(right.sum()),
        discrimination=point_biserial(right, rest),
        upper_n=upper_n,
        options=[
            OptionFigures(
                option=o,
                count=int(counts[i]),
                share=int(counts[i]) / n if n else None,
                upper=None if upper_counts is None else int(upper_counts[i]),
            )
            for i, o in enumerate(options)
        ],
    )
    flag(type_name, figures)
    return figures


def flag(type_name: str, item: ItemFigures) -> None:
    """The flags of an item, on it and on the options they point at; none below MIN_N."""
    if item.n < MIN_N:
        return
    if item.phase == "pre" and item.facility is not None and item.facility > CEILING:
        item.flags.append(FLAG_CEILING)
    if item.discrimination is not None and item.discrimination < 0:
        item.flags.append(FLAG_NEGATIVE)
    if type_name not in ("single", "multi"):
        return
    options = item.options
    most = max((o.count for o in options), default=0)
    if any(o.option.dont_know and o.count and o.count == most for o in options):
        item.flags.append(FLAG_DONT_KNOW)
    for o in options:
        if not o.option.right and not o.option.dont_know and o.count == 0:
            o.flags.append(FLAG_UNCHOSEN)
    key_upper = min((o.upper or 0 for o in options if o.option.right), default=0)
    for o in options:
        if not o.option.right and (o.upper or 0) > key_upper:
            o.flags.append(FLAG_UPPER)
    for name in (FLAG_UNCHOSEN, FLAG_UPPER):
        if any(name in o.flags for o in options):
            item.flags.append(name)


@dataclass(frozen=True)
class FormGain:
    """The paired gain, raw and corrected for the forms' difficulty (scores in percent)."""

    pre_n: dict[str, int]  # learners whose counted pre-test was on the form
    pre_mean: dict[str, float | None]
    orders: dict[str, int]  # paired learners per order, "AB" (A before, B after) or "BA" …
    paired_n: int
    raw: float | None  # mean of post − pre, in points
    shift: float | None  # added to a score on form B: pre mean on A − pre mean on B
    corrected: float | None  # mean of equated post − equated pre

    @property
    def counterbalanced(self) -> bool:
        return self.shift is not None


def form_gain(
    pre: tuple[np.ndarray, np.ndarray, np.ndarray],
    post: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> FormGain:
    """From (member ids, forms as 0 = A / 1 = B, scores in percent) per phase, one row per
    learner. The difficulty of each form comes from everyone who took it before training."""
    pre_members, pre_forms, pre_scores = pre
    post_members, post_forms, post_scores = post
    pre_n = {f: int((pre_forms == i).sum()) for i, f in enumerate(FORMS)}
    pre_mean = {
        f: float(pre_scores[pre_forms == i].mean()) if pre_n[f] else None
        for i, f in enumerate(FORMS)
    }
    _, at_pre, at_post = np.intersect1d(
        pre_members, post_members, assume_unique=True, return_indices=True
    )
    before, after = pre_scores[at_pre], post_scores[at_post]
    before_form, after_form = pre_forms[at_pre], post_forms[at_post]
    orders = {
        FORMS[a] + FORMS[b]: int(((before_form == a) & (after_form == b)).sum())
        for a in range(2)
        for b in range(2)
    }
    shift = None
    if pre_mean["A"] is not None and pre_mean["B"] is not None:
        shift = pre_mean["A"] - pre_mean["B"]
    paired = len(at_pre)
    raw = float((after - before).mean()) if paired else None
    corrected = None
    if paired and shift is not None:
        corrected = float(((after + shift * after_form) - (before + shift * before_form)).mean())
    return FormGain(pre_n, pre_mean, {k: v for k, v in orders.items() if v}, paired, raw,
                    shift, corrected)  # fmt: skip


# --- over the counted attempts ------------------------------------------------------------------


@dataclass
class FormItem:
    form: str
    question: QuizQuestion
    options: list[Option]
    phases: list[ItemFigures]  # the phases anyone answered it in, before first


@dataclass
class KeyItems:
    key: str
    topic: str
    forms: list[FormItem]


@dataclass
class ItemAnalysis:
    items: list[KeyItems]
    gain: FormGain
    bank_titles: dict[str, str]  # form → its bank's title


Columns = dict[tuple[int, str], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]


def _scored(group: LayoutGroup) -> np.ndarray:
    return ~np.isnan(group.score) & (group.max_score > 0)


def _columns(counted: CountedAttempts, wanted: set[int]) -> Columns:
    """Per (question version, phase): the packed answers of the learners who answered it, with
    their attempts' points and points possible, from every layout that asked it."""
    columns: Columns = {}
    for group in counted.groups:
        scored = _scored(group)
        for position, qid in enumerate(group.question_ids):
            if qid not in wanted:
                continue
            column = group.packed[:, position]
            keep = scored & (column >= 0)
            columns.setdefault((qid, group.phase), []).append(
                (column[keep], group.score[keep], group.max_score[keep])
            )
    return columns


def _gain(counted: CountedAttempts, form_of: Mapping[int, int]) -> FormGain:
    """Each counted attempt's learner, form and score (one attempt per learner and phase)."""
    parts: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {p: [] for p in PHASES}
    for group in counted.groups:
        forms = [form_of[i] for i in group.question_ids if i in form_of]
        if not forms:
            continue
        scored = _scored(group)
        members = group.members[scored]
        percent = 100 * group.score[scored] / group.max_score[scored]
        parts[group.phase].append((members, np.full(len(members), forms[0]), percent))
    joined = []
    for phase in PHASES:
        listed = parts[phase] or [(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))]
        joined.append(tuple(np.concatenate([p[i] for p in listed]) for i in range(3)))
    pre, post = joined
    return form_gain((pre[0], pre[1], pre[2]), (post[0], post[1], post[2]))


def _form_item(columns: Columns, form: str, q: QuizQuestion) -> FormItem:
    options = options_of(q.type, q.body)
    figures = []
    for phase in PHASES:
        parts = columns.get((q.id, phase))
        if not parts:
            continue
        packed, score, max_score = (np.concatenate([p[i] for p in parts]) for i in range(3))
        if len(packed):
            figures.append(item_figures(q.type, options, phase, packed, score, max_score))
    return FormItem(form, q, options, figures)


def analyse(session: Session, counted: CountedAttempts, course: Course) -> ItemAnalysis:
    """The item analysis and the corrected gain of the attempts a report counts."""
    slugs = [course.pre_quiz, course.post_quiz]
    banks = {b.slug: b for b in session.scalars(select(QuizBank).where(QuizBank.slug.in_(
        [s for s in slugs if s])))}  # fmt: skip
    forms = [(f, banks[s]) for f, s in zip(FORMS, slugs, strict=True) if s in banks]
    if len(forms) == 2 and forms[0][1].id == forms[1][1].id:
        forms = forms[:1]  # one bank for both phases: a single form
    index = {bank.id: i for i, (_, bank) in enumerate(forms)}
    versions = session.execute(
        select(QuizQuestion.id, QuizQuestion.bank_id).where(QuizQuestion.bank_id.in_(index))
    )
    form_of = {qid: index[bank_id] for qid, bank_id in versions}  # every version, for layouts
    current = [qid for _, bank in forms for qid in bank.question_ids]
    rows = {
        q.id: q for q in session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(current)))
    }
    columns = _columns(counted, set(current))
    by_key: dict[str, KeyItems] = {}
    # In the order of form B (the usual post-test), then form A, as the report's questions.
    for form, bank in reversed(forms):
        for qid in bank.question_ids:
            q = rows[qid]
            if question_type(q.type).statistics != "rate":
                continue
            item = by_key.setdefault(q.key, KeyItems(q.key, q.topic, []))
            item.forms.append(_form_item(columns, form, q))
    for item in by_key.values():
        item.forms.sort(key=lambda f: f.form)
    return ItemAnalysis(
        items=list(by_key.values()),
        gain=_gain(counted, form_of),
        bank_titles={form: bank.title for form, bank in forms},
    )
