"""Q-learning with experience replay: the model-free cousin of Dyna-Q.

DQN's replay memory is a list of real transitions; Dyna-Q's model is a table
of them, one (the latest) per state-action pair. Both feed extra Q-learning
backups between real steps. The differences are what the ``replay-vs-dyna``
experiment measures: replay draws transitions as often as they happened and
keeps old ones until they age out of the memory; Dyna draws each known pair
equally often, and its model keeps only the latest outcome of each.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int, check_transition
from .q_learning import QLearningAgent


class ReplayQAgent(QLearningAgent):
    """Q-learning plus ``n_replay_steps`` backups per real step on transitions
    drawn uniformly from a memory of the last ``capacity`` real transitions.

    For each real step: the Q-learning backup of the transition (S&B eq.
    6.8), the transition stored (the oldest one dropped when the memory is
    full: first in, first out), then ``n_replay_steps`` transitions drawn
    uniformly, with replacement, from the memory and backed up the same way.
    With ``n_replay_steps=0`` it is :class:`QLearningAgent`, step for step.

    Parameters
    ----------
    n_states, n_actions, alpha, gamma, epsilon, q_init, rng
        As for :class:`QLearningAgent`.
    n_replay_steps : int, default 5
        Replayed backups per real step, >= 0.
    capacity : int, default 10_000
        Transitions the memory holds, >= 1.

    Attributes
    ----------
    q, n_real_steps
        As for :class:`QLearningAgent`.
    n_planning_updates : int
        Replayed backups: ``n_replay_steps * n_real_steps``. Counted with the
        planning backups of Dyna-Q, so that the two compare at equal updates
        per real step.
    memory : ndarray of float, shape (min(n_real_steps, capacity), 5)
        The transitions held, oldest first: state, action, reward, next
        state, terminated.
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        n_replay_steps: int = 5,
        capacity: int = 10_000,
        alpha: float = 0.1,
        gamma: float = 0.95,
        epsilon: float = 0.1,
        q_init: float = 0.0,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__(
            n_states,
            n_actions,
            alpha=alpha,
            gamma=gamma,
            epsilon=epsilon,
            q_init=q_init,
            rng=rng,
        )
        self.n_replay_steps = check_int("n_replay_steps", n_replay_steps, low=0)
        self.capacity = check_int("capacity", capacity, low=1)
        self._memory: list[tuple[int, int, float, int, bool]] = []
        self._next = 0  # where the next transition goes once the memory is full

    @property
    def memory(self) -> np.ndarray:
        held = self._memory[self._next :] + self._memory[: self._next]
        return np.array(held, dtype=float).reshape(-1, 5)

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """The Q-learning backup of the real transition, store it, replay."""
        transition = check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        super().update(*transition)
        if len(self._memory) < self.capacity:
            self._memory.append(transition)
        else:  # first in, first out
            self._memory[self._next] = transition
            self._next = (self._next + 1) % self.capacity
        self.replay(self.n_replay_steps)

    def replay(self, n: int) -> None:
        """``n`` backups on transitions drawn uniformly from the memory."""
        if check_int("n", n, low=0) == 0:
            return
        if not self._memory:
            raise RuntimeError(
                "replay() called before any real step; call update() with a real "
                "transition first"
            )
        for i in self.rng.integers(len(self._memory), size=n).tolist():
            self.backup(*self._memory[i])
            self.n_planning_updates += 1
