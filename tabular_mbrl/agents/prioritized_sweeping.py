"""Prioritized sweeping for a deterministic environment (Sutton & Barto, 2nd ed.,
section 8.4, the boxed algorithm)."""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from .._checks import check_int, check_real, check_transition
from ..models import DeterministicModel, relabel
from .q_learning import QLearningAgent


class PrioritizedSweepingAgent(QLearningAgent):
    """Plan backwards from the pairs whose values would change the most.

    The book's box, for each real step (after (a)-(c), the experiment loop):

    (d) Model(S,A) <- R, S';
    (e) P <- |R + gamma max_a Q(S',a) - Q(S,A)|;
    (f) if P > theta, insert S,A into PQueue with priority P;
    (g) repeat n times while PQueue is not empty:
        S,A <- first(PQueue); R,S' <- Model(S,A);
        Q(S,A) <- Q(S,A) + alpha [R + gamma max_a Q(S',a) - Q(S,A)];
        for all S_,A_ predicted to lead to S:
            R_ <- predicted reward; P <- |R_ + gamma max_a Q(S,a) - Q(S_,A_)|;
            if P > theta, insert S_,A_ into PQueue with priority P.

    As in the box, a real step updates Q only through the queue. A pair already
    in the queue keeps the larger of its priorities; equal priorities leave in
    the order they came in.

    Parameters
    ----------
    theta : float, default 1e-4
        Priority threshold, >= 0.
    n_planning_steps : int, default 5
        Most backups per real step (the book's n), >= 0.
    alpha, gamma, epsilon, q_init, rng
        As for :class:`QLearningAgent`.

    Attributes
    ----------
    model : DeterministicModel
    n_planning_updates : int
        Backups popped from the queue (the book's "updates").
    pair_backups : dict
        ``(state, action) -> `` how many times that pair was popped and backed
        up: with ``alpha < 1`` a pair's value moves only part of the way, so
        it comes back to the queue again and again.
    direct_rl : bool
        False: a real step backs up Q only through the queue.
    """

    direct_rl = False

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        theta: float = 1e-4,
        n_planning_steps: int = 5,
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
        self.theta = check_real("theta", theta, low=0.0)
        self.n_planning_steps = check_int("n_planning_steps", n_planning_steps, low=0)
        self.model = DeterministicModel(self.n_states, self.n_actions)
        # predecessors[s] is an ordered set of the pairs seen to lead to s.
        self.predecessors: list[dict[tuple[int, int], None]] = [
            {} for _ in range(self.n_states)
        ]
        self._queue: list[tuple[float, int, int, int]] = []  # (-P, order, S, A)
        self._priority: dict[tuple[int, int], float] = {}  # pairs in the queue
        self._order = itertools.count()
        self.pair_backups: dict[tuple[int, int], int] = {}

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        state, action, reward, next_state, terminated = check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        self.n_real_steps += 1
        self.model.update(state, action, reward, next_state, terminated)  # (d)
        self.predecessors[next_state][(state, action)] = None
        self._push(state, action, abs(self._td_error(state, action)))  # (e), (f)
        for _ in range(self.n_planning_steps):  # (g)
            if not self._priority:
                break
            state, action = self._pop()
            self.backup(state, action, *self.model.sample(state, action))
            self.n_planning_updates += 1
            pair = (state, action)
            self.pair_backups[pair] = self.pair_backups.get(pair, 0) + 1
            for pred_state, pred_action in self.predecessors[state]:
                outcome = self.model.sample(pred_state, pred_action)  # R_, S, end
                if outcome[1] == state:  # still predicted to lead to S
                    error = self.td_error(pred_state, pred_action, *outcome)
                    self._push(pred_state, pred_action, abs(error))

    def tell(self, reward_fn, terminal_fn) -> None:
        """The goal moved: relabel the model's observed outcomes (as
        :meth:`DynaQAgent.tell <tabular_mbrl.agents.DynaQAgent.tell>`)."""
        relabel(self.model, reward_fn, terminal_fn)

    def _td_error(self, state: int, action: int) -> float:
        return self.td_error(state, action, *self.model.sample(state, action))

    def _push(self, state: int, action: int, priority: float) -> None:
        if priority > self.theta and priority > self._priority.get((state, action), 0):
            self._priority[(state, action)] = priority
            heapq.heappush(self._queue, (-priority, next(self._order), state, action))

    def _pop(self) -> tuple[int, int]:
        """The pair of highest priority (skipping superseded queue entries)."""
        while True:
            negative, _, state, action = heapq.heappop(self._queue)
            if self._priority.get((state, action)) == -negative:
                del self._priority[(state, action)]
                return state, action
