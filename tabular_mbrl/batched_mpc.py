"""The batched engine's MPC: many independent runs of random-shooting MPC
(:class:`~tabular_mbrl.agents.mpc.RandomShootingAgent`) in lockstep.

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

import numpy as np

from ._checks import check_int, check_probability, check_real
from .batched import Streams
from .models import goal_array, unknown_outcomes
from .planning import candidate_sequences, check_terminal_value, n_sequences

#: The convergence threshold of the per-run agent's value iteration.
VALUE_ITERATION_TOL = 1e-6


class BatchedMPC:
    """``n_runs`` independent random-shooting MPC agents on learned
    deterministic models (S&B sections 8.8 and 8.10).

    Parameters
    ----------
    n_runs, n_states, n_actions : int
    horizon, n_candidates : int
        As for :class:`~tabular_mbrl.agents.mpc.RandomShootingAgent` (one value for
        the batch).
    gamma, epsilon : float
    unknown_value : float or None
        Worth of a never-observed pair (None: the models' rule, stay with
        reward 0).
    kappa : float, default 0.0
        The staleness bonus ``kappa * sqrt(tau)`` on every pair's reward in
        the rollouts (not in the values).
    terminal_value : None, "value_iteration" or ndarray of shape (n_states,)
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
        self.n_runs = check_int("n_runs", n_runs, low=1)
        self.n_states = check_int("n_states", n_states, low=1)
        self.n_actions = check_int("n_actions", n_actions, low=1)
        self.horizon = check_int("horizon", horizon, low=1)
        self.n_candidates = check_int("n_candidates", n_candidates, low=1)
        self.gamma = check_probability("gamma", gamma)
        self.epsilon = check_probability("epsilon", epsilon)
        self.unknown_value = (
            None
            if unknown_value is None
            else check_real("unknown_value", unknown_value)
        )
        self.kappa = check_real("kappa", kappa, low=0.0)
        self.iterate_values = isinstance(terminal_value, str)
        if self.iterate_values and terminal_value != "value_iteration":
            raise ValueError(
                f"terminal_value == {terminal_value!r}, must be None, "
                f"'value_iteration' or an array of shape (n_states,)"
            )
        if terminal_value is None or self.iterate_values:
            values = np.zeros(n_states)
        else:  # the agent's own check: shape (n_states,), finite
            values = check_terminal_value(terminal_value, n_states)
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
            rewards = rewards + self.kappa * np.sqrt(
                self.n_real_steps - self.last_tried
            )
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
        # As value_iteration computes it for one outcome per pair (K = 1).
        rewards = rewards * 1.0
        discount = self.gamma * 1.0 * ~terminated
        v = self.values[todo]
        rows = np.arange(len(todo))[:, None, None]
        running = np.arange(len(todo))
        while running.size:
            q = (
                rewards[running]
                + discount[running] * v[rows[running], next_states[running]]
            )
            best = q.max(axis=2)
            change = np.abs(best - v[running]).max(axis=1)
            v[running] = best
            sweep = self.n_states * self.n_actions  # backups, K = 1
            self.n_value_backups[todo[running]] += sweep
            self.n_planning_updates[todo[running]] += sweep
            running = running[~(change < VALUE_ITERATION_TOL)]
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
                u = self._rng.rows(lambda rng, rows: rng.random(_size(rows)))
                explore = u < self.epsilon
                scaled = np.divide(u, self.epsilon, out=np.zeros(runs), where=explore)
                random_actions = np.minimum(
                    (scaled * n_actions).astype(int), n_actions - 1
                )
            if every:  # one grid for every run: see below
                sequences = None
            else:
                sequences = self._rng.rows(
                    lambda rng, rows: rng.integers(
                        n_actions, size=(_size(rows), *shape)
                    )
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

        Without a staleness bonus or a goal handed over (both change the
        rewards at every step), the flat arrays hold every run and are kept
        until a model or its values change: the same numbers, built less
        often."""
        keep = not self.kappa and self.reward_fn is None and self.terminal_fn is None
        stale = self.iterate_values and self._stale[planning].any()
        if keep and self._flat is not None and not stale:
            return self._flat, planning
        view = self._planning_view()
        if self.iterate_values:  # values without the bonus, as the agent's
            self._update_values(view, planning)
        if self.kappa:  # the rollouts see the bonus
            view = self._planning_view(bonus=True)
        runs = self._runs if keep else planning
        flat = self._flatten(*(part[runs] for part in view), self.values[runs])
        if keep:
            self._flat = flat
            return flat, planning
        return flat, np.arange(len(planning))

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
        first = (models * (self.n_states + 1) + states) * self.n_actions
        at = np.broadcast_to(first[:, None], sequences.shape[:2])
        steps = np.moveaxis(sequences, 2, 0)  # (horizon, P, C)
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
        best = returns == returns.max(axis=1, keepdims=True)
        if self._rngs is not None:
            picks = np.empty(len(planning), dtype=np.int64)
            for i, run in enumerate(planning):
                winners = np.flatnonzero(best[i])
                picks[i] = winners[self._rngs[run].integers(len(winners))]
        else:
            noise = self._rng.rows(
                lambda rng, rows: rng.random((_size(rows), sequences.shape[1]))
            )[planning]
            picks = np.where(best, noise, -1.0).argmax(axis=1)
        return sequences[np.arange(len(planning)), picks, 0]

    def planner(self, row: int):
        """The planner of run ``row`` as ``plan(state, rng) -> action``:
        exploration off, candidates and tie breaks drawn from ``rng`` (the
        run's own streams untouched, and nothing counted as the run's
        planning). What :class:`~tabular_mbrl.experiments.PolicyProbe` walks.

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
            best = [np.flatnonzero(r == r.max()) for r in returns]

            def plan(state: int, rng: np.random.Generator) -> int:
                winners = best[state]
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
        changed = (
            ~self.observed[runs, states, actions]
            | (self.model_next[runs, states, actions] != next_states)
            | (self.model_reward[runs, states, actions] != rewards)
            | (self.model_terminated[runs, states, actions] != terminated)
        )
        self.observed[runs, states, actions] = True
        self.model_next[runs, states, actions] = next_states
        self.model_reward[runs, states, actions] = rewards
        self.model_terminated[runs, states, actions] = terminated
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


def _size(rows: slice) -> int:
    return rows.stop - rows.start
