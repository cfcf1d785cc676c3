"""Paired before/after statistics against hand-computed cases."""

from __future__ import annotations

import pytest

from trainer.quizzes.statistics import mcnemar_exact_p, normalised_gain, paired_table


@pytest.mark.parametrize(
    ("gained", "lost", "expected"),
    [
        (9, 1, 22 / 1024),  # 2 × (C(10,0) + C(10,1)) / 2^10
        (6, 0, 2 / 64),  # 2 × 1 / 2^6
        (5, 5, 1.0),  # no direction: capped at 1
        (0, 0, 1.0),  # nobody changed
        (12, 3, 2 * (1 + 15 + 105 + 455) / 2**15),  # 0.03515625
    ],
)
def test_mcnemar_exact_p(gained, lost, expected):
    assert mcnemar_exact_p(gained, lost) == pytest.approx(expected)
    assert mcnemar_exact_p(lost, gained) == pytest.approx(expected)  # two-sided


def test_mcnemar_rejects_negative_counts():
    with pytest.raises(ValueError):
        mcnemar_exact_p(-1, 2)


def test_normalised_gain():
    assert normalised_gain(0.5, 0.75) == pytest.approx(0.5)
    assert normalised_gain(0.2, 0.2) == 0.0
    assert normalised_gain(0.6, 0.4) == pytest.approx(-0.5)
    assert normalised_gain(1.0, 1.0) is None


def test_paired_table_from_learners():
    # 10 learners: 3 right both times, 5 gained, 1 lost, 1 wrong both times.
    pairs = [(True, True)] * 3 + [(False, True)] * 5 + [(True, False)] + [(False, False)]
    table = paired_table(pairs)
    assert (table.both_right, table.gained, table.lost, table.neither, table.n) == (3, 5, 1, 1, 10)
    assert table.pre_rate == pytest.approx(0.4) and table.post_rate == pytest.approx(0.8)
    assert table.normalised_gain == pytest.approx((0.8 - 0.4) / 0.6)
    assert table.mcnemar_p == pytest.approx(2 * (1 + 6) / 64)  # n = 6 discordant, min tail 1


def test_empty_table():
    table = paired_table([])
    assert table.n == 0 and table.pre_rate is None and table.normalised_gain is None
    assert table.mcnemar_p == 1.0


def test_mcnemar_is_exact_for_small_counts_and_fast_and_close_for_large_ones():
    from math import comb

    def by_definition(gained: int, lost: int) -> float:
        n = gained + lost
        return min(1.0, 2 * sum(comb(n, i) for i in range(min(gained, lost) + 1)) / 2**n)

    for gained in range(40):
        for lost in range(40):
            if gained + lost:
                assert mcnemar_exact_p(gained, lost) == by_definition(gained, lost)
    # Tens of thousands of pairs (a whole network's topic): floating point, same to 1e-9.
    assert mcnemar_exact_p(3_000, 2_900) == pytest.approx(by_definition(3_000, 2_900), rel=1e-9)
