"""Dyna-Q's twin: many independent runs of Q-learning, Dyna-Q or Dyna-Q+ in
lockstep, with NumPy arrays of shape ``(n_runs, n_states, n_actions)``.

The per-run agents (:class:`~tabular_mbrl.agents.QLearningAgent`,
:class:`~tabular_mbrl.agents.DynaQAgent`,
:class:`~tabular_mbrl.agents.DynaQPlusAgent`) are the reference: they read
like the book's boxes. This twin computes the same algorithms for all runs at
once, so averaging over 30 seeds costs little more than one run:

- epsilon-greedy with random tie-breaking, for every run in a few array ops;
- the learned model and its list of observed pairs, per run, as arrays;
- the ``n`` planning backups of each real step: one short Python loop over
  ``n``, each iteration a backup for every run at once.

Settings can share a batch (hyperparameters are per run), finished runs leave
it (:meth:`BatchedDynaQ.keep`), and planning that is an exact no-op is skipped.

Two guarantees, tested for every twin by ``tests/test_twins.py``:

- one Generator per run (``engine="batched-per-run"``): each run draws from
  its own agent's Generator, in the same order as the per-run agent would. On
  an environment without slip results are **bit-identical** to the loop.
- :class:`~tabular_mbrl.batched.streams.Streams` (``engine="batched"``): one
  Generator per setting, drawing for all its runs at once. Same
  distributions, different numbers: results agree with the loop
  **statistically**, and a setting gets the same numbers in a shared batch as
  alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import cannot_tell, check_memory
from ..agents import DynaQPlusAgent, epsilon_greedy
from ..models import DeterministicModel, EmpiricalModel, goal_array, unknown_outcomes
from ..spec import AgentSpec
from . import kernels
from .settings import Settings
from .streams import Streams, size


class BatchedDynaQ:
    """``n_runs`` independent Dyna-Q or Dyna-Q+ learners (``all_actions``);
    ``n_planning_steps=0`` is Q-learning (S&B sections 6.5, 8.2, 8.3).

    Every hyperparameter is one value for all runs or an array with one per
    run, so the settings of an experiment (n = 0, 5, 50) share one batch.

    Parameters
    ----------
    q : ndarray of float, shape (n_runs, n_states, n_actions)
        Initial action values, one table per run (copied).
    alpha, gamma, epsilon : float or ndarray of shape (n_runs,)
        As for the per-run agents.
    n_planning_steps : int or ndarray of int, shape (n_runs,), default 0
    kappa : float or ndarray of shape (n_runs,), default 0.0
        Dyna-Q+ bonus scale, ``kappa * sqrt(tau)`` on planning rewards.
    empirical : bool or ndarray of bool, shape (n_runs,), default False
        Plan with an empirical model (:class:`~tabular_mbrl.models.
        EmpiricalModel`: counted outcomes, one drawn per planning backup)
        instead of the last outcome. The counts are kept per next state,
        ``(n_runs, S, A, S)``. Needs one Generator or Streams (the draws are
        not the per-run agents').
    all_actions : bool or ndarray of bool, shape (n_runs,), default False
        Dyna-Q+'s search control: planning samples a visited state and any
        action, as :class:`DynaQPlusAgent` does (never-tried actions follow
        the models' rule), whatever ``kappa`` is, and adds the bonus. False:
        Dyna-Q's, an observed pair. Per run, so Dyna-Q and Dyna-Q+ settings
        share a batch (each block of :class:`Streams` must be all one or the
        other).
    rng : Generator, Streams or list of Generator
        One Generator for the batch, one per block of runs (:class:`Streams`,
        one block per setting), or one per run (``streams="per-run"``: used
        in the per-run agents' order, for bit-identical results).

    Attributes
    ----------
    q : ndarray, shape (n_runs, n_states, n_actions)
    n_real_steps : int
        Real steps each run has taken (all runs move in lockstep).
    n_planning_updates : ndarray of int, shape (n_runs,)
        Planning backups each run has made (the algorithm's count).
    n_backups_computed : int
        Planning backups the engine computed, over all runs: the count less
        the skipped no-ops (see Notes).
    n_backups_in_python : int
        Of those, the backups made in plain Python, a run at a time (loops
        that carry few runs; see :func:`~.kernels.backups_of_one_run`).

    Notes
    -----
    Three savings, all exact. :meth:`keep` drops runs that are done, so the
    batch does not carry them to the end of the slowest run. A Dyna-Q run
    whose table started at zero and that has seen no reward but 0 has a table
    that is still exactly zero: each of its planning backups computes
    ``q + alpha * (0 + gamma * 0 - q) = 0``, a no-op, so it is skipped. And a
    run whose table has *settled*, where the backup of every pair its model
    holds gives back the very bits it read (value iteration's fixed point in
    floating point, which alpha = 1 reaches within a few sweeps), skips its
    planning until a real step changes its table or its model (see
    :meth:`_settled`). Skipped backups are still counted, and still drawn
    from the run's stream, so results stay bit-identical. Dyna-Q+ plans with
    a bonus that grows every step and is never skipped.
    """

    def __init__(
        self,
        q: np.ndarray,
        *,
        alpha: float | np.ndarray,
        gamma: float | np.ndarray,
        epsilon: float | np.ndarray,
        n_planning_steps: int | np.ndarray = 0,
        kappa: float | np.ndarray = 0.0,
        all_actions: bool | np.ndarray = False,
        empirical: bool | np.ndarray = False,
        rng: np.random.Generator | list[np.random.Generator],
    ) -> None:
        q = np.array(q, dtype=float)
        if q.ndim != 3 or 0 in q.shape:
            raise ValueError(
                f"q has shape {q.shape}, must be (n_runs, n_states, n_actions)"
            )
        self.q = q
        self.n_runs, self.n_states, self.n_actions = q.shape
        runs = self.n_runs
        # As the agents store them (checked there: see from_specs), per run.
        self.alpha = per_run("alpha", alpha, runs)
        self.gamma = per_run("gamma", gamma, runs)
        self.epsilon = per_run("epsilon", epsilon, runs)
        self.n_planning_steps = per_run(
            "n_planning_steps", n_planning_steps, runs
        ).astype(np.int64)
        self.kappa = per_run("kappa", kappa, runs)
        self.all_actions = np.broadcast_to(
            np.asarray(all_actions, dtype=bool), (runs,)
        ).copy()
        self._plus = bool(self.all_actions.any())  # any Dyna-Q+ run at all
        self.empirical = np.broadcast_to(np.asarray(empirical, dtype=bool), (runs,))
        self.empirical = self.empirical.copy()
        self._counted = bool(self.empirical.any())
        cells = self.n_runs * self.n_states * self.n_actions
        check_memory(  # the tables, the model, and counts per next state
            f"a batch of {self.n_runs:,} runs on {self.n_states:,} states",
            cells * (56 + (21 * self.n_states if self._counted else 0)),
        )
        if isinstance(rng, list):
            if len(rng) != self.n_runs:
                raise ValueError(
                    f"rng is a list of {len(rng)} Generators, must have one per "
                    f"run ({self.n_runs})"
                )
            self._rngs, self._rng = rng, None
        elif isinstance(rng, np.random.Generator):
            self._rngs, self._rng = None, Streams([rng], [self.n_runs])
        elif isinstance(rng, Streams) and rng.counts.sum() == self.n_runs:
            self._rngs, self._rng = None, rng
        else:
            raise TypeError(
                f"rng == {rng!r}, must be a numpy Generator, a list of them or "
                f"Streams over the {self.n_runs} runs"
            )
        if self._counted and isinstance(rng, list):
            raise ValueError(
                "empirical runs draw their outcomes from the batch's streams: "
                "rng must be one Generator or Streams, not one per run"
            )
        self.n_real_steps = 0
        self.n_planning_updates = np.zeros(runs, dtype=np.int64)
        self.n_backups_computed = 0  # planning backups not skipped, all runs
        self.n_backup_loops = 0  # iterations of the sequential planning loop
        self.n_backups_in_python = 0  # computed backups made a run at a time
        self.n_backups_counted = 0  # planning backups counted, all runs
        # The learned deterministic model, per run, starting from the models'
        # rule for never-observed pairs (only Dyna-Q+ ever plans from them).
        shape = (self.n_runs, self.n_states, self.n_actions)
        self.model_next, self.model_reward, self.model_terminated = (
            np.broadcast_to(rule, shape).copy()
            for rule in unknown_outcomes(self.n_states, self.n_actions)
        )
        self.observed = np.zeros(shape, dtype=bool)
        # Observed pairs (s * A + a) per run, in order of first observation.
        self._pairs = np.zeros((self.n_runs, self.n_states * self.n_actions), np.int64)
        self._n_pairs = np.zeros(self.n_runs, dtype=np.int64)
        # Runs whose planning is an exact no-op (see Notes), until a reward.
        self._idle = ~q.reshape(runs, -1).any(axis=1) & ~self.all_actions
        # Steps until the next look for settled runs (see _settled), and the
        # wait after a look that saved nothing (doubled each time, at most 32).
        self._settle_in, self._settle_wait = 0, 1
        if self._counted:  # outcome counts and reward sums, per next state
            counted = (self.n_runs, self.n_states, self.n_actions, self.n_states)
            self.counts = np.zeros(counted, dtype=np.int32)
            # Their running sums over next states (what a draw compares
            # with), kept as the counts grow: not summed again at each draw.
            self._cumulative = np.zeros(counted, dtype=np.int64)
            self.reward_sums = np.zeros(counted)
            self.ends = np.zeros(counted, dtype=bool)
        if self._plus:
            self.last_tried = np.zeros(shape, dtype=np.int64)
        # The states each run has really been in, in order of first visit:
        # Dyna-Q+'s search control (and where a subclass's rollouts start).
        self._tracks_visits = self._plus or self._visits_needed
        if self._tracks_visits:
            self._visited = np.zeros((self.n_runs, self.n_states), dtype=bool)
            self._visit_order = np.zeros((self.n_runs, self.n_states), dtype=np.int64)
            self._n_visited = np.zeros(self.n_runs, dtype=np.int64)
        self._index()

    #: Whether a subclass needs the visited states even without Dyna-Q+ runs.
    _visits_needed = False

    #: The agent of the batch that cannot be told a goal (from_specs), if any.
    untold: str | None = None

    #: Attributes with one row per run, that :meth:`keep` selects from.
    _PER_RUN = (
        "q",
        "alpha",
        "gamma",
        "epsilon",
        "n_planning_steps",
        "kappa",
        "n_planning_updates",
        "model_next",
        "model_reward",
        "model_terminated",
        "observed",
        "_pairs",
        "_n_pairs",
        "_idle",
        "all_actions",
        "empirical",
        "counts",
        "_cumulative",
        "reward_sums",
        "ends",
        "last_tried",
        "_visited",
        "_visit_order",
        "_n_visited",
    )

    @classmethod
    def from_specs(
        cls, specs: list[AgentSpec], *, n_runs: int, maze: Any, rng: Any
    ) -> BatchedDynaQ:
        """``n_runs`` runs of each of ``specs`` (Q-learning, Dyna-Q or Dyna-Q+
        settings, any mix), the runs of ``specs[0]`` first.

        No per-run agent is built: one agent per setting checks its
        hyperparameters and the batch reads them from it (:class:`~.settings.
        Settings`)."""
        settings = Settings(specs, n_runs, maze)
        engine = cls(
            settings.q(),
            alpha=settings.per_run("alpha"),
            gamma=settings.per_run("gamma"),
            epsilon=settings.per_run("epsilon"),
            n_planning_steps=settings.per_run("n_planning_steps", 0),
            kappa=settings.per_run("kappa", 0.0),
            all_actions=settings.where(lambda a: isinstance(a, DynaQPlusAgent)),
            empirical=settings.where(counted),
            rng=rng,
        )
        engine.untold = settings.untold()
        return engine

    @staticmethod
    def fusion_key(spec: AgentSpec) -> str:
        """Settings with the same key share a batch: those that plan as many
        backups per step share their planning loops. (Any mix can share one,
        see :meth:`from_specs`; fusing n = 0, 5 and 50 makes no loop fewer,
        and costs the n = 0 runs' steps to all of them: slower, measured on
        Figure 8.2.)"""
        return f"dyna-q n={spec.hyperparameters.get('n_planning_steps', 0)}"

    #: Whether settings with different fusion keys may share one batch.
    mixes = True

    @staticmethod
    def unsupported(spec: AgentSpec, streams: str) -> str:
        """Why this twin cannot run ``spec`` (a one-line reason), or ``''``."""
        model = _model(spec)
        if model not in (DeterministicModel, EmpiricalModel):
            name = model.__name__ if isinstance(model, type) else type(model).__name__
            return (
                f"it learns a DeterministicModel or an EmpiricalModel (given as "
                f"the class), not {name}"
            )
        if issubclass(spec.agent_class, DynaQPlusAgent) and model is EmpiricalModel:
            return "its Dyna-Q+ plans on a DeterministicModel, not an EmpiricalModel"
        if model is EmpiricalModel and streams == "per-run":
            return (
                "per-run streams reproduce the loop with a DeterministicModel "
                "only; an EmpiricalModel's outcomes are drawn from the batch's "
                "streams"
            )
        return ""

    @staticmethod
    def unsupported_maze(maze: Any) -> str:
        """Why this twin cannot run on ``maze`` (``''``: it can, any maze)."""
        return ""

    def _index(self) -> None:
        self._shape = _shape_of(self.n_planning_steps)
        self._runs = np.arange(self.n_runs)
        # Offset of each run's table in the flat arrays.
        self._base = self._runs * (self.n_states * self.n_actions)

    def keep(self, runs: np.ndarray) -> None:
        """Keep only ``runs`` (a boolean mask over the current runs); the
        others leave the batch."""
        runs = np.asarray(runs, dtype=bool)
        for name in self._PER_RUN:
            if hasattr(self, name):
                setattr(self, name, getattr(self, name)[runs])
        if self._rngs is not None:
            self._rngs = [
                rng for rng, kept in zip(self._rngs, runs, strict=True) if kept
            ]
        else:
            self._rng.keep(runs)
        self.n_runs = len(self.q)
        self._index()

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the tables and the model: O(runs x states x actions)."""
        arrays = [self.q, self.model_next, self.model_reward, self.model_terminated]
        arrays += [self.observed, self._pairs]
        if self._plus:
            arrays += [self.last_tried, self._visit_order]
        if self._counted:
            arrays += [self.counts, self._cumulative, self.reward_sums, self.ends]
        return sum(a.nbytes for a in arrays)

    def select_actions(self, states: np.ndarray) -> np.ndarray:
        """Epsilon-greedy actions ``(n_runs,)`` in ``states`` ``(n_runs,)``,
        ties broken at random."""
        q_rows = self.q[self._runs, states]  # (R, A)
        if self._rngs is not None:
            return np.array(
                [
                    epsilon_greedy(row, epsilon, rng)
                    for row, epsilon, rng in zip(
                        q_rows, self.epsilon, self._rngs, strict=True
                    )
                ],
                dtype=np.int64,
            )
        # One draw per step: tie-breaking noise for each action, then one
        # number that decides exploration and, if it explores, the action.
        width = self.n_actions + 1
        u = self._rng.rows(lambda rng, rows: rng.random((size(rows), width)))
        return kernels.epsilon_greedy(q_rows, self.epsilon, u)

    def update(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """One real transition per run: steps (d), (e) and (f) of the Dyna-Q
        box for every run at once."""
        q = self.q.reshape(-1)  # views, not copies: the arrays are contiguous
        pair = states * self.n_actions + actions
        flat = self._base + pair
        if self._tracks_visits:
            new = ~self._visited[self._runs, states]
            runs = self._runs[new]
            self._visited[runs, states[new]] = True
            self._visit_order[runs, self._n_visited[new]] = states[new]
            self._n_visited += new
        if self._plus:
            self.last_tried.reshape(-1)[flat] = self.n_real_steps + 1
        self.n_real_steps += 1
        # (d) direct RL: the Q-learning backup of the real transition.
        best_next = np.maximum.reduce(self.q[self._runs, next_states], axis=1)
        discounts = self.gamma * ~terminated
        kernels.backup(q, flat, rewards, discounts, best_next, self.alpha)
        self._idle &= rewards == 0
        # (e) the model remembers the latest outcome of each pair.
        model = (self.model_next, self.model_reward, self.model_terminated)
        new, _ = kernels.remember_last(
            model,
            self.observed,
            flat,
            next_states,
            rewards,
            terminated,
            changes=False,
        )
        if new.any():
            self._pairs[self._runs[new], self._n_pairs[new]] = pair[new]
            self._n_pairs += new
        if self._counted:  # the empirical model counts every outcome
            cells = flat * self.n_states + next_states  # one per run: no repeats
            self.counts.reshape(-1)[cells] += 1
            later = np.arange(self.n_states) >= next_states[:, None]  # (R, S)
            self._cumulative.reshape(-1, self.n_states)[flat] += later
            self.reward_sums.reshape(-1)[cells] += rewards
            self.ends.reshape(-1)[cells] = terminated
        # (f) planning.
        self._plan(self.n_planning_steps, self._shape)

    def tell(self, reward_fn, terminal_fn) -> None:
        """Tell every run's model that the goal moved, as
        :meth:`DynaQAgent.tell <tabular_mbrl.agents.DynaQAgent.tell>` does
        for one (:func:`~tabular_mbrl.models.relabel`): observed pairs get
        ``reward_fn(states, actions, next_states)`` and ``terminal_fn(...)``
        (vectorised, here on arrays ``(R, S, A)``). A batch of agents that
        cannot be told (Q-learning) refuses, as they do."""
        if self.untold:
            raise cannot_tell(self.untold)
        shape = (self.n_states, self.n_actions)
        s, a = (i[None] for i in np.indices(shape))
        seen = self.observed
        for name, fn, model in (
            ("reward_fn", reward_fn, self.model_reward),
            ("terminal_fn", terminal_fn, self.model_terminated),
        ):
            new = goal_array(fn, name, s, a, self.model_next, model.dtype)
            model[seen] = new[seen]
        if self._counted:  # the counted outcomes, per next state
            s4, a4 = (i[None, ..., None] for i in np.indices(shape))
            nxt = np.broadcast_to(np.arange(self.n_states), self.counts.shape)
            rewards = goal_array(reward_fn, "reward_fn", s4, a4, nxt, float)
            self.reward_sums[...] = rewards * self.counts
            ends = goal_array(terminal_fn, "terminal_fn", s4, a4, nxt, bool)
            self.ends[...] = ends & (self.counts > 0)
        # A run whose model now holds a reward plans for real from now on.
        self._idle &= ~(self.model_reward != 0).any(axis=(1, 2))
        if self._counted:
            self._idle &= ~(self.reward_sums != 0).any(axis=(1, 2, 3))

    def _sample_pairs(self, n: np.ndarray, most: int) -> np.ndarray:
        """Flat indices ``(most, n_runs)`` of the pairs each planning backup
        uses (``most == max(n)``); run ``r`` uses the first ``n[r]``."""
        plus = self.all_actions
        # Each column holds, per backup, an index into the run's observed
        # pairs (Dyna-Q), or a visited state's index * n_actions + an action
        # (Dyna-Q+).
        if self._rngs is not None:  # each run draws its own n, in its order
            drawn = np.zeros((most, self.n_runs), dtype=np.int64)
            for run, rng in enumerate(self._rngs):
                count = int(n[run])
                if not count:
                    continue  # the per-run agent does not plan, nor draw
                if plus[run]:
                    index = rng.integers(self._n_visited[run], size=count)
                    actions = rng.integers(self.n_actions, size=count)
                    drawn[:count, run] = index * self.n_actions + actions
                else:
                    drawn[:count, run] = rng.integers(self._n_pairs[run], size=count)
        else:

            def draw(rng, m, rows):
                u = rng.random((m, rows.stop - rows.start))
                if not plus[rows.start]:
                    return (u * self._n_pairs[rows]).astype(np.int64)
                # As alone: all the state draws, then all the actions.
                index = (u * self._n_visited[rows]).astype(np.int64)
                actions = rng.integers(self.n_actions, size=u.shape)
                return index * self.n_actions + actions

            drawn = self._rng.columns(draw, n, most)
        if not self._plus:  # Dyna-Q: an observed pair
            return self._base + self._pairs[self._runs, drawn]
        flat = np.empty_like(drawn)
        runs = self._runs[~plus]
        flat[:, ~plus] = self._base[runs] + self._pairs[runs, drawn[:, ~plus]]
        runs = self._runs[plus]  # Dyna-Q+: a visited state, any action
        index, actions = np.divmod(drawn[:, plus], self.n_actions)
        states = self._visit_order[runs, index]
        flat[:, plus] = self._base[runs] + states * self.n_actions + actions
        return flat

    def _draw_outcomes(self, flat, u, todo, counted, reward, ends, successors) -> None:
        """For the empirical runs among the columns of ``flat`` (pairs ``(n,
        R')`` of the runs ``todo``; ``counted`` marks them), with the numbers
        ``u`` ``(R, max n)`` drawn for every run: draw each
        backup's outcome by its counted frequency, and write its mean reward,
        end flag and next state into the three arrays, in place."""
        u = u[todo].T[: len(flat), counted]
        outcome = kernels.sample_counted(
            self.counts,
            self.reward_sums,
            self.ends,
            flat[:, counted],
            u,
            cumulative=self._cumulative,
        )
        reward[:, counted], ends[:, counted], successors[:, counted] = outcome

    def plan(self, n: int | np.ndarray) -> None:
        """``n`` planning backups for every run (or ``n[r]`` for run ``r``);
        each run's backups run one after another (each may read values the
        previous one wrote)."""
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), (self.n_runs,))
        self._plan(n, _shape_of(n))

    def _plan(self, n: np.ndarray, shape: tuple[int, int, bool]) -> None:
        """:meth:`plan`, given ``shape`` == (max n, sum n, all n equal)."""
        most, total, uniform = shape
        if not most:
            return
        self.n_planning_updates += n
        self.n_backups_counted += total
        flat = self._sample_pairs(n, most)  # (max n, R)
        u = None  # the empirical runs' outcome draws: made even where skipped
        if self._counted:

            def draw(rng, rows):
                # Only an empirical setting's stream draws, and as many as
                # alone: a column per backup of its own n, padded to the most.
                drawn = np.zeros((rows.stop - rows.start, most))
                if self.empirical[rows.start]:
                    own = int(n[rows].max())
                    drawn[:, :own] = rng.random((len(drawn), own))
                return drawn

            u = self._rng.rows(draw)
        # Only the runs with backups to make that are not no-ops, by number
        # of backups, most first: backup i is for the first live[i] of them.
        settled = self._settled(n, most)
        skip = self._idle if settled is None else self._idle | settled
        if uniform:  # every run plans the same n: no sorting
            if skip.any():
                todo = np.flatnonzero(~skip)
                if todo.size == 0:
                    return
                flat = flat[:, todo]
            else:  # the common case: every run, no gathering either
                todo = slice(None)
            live = None
        else:
            todo = np.flatnonzero((n > 0) & ~skip)
            if todo.size == 0:
                return
            todo = todo[np.argsort(-n[todo], kind="stable")]
            most = int(n[todo].max())
            live = (n[todo][None, :] > np.arange(most)[:, None]).sum(axis=1)
            flat = flat[: len(live), todo]
        # The model does not change while planning: look everything up at once.
        reward = self.model_reward.reshape(-1)[flat]
        ends = self.model_terminated.reshape(-1)[flat]
        successors = self.model_next.reshape(-1)[flat]
        counted = self.empirical[todo] if self._counted else None
        if counted is not None and counted.any():
            self._draw_outcomes(flat, u, todo, counted, reward, ends, successors)
        plus = self.all_actions[todo] if self._plus else None
        if plus is not None and plus.any():  # the bonus, on Dyna-Q+'s rewards
            tau = self.n_real_steps - self.last_tried.reshape(-1)[flat[:, plus]]
            bonus = kernels.staleness_bonus(self.kappa[todo][plus], tau)
            reward[:, plus] = reward[:, plus] + bonus
        discount = self.gamma[todo] * ~ends
        next_rows = self._base[todo] + successors * self.n_actions
        next_cells = next_rows[..., None] + np.arange(self.n_actions)  # (n, R, A)
        alpha = self.alpha[todo]
        if live is None:
            live = np.full(len(flat), flat.shape[1])
        self.n_backups_computed += int(live.sum())
        self.n_backup_loops += len(live)
        # Backups i0..i1-1 all carry the first k runs: iterate over their rows.
        q = self.q.reshape(-1)
        cells = self.n_states * self.n_actions
        starts = [0] if uniform else np.flatnonzero(np.r_[True, live[1:] != live[:-1]])
        for i0, i1 in zip(starts, [*starts[1:], len(live)], strict=True):
            k, count = int(live[i0]), i1 - i0
            if kernels.python_is_cheaper(k, count, cells):
                # Few runs: each run's backups in plain Python cost less
                # than a row of NumPy calls per backup (the lockstep tail).
                self.n_backups_in_python += k * count
                for j, run in enumerate(self._runs[todo][:k]):
                    kernels.backups_of_one_run(
                        self.q[run],
                        flat[i0:i1, j] - self._base[run],
                        reward[i0:i1, j],
                        discount[i0:i1, j],
                        successors[i0:i1, j],
                        alpha[j],
                    )
                continue
            rows = (flat, reward, discount, next_cells)
            if not uniform:
                rows = (part[i0:i1, :k] for part in rows)
            kernels.backups_in_turn(q, *rows, alpha[:k])

    def _settled(self, n: np.ndarray, most: int) -> np.ndarray | None:
        """Which runs are settled ``(n_runs,)``, or None (not looked at): their
        table is already a fixed point, bit for bit, of the backup of every
        pair their planning can draw, so each of this step's backups would
        write back the value it read, and the whole loop is a no-op (see
        Notes).

        Dyna-Q runs on a last-outcome model only (Dyna-Q+'s bonus grows with
        every step; a counted model's outcomes vary). The look costs a few
        array operations over every run's table, so it is made only where it
        can pay: when the planning rows it might save (``most`` of them) cost
        well more than the look, and no other kind of run keeps those rows
        going anyway. Where a look saves nothing (no run settled, or too few
        to spare a row), the next one waits twice as many steps (at most
        32), so a setting that seldom settles (alpha = 0.1 within Figure
        8.2's budget) pays almost nothing for it.
        Skipping or not, the bits are the same.
        """
        look = kernels.settled_look_cost(self.q.size)
        if most * kernels.NUMPY_ROW < 2 * look:
            return None
        if self._settle_in > 0:
            self._settle_in -= 1
            return None
        planning = ~self._idle & (n > 0)
        eligible = ~self.all_actions & ~self.empirical
        if not (planning & eligible).any() or (planning & ~eligible).any():
            self._settle_in = self._settle_wait  # nothing to skip: wait too
            self._settle_wait = min(2 * self._settle_wait, 32)
            return None
        settled = eligible & kernels.settled(
            self.q,
            self.model_next,
            self.model_reward,
            self.model_terminated,
            self.observed,
            self.gamma,
            self.alpha,
        )
        # It paid if the runs left plan no rows, or few enough to plan in
        # plain Python; a few settled runs among many leave the rows as dear.
        left = int((planning & ~settled).sum())
        cells = self.n_states * self.n_actions
        if settled.any() and (
            left == 0 or kernels.python_is_cheaper(left, most, cells)
        ):
            self._settle_wait = 1
        else:
            self._settle_in = self._settle_wait
            self._settle_wait = min(2 * self._settle_wait, 32)
        return settled


def _shape_of(n: np.ndarray) -> tuple[int, int, bool]:
    """(max, sum, whether all are equal) of the planning steps per run."""
    if n.size == 0:
        return 0, 0, True
    return int(n.max()), int(n.sum()), bool((n == n[0]).all())


def per_run(name: str, value: Any, n_runs: int) -> np.ndarray:
    """``value`` as an array with one entry per run (a number is repeated)."""
    values = np.asarray(value)
    if values.ndim == 0:
        return np.full(n_runs, value)
    if values.shape != (n_runs,):
        raise ValueError(
            f"{name} has shape {values.shape}, must be a number or ({n_runs},)"
        )
    return values.copy()


def counted(agent: Any) -> bool:
    """Whether an agent learns a counted (empirical) model."""
    return isinstance(getattr(agent, "model", None), EmpiricalModel)


def _model(spec: AgentSpec) -> Any:
    """The learned model a spec asks for (the class; None: the default)."""
    model = spec.params.get("model")
    return DeterministicModel if model is None else model
