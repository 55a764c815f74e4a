"""Replay's twin: :class:`~tabular_mbrl.agents.ReplayQAgent` for many runs at
once.

Every run's replay memory is a ring of ``capacity`` slots, ``(n_runs,
capacity)`` arrays of states, actions, rewards, next states and end flags.
All runs take one real step per iteration, so real step ``t`` of every run
goes into slot ``t % capacity``: the per-run agent's list, slot for slot (it
appends, then overwrites its oldest transition first). Replay ``i`` of a real
step is one backup for every run, as Dyna-Q's planning backups are in
:class:`~tabular_mbrl.batched.dyna_q.BatchedDynaQ`, which this twin extends (its
epsilon-greedy and real-step backup are those of Q-learning).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_memory
from ..spec import AgentSpec
from . import kernels
from .dyna_q import BatchedDynaQ
from .settings import Settings
from .streams import Streams


class BatchedReplayQ(BatchedDynaQ):
    """``n_runs`` independent :class:`ReplayQAgent` learners in lockstep.

    Parameters
    ----------
    q, alpha, gamma, epsilon, rng
        As for :class:`~tabular_mbrl.batched.BatchedDynaQ`; with one
        Generator per run (``streams="per-run"``) each run draws its replays
        as the per-run agent does, so results are bit-identical to the loop
        on an environment without slip.
    n_replay_steps : int
        Replays per real step, the same for every run.
    capacity : int
        Transitions each memory holds.

    Attributes
    ----------
    q, n_real_steps, n_planning_updates
        As for :class:`~tabular_mbrl.batched.BatchedDynaQ`;
        ``n_planning_updates`` counts replays.
    """

    def __init__(
        self,
        q: np.ndarray,
        *,
        alpha: float | np.ndarray,
        gamma: float | np.ndarray,
        epsilon: float | np.ndarray,
        n_replay_steps: int,
        capacity: int,
        rng: np.random.Generator | Streams | list[np.random.Generator],
    ) -> None:
        super().__init__(q, alpha=alpha, gamma=gamma, epsilon=epsilon, rng=rng)
        self.n_replay_steps = int(n_replay_steps)
        self.capacity = int(capacity)
        check_memory(
            f"{self.n_runs:,} replay memories of {self.capacity:,} transitions",
            self.n_runs * self.capacity * 40,
        )
        shape = (self.n_runs, self.capacity)
        self.memory_states = np.zeros(shape, dtype=np.int64)
        self.memory_actions = np.zeros(shape, dtype=np.int64)
        self.memory_rewards = np.zeros(shape)
        self.memory_next = np.zeros(shape, dtype=np.int64)
        self.memory_ends = np.zeros(shape, dtype=bool)

    _PER_RUN = BatchedDynaQ._PER_RUN + (
        "memory_states",
        "memory_actions",
        "memory_rewards",
        "memory_next",
        "memory_ends",
    )

    @classmethod
    def from_specs(
        cls, specs: list[AgentSpec], *, n_runs: int, maze: Any, rng: Any
    ) -> BatchedReplayQ:
        """``n_runs`` runs of each of ``specs``, replay settings with one
        fusion key (as many replays, as large a memory), checked by the agent
        (:meth:`AgentSpec.checked`)."""
        settings = Settings(specs, n_runs, maze)
        engine = cls(
            settings.q(),
            alpha=settings.per_run("alpha"),
            gamma=settings.per_run("gamma"),
            epsilon=settings.per_run("epsilon"),
            n_replay_steps=settings.agents[0].n_replay_steps,
            capacity=settings.agents[0].capacity,
            rng=rng,
        )
        engine.untold = settings.untold()
        return engine

    @staticmethod
    def fusion_key(spec: AgentSpec) -> str:
        """Only settings with as many replays and as large a memory share a
        batch (the replay loop and the ring of slots are the batch's)."""
        hyper = spec.hyperparameters
        return f"replay n={hyper['n_replay_steps']} capacity={hyper['capacity']}"

    mixes = False

    @staticmethod
    def unsupported(spec: AgentSpec, streams: str) -> str:
        """Why this twin cannot run ``spec``: nothing it is given."""
        return ""

    def update(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """One real transition per run: its backup, into the memory, replays."""
        slot = self.n_real_steps % self.capacity  # before the step is counted
        super().update(states, actions, rewards, next_states, terminated)
        self.memory_states[:, slot] = states
        self.memory_actions[:, slot] = actions
        self.memory_rewards[:, slot] = rewards
        self.memory_next[:, slot] = next_states
        self.memory_ends[:, slot] = terminated
        self.replay(self.n_replay_steps)

    def replay(self, n: int) -> None:
        """``n`` backups for every run on transitions drawn uniformly from
        its memory, one after another."""
        if n == 0:
            return
        held = min(self.n_real_steps, self.capacity)
        if self._rngs is not None:  # each run draws as its own agent would
            drawn = np.array([rng.integers(held, size=n) for rng in self._rngs]).T
        else:
            drawn = self._rng.columns(
                lambda rng, m, rows: (
                    rng.random((m, rows.stop - rows.start)) * held
                ).astype(np.int64),
                np.full(self.n_runs, n),
                n,
            )
        runs = self._runs[None, :]
        states = self.memory_states[runs, drawn]  # (n, R)
        cells = self._base + states * self.n_actions + self.memory_actions[runs, drawn]
        rewards = self.memory_rewards[runs, drawn]
        discounts = self.gamma * ~self.memory_ends[runs, drawn]
        next_rows = self._base + self.memory_next[runs, drawn] * self.n_actions
        next_cells = next_rows[..., None] + np.arange(self.n_actions)
        kernels.backups_in_turn(
            self.q.reshape(-1), cells, rewards, discounts, next_cells, self.alpha
        )
        self.n_planning_updates += n
        self.n_backups_counted += n * self.n_runs
        self.n_backups_computed += n * self.n_runs
        self.n_backup_loops += n
