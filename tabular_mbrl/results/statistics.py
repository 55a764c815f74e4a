"""Statistics across runs: bootstrap bands and convergence.

The 95 % percentile-bootstrap intervals of every plot, table and CSV
(:func:`confidence_interval` of a mean, :func:`median_interval` of a median),
and the convergence measures: :func:`policy_convergence` and
:class:`Convergence` (what the named experiments report),
:func:`steps_to_convergence` (the behaviour's, kept for comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_int, check_memory, check_real

#: Resamples of the bootstrap band, and the seed it draws them with.
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
#: Points of a band computed at once (bounds the resampled means' memory).
BAND_BLOCK = 256
#: Points per matrix product within a block: OpenBLAS runs a product of more
#: than about 262,000 multiply-adds on several threads, which then spin for
#: nothing; 1000 resamples x 30 runs x 8 points stays on one. (Measured on a
#: 6,000-point band, 20 runs, 2 cores: 0.20 s CPU in 256-point products,
#: 0.07 s in these, the same wall time and the same bits.)
BAND_PRODUCT = 8


def confidence_interval(
    values: np.ndarray,
    *,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """95 % percentile-bootstrap interval of the mean across runs (axis 0).

    The one band of every plot, table and CSV of the package. Resample the runs
    with replacement ``n_resamples`` times, take each resample's mean, and
    report the 2.5th and 97.5th percentiles of those means. A mean of resampled
    runs lies between the smallest and the largest run, so the band never
    leaves the range the values can take (steps per episode never below the
    shortest path, cumulative reward never below 0), which a mean +- t * s.e.
    band does with few or skewed runs. Seeded: the same values always give the
    same band.

    Parameters
    ----------
    values : ndarray, shape (n_runs, ...)
    n_resamples : int, default 1000
    seed : int, default 0

    Returns
    -------
    low, high : ndarray, shape (...)
        NaN with a single run, where the spread is unknown.
    """
    values = _runs("values", values)
    n_resamples = check_int("n_resamples", n_resamples, low=1)
    seed = check_int("seed", seed, low=0)
    n_runs = values.shape[0]
    check_memory(
        f"{n_resamples:,} resamples of {values.size:,} values",
        n_resamples * (n_runs + 2 * max(values.size // max(n_runs, 1), 1)) * 8,
    )
    if n_runs < 2:
        nan = np.full(values.shape[1:], np.nan)
        return nan, nan.copy()
    # How often each run is drawn in each resample: the resampled means are
    # a matrix product, (n_resamples, n_runs) @ (n_runs, points), made a
    # block of points at a time: each point's band is its own, and a block
    # takes a fraction of the memory (whole-number values give the same bits;
    # on fractions the product may add in another order, to the last bit).
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_runs, np.full(n_runs, 1 / n_runs), size=n_resamples)
    counts = counts.astype(float)  # float @ float: the same products, faster
    # Points where every run has the same values as at another point (a
    # cumulative reward between goals) have the same band: one per kind.
    flat, kind = _distinct_columns(values.reshape(n_runs, -1))
    smallest, largest = flat.min(axis=0), flat.max(axis=0)
    low, high = np.empty(flat.shape[1]), np.empty(flat.shape[1])
    for start in range(0, flat.shape[1], BAND_BLOCK):
        points = slice(start, start + BAND_BLOCK)
        columns = flat[:, points]
        means = np.empty((n_resamples, columns.shape[1]))
        for first in range(0, columns.shape[1], BAND_PRODUCT):
            few = slice(first, first + BAND_PRODUCT)
            np.matmul(counts, columns[:, few], out=means[:, few])
        means /= n_runs
        # Rounding in the sum must not step outside the runs' own range.
        np.clip(means, smallest[points], largest[points], out=means)
        low[points], high[points] = np.percentile(means, [2.5, 97.5], axis=0)
    return low[kind].reshape(values.shape[1:]), high[kind].reshape(values.shape[1:])


def _distinct_columns(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct columns of ``flat`` ``(runs, points)`` and, for each
    point, the index of its column among them ``(points,)``."""
    columns, kind = np.unique(flat, axis=1, return_inverse=True)
    return columns, kind.reshape(-1)


