"""The named experiments behind the lectures and the CLI, each defined once.

Each is a function of how it runs and of what it measures,
``study(run, **settings)``, registered under a name (:func:`experiment`) that
gives it the keywords users call: the fields of :class:`Run` (``n_runs``,
``seed``, ``engine``, ``jobs``, ``quick``, ``progress``, ``only``) and its
settings. It returns a :class:`~tabular_mbrl.results.Study`: a few series of
per-run values, ready to be plotted (:mod:`tabular_mbrl.plotting`) or written
as CSV rows. ``progress``, if given, is called as ``progress(setting,
runs_done, n_runs)`` after each run of a setting, and once for each setting
with no run done before any runs (:meth:`Run.announce`), so that a display can
say "setting k of N".

:data:`STUDIES` is the one registry: name -> function, one-line description,
quick budget, and the engines and jobs it can honour. One module per question:

======================  =====================================================
:mod:`.book`            Sutton & Barto's chapter 8, figure by figure
:mod:`.mpc`             what MPC saves in real steps, and where it comes from
:mod:`.goals`           goals that move, and goals set on the fly
:mod:`.model_errors`    how wrong a learned model's predictions get
:mod:`.replay`          experience replay against Dyna-Q's models
:mod:`.replanning`      closed loop against open loop
:mod:`.rollouts`        imagined trajectories, and how they drift
:mod:`.frontier`        real steps against model work, family by family
:mod:`.sim_to_real`     a model wrong in a systematic way, deployed
======================  =====================================================
"""

from .book import (
    BOOK,
    blocking_maze,
    changing_maze_specs,
    dyna_maze,
    figure_8_3,
    shortcut_maze,
    sweeping_backups,
    took_shortcut,
)
from .frontier import frontier
from .goals import (
    GOAL_CHANGE,
    GOAL_MOVED_TO,
    WAYPOINT_AGENTS,
    WAYPOINTS,
    MovedGoal,
    goal_change,
    goal_change_maze,
    waypoint_leg,
    waypoints,
)
from .model_errors import model_error_names, model_errors
from .mpc import (
    ABLATION,
    CHAIN,
    ablation_specs,
    attribute,
    compare,
    lead_sentence,
    matched_chain,
    matched_controls,
    mpc_ablation,
    mpc_budget,
    mpc_real_steps,
    with_matched_compute,
)
from .registry import STUDIES, Experiment, Refused, Run, UnknownSeries, experiment
from .replanning import replanning
from .replay import REPLAY_MAZES, REPLAY_VS_DYNA, replay_vs_dyna
from .rollouts import (
    DRIFT_MAZES,
    DRIFT_MODELS,
    ROLLOUT_LENGTHS,
    k_step_error,
    rollout_drift,
)
from .running import in_parallel
from .sim_to_real import (
    MISSING_WALL,
    SIM_TO_REAL,
    SIM_TO_REAL_AGENTS,
    SIM_TO_REAL_WORLDS,
    Deployment,
    sim_to_real,
    world_maps,
)
from .specs import (
    DYNA_EXACT,
    DYNA_MATCHED,
    MPC_EXPLORING,
    STANDARD_MPC,
    dyna_q_spec,
    exact_dyna_q,
    matched_dyna_q,
)

# The default experiment (what a bare ``tabular-mbrl`` runs) first, then the
# book's figures, then the experiments beyond the book.
_ORDER = sorted(STUDIES, key=lambda n: (n != "compare", STUDIES[n].group != "book"))
STUDIES.update({name: STUDIES.pop(name) for name in _ORDER})

__all__ = [
    "ABLATION",
    "BOOK",
    "CHAIN",
    "DRIFT_MAZES",
    "DYNA_EXACT",
    "DYNA_MATCHED",
    "DRIFT_MODELS",
    "GOAL_CHANGE",
    "GOAL_MOVED_TO",
    "MISSING_WALL",
    "MPC_EXPLORING",
    "REPLAY_MAZES",
    "REPLAY_VS_DYNA",
    "ROLLOUT_LENGTHS",
    "STANDARD_MPC",
    "SIM_TO_REAL",
    "SIM_TO_REAL_AGENTS",
    "SIM_TO_REAL_WORLDS",
    "STUDIES",
    "WAYPOINTS",
    "WAYPOINT_AGENTS",
    "Deployment",
    "Experiment",
    "MovedGoal",
    "Refused",
    "Run",
    "UnknownSeries",
    "ablation_specs",
    "attribute",
    "blocking_maze",
    "changing_maze_specs",
    "compare",
    "dyna_maze",
    "dyna_q_spec",
    "exact_dyna_q",
    "experiment",
    "figure_8_3",
    "frontier",
    "goal_change",
    "goal_change_maze",
    "in_parallel",
    "k_step_error",
    "lead_sentence",
    "matched_chain",
    "matched_controls",
    "matched_dyna_q",
    "model_error_names",
    "model_errors",
    "mpc_ablation",
    "mpc_budget",
    "mpc_real_steps",
    "replanning",
    "replay_vs_dyna",
    "rollout_drift",
    "shortcut_maze",
    "sim_to_real",
    "sweeping_backups",
    "took_shortcut",
    "waypoint_leg",
    "waypoints",
    "with_matched_compute",
    "world_maps",
]
