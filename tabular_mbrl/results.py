"""What experiments measure, and the statistics of it.

The result types of the runners (:class:`EpisodeResults`, :class:`StepResults`)
and of the named experiments (:class:`Series`, :class:`Study`), 95 %
confidence intervals across runs, and the convergence measures. Plots and
tables read these; they compute nothing themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_int, check_real

#: Resamples of the bootstrap band, and the seed it draws them with.
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0


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
    values = np.asarray(values, dtype=float)
    n_resamples = check_int("n_resamples", n_resamples, low=1)
    n_runs = values.shape[0]
    if n_runs < 2:
        nan = np.full(values.shape[1:], np.nan)
        return nan, nan.copy()
    # How often each run is drawn in each resample: the resampled means are
    # one matrix product, (n_resamples, n_runs) @ (n_runs, points).
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_runs, np.full(n_runs, 1 / n_runs), size=n_resamples)
    flat = values.reshape(n_runs, -1)
    means = counts @ flat / n_runs
    # Rounding in the sum must not step outside the runs' own range.
    means = np.clip(means, flat.min(axis=0), flat.max(axis=0))
    low, high = np.percentile(means, [2.5, 97.5], axis=0)
    return low.reshape(values.shape[1:]), high.reshape(values.shape[1:])


def median_interval(
    values: np.ndarray,
    *,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the median of ``values`` (one per
    run), seeded like :func:`confidence_interval`; NaN with fewer than 2."""
    values = np.asarray(values, dtype=float).reshape(-1)
    n_resamples = check_int("n_resamples", n_resamples, low=1)
    if len(values) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(values), size=(n_resamples, len(values)))
    medians = np.median(values[picks], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(low), float(high)


class _Summary:
    """``mean`` and ``confidence_interval`` of any per-run array field."""

    def mean(self, metric: str | None = None) -> np.ndarray:
        """Mean across runs of ``metric`` (default: the main one)."""
        return self._values(metric).mean(axis=0)

    def confidence_interval(
        self, metric: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """95 % confidence interval across runs of ``metric``."""
        return confidence_interval(self._values(metric))

    def _values(self, metric: str | None) -> np.ndarray:
        metric = self._main if metric is None else metric
        if metric not in self.__dataclass_fields__ or metric == "change_steps":
            known = [f for f in self.__dataclass_fields__ if f != "change_steps"]
            raise ValueError(f"metric == {metric!r}, must be one of {known}")
        return getattr(self, metric)


@dataclass(frozen=True)
class EpisodeResults(_Summary):
    """What ``run_episodes`` measured; every array has shape (n_runs, n_episodes).

    Attributes
    ----------
    steps : ndarray of int
        Real steps per episode (the main metric).
    returns : ndarray of float
        Undiscounted return per episode.
    planning_updates : ndarray of int
        Backups computed from the model during the episode.
    policy_steps : ndarray of float
        After the episode, the length of the path the agent's policy walks
        from the start in the true model, at no real step; inf where that is
        longer than ``CONVERGENCE_FACTOR`` times the shortest path, NaN where
        the agent or env has no policy or model to measure (see
        :class:`~tabular_mbrl.experiments.PolicyProbe`).
    """

    steps: np.ndarray
    returns: np.ndarray
    planning_updates: np.ndarray
    policy_steps: np.ndarray | None = None
    _main = "steps"

    def __post_init__(self) -> None:
        if self.policy_steps is None:
            object.__setattr__(
                self, "policy_steps", np.full(np.shape(self.steps), np.nan)
            )

    def convergence(self) -> Convergence:
        """Real steps each run needed until its policy converged
        (:func:`policy_convergence`), censored at the run's real steps."""
        return Convergence(
            policy_convergence(self.policy_steps, self.steps), self.steps.sum(axis=1)
        )

    @property
    def n_runs(self) -> int:
        return self.steps.shape[0]

    @property
    def real_steps(self) -> np.ndarray:
        """Cumulative real steps at the end of each episode, (n_runs, n_episodes)."""
        return self.steps.cumsum(axis=1)

    def steps_to_convergence(self, optimal_length: int, **kwargs: Any) -> np.ndarray:
        """Real steps each run needed to converge; see :func:`steps_to_convergence`."""
        return steps_to_convergence(self.steps, optimal_length, **kwargs)


@dataclass(frozen=True)
class StepResults(_Summary):
    """What ``run_steps`` measured; arrays have shape (n_runs, n_steps).

    Attributes
    ----------
    cumulative_reward : ndarray of float
        Reward summed up to and including each real step (the main metric).
    planning_updates : ndarray of int
        Backups from the model up to each real step.
    change_steps : ndarray of int, shape (n_runs,)
        The real step after which the env reported ``info["changed"]``, or -1.
    """

    cumulative_reward: np.ndarray
    planning_updates: np.ndarray
    change_steps: np.ndarray
    _main = "cumulative_reward"

    @property
    def n_runs(self) -> int:
        return self.cumulative_reward.shape[0]

    @property
    def change_step(self) -> int | None:
        """The step where the env changed, if it did so at the same step in every
        run (as the mazes of S&B section 8.3 do); else None."""
        steps = np.unique(self.change_steps)
        return int(steps[0]) if len(steps) == 1 and steps[0] >= 0 else None


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
    :attr:`EpisodeResults.policy_steps`). The result counts the real steps of
    the episodes up to and including that one.

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


@dataclass(frozen=True)
class Series:
    """One curve (or bar group): per-run ``values`` of shape (n_runs, len(x)).

    Where the experiment measures them: ``convergence``, the real steps each
    run needed to converge (:class:`Convergence`, k/N and a censored median);
    ``first_episode`` and ``final_episodes``, the mean length of the first
    episode and of the last :data:`FINAL_EPISODES`; ``planning_updates``, the
    mean model work per run. The costs the lecture compares.
    """

    name: str
    x: np.ndarray
    values: np.ndarray
    convergence: Convergence | None = None
    planning_updates: float = float("nan")
    first_episode: float = float("nan")
    final_episodes: float = float("nan")
    #: Which panel of a "panels" study the series is drawn in.
    panel: int = 0

    @property
    def n_runs(self) -> int:
        return self.values.shape[0]

    def mean(self) -> np.ndarray:
        """Mean across runs, shape ``(len(x),)``."""
        return self.values.mean(axis=0)

    def confidence_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """The bootstrap band across runs (:func:`confidence_interval`), each of
        shape ``(len(x),)``. Kept with a copy of the values it was computed
        from, since the table, the CSV and the plot each ask for it; values
        changed since are computed afresh."""
        kept = self.__dict__.get("_band")
        if kept is None or not np.array_equal(kept[0], self.values):
            kept = (self.values.copy(), *confidence_interval(self.values))
            object.__setattr__(self, "_band", kept)  # frozen: not a field
        return kept[1].copy(), kept[2].copy()


@dataclass(frozen=True)
class Study:
    """The result of a named experiment: what to plot and how to label it."""

    name: str
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    change_step: int | None = None
    # "line"; "bar": one value per series; "policy": Q tables; "panels":
    # curves side by side, series by their ``panel``, y labels in panel_labels.
    kind: str = "line"
    log_x: bool = False
    log_y: bool = False
    #: What the figure should say about its result, computed from the runs
    #: by the experiment ("" for none); the CLI prints it and the plot shows it.
    note: str = ""
    #: The registered maze (``gridworlds.make`` name) a "policy" study's Q
    #: tables, flattened to (runs, S * A), belong to.
    maze: str | None = None
    #: The y label of each panel of a "panels" study.
    panel_labels: tuple[str, ...] = ()