def median_interval(
    values: np.ndarray,
    *,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the median of ``values`` (one per
    run), seeded like :func:`confidence_interval`; NaN with fewer than 2."""
    values = _runs("values", values).reshape(-1)
    n_resamples = check_int("n_resamples", n_resamples, low=1)
    seed = check_int("seed", seed, low=0)
    check_memory(
        f"{n_resamples:,} resamples of {len(values):,} runs",
        n_resamples * len(values) * 16,
    )
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(values), size=(n_resamples, len(values)))
    medians = np.median(values[picks], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(low), float(high)


def steps_to_convergence(
    steps: np.ndarray, optimal_length: int, *, factor: float = 2.0, window: int = 5
) -> np.ndarray:
    """Real steps taken before the episodes settle near the optimal length.

    A run has converged at the first episode ``e`` from which every window of
    ``window`` consecutive episodes averages at most ``factor * optimal_length``
    steps. The result is the real steps spent in the episodes before ``e``.

    This measures the behaviour, with its exploration noise, and hides runs
    that never converge (NaN). The named experiments measure the policy
    instead, counting every run: :func:`policy_convergence` and
    :class:`Convergence`. This one is kept for comparing with it.

    Why the tolerance: the epsilon-greedy behaviour policy (epsilon = 0.1) never
    walks exactly the shortest path. On the Dyna maze (14 steps) its episodes
    average about 16-18 steps once the greedy policy is optimal, and a single
    episode can exceed 28 by bad luck; averaging over 5 episodes and allowing
    twice the optimum keeps such late outliers from counting as "not yet
    converged", while a policy that has not found the path (hundreds of steps)
    is far above the bar.

    Parameters
    ----------
    steps : ndarray, shape (n_runs, n_episodes)
    optimal_length : int
        Shortest path length, e.g. ``shortest_path_length(env.model(), start)``.
    factor : float, default 2.0
    window : int, default 5

    Returns
    -------
    ndarray of float, shape (n_runs,)
        NaN for runs that never converged.
    """
    steps = np.asarray(steps, dtype=float)
    if steps.ndim != 2:
        raise ValueError(
            f"steps has shape {steps.shape}, must be (n_runs, n_episodes); "
            "for one run use steps[None, :]"
        )
    if steps.shape[0] == 0:
        raise ValueError(
            f"steps has shape {steps.shape}, must have at least one run (axis 0)"
        )
    optimal_length = check_int("optimal_length", optimal_length, low=1)
    factor = check_real("factor", factor, low=1.0)
    window = check_int("window", window, low=1, high=steps.shape[1])
    kernel = np.ones(window) / window
    result = np.full(steps.shape[0], np.nan)
    for run, episode_steps in enumerate(steps):
        means = np.convolve(episode_steps, kernel, mode="valid")
        bad = np.flatnonzero(means > factor * optimal_length)
        first = 0 if len(bad) == 0 else bad[-1] + 1
        if first < len(means):
            result[run] = episode_steps[:first].sum()
    return result


#: A policy has converged when its path is at most this many times the
#: shortest path (the tolerance of ShangtongZhang's chapter 8 code).
CONVERGENCE_FACTOR = 1.2

#: The episodes averaged for "final steps per episode" in tables.
FINAL_EPISODES = 10


def policy_convergence(policy_steps: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Real steps until each run's policy converged and stayed so.

    A run has converged after the first episode from which, at the end of
    every later episode, its policy's path was finite (within
    ``CONVERGENCE_FACTOR`` of the shortest path: see
    :attr:`~.study.EpisodeResults.policy_steps`). The result counts the real
    steps of the episodes up to and including that one.

    Parameters
    ----------
    policy_steps : ndarray, shape (n_runs, n_episodes)
        inf where the policy was not (yet) good enough.
    steps : ndarray, shape (n_runs, n_episodes)
        Real steps per episode.

    Returns
    -------
    ndarray of float, shape (n_runs,)
        NaN for a run whose policy was not good after its last episode: it did
        not converge within its budget (never dropped: see :class:`Convergence`).
    """
    policy_steps = np.asarray(policy_steps, dtype=float)
    steps = np.asarray(steps, dtype=float)
    if policy_steps.ndim != 2 or policy_steps.shape != steps.shape:
        raise ValueError(
            f"policy_steps and steps have shapes {policy_steps.shape} and "
            f"{steps.shape}, must both be (n_runs, n_episodes)"
        )
    result = np.full(len(steps), np.nan)
    if steps.shape[1] == 0:  # no episode: no run has converged
        return result
    good = np.isfinite(policy_steps)
    # good from episode e on: the suffix of episodes, all good
    stays = np.flip(np.logical_and.accumulate(np.flip(good, axis=1), axis=1), axis=1)
    converged = stays[:, -1]
    first = stays.argmax(axis=1)
    spent = steps.cumsum(axis=1)
    rows = np.flatnonzero(converged)
    result[rows] = spent[rows, first[rows]]
    return result


@dataclass(frozen=True)
class Convergence:
    """Real steps to convergence over runs, with the runs that did not converge
    kept as censored: each is known only to need more than its budget.

    Attributes
    ----------
    steps : ndarray, shape (n_runs,)
        Real steps each run needed; NaN where it did not converge.
    budgets : ndarray, shape (n_runs,)
        Real steps each run had in all (its lower bound when censored).
    """

    steps: np.ndarray
    budgets: np.ndarray

    def __post_init__(self) -> None:
        steps = np.asarray(self.steps, dtype=float)
        budgets = np.asarray(self.budgets, dtype=float)
        if steps.ndim != 1 or steps.shape != budgets.shape:
            raise ValueError(
                f"steps and budgets have shapes {steps.shape} and {budgets.shape}, "
                "must both be (n_runs,)"
            )
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "budgets", budgets)

    @property
    def n_runs(self) -> int:
        return len(self.steps)

    @property
    def n_converged(self) -> int:
        """k of "k/N": the runs that converged within their budget."""
        return int(np.isfinite(self.steps).sum())

    @property
    def fraction(self) -> str:
        """``"k/N"``."""
        return f"{self.n_converged}/{self.n_runs}"

    @property
    def values(self) -> np.ndarray:
        """Per run: its steps, or its budget where it did not converge (a lower
        bound), shape (n_runs,)."""
        return np.where(np.isfinite(self.steps), self.steps, self.budgets)

    @property
    def median(self) -> float:
        """Median of :attr:`values`; a lower bound when :attr:`censored`."""
        return float(np.median(self.values)) if self.n_runs else float("nan")

    @property
    def censored(self) -> bool:
        """Whether the true median may be larger than :attr:`median`: some run
        that did not converge had a budget at or below it (its true value,
        larger, could move the median up). Runs censored above the median
        cannot change it."""
        lost = ~np.isfinite(self.steps)
        return bool(lost.any() and (self.budgets[lost] <= self.median).any())

    def text(self) -> str:
        """The median as a table prints it: ``"1,234"``, or ``">= 1,234"`` when
        censored, ``"-"`` with no runs."""
        if not self.n_runs:
            return "-"
        return (">= " if self.censored else "") + f"{self.median:,.0f}"


def work_per_step(model_work: np.ndarray, real_steps: np.ndarray) -> float:
    """Model work per real step: the mean over runs of each run's model work
    (backups, simulated transitions, value-iteration sweeps' backups) divided
    by its real steps. The other half of every comparison of real steps.

    Parameters
    ----------
    model_work, real_steps : ndarray, shape (n_runs,)
        Each run's totals; every run took at least one real step.

    Returns
    -------
    float
    """
    model_work = _runs("model_work", model_work).reshape(-1)
    real_steps = _runs("real_steps", real_steps).reshape(-1)
    if model_work.shape != real_steps.shape:
        raise ValueError(
            f"model_work and real_steps have shapes {model_work.shape} and "
            f"{real_steps.shape}, must both be (n_runs,)"
        )
    if not (real_steps >= 1).all():
        raise ValueError(
            f"real_steps == {real_steps.min():g} in some run, must be >= 1"
        )
    return float(np.mean(model_work / real_steps))


def _runs(name: str, values: object) -> np.ndarray:
    """``values`` as floats with at least one run (axis 0)."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 0 or values.shape[0] == 0:
        raise ValueError(
            f"{name} has shape {values.shape}, must have at least one run (axis 0)"
        )
    return values
