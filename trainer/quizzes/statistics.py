"""Before/after statistics that need no database: the paired table, McNemar's exact test and the
normalised gain. The SQL that counts answers per question feeds these (quiz issue)."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb


def mcnemar_exact_p(gained: int, lost: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs.

    Under "no change", each of the n = gained + lost learners who changed is equally likely to
    have gained or lost: a binomial(n, 1/2). The p-value doubles the smaller tail, capped at 1.
    """
    if gained < 0 or lost < 0:
        raise ValueError("counts cannot be negative")
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(gained, lost) + 1)) / 2**n
    return min(1.0, 2 * tail)


def normalised_gain(pre_rate: float, post_rate: float) -> float | None:
    """(post − pre) / (1 − pre): the share of what was not known before that was learned.

    None when everyone was already right before (nothing left to gain)."""
    if pre_rate >= 1.0:
        return None
    return (post_rate - pre_rate) / (1.0 - pre_rate)


@dataclass(frozen=True)
class PairedTable:
    """Learners who answered a question both before and after, by right (fully right) or not."""

    both_right: int
    gained: int  # wrong before, right after
    lost: int  # right before, wrong after
    neither: int

    @property
    def n(self) -> int:
        return self.both_right + self.gained + self.lost + self.neither

    @property
    def pre_rate(self) -> float | None:
        return (self.both_right + self.lost) / self.n if self.n else None

    @property
    def post_rate(self) -> float | None:
        return (self.both_right + self.gained) / self.n if self.n else None

    @property
    def mcnemar_p(self) -> float:
        return mcnemar_exact_p(self.gained, self.lost)

    @property
    def normalised_gain(self) -> float | None:
        if self.pre_rate is None or self.post_rate is None:
            return None
        return normalised_gain(self.pre_rate, self.post_rate)


def paired_table(pairs: list[tuple[bool, bool]]) -> PairedTable:
    """From (right before, right after) per learner."""
    return PairedTable(
        both_right=sum(1 for pre, post in pairs if pre and post),
        gained=sum(1 for pre, post in pairs if not pre and post),
        lost=sum(1 for pre, post in pairs if pre and not post),
        neither=sum(1 for pre, post in pairs if not pre and not post),
    )
