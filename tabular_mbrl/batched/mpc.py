"""MPC's twin: many independent runs of random-shooting MPC
(:class:`~tabular_mbrl.agents.RandomShootingAgent`) in lockstep.

Each run has its own learned deterministic model, stored as arrays of shape
``(n_runs, n_states, n_actions)``, and plans as the per-run agent does: the
optimistic planning view of its model (never-observed pairs end the rollout
worth ``unknown_value``), value iteration for terminal values (warm-started,
and only when the run's model changed since its last one), ``n_candidates``
uniform random sequences of ``horizon`` actions rolled out in the model, the
first action of a best one, ties broken at random. What the loop agent does
one run at a time, this does for every run at once: the candidates of all
runs are one array ``(n_runs, n_candidates)`` stepped through the horizon,
and the sweeps of value iteration cover every run whose model changed.

The guarantees are the batched engine's (:mod:`tabular_mbrl.batched`): with one
Generator per run, results are bit-identical to the loop engine on mazes
without slip; with one stream per block of runs, the same distributions.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .._checks import check_memory
from ..agents.mpc import VALUE_TOLERANCE
from ..models import goal_array, unknown_outcomes
from ..planning import RewardFn, candidate_sequences, n_sequences
from ..spec import AgentSpec
from . import kernels
from .settings import Settings
from .streams import Streams, size


class BatchedMPC:
    """``n_runs`` independent random-shooting MPC agents on learned
    deterministic models (S&B sections 8.8 and 8.10).

    Parameters
    ----------
    n_runs, n_states, n_actions : int
    horizon, n_candidates, gamma, epsilon, unknown_value, terminal_value, kappa
        As :class:`~tabular_mbrl.agents.RandomShootingAgent` stores them, one
        value for the batch (checked by the agent: see :meth:`from_specs`).
        ``unknown_value`` is the worth of a never-observed pair (None: the
        models' rule, stay with reward 0); ``kappa`` the staleness bonus
        ``kappa * sqrt(tau)`` on every pair's reward in the rollouts (not in
        the values).
    rng : Streams or list of Generator
        One stream per block of runs (:class:`~tabular_mbrl.batched.Streams`),
        or one Generator per run, drawn from in the per-run agent's order.

    Attributes
    ----------
    n_real_steps : int
    n_planning_updates : ndarray of int, shape (n_runs,)
        All the model work per run, as the per-run agent counts it: model
        transitions simulated (``n_candidates * horizon`` per planned
        decision, fewer when every sequence is scored) plus
        ``n_value_backups``.
    n_value_backups : ndarray of int, shape (n_runs,)
        Value-iteration backups per run, ``S * A`` per sweep.
    """

    def __init__(
        self,
        n_runs: int,
        n_states: int,
        n_actions: int,
        *,
        horizon: int,
        n_candidates: int,
        gamma: float,
        epsilon: float,
        unknown_value: float | None,
        terminal_value: str | np.ndarray | None,
        rng,
        kappa: float = 0.0,
    ) -> None:
        self.n_runs, self.n_states, self.n_actions = n_runs, n_states, n_actions
        self.horizon, self.n_candidates = horizon, n_candidates
        self.gamma, self.epsilon, self.kappa = gamma, epsilon, kappa
        self.unknown_value = unknown_value
        self.iterate_values = isinstance(terminal_value, str)  # value iteration
        if terminal_value is None or self.iterate_values:
            values = np.zeros(n_states)
        else:
            values = np.asarray(terminal_value, dtype=float)
        self._use_values = terminal_value is not None
        self.values = np.broadcast_to(values, (n_runs, n_states)).copy()
        if isinstance(rng, list) and len(rng) == n_runs:
            self._rngs, self._rng = rng, None
        elif isinstance(rng, Streams) and rng.counts.sum() == n_runs:
            self._rngs, self._rng = None, rng
        else:
            raise TypeError(
                f"rng == {rng!r}, must be a list of {n_runs} Generators or "
                f"Streams over the {n_runs} runs"
            )
        shape = (n_runs, n_states, n_actions)
        check_memory(
            f"a batch of {n_runs:,} MPC runs on {n_states:,} states",
            n_runs * (n_states + 1) * n_actions * 64,
        )
        self.model_next, self.model_reward, self.model_terminated = (
            np.broadcast_to(rule, shape).copy()
            for rule in unknown_outcomes(n_states, n_actions)
        )
        self.observed = np.zeros(shape, dtype=bool)
        self.last_tried = np.zeros(shape, dtype=np.int64)  # real step, 0: never
        self._stale = np.ones(n_runs, dtype=bool)  # model changed since last VI
        self.reward_fn = self.terminal_fn = None  # a goal handed over mid-run
        self._flat: tuple | None = None  # _flat_model's, for every run
        self.n_real_steps = 0
        self.n_planning_updates = np.zeros(n_runs, dtype=np.int64)
        self.n_value_backups = np.zeros(n_runs, dtype=np.int64)
        self._runs = np.arange(n_runs)

    _PER_RUN = (
        "values",
        "model_next",
        "model_reward",
        "model_terminated",
        "observed",
        "last_tried",
        "_stale",
        "n_planning_updates",
        "n_value_backups",
    )

    @classmethod
    def from_specs(
        cls, specs: list[AgentSpec], *, n_runs: int, maze: Any, rng: Any
    ) -> BatchedMPC:
        """``n_runs`` runs of each of ``specs``, MPC settings with one fusion
        key (equal settings: the horizon and the candidates shape the batch),
        checked by the agent (:meth:`AgentSpec.checked`)."""
        if len({cls.fusion_key(spec) for spec in specs}) > 1:
            raise ValueError("BatchedMPC runs equal settings only (one fusion key)")
        agent = Settings(specs[:1], n_runs, maze).agents[0]
        return cls(
            len(specs) * n_runs,
            maze.n_states,
            maze.n_actions,
            rng=rng,
            **{name: getattr(agent, name) for name in _SETTINGS},
        )

    @staticmethod
    def fusion_key(spec: AgentSpec) -> tuple:
        """Only equal MPC settings share a batch: equal to the bit, arrays of
        terminal values included."""
        return ("mpc", *((name, _exact(v)) for name, v in spec.hyperparameters.items()))

    mixes = False

    @staticmethod
    def unsupported(spec: AgentSpec, streams: str) -> str:
        """Why this twin cannot run ``spec`` (a one-line reason), or ``''``."""
        params = spec.params
        if params.get("model") is not None:
            return "its MPC plans on a DeterministicModel it learns, not a given model"
        for name in ("reward_fn", "terminal_fn"):
            if params.get(name) is not None:
                return f"its MPC plans on the learned model's rewards, not a {name}"
        if params.get("planner", "random_shooting") != "random_shooting":
            return "its MPC plans by random shooting, not the cross-entropy method"
        return ""

    @staticmethod
    def unsupported_maze(maze: Any) -> str:
        """Why this twin cannot run on ``maze`` (``''``: it can, any maze)."""
        return ""

    def tell(self, reward_fn: RewardFn, terminal_fn: RewardFn) -> None:
        """The goal moved: every run plans with ``reward_fn`` and
        ``terminal_fn`` from its next decision on, as
        :meth:`RandomShootingAgent.tell` does for one."""
        self.reward_fn, self.terminal_fn = reward_fn, terminal_fn

    def keep(self, runs: np.ndarray) -> None:
        """Keep only the runs of the boolean mask ``runs``."""
        runs = np.asarray(runs, dtype=bool)
        for name in self._PER_RUN:
            setattr(self, name, getattr(self, name)[runs])
        if self._rngs is not None:
            kept = zip(self._rngs, runs, strict=True)
            self._rngs = [rng for rng, keep in kept if keep]
        else:
            self._rng.keep(runs)
        self.n_runs = len(self.values)
        self._runs = np.arange(self.n_runs)
        self._flat = None

    def _planning_view(
        self, bonus: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Next states, rewards and terminal flags ``(R, S, A)`` as the
        planner sees them: ``reward_fn`` and ``terminal_fn``, if set, in place
        of the models' own; with ``bonus``, the staleness bonus (rollouts
        only); then optimism for never-observed pairs, if set (as
        :func:`~tabular_mbrl.planning.planning_view`)."""
        rewards, terminated = self.model_reward, self.model_terminated
        if self.reward_fn is not None or self.terminal_fn is not None:
            s, a = (i[None] for i in np.indices((self.n_states, self.n_actions)))
            if self.reward_fn is not None:
                rewards = goal_array(
                    self.reward_fn, "reward_fn", s, a, self.model_next, float
                )
            if self.terminal_fn is not None:
                terminated = goal_array(
                    self.terminal_fn, "terminal_fn", s, a, self.model_next, bool
                )
        if bonus and self.kappa:  # kappa * sqrt(tau), as the agent's rollouts
            tau = self.n_real_steps - self.last_tried
            rewards = rewards + kernels.staleness_bonus(self.kappa, tau)
        if self.unknown_value is None:
            return self.model_next, rewards, terminated
        rewards = np.where(self.observed, rewards, self.unknown_value)
        terminated = np.where(self.observed, terminated, True)
        return self.model_next, rewards, terminated

    def _update_values(self, view, planning: np.ndarray) -> None:
        """Value iteration, warm-started, for the planning runs whose model
        changed since their last one; each run stops at its own sweep of
        convergence, as alone."""
        todo = planning[self._stale[planning]]
        if todo.size == 0:
            return
        next_states, rewards, terminated = (part[todo] for part in view)
        v, sweeps = kernels.iterate_values(
            self.values[todo],
            next_states,
            rewards,
            terminated,
            self.gamma,
            VALUE_TOLERANCE,
        )
        backups = sweeps * self.n_states * self.n_actions  # S * A per sweep, K = 1
        self.n_value_backups[todo] += backups
        self.n_planning_updates[todo] += backups
        self.values[todo] = v
        self._stale[todo] = False
        self._flat = None  # the values changed

    def select_actions(self, states: np.ndarray) -> np.ndarray:
        """One action per run: random with probability ``epsilon``, else the
        first action of the best of ``n_candidates`` random sequences (of every
        sequence, when there are no more: see
        :func:`~tabular_mbrl.planning.candidate_sequences`)."""
        runs, n_actions = self.n_runs, self.n_actions
        count = n_sequences(n_actions, self.horizon, self.n_candidates)
        shape = (count, self.horizon)
        # Every sequence when there are no more than n_candidates: no draws.
        every = n_actions**self.horizon <= self.n_candidates
        grid = _every_sequence(n_actions, self.horizon) if every else None
        explore = np.zeros(runs, dtype=bool)
        random_actions = np.zeros(runs, dtype=np.int64)
        if self._rngs is not None:  # each run's own draws, in the agent's order
            sequences = np.zeros((runs, *shape), dtype=np.int64)
            for run, rng in enumerate(self._rngs):
                if self.epsilon > 0 and rng.random() < self.epsilon:
                    explore[run] = True
                    random_actions[run] = rng.integers(n_actions)
                else:
                    sequences[run] = (
                        grid if every else rng.integers(n_actions, size=shape)
                    )
        else:
            if self.epsilon > 0:
                u = self._rng.rows(lambda rng, rows: rng.random(size(rows)))
                explore = u < self.epsilon
                random_actions = kernels.explore(u, self.epsilon, n_actions, explore)
            if every:  # one grid for every run: see below
                sequences = None
            else:
                sequences = self._rng.rows(
                    lambda rng, rows: rng.integers(n_actions, size=(size(rows), *shape))
                )
        planning = np.flatnonzero(~explore)
        if self.reward_fn is not None or self.terminal_fn is not None:
            self._stale[:] = True  # as the agent: a goal may change any time
        actions = random_actions
        if planning.size:
            chosen = (  # the planning runs' sequences (every one: a view, no copy)
                np.broadcast_to(grid, (planning.size, *shape))
                if sequences is None
                else sequences[planning]
            )
            returns = self._rollouts(states[planning], chosen, planning)
            actions = actions.copy()
            actions[planning] = self._best_first(chosen, returns, planning)
            self.n_planning_updates[planning] += count * self.horizon
        return actions

    def _rollouts(self, states, sequences, planning) -> np.ndarray:
        """Discounted returns ``(P, n_candidates)`` of the planning runs."""
        flat, models = self._flat_model(planning)
        return self._roll(flat, models, states, sequences)

    def _flat_model(self, planning: np.ndarray) -> tuple[tuple, np.ndarray]:
        """The planning runs' models as the rollouts step through them, and
        each planning run's model among them (see :meth:`_flatten`).

        Without a goal handed over (which may change the rewards at every
        step), the flat arrays hold every run and are kept until a model or
        its values change: the same numbers, built less often. A staleness
        bonus changes only the rewards at each step: they alone are built
        again."""
        keep = self.reward_fn is None and self.terminal_fn is None
        stale = self.iterate_values and self._stale[planning].any()
        if keep and self._flat is not None and not stale:
            return self._with_bonus(self._flat), planning
        view = self._planning_view()
        if self.iterate_values:  # values without the bonus, as the agent's
            self._update_values(view, planning)
        if keep:
            self._flat = self._flatten(*view, self.values)
            return self._with_bonus(self._flat), planning
        if self.kappa:  # the rollouts see the bonus
            view = self._planning_view(bonus=True)
        flat = self._flatten(*(part[planning] for part in view), self.values[planning])
        return flat, np.arange(len(planning))

    def _with_bonus(self, flat: tuple) -> tuple:
        """``flat`` (every run's, see :meth:`_flatten`) with the rollouts'
        rewards carrying the staleness bonus of this step, if any."""
        if not self.kappa:
            return flat
        rewards = self._planning_view(bonus=True)[1]
        padding = np.zeros((self.n_runs, 1, self.n_actions))
        return flat[0], np.concatenate([rewards, padding], 1).reshape(-1), flat[2]

    def _flatten(self, next_states, rewards, terminated, values) -> tuple:
        """Models ``(P, S, A)`` (and state values ``(P, S)``) as flat
        ``(P, S + 1, A)`` arrays in which state S of each model is absorbing,
        worth 0, and every terminal transition leads there, so no rollout
        needs a "still running" mask. A position is the flat index of a
        state's first pair; adding the action gives the pair. Returns the
        next positions and rewards per pair, and the terminal value per
        position."""
        n_runs, n_states, n_actions = next_states.shape
        ends = np.full((n_runs, 1, n_actions), n_states)
        to = np.concatenate([np.where(terminated, n_states, next_states), ends], 1)
        to += (np.arange(n_runs) * (n_states + 1))[:, None, None]
        rewards = np.concatenate([rewards, np.zeros((n_runs, 1, n_actions))], 1)
        padded = np.zeros((n_runs, n_states + 1))
        if self._use_values:
            padded[:, :n_states] = values
        return (
            (to * n_actions).reshape(-1),
            rewards.reshape(-1),
            np.repeat(padded.reshape(-1), n_actions),
        )

    def _roll(self, flat, models, states, sequences) -> np.ndarray:
        """Returns ``(P, C)`` of the sequences ``(P, C, horizon)`` from
        ``states`` ``(P,)``, row ``p`` in model ``models[p]`` of ``flat``.
        Per step: one add and two takes over the candidates."""
        to, rewards, values = flat
        at = ((models * (self.n_states + 1) + states) * self.n_actions)[:, None]
        steps = sequences.transpose(2, 0, 1)  # (horizon, P, C)
        returns = np.zeros(sequences.shape[:2])
        discount = 1.0
        for t in range(self.horizon):
            pairs = at + steps[t]
            returns += discount * rewards.take(pairs)
            at = to.take(pairs)
            discount *= self.gamma
        if self._use_values:
            returns += discount * values.take(at)
        return returns

    def _best_first(self, sequences, returns, planning) -> np.ndarray:
        """First action of a best sequence per run, ties broken at random."""
        if self._rngs is not None:  # each run's own draw among its best
            best = returns == returns.max(axis=1, keepdims=True)
            picks = np.empty(len(planning), dtype=np.int64)
            for i, run in enumerate(planning):
                winners = np.flatnonzero(best[i])
                picks[i] = winners[self._rngs[run].integers(len(winners))]
        else:
            noise = self._rng.rows(
                lambda rng, rows: rng.random((size(rows), sequences.shape[1]))
            )[planning]
            picks = kernels.greedy_with_ties(returns, noise)
        return sequences[np.arange(len(planning)), picks, 0]

    def planner(self, row: int):
        """The planner of run ``row`` as ``plan(state, rng) -> action``:
        exploration off, candidates and tie breaks drawn from ``rng`` (the
        run's own streams untouched, and nothing counted as the run's
        planning). What :class:`~tabular_mbrl.probe.PolicyProbe` walks.

        When every sequence is scored, the rollouts from every state are
        computed once, here, and each call only breaks ties; otherwise each
        call samples its candidates and rolls them out from its state, as the
        loop agent does."""
        n_states, n_actions = self.n_states, self.n_actions
        flat, one = self._flat_model(np.array([row]))  # one: the row's model
        if n_actions**self.horizon <= self.n_candidates:  # no sampling
            every = _every_sequence(n_actions, self.horizon)
            sequences = np.broadcast_to(every, (n_states, *every.shape))
            everywhere = np.full(n_states, one[0])
            returns = self._roll(flat, everywhere, np.arange(n_states), sequences)
            best = returns == returns.max(axis=1, keepdims=True)  # (S, sequences)

            def plan(state: int, rng: np.random.Generator) -> int:
                winners = np.flatnonzero(best[state])  # only where the walk goes
                return int(every[winners[rng.integers(len(winners))], 0])

            return plan

        def plan(state: int, rng: np.random.Generator) -> int:
            shape = (1, self.n_candidates, self.horizon)
            sequences = rng.integers(n_actions, size=shape)
            returns = self._roll(flat, one, np.array([state]), sequences)
            winners = np.flatnonzero(returns[0] == returns[0].max())
            return int(sequences[0, winners[rng.integers(len(winners))], 0])

        return plan

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        """Teach every run's model its real transition."""
        runs = self._runs
        flat = (runs * self.n_states + states) * self.n_actions + actions
        model = (self.model_next, self.model_reward, self.model_terminated)
        _, changed = kernels.remember_last(
            model,
            self.observed,
            flat,
            next_states,
            rewards,
            terminated,
        )
        self._stale |= changed
        if changed.any():
            self._flat = None  # a model changed
        self.n_real_steps += 1
        self.last_tried[runs, states, actions] = self.n_real_steps


@functools.lru_cache(maxsize=16)
def _every_sequence(n_actions: int, horizon: int) -> np.ndarray:
    """Every sequence of ``horizon`` actions, ``(n_actions ** horizon,
    horizon)``, in :func:`~tabular_mbrl.planning.candidate_sequences`' order: made
    once, read-only."""
    grid = candidate_sequences(n_actions, horizon, n_actions**horizon, None)
    grid.setflags(write=False)
    return grid


#: What the twin reads from the agent (as the agent stores it).
_SETTINGS = (
    "horizon",
    "n_candidates",
    "gamma",
    "epsilon",
    "unknown_value",
    "terminal_value",
    "kappa",
)


def _exact(value: Any) -> Any:
    """A hyperparameter as a hashable key that tells every value apart: an
    array (or list) by its dtype, shape and bytes."""
    if isinstance(value, np.ndarray | list):
        array = np.asarray(value)
        return ("array", array.dtype.str, array.shape, array.tobytes())
    return value
