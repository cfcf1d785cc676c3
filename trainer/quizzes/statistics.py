"""Before/after statistics that need no database: the paired table, McNemar's exact test and the
normalised gain. The counting of the answers per question (course_stats.py) feeds these."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import exp, lgamma, log

# Up to this many discordant pairs the tail is summed in whole numbers (exact); above, in
# floating point (relative error around 1e-10 at n = 100,000: far below the two or three digits
# shown, and no chance of moving a p-value across 0.05).
EXACT_UP_TO = 2000


@lru_cache(maxsize=4096)
def mcnemar_exact_p(gained: int, lost: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (also the exact sign test).

    Under "no change", each of the n = gained + lost learners who changed is equally likely to
    have gained or lost: a binomial(n, 1/2). The p-value doubles the smaller tail, capped at 1.
    Each term comes from the one before (C(n, i) = C(n, i-1)·(n-i+1)/i) rather than from
    scratch: summing comb(n, i) anew for every i took seconds a call with tens of thousands of
    learners (the report's bench), as it is quadratic in n with n-bit numbers. Cached, because
    a page asks for the same pair several times.
    """
    if gained < 0 or lost < 0:
        raise ValueError("counts cannot be negative")
    n, k = gained + lost, min(gained, lost)
    if n - 2 * k <= 1:
        return 1.0  # the smaller tail holds half the distribution or more
    if n <= EXACT_UP_TO:
        term = total = 1
        for i in range(1, k + 1):
            term = term * (n - i + 1) // i
            total += term
        return min(1.0, 2 * (total / 2**n))
    # From the largest term of the tail, C(n, k), downwards, relative to it; stop once the terms
    # left no longer change a double.
    ratio = total_ratio = 1.0
    for i in range(k, 0, -1):
        ratio *= i / (n - i + 1)
        total_ratio += ratio
        if ratio < 1e-17 * total_ratio:
            break
    log_largest = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) - n * log(2)
    return min(1.0, 2 * exp(log_largest + log(total_ratio)))


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
    def change_points(self) -> float | None:
        """Post rate minus pre rate, in percentage points."""
        if self.pre_rate is None or self.post_rate is None:
            return None
        return 100 * (self.post_rate - self.pre_rate)

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
