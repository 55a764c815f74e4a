"""tabular_mbrl: model-based RL on gridworlds in NumPy (Sutton & Barto, ch. 8).

Agents share one shape: ``Agent(n_states, n_actions, *, alpha, gamma, epsilon,
rng, ...)`` with keyword-only hyperparameters, ``select_action(state)``,
``update(state, action, reward, next_state, terminated)``, a table ``q`` and two
counters, ``n_real_steps`` and ``n_planning_updates``. Experiments describe an
agent as an :class:`AgentSpec` (its class and hyperparameters) and run it with
:func:`run_episodes` or :func:`run_steps`; :func:`interact` is the loop they all
use. The named experiments are in :mod:`tabular_mbrl.studies`.
"""

from . import _processes  # noqa: F401  (first: one BLAS thread for the CLI)
from ._version import __version__
from .agents.dyna_q import DynaQAgent
from .agents.dyna_q_plus import DynaQPlusAgent
from .agents.mpc import RandomShootingAgent, ReplanningAgent
from .agents.prioritized_sweeping import PrioritizedSweepingAgent
from .agents.q_learning import QLearningAgent, epsilon_greedy, greedy_action
from .agents.random_walk import RandomWalkAgent
from .agents.replay import ReplayQAgent
from .agents.rollouts import RolloutQAgent
from .dynamic_programming import (
    decided_states,
    greedy_path_length,
    predict_distribution,
    shortest_path_length,
    value_iteration,
)
from .experiments import (
    Transition,
    backups_until_optimal,
    interact,
    q_midway,
    run_episodes,
    run_steps,
    tell,
)
from .models import (
    DeterministicModel,
    EmpiricalModel,
    optimistic,
    outcome_arrays,
    relabel,
    total_variation,
    transition_error,
    unknown_outcomes,
)
from .planning import (
    cross_entropy_method,
    planning_view,
    random_shooting,
    rollout_returns,
)
from .results import (
    Convergence,
    EpisodeResults,
    Series,
    StepResults,
    Study,
    confidence_interval,
    median_interval,
    policy_convergence,
    steps_to_convergence,
)
from .spec import AgentSpec

__all__ = [
    "decided_states",
    "__version__",
    "AgentSpec",
    "Convergence",
    "DeterministicModel",
    "DynaQAgent",
    "DynaQPlusAgent",
    "EmpiricalModel",
    "EpisodeResults",
    "PrioritizedSweepingAgent",
    "ReplayQAgent",
    "RolloutQAgent",
    "QLearningAgent",
    "RandomShootingAgent",
    "ReplanningAgent",
    "RandomWalkAgent",
    "Series",
    "StepResults",
    "Study",
    "Transition",
    "backups_until_optimal",
    "confidence_interval",
    "cross_entropy_method",
    "epsilon_greedy",
    "greedy_action",
    "greedy_path_length",
    "interact",
    "q_midway",
    "median_interval",
    "optimistic",
    "outcome_arrays",
    "relabel",
    "planning_view",
    "policy_convergence",
    "predict_distribution",
    "random_shooting",
    "rollout_returns",
    "run_episodes",
    "run_steps",
    "tell",
    "shortest_path_length",
    "steps_to_convergence",
    "total_variation",
    "transition_error",
    "unknown_outcomes",
    "value_iteration",
]
