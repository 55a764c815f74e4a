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

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
_T95 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def confidence_interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % confidence interval of the mean across runs (axis 0), from Student's
    t (for more than 30 runs, ``1.96 + 2.5 / df``, within 0.002 of it).

    Parameters
    ----------
    values : ndarray, shape (n_runs, ...)

    Returns
    -------
    low, high : ndarray, shape (...)
        NaN with a single run, where the spread is unknown.
    """
    values = np.asarray(values, dtype=float)
    n_runs = values.shape[0]
    mean = values.mean(axis=0)
    if n_runs < 2:
        nan = np.full_like(mean, np.nan)
        return nan, nan.copy()
    df = n_runs - 1
    t = _T95[df - 1] if df <= len(_T95) else 1.96 + 2.5 / df
    half = t * values.std(axis=0, ddof=1) / np.sqrt(n_runs)
    return mean - half, mean + half


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
    """

    steps: np.ndarray
    returns: np.ndarray
    planning_updates: np.ndarray
    _main = "steps"

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


#: Episodes averaged by the convergence measure of the named experiments.
CONVERGENCE_WINDOW = 5


def convergence_per_run(steps: np.ndarray, optimal_length: int) -> np.ndarray:
    """:func:`steps_to_convergence` with :data:`CONVERGENCE_WINDOW`, per run;
    NaN for every run when there are too few episodes to tell."""
    steps = np.asarray(steps)
    if steps.shape[1] < CONVERGENCE_WINDOW:
        return np.full(steps.shape[0], np.nan)
    return steps_to_convergence(steps, optimal_length, window=CONVERGENCE_WINDOW)


def mean_of_finite(values: np.ndarray) -> float:
    """Mean over the runs with a finite value (those that converged); NaN if
    none has one."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


@dataclass(frozen=True)
class Series:
    """One curve (or bar group): per-run ``values`` of shape (n_runs, len(x)).

    ``real_steps`` is the mean number of real steps each run needed to
    converge (NaN where it does not apply), ``planning_updates`` the mean model
    backups or simulated transitions per run: the two costs the lecture compares.
    """

    name: str
    x: np.ndarray
    values: np.ndarray
    real_steps: float = float("nan")
    planning_updates: float = float("nan")

    @property
    def n_runs(self) -> int:
        return self.values.shape[0]

    def mean(self) -> np.ndarray:
        """Mean across runs, shape ``(len(x),)``."""
        return self.values.mean(axis=0)

    def confidence_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """95 % confidence interval across runs, each of shape ``(len(x),)``."""
        return confidence_interval(self.values)

    def finite_mean_and_error(self) -> tuple[float, float]:
        """Mean and 95 % half-width over the finite values (for a bar: the runs
        that converged); NaN, NaN if there are none."""
        finite = self.values[np.isfinite(self.values)]
        if len(finite) == 0:
            return float("nan"), float("nan")
        low, high = confidence_interval(finite[:, None])
        return float(finite.mean()), float((high[0] - low[0]) / 2)


@dataclass(frozen=True)
class Study:
    """The result of a named experiment: what to plot and how to label it."""

    name: str
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    change_step: int | None = None
    kind: str = "line"  # "line", or "bar" for one value per series
    log_y: bool = False
