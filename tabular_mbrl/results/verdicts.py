"""Verdicts: how two series are compared, in one place.

A lecture's claim compares two agents. Comparing two point estimates picks a
word even where the difference is smaller than the noise, and the word then
flips from seed to seed. Here a verdict comes from a 95 % percentile-bootstrap
interval of the *difference* of the two summaries (A - B): "A < B" when the
whole interval is below 0, "A > B" when it is above, else "no clear
difference". The runs are resampled together where the design pairs them (the
same seeds, run by run), each side on its own otherwise.

Censored runs (a run that did not converge within its budget is known only to
need more than it) are handled as :class:`~.statistics.Convergence` handles
them: each is at least its budget. The interval takes the worst case both
ways: its low end from A's censored runs at their budgets and B's endless, its
high end the other way round. A median that censored runs cannot move (they
lie above it in every resample) keeps both ends; where they can move it, that
end is open (``inf``), so a censored A can only be found larger than B, and a
censored B only smaller. Ratios of censored medians are printed as bounds
(:func:`ratio_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._checks import check_bool, check_int
from .statistics import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, Convergence

#: The three verdicts.
LESS, MORE, SAME = "A < B", "A > B", "no clear difference"

Values = Convergence | np.ndarray


@dataclass(frozen=True)
class Verdict:
    """A comparison of A with B: the difference of their summaries and its
    95 % bootstrap interval, and what the interval decides.

    Attributes
    ----------
    relation : {"A < B", "A > B", "no clear difference"}
    difference : float
        The summary of A minus that of B, as measured.
    low, high : float
        The 95 % interval of the difference; ``-inf`` or ``inf`` at an end
        that a censored side leaves open.
    summary : str
        What was compared ("median", "mean", "proportion").
    """

    relation: str
    difference: float
    low: float
    high: float
    summary: str

    @property
    def less(self) -> bool:
        return self.relation == LESS

    @property
    def more(self) -> bool:
        return self.relation == MORE

    @property
    def clear(self) -> bool:
        """Whether the interval excludes 0."""
        return self.relation != SAME

    def word(self, less: str, more: str, same: str = "no clear difference") -> str:
        """The word for this verdict: ``less``, ``more`` or ``same``."""
        return {LESS: less, MORE: more, SAME: same}[self.relation]

    def interval(self, digits: int = 0, scale: float = 1.0) -> str:
        """``"+123 (95 % interval +45 to +201)"``: the difference and its
        interval, times ``scale`` (100 for percentage points)."""

        def number(x: float) -> str:
            if np.isinf(x):
                return "+inf" if x > 0 else "-inf"
            shown = round(x * scale, digits) + 0.0  # no "-0"
            return f"{shown:+,.{digits}f}"

        return (
            f"{number(self.difference)} (95 % interval {number(self.low)} to "
            f"{number(self.high)})"
        )


def _side(name: str, values: Values) -> tuple[np.ndarray, np.ndarray]:
    """Per-run values and which of them are lower bounds (censored)."""
    if isinstance(values, Convergence):
        return values.values, ~np.isfinite(values.steps)
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or len(array) < 1:
        raise ValueError(
            f"{name} has shape {array.shape}, must be (n_runs,) with n_runs >= 1"
        )
    if not np.isfinite(array).all():
        raise ValueError(
            f"{name} has NaN or inf values; pass a Convergence for runs that "
            "did not converge (censored), or drop nothing"
        )
    return array, np.zeros(len(array), dtype=bool)


def compare(
    a: Values,
    b: Values,
    *,
    statistic: str = "median",
    paired: bool = False,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Verdict:
    """Compare A with B by a bootstrap interval of the difference of their
    ``statistic`` (A - B).

    Parameters
    ----------
    a, b : Convergence or ndarray, shape (n_runs,)
        Per-run values. With a single run on either side there is no
        interval (NaN ends) and the verdict is "no clear difference". A
        :class:`~.statistics.Convergence` counts a run that did not converge
        as at least its budget (see the module's docstring).
    statistic : {"median", "mean"}, default "median"
    paired : bool, default False
        Resample the runs of A and B together (run i of A with run i of B):
        for designs that give both the same seeds. Needs as many runs in each.
    n_resamples : int, default 1000
    seed : int, default 0
        The bootstrap's seed: the same values give the same verdict.

    Returns
    -------
    Verdict
    """
    functions: dict[str, Callable] = {"median": np.median, "mean": np.mean}
    if statistic not in functions:
        raise ValueError(
            f"statistic == {statistic!r}, must be one of {list(functions)}"
        )
    paired = check_bool("paired", paired)
    n_resamples = check_int("n_resamples", n_resamples, low=1)
    seed = check_int("seed", seed, low=0)
    (x, x_low), (y, y_low) = _side("a", a), _side("b", b)
    if paired and len(x) != len(y):
        raise ValueError(
            f"paired == True with {len(x)} and {len(y)} runs, must have as many"
        )
    f = functions[statistic]
    if len(x) < 2 or len(y) < 2:  # one run: no spread, so no interval
        nan = float("nan")
        return Verdict(SAME, float(f(x) - f(y)), nan, nan, statistic)
    rng = np.random.default_rng(seed)
    picks_x = rng.integers(len(x), size=(n_resamples, len(x)))
    picks_y = picks_x if paired else rng.integers(len(y), size=(n_resamples, len(y)))
    # A censored run is at least its budget, perhaps far more: the smallest
    # difference counts A's at their budgets and B's as endless, the largest
    # the other way round. A median that a censored run cannot move is the
    # same both ways; a mean with a censored run is unbounded.
    x_high, y_high = np.where(x_low, np.inf, x), np.where(y_low, np.inf, y)
    with np.errstate(invalid="ignore"):  # inf - inf: no bound at all
        smallest = f(x[picks_x], axis=1) - f(y_high[picks_y], axis=1)
        largest = f(x_high[picks_x], axis=1) - f(y[picks_y], axis=1)
    smallest[np.isnan(smallest)] = -np.inf
    largest[np.isnan(largest)] = np.inf
    # The outer order statistics: no interpolation across an endless value.
    low = float(np.percentile(smallest, 2.5, method="lower"))
    high = float(np.percentile(largest, 97.5, method="higher"))
    relation = LESS if high < 0 else MORE if low > 0 else SAME
    return Verdict(relation, float(f(x) - f(y)), low, high, statistic)


def compare_proportions(
    a: np.ndarray,
    b: np.ndarray,
    *,
    paired: bool = False,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Verdict:
    """Compare the fraction of runs in which something happened (k/N) in A
    with that in B, by a bootstrap interval of the difference of the
    fractions.

    Parameters
    ----------
    a, b : ndarray of bool, shape (n_runs,)
        Per run, whether it happened (found the path, took the shortcut).
    paired, n_resamples, seed
        As :func:`compare`.

    Returns
    -------
    Verdict
        ``summary == "proportion"``; the difference is in fractions (print
        it with ``interval(scale=100)`` for percentage points).
    """
    arrays = []
    for name, values in (("a", a), ("b", b)):
        array = np.asarray(values)
        if array.ndim != 1 or array.dtype != bool:
            raise TypeError(
                f"{name} must be a 1-d array of bools (one per run), got "
                f"{array.dtype} of shape {array.shape}"
            )
        arrays.append(array.astype(float))
    verdict = compare(
        *arrays,
        statistic="mean",
        paired=paired,
        n_resamples=n_resamples,
        seed=seed,
    )
    return Verdict(
        verdict.relation, verdict.difference, verdict.low, verdict.high, "proportion"
    )


def ratio_text(a: Convergence, b: Convergence, digits: int = 1) -> str:
    """A's median over B's, as a bound where censoring makes it one:
    ``"2.5x"``, ``"at least 2.5x"`` (A's median is a lower bound),
    ``"at most 2.5x"`` (B's is), or ``"2.5x, both censored: not bounded"``.

    Parameters
    ----------
    a, b : Convergence
    digits : int, default 1

    Returns
    -------
    str
    """
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, Convergence):
            raise TypeError(f"{name} must be a Convergence, got {type(value).__name__}")
    value = f"{a.median / b.median:.{digits}f}x"
    if a.censored and b.censored:
        return f"{value}, both censored: not bounded"
    if a.censored:
        return f"at least {value}"
    if b.censored:
        return f"at most {value}"
    return value
