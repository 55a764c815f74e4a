"""The named experiments behind the lectures and the CLI, each defined once.

Each is a function that takes its settings as keywords (always ``n_runs``,
``seed``, ``engine``, ``jobs``, ``quick`` and ``progress``) and returns a
:class:`~tabular_mbrl.results.Study`: a few series of per-run values, ready to
be plotted (:mod:`tabular_mbrl.plotting`) or written as CSV rows
``series,x,mean,ci_low,ci_high,n_runs``. ``progress``, if given, is called as
``progress(setting, runs_done, n_runs)`` after each run of a setting.

:data:`STUDIES` is the one registry: name -> function, one-line description
and quick budget. The book's figures are in :mod:`.book`, the experiments
beyond the book in :mod:`.beyond`.
"""

from ._common import STANDARD_MPC, STUDIES, Experiment, UnknownSeries, in_parallel
from .beyond import (
    ABLATION,
    GOAL_CHANGE,
    GOAL_MOVED_TO,
    REPLAY_MAZES,
    REPLAY_VS_DYNA,
    WAYPOINT_AGENTS,
    WAYPOINTS,
    MovedGoal,
    ablation_specs,
    compare,
    counted_model,
    goal_change,
    goal_change_maze,
    model_error_names,
    model_errors,
    most_likely_model,
    mpc_ablation,
    mpc_budget,
    mpc_real_steps,
    replanning,
    replay_vs_dyna,
    walk_counts,
    waypoint_leg,
    waypoints,
)
from .book import (
    BOOK,
    blocking_maze,
    changing_maze_specs,
    dyna_maze,
    dyna_q_spec,
    figure_8_3,
    shortcut_maze,
    sweeping_backups,
    took_shortcut,
)
from .rollouts import (
    DRIFT_MAZES,
    DRIFT_MODELS,
    ROLLOUT_LENGTHS,
    k_step_error,
    rollout_drift,
)

# The default experiment (what a bare ``tabular-mbrl`` runs) first, then the
# book's figures, then the experiments beyond the book.
_ORDER = sorted(STUDIES, key=lambda n: (n != "compare", STUDIES[n].group != "book"))
STUDIES.update({name: STUDIES.pop(name) for name in _ORDER})

__all__ = [
    "ABLATION",
    "UnknownSeries",
    "BOOK",
    "DRIFT_MAZES",
    "DRIFT_MODELS",
    "ROLLOUT_LENGTHS",
    "GOAL_CHANGE",
    "GOAL_MOVED_TO",
    "REPLAY_MAZES",
    "REPLAY_VS_DYNA",
    "WAYPOINTS",
    "WAYPOINT_AGENTS",
    "MovedGoal",
    "STANDARD_MPC",
    "STUDIES",
    "Experiment",
    "ablation_specs",
    "blocking_maze",
    "changing_maze_specs",
    "compare",
    "dyna_maze",
    "dyna_q_spec",
    "figure_8_3",
    "goal_change",
    "goal_change_maze",
    "in_parallel",
    "counted_model",
    "model_error_names",
    "model_errors",
    "most_likely_model",
    "walk_counts",
    "waypoint_leg",
    "waypoints",
    "mpc_ablation",
    "mpc_budget",
    "mpc_real_steps",
    "replanning",
    "replay_vs_dyna",
    "rollout_drift",
    "k_step_error",
    "shortcut_maze",
    "sweeping_backups",
    "took_shortcut",
]
