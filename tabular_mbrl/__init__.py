"""tabular_mbrl: model-based RL on gridworlds in NumPy (Sutton & Barto, ch. 8).

Agents share one shape: ``Agent(n_states, n_actions, *, alpha, gamma, epsilon,
rng, ...)`` with ``select_action(state)``, ``update(state, action, reward,
next_state, terminated)``, a table ``q`` and two counters, ``n_real_steps`` and
``n_planning_updates``.
"""

from .dyna_q import DynaQAgent
from .dyna_q_plus import DynaQPlusAgent
from .dynamic_programming import (
    greedy_path_length,
    predict_distribution,
    shortest_path_length,
    value_iteration,
)
from .experiments import (
    EpisodeResults,
    StepResults,
    backups_until_optimal,
    confidence_interval,
    run_episodes,
    run_steps,
    steps_to_convergence,
)
from .models import DeterministicModel, EmpiricalModel, outcome_arrays
from .mpc import (
    RandomShootingAgent,
    cross_entropy_method,
    planning_view,
    random_shooting,
    rollout_returns,
)
from .prioritized_sweeping import PrioritizedSweepingAgent
from .q_learning import QLearningAgent, epsilon_greedy, greedy_action

__version__ = "0.1.0"

__all__ = [
    "DeterministicModel",
    "RandomShootingAgent",
    "cross_entropy_method",
    "planning_view",
    "random_shooting",
    "rollout_returns",
    "DynaQAgent",
    "DynaQPlusAgent",
    "EmpiricalModel",
    "EpisodeResults",
    "backups_until_optimal",
    "PrioritizedSweepingAgent",
    "QLearningAgent",
    "StepResults",
    "confidence_interval",
    "epsilon_greedy",
    "greedy_action",
    "greedy_path_length",
    "outcome_arrays",
    "predict_distribution",
    "run_episodes",
    "run_steps",
    "shortest_path_length",
    "steps_to_convergence",
    "value_iteration",
]
