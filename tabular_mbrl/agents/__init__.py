"""The agents, one algorithm per module, each read next to its box in Sutton &
Barto (2nd ed.):

================================  ==================================  =========
module                            agent                               section
================================  ==================================  =========
:mod:`.q_learning`                :class:`QLearningAgent`             6.5
:mod:`.dyna_q`                    :class:`DynaQAgent`                 8.2
:mod:`.dyna_q_plus`               :class:`DynaQPlusAgent`             8.3
:mod:`.prioritized_sweeping`      :class:`PrioritizedSweepingAgent`   8.4
:mod:`.replay`                    :class:`ReplayQAgent`               (DQN's replay)
:mod:`.rollouts`                  :class:`RolloutQAgent`              8.6
:mod:`.random_walk`               :class:`RandomWalkAgent`            8.1
:mod:`.mpc`                       :class:`RandomShootingAgent`,       8.8, 8.10
                                  :class:`ReplanningAgent`
================================  ==================================  =========

They are the reference: the lockstep engine in :mod:`tabular_mbrl.batched`
computes the same algorithms for many runs at once, and is tested against them.
"""

from .dyna_q import DynaQAgent
from .dyna_q_plus import DynaQPlusAgent
from .mpc import RandomShootingAgent, ReplanningAgent
from .prioritized_sweeping import PrioritizedSweepingAgent
from .q_learning import QLearningAgent, epsilon_greedy, greedy_action
from .random_walk import RandomWalkAgent
from .replay import ReplayQAgent
from .rollouts import RolloutQAgent

__all__ = [
    "DynaQAgent",
    "DynaQPlusAgent",
    "PrioritizedSweepingAgent",
    "QLearningAgent",
    "RandomShootingAgent",
    "RandomWalkAgent",
    "ReplanningAgent",
    "ReplayQAgent",
    "RolloutQAgent",
    "epsilon_greedy",
    "greedy_action",
]
