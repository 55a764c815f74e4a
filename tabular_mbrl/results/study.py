"""What experiments measure: the result types, and the kinds of study.

The results of the runners (:class:`EpisodeResults`, :class:`StepResults`) and
of the named experiments (:class:`Series`, :class:`Study`); the kinds a study
can be (:data:`KINDS`) and the one switch on them (:func:`by_kind`), which the
table and the plot both go through; and Figure 8.3's count of states with a
greedy direction (:func:`greedy_directions`), which both show. Plots and tables
read these; they compute nothing themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

import numpy as np

import gridworlds

from ..dynamic_programming import decided_states
from .statistics import (
    Convergence,
    confidence_interval,
    policy_convergence,
    steps_to_convergence,
)

#: What a :class:`Study` can be, and so how it is drawn and tabled: "line",
#: curves; "bar", one value per series (real steps to convergence); "policy",
#: one Q table per run, flattened, on the study's ``maze``; "panels", curves
#: side by side, series by their ``panel``, y labels in ``panel_labels``.
KINDS = ("line", "bar", "policy", "panels")

T = TypeVar("T")


class _Summary:
    """``mean`` and ``confidence_interval`` of any per-run array field, and
    the results of some of the runs."""

    def runs(self, rows: slice) -> Any:
        """The results of the runs ``rows`` (every field is per run, along its
        first axis): how a batch of several settings is split into each
        setting's results."""
        return replace(
            self, **{f.name: getattr(self, f.name)[rows] for f in fields(self)}
        )

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
        :class:`~tabular_mbrl.probe.PolicyProbe`).
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


@dataclass(frozen=True)
class Series:
    """One curve (or bar group): per-run ``values`` of shape (n_runs, len(x)).

    Where the experiment measures them: ``convergence``, the real steps each
    run needed to converge (:class:`Convergence`, k/N and a censored median);
    ``first_episode`` and ``final_episodes``, the mean length of the first
    episode and of the last :data:`FINAL_EPISODES`; ``planning_updates``, the
    mean model work per run; ``model_work_per_step``, the mean over runs of
    each run's model work divided by its real steps
    (:func:`~.statistics.work_per_step`). The costs the lecture compares: real
    steps (or goals) and the computation that bought them.
    """

    name: str
    x: np.ndarray
    values: np.ndarray
    convergence: Convergence | None = None
    planning_updates: float = float("nan")
    first_episode: float = float("nan")
    final_episodes: float = float("nan")
    model_work_per_step: float = float("nan")
    #: Which panel of a "panels" study the series is drawn in.
    panel: int = 0

    def __post_init__(self) -> None:
        x, values = np.asarray(self.x), np.asarray(self.values)
        if x.ndim != 1 or values.ndim != 2 or values.shape[1] != len(x):
            raise ValueError(
                f"series {self.name!r}: values has shape {values.shape} and x "
                f"{x.shape}, must be (n_runs, len(x)) and (len(x),)"
            )

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
    """The result of a named experiment: what to plot and how to label it.

    ``kind`` must be one of :data:`KINDS` (else a ValueError); ``series``
    holds one :class:`Series` per curve, bar group or Q table set.
    """

    name: str
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    change_step: int | None = None
    #: One of :data:`KINDS`: how the study is drawn and tabled.
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind == {self.kind!r}, must be one of {KINDS}")


def by_kind(study: Study, **handlers: Callable[[Study], T]) -> T:
    """The one switch on a study's kind: call the handler named by
    ``study.kind`` with the study and return what it returns.

    Every caller names a handler for each of :data:`KINDS`, even those it
    does nothing for, so a kind added to :data:`KINDS` fails at every caller
    that does not handle it yet instead of falling through.

    Parameters
    ----------
    study : Study
    **handlers : callable
        ``line=``, ``bar=``, ``policy=``, ``panels=``: each takes the study.

    Returns
    -------
    object
        What the handler of ``study.kind`` returns.

    Raises
    ------
    TypeError
        If a kind has no handler, or a handler names no kind.

    Examples
    --------
    >>> by_kind(study, line=plot_curves, bar=plot_convergence,
    ...         policy=plot_policies, panels=plot_panels)  # doctest: +SKIP
    """
    missing = [kind for kind in KINDS if kind not in handlers]
    unknown = [name for name in handlers if name not in KINDS]
    if missing or unknown:
        wrong = [f"no handler for {kind!r}" for kind in missing]
        wrong += [f"{name!r} is no kind" for name in unknown]
        raise TypeError(f"by_kind: {', '.join(wrong)}; the kinds are {KINDS}")
    return handlers[study.kind](study)


def first_q_table(series: Series, env: gridworlds.GridWorld) -> np.ndarray:
    """The first run's Q table of a "policy" series, on its maze ``env``.

    Parameters
    ----------
    series : Series
        ``values`` of shape (n_runs, S * A).
    env : GridWorld

    Returns
    -------
    ndarray, shape (S, A)
    """
    return series.values[0].reshape(env.n_states, env.n_actions)


def greedy_directions(series: Series, maze: str | gridworlds.GridWorld | None) -> int:
    """Figure 8.3's count: the states where the greedy policy of the series'
    first run has a direction (:func:`~tabular_mbrl.decided_states`).

    Parameters
    ----------
    series : Series
        A "policy" series: Q tables, ``values`` of shape (n_runs, S * A).
    maze : str, GridWorld or None
        The maze the tables belong to: a :func:`gridworlds.make` name (a
        study's ``maze``) or the env itself. None (a study that names no
        maze) is a ValueError.

    Returns
    -------
    int
        Between 0 and the number of '.' and 'S' cells of the map.
    """
    if maze is None:
        raise ValueError("maze is None: a 'policy' study names its maze (maze=...)")
    env = gridworlds.make(maze) if isinstance(maze, str) else maze
    return int(decided_states(first_q_table(series, env), env).sum())
