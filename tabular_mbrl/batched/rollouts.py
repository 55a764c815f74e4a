"""The rollouts' twin: :class:`~tabular_mbrl.agents.RolloutQAgent` for many
runs at once.

The ``rollout-drift`` experiment needs hundreds of runs that each make 100
imagined transitions per real step; one at a time, in Python, that is minutes.
This engine makes imagined transition ``j`` of every run with a few array
operations, as :class:`~tabular_mbrl.batched.dyna_q.BatchedDynaQ` (which it extends:
epsilon-greedy and the real step's backup are its) does for planning backups.

Both learned models are one array of outcome counts here, ``(R, S, A, K)``,
in the outcome slots of the environment's model (the learner never reads the
true probabilities, only which slot an observed next state belongs to). An
empirical model adds each outcome to the counts; a deterministic model keeps
only the last one (counts of 0 but for a 1 in the last outcome's slot), so the
two kinds of model share the batch and the sampling code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_memory
from ..agents.q_learning import max_value
from ..agents.rollouts import imagined_action
from ..models import DeterministicModel, EmpiricalModel, draw_outcome, goal_array
from ..spec import AgentSpec
from . import kernels
from .dyna_q import BatchedDynaQ, counted
from .settings import Settings
from .streams import Streams


class BatchedRolloutQ(BatchedDynaQ):
    """``n_runs`` independent :class:`RolloutQAgent` learners in lockstep.

    Parameters
    ----------
    q, alpha, gamma, epsilon, rng
        As for :class:`~tabular_mbrl.batched.dyna_q.BatchedDynaQ`: one
        Generator for the batch, one per block of runs
        (:class:`~tabular_mbrl.batched.streams.Streams`), or one per run
        (drawn from in the agent's order: bit-identical to the loop on a maze
        without slip).
    outcomes : ndarray of int, shape (n_states, n_actions, K)
        The environment's outcome slots (``env.model().next_states``): where
        an observed next state is counted.
    n_rollouts, rollout_length : int or ndarray of int, shape (n_runs,)
        As for the agent; every run must make as many imagined transitions
        per real step (``n_rollouts * rollout_length``).
    empirical : bool or ndarray of bool, shape (n_runs,)
        Count every outcome (True) or keep the last one (False).

    Attributes
    ----------
    q, n_real_steps, n_planning_updates
        As for :class:`~tabular_mbrl.batched.dyna_q.BatchedDynaQ`;
        ``n_planning_updates`` counts imagined transitions.
    outcome_counts : ndarray of int, shape (n_runs, n_states, n_actions, K)
        The learned models, in the environment's outcome slots.
    outcome_rewards : ndarray of float, shape (n_runs, n_states, n_actions, K)
        Summed rewards per outcome (mean = sum / count).
    outcome_ends : ndarray of bool, shape (n_runs, n_states, n_actions, K)
        Whether the outcome ended the episode, as last seen.
    visited : ndarray of bool, shape (n_runs, n_states)
        States each run has really been in: where its rollouts start.
    """

    def __init__(
        self,
        q: np.ndarray,
        *,
        outcomes: np.ndarray,
        alpha: float | np.ndarray,
        gamma: float | np.ndarray,
        epsilon: float | np.ndarray,
        n_rollouts: int | np.ndarray,
        rollout_length: int | np.ndarray,
        empirical: bool | np.ndarray = False,
        rng: np.random.Generator | Streams | list[np.random.Generator],
    ) -> None:
        super().__init__(q, alpha=alpha, gamma=gamma, epsilon=epsilon, rng=rng)
        runs = (self.n_runs,)
        self.n_rollouts = np.broadcast_to(np.asarray(n_rollouts), runs).copy()
        self.rollout_length = np.broadcast_to(np.asarray(rollout_length), runs).copy()
        budget = set((self.n_rollouts * self.rollout_length).tolist())
        if len(budget) != 1:
            raise ValueError(
                f"n_rollouts * rollout_length == {sorted(budget)}, must be one "
                f"number for every run"
            )
        self.budget = budget.pop()
        self.empirical = np.broadcast_to(np.asarray(empirical, bool), runs).copy()
        self.outcomes = np.asarray(outcomes, dtype=np.int64)
        if self.outcomes.ndim != 3 or self.outcomes.shape[:2] != q.shape[1:]:
            raise ValueError(
                f"outcomes has shape {self.outcomes.shape}, must be (n_states, "
                f"n_actions, K) == ({q.shape[1]}, {q.shape[2]}, K)"
            )
        shape = (self.n_runs, self.n_states, self.n_actions, self.outcomes.shape[2])
        check_memory(
            f"the counted models of {self.n_runs:,} runs", int(np.prod(shape)) * 48
        )
        self.outcome_counts = np.zeros(shape, dtype=np.int64)
        self.outcome_rewards = np.zeros(shape)
        self.outcome_ends = np.zeros(shape, dtype=bool)
        # Derived from the counts and sums where update() changes them, so
        # that an imagined transition looks them up instead of computing them:
        # each outcome's running count over the slots, and its mean reward.
        self._cumulative_counts = np.zeros(shape, dtype=np.int64)
        self._mean_rewards = np.zeros(shape)
        # Whether a state has no known action yet (where a rollout stops), at
        # its row: [run, state, 0], so that a row looks it up directly.
        self._no_action = np.ones(q.shape, dtype=bool)
        self._rows: np.ndarray | None = None  # see _next_rows

    _PER_RUN = BatchedDynaQ._PER_RUN + (
        "n_rollouts",
        "rollout_length",
        "outcome_counts",
        "outcome_rewards",
        "outcome_ends",
        "_cumulative_counts",
        "_mean_rewards",
        "_no_action",
    )
    _visits_needed = True  # rollouts start from states really visited

    @classmethod
    def from_specs(
        cls, specs: list[AgentSpec], *, n_runs: int, maze: Any, rng: Any
    ) -> BatchedRolloutQ:
        """``n_runs`` runs of each of ``specs`` (:class:`RolloutQAgent`
        settings with as many imagined transitions per real step, any mix),
        checked by the agent (:meth:`AgentSpec.checked`), on ``maze``'s
        outcome slots (a maze whose walls do not move)."""
        reason = cls.unsupported_maze(maze)
        if reason:
            raise ValueError(f"the rollouts' twin cannot run this maze: {reason}")
        settings = Settings(specs, n_runs, maze)
        engine = cls(
            settings.q(),
            outcomes=maze.model_at(0).next_states,
            alpha=settings.per_run("alpha"),
            gamma=settings.per_run("gamma"),
            epsilon=settings.per_run("epsilon"),
            n_rollouts=settings.per_run("n_rollouts"),
            rollout_length=settings.per_run("rollout_length"),
            empirical=settings.where(counted),
            rng=rng,
        )
        engine.untold = settings.untold()
        return engine

    @staticmethod
    def fusion_key(spec: AgentSpec) -> str:
        """Settings that imagine as many transitions per real step share a
        batch (each transition of the step is one row of array operations)."""
        hyper = spec.hyperparameters
        return f"rollouts budget={hyper['n_rollouts'] * hyper['rollout_length']}"

    mixes = False  # one budget of imagined transitions per batch

    @staticmethod
    def unsupported(spec: AgentSpec, streams: str) -> str:
        """Why this twin cannot run ``spec`` (a one-line reason), or ``''``."""
        model = spec.params.get("model")
        if model not in (None, DeterministicModel, EmpiricalModel):
            name = model.__name__ if isinstance(model, type) else type(model).__name__
            return (
                f"it learns a DeterministicModel or an EmpiricalModel (given as "
                f"the class), not {name}"
            )
        return ""

    @staticmethod
    def unsupported_maze(maze: Any) -> str:
        """Why this twin cannot run on ``maze`` (``''``: it can)."""
        if maze.change_at is not None:
            return (
                "it counts outcomes in the maze's outcome slots, which move when "
                "its walls do"
            )
        return ""

    @property
    def visited(self) -> np.ndarray:
        """States each run has really been in, ``(n_runs, n_states)``."""
        return self._visited

    def update(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
        imagine: bool = True,
    ) -> None:
        """One real transition per run: its backup, the models, and (unless
        ``imagine`` is False, e.g. in a warm-up) the rollouts."""
        super().update(states, actions, rewards, next_states, terminated)
        runs = self._runs
        slot = (self.outcomes[states, actions] == next_states[:, None]).argmax(axis=1)
        forget = ~self.empirical  # a deterministic model keeps the last outcome
        self.outcome_counts[runs[forget], states[forget], actions[forget]] = 0
        self.outcome_rewards[runs[forget], states[forget], actions[forget]] = 0.0
        self.outcome_counts[runs, states, actions, slot] += 1
        self.outcome_rewards[runs, states, actions, slot] += rewards
        self.outcome_ends[runs, states, actions, slot] = terminated
        self._no_action[runs, states, 0] = False
        counts = self.outcome_counts[runs, states, actions]  # (R, K)
        self._cumulative_counts[runs, states, actions] = counts.cumsum(axis=1)
        self._mean_rewards[runs, states, actions] = np.divide(
            self.outcome_rewards[runs, states, actions],
            counts,
            out=np.zeros(counts.shape),
            where=counts > 0,
        )
        if imagine:
            self.rollouts()

    def tell(self, reward_fn, terminal_fn) -> None:
        """Tell every run's model that the goal moved, as
        :meth:`RolloutQAgent.tell <tabular_mbrl.agents.RolloutQAgent.tell>`
        does for one: each outcome a run has observed gets ``reward_fn(states,
        actions, next_states)`` and ``terminal_fn(...)``, and its rollouts
        imagine the new goal from then on."""
        super().tell(reward_fn, terminal_fn)  # the real steps' own model
        shape = self.outcome_counts.shape
        s, a = (i[None, ..., None] for i in np.indices(shape[1:3]))
        successors = np.broadcast_to(self.outcomes, shape)
        rewards = goal_array(reward_fn, "reward_fn", s, a, successors, float)
        ends = goal_array(terminal_fn, "terminal_fn", s, a, successors, bool)
        seen = self.outcome_counts > 0
        self.outcome_rewards[seen] = (rewards * self.outcome_counts)[seen]
        self.outcome_ends[seen] = ends[seen]
        self._mean_rewards[...] = np.divide(
            self.outcome_rewards,
            self.outcome_counts,
            out=np.zeros(shape),
            where=seen,
        )

    def _next_rows(self) -> np.ndarray:
        """The row of each outcome's next state, flat over (run, state,
        action, slot); built again when runs have left the batch."""
        size = self.n_runs * self.outcomes.size
        if self._rows is None or self._rows.size != size:
            runs = np.arange(self.n_runs)[:, None, None, None] * self.n_states
            self._rows = ((runs + self.outcomes) * self.n_actions).reshape(-1)
        return self._rows

    def rollouts(self) -> None:
        """``n_rollouts * rollout_length`` imagined transitions for every run:
        transition ``j`` of all runs at once.

        A run whose table is still all zero and that has seen no reward but 0
        (``_idle``, see :class:`~tabular_mbrl.batched.dyna_q.BatchedDynaQ`) would
        back up only 0 onto 0: its rollouts are counted but not made.
        """
        n_actions, n_slots = self.n_actions, self.outcomes.shape[2]
        # One draw per run and transition: tie-breaking noise for each action,
        # then whether to explore, which known action, which outcome and which
        # start state.
        explore_at, pick_at, outcome_at, start_at = range(n_actions, n_actions + 4)
        width, budget = n_actions + 4, self.budget
        self.n_planning_updates += budget
        if self._rngs is not None:  # each run as its own agent, in its order
            for run, rng in enumerate(self._rngs):
                for _ in range(int(self.n_rollouts[run])):
                    self._rollout_of_one_run(run, int(self.rollout_length[run]), rng)
            return
        todo = np.flatnonzero(~self._idle)
        if todo.size == 0 or budget == 0:
            return
        u = self._draws((budget, width), todo)
        n_states = self.n_states
        # Flat tables and ``take``: each gathered array has one row per action
        # (or outcome slot) and one column per run, so the reductions run
        # along a long first axis. (Far faster in NumPy than fancy indexing
        # and reducing along a short last axis; the arithmetic is the same.)
        # A run's place is a "row": the flat index of its state's first action.
        q, observed = self.q.reshape(-1), self.observed.reshape(-1)
        cumulative_counts = self._cumulative_counts.reshape(-1)
        mean_rewards = self._mean_rewards.reshape(-1)
        terminal = self.outcome_ends.reshape(-1)
        no_action = self._no_action.reshape(-1)
        next_rows = self._next_rows()
        each_action = np.arange(n_actions)[:, None]
        each_slot = np.arange(n_slots)[:, None]
        n_visited = self._n_visited[todo]
        # restart[j]: the runs whose rollout j-th transition starts a rollout.
        restart = np.arange(budget)[:, None] % self.rollout_length[todo] == 0
        alpha, gamma = self.alpha[todo], self.gamma[todo]
        epsilon = self.epsilon[todo]
        first = todo * n_states  # visit_order row starts, flat
        visit_order = self._visit_order.reshape(-1)
        row = np.full(todo.size, -1)  # -1: no state (a rollout starts)
        for j in range(budget):
            draw = u[j]
            start = (row < 0) | restart[j]
            if start.any():  # drawn for every run, kept where one starts
                index = (draw[start_at] * n_visited).astype(np.int64)
                states = visit_order.take(first + index)
                row = np.where(start, (first + states) * n_actions, row)
            cells = row + each_action  # (A, R)
            known = observed.take(cells)
            values = np.where(known, q.take(cells), -np.inf)
            action = kernels.greedy_with_ties(values, draw[:n_actions], axis=0)
            n_known = known.sum(axis=0)
            explore = (draw[explore_at] < epsilon) & (n_known > 1)
            if explore.any():
                pick = (draw[pick_at, explore] * n_known[explore]).astype(np.int64)
                order = known[:, explore].cumsum(axis=0)
                action[explore] = (order > pick).argmax(axis=0)
            cell = row + action
            chosen = cell * n_slots  # the pair's first outcome slot
            if n_slots > 1:  # else every known pair has its one outcome
                cumulative = cumulative_counts.take(chosen + each_slot)  # (K, R)
                chosen += (draw[outcome_at] * cumulative[-1] >= cumulative).sum(axis=0)
            reward = mean_rewards.take(chosen)
            ended = terminal.take(chosen)
            next_row = next_rows.take(chosen)
            next_cells = next_row + each_action
            best_next = q.take(next_cells).max(axis=0)
            kernels.backup(q, cell, reward, gamma * ~ended, best_next, alpha)
            ended |= no_action.take(next_row)
            row = np.where(ended, -1, next_row)

    def _draws(self, shape: tuple[int, int], todo: np.ndarray) -> np.ndarray:
        """Uniform numbers ``shape + (len(todo),)`` for the runs ``todo``
        (sorted), each block of the batch's streams drawing for its own."""
        blocks = list(self._rng.blocks())
        if len(blocks) == 1:  # one stream: one draw
            return blocks[0][0].random((*shape, todo.size))
        parts = []
        for rng, rows in blocks:
            mine = int(((todo >= rows.start) & (todo < rows.stop)).sum())
            if mine:
                parts.append(rng.random((*shape, mine)))
        return np.concatenate(parts, axis=2)

    def _rollout_of_one_run(self, run: int, length: int, rng) -> None:
        """One imagined trajectory of run ``run``, in plain Python, drawing
        from its own Generator as :meth:`RolloutQAgent.rollout
        <tabular_mbrl.agents.RolloutQAgent.rollout>` does (the same draws,
        the same arithmetic, so the same bits)."""
        q, observed = self.q[run], self.observed[run]
        visits = self._visit_order[run, : self._n_visited[run]].tolist()
        epsilon, gamma = float(self.epsilon[run]), float(self.gamma[run])
        alpha = float(self.alpha[run])
        counts = self.outcome_counts[run]
        state = -1
        for _ in range(length):
            if state < 0:
                state = visits[rng.integers(len(visits))]
            known = np.flatnonzero(observed[state]).tolist()
            action = imagined_action(q[state], known, epsilon, rng)
            seen = counts[state, action].tolist()
            if self.empirical[run]:  # an EmpiricalModel draws its outcome
                slot = draw_outcome(seen, rng)
            else:  # a DeterministicModel keeps the last outcome
                slot = int(np.argmax(seen))
            reward = float(self._mean_rewards[run, state, action, slot])
            ended = bool(self.outcome_ends[run, state, action, slot])
            next_state = int(self.outcomes[state, action, slot])
            if ended:
                target = reward
            else:
                target = reward + gamma * max_value(q[next_state])
            q[state, action] += alpha * (target - q[state, action])
            state = -1 if ended or not observed[next_state].any() else next_state
