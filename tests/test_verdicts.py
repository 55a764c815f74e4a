"""The verdict rule (tabular_mbrl.results.verdicts) on hand-made arrays."""

import numpy as np
import pytest

from tabular_mbrl.results import (
    LESS,
    MORE,
    SAME,
    Convergence,
    compare,
    compare_proportions,
    ratio_text,
    work_per_step,
)


def test_a_clear_difference_is_decided_both_ways():
    a, b = np.arange(10.0) + 100, np.arange(10.0)
    assert compare(a, b).relation == MORE
    assert compare(b, a).relation == LESS
    verdict = compare(a, b)
    assert verdict.difference == 100.0
    assert verdict.low <= 100.0 <= verdict.high
    # Paired runs that differ by exactly 100: the interval is that point.
    assert (compare(a, b, paired=True).low, compare(a, b, paired=True).high) == (
        100.0,
        100.0,
    )


def test_a_tie_inside_the_noise_is_no_clear_difference():
    rng = np.random.default_rng(1)
    a = rng.normal(100, 30, size=20)
    verdict = compare(a, a + 1.0)
    assert verdict.relation == SAME
    assert verdict.low < 0 < verdict.high
    assert verdict.word("fewer", "more") == "no clear difference"


def test_pairing_finds_a_small_shift_that_unpaired_runs_hide():
    rng = np.random.default_rng(2)
    a = rng.normal(100, 30, size=20)
    assert compare(a + 3.0, a, statistic="mean").relation == SAME
    assert compare(a + 3.0, a, statistic="mean", paired=True).relation == MORE


def test_censored_runs_leave_their_side_open():
    # A: two runs never converged, counted at their budgets (lower bounds).
    a = Convergence(np.array([50.0, 60, np.nan, np.nan, 55]), np.full(5, 70.0))
    b = np.array([10.0, 12, 11, 9, 10])
    more = compare(a, b)
    assert more.relation == MORE and more.high == np.inf  # A only larger
    less = compare(b, a)
    assert less.relation == LESS and less.low == -np.inf
    # B censored above A's values: A < B holds whatever B's true values are.
    c = Convergence(np.array([np.nan] * 5), np.full(5, 20.0))
    assert compare(np.full(5, 10.0) + np.arange(5), c).relation == LESS
    # One run of 20 censored far above the rest: no resample's median can
    # move, so both ends stay finite.
    steps = np.arange(20.0) + 100
    steps[-1] = np.nan
    late = Convergence(steps, np.full(20, 5000.0))
    exact = compare(late, np.arange(20.0) + 10)
    assert exact.relation == MORE and np.isfinite([exact.low, exact.high]).all()
    # ... but the mean of it is unbounded above.
    assert compare(late, np.arange(20.0) + 10, statistic="mean").high == np.inf
    # A censored below B's values: its true values may be either side of B's.
    d = Convergence(np.array([np.nan] * 5), np.full(5, 5.0))
    assert compare(d, np.full(5, 10.0) + np.arange(5)).relation == SAME


def test_proportions_k_of_n():
    found = np.array([True] * 18 + [False] * 2)
    rarely = np.array([True] * 3 + [False] * 17)
    verdict = compare_proportions(found, rarely)
    assert verdict.relation == MORE and verdict.summary == "proportion"
    assert verdict.difference == pytest.approx(0.75)
    assert verdict.interval(scale=100).startswith("+75 (95 % interval +")
    same = compare_proportions(found[:10], found[:10][::-1], paired=False)
    assert same.relation == SAME
    with pytest.raises(TypeError, match="must be a 1-d array of bools"):
        compare_proportions(np.array([1, 0]), np.array([True, False]))


def test_the_same_values_give_the_same_verdict():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=15), rng.normal(size=15)
    assert compare(a, b) == compare(a, b)
    assert compare(a, b, seed=1) != compare(a, b, seed=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statistic": "mode"}, "statistic == 'mode', must be one of"),
        ({"paired": "yes"}, "paired"),
        ({"n_resamples": 0}, "n_resamples"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        compare(np.ones(3), np.ones(3), **kwargs)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match=r"a has shape \(0,\), must be \(n_runs,\)"):
        compare(np.ones(0), np.ones(3))
    # One run has no spread: no interval, no verdict.
    one = compare(np.ones(1), np.zeros(3))
    assert one.relation == SAME and np.isnan(one.low) and one.difference == 1.0
    with pytest.raises(ValueError, match="NaN or inf"):
        compare(np.array([1.0, np.nan]), np.ones(3))
    with pytest.raises(ValueError, match="paired == True with 3 and 4 runs"):
        compare(np.ones(3), np.ones(4), paired=True)


def test_ratios_of_censored_medians_are_bounds():
    done = Convergence(np.array([100.0, 100, 100]), np.full(3, 500.0))
    half = Convergence(np.array([50.0, 50, 50]), np.full(3, 500.0))
    lost = Convergence(np.array([np.nan, np.nan, 250.0]), np.full(3, 250.0))
    assert ratio_text(done, half) == "2.0x"
    assert ratio_text(lost, half) == "at least 5.0x"
    assert ratio_text(half, lost) == "at most 0.2x"
    assert ratio_text(lost, lost) == "1.0x, both censored: not bounded"
    with pytest.raises(TypeError, match="a must be a Convergence, got ndarray"):
        ratio_text(np.ones(3), half)


def test_work_per_step_is_the_mean_of_each_runs_ratio():
    # Hand count: runs of 100 and 300 real steps with 5,000 and 3,000 backups.
    assert work_per_step(np.array([5000, 3000]), np.array([100, 300])) == 30.0
    with pytest.raises(ValueError, match="real_steps == 0 in some run, must be >= 1"):
        work_per_step(np.array([1, 2]), np.array([0, 3]))
