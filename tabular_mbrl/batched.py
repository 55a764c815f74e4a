"""A batched engine: many independent runs of Q-learning, Dyna-Q or Dyna-Q+ in
lockstep, with NumPy arrays of shape ``(n_runs, n_states, n_actions)`` (and
random-shooting MPC, in :mod:`tabular_mbrl.batched_mpc`).

The per-run agents (:class:`QLearningAgent`, :class:`DynaQAgent`,
:class:`DynaQPlusAgent`) are the reference: they read like the book's boxes.
This engine computes the same algorithms for all runs at once, so averaging
over 30 seeds costs little more than one run:

- epsilon-greedy with random tie-breaking, for every run in a few array ops;
- the deterministic model and its list of observed pairs, per run, as arrays;
- the ``n`` planning backups of each real step: one short Python loop over
  ``n``, each iteration a backup for every run at once;
- the environments are not stepped one by one: their true model arrays are
  (``env.model()``, and ``model_at(t)`` for mazes whose walls move), indexed
  for every run at once. All runs take one real step per iteration, so each
  run's global real-step counter (what moves the walls) is the iteration count.

Settings can share a batch (hyperparameters are per run), finished runs leave
it (:meth:`BatchedDynaQ.keep`), and planning that is an exact no-op is skipped;
see :class:`BatchedDynaQ`.

Two guarantees, tested in ``tests/test_batched.py``:

- ``streams="per-run"``: each run draws from its own agent's Generator, in the
  same order as the per-run agent would. On an environment without slip
  (which then draws nothing) results are **bit-identical** to the loop engine.
- ``streams="batch"`` (the default, and what ``engine="batched"`` uses): one
  Generator per setting (:class:`Streams`), drawing for all its runs at once.
  Same distributions, different numbers: results agree with the loop engine
  **statistically** (Figure 8.2's mean curves within their confidence bands),
  and a setting gets the same numbers in a shared batch as alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gridworlds import sample_outcomes

from ._checks import check_int, check_probability, check_real
from .agents.dyna_q import DynaQAgent
from .agents.dyna_q_plus import DynaQPlusAgent
from .agents.mpc import RandomShootingAgent
from .agents.q_learning import QLearningAgent, epsilon_greedy
from .agents.replay import ReplayQAgent
from .models import DeterministicModel, EmpiricalModel, goal_array, unknown_outcomes
from .spec import AgentSpec

#: The agent classes the engine can run (and their subclasses that keep the
#: algorithm, see :func:`unsupported`).
SUPPORTED_AGENTS = (
    QLearningAgent,
    DynaQAgent,
    DynaQPlusAgent,
    ReplayQAgent,
    RandomShootingAgent,
)


class Streams:
    """Random streams for a batch whose rows come in blocks, one block per
    setting, each block with its own Generator.

    Each block draws exactly what it would draw in a batch of its own, so
    fusing the settings of an experiment into one batch changes no number.

    Parameters
    ----------
    rngs : list of Generator
        One per block.
    counts : list of int
        The number of rows of each block, in order.
    """

    def __init__(self, rngs: list[np.random.Generator], counts: list[int]) -> None:
        self.rngs = list(rngs)
        self.counts = np.array(counts, dtype=np.int64)

    def _blocks(self):
        start = 0
        for rng, count in zip(self.rngs, self.counts, strict=True):
            if count:
                yield rng, slice(start, start + int(count))
            start += int(count)

    def rows(self, draw: Callable) -> np.ndarray:
        """``draw(rng, rows)`` for each block (``rows`` a slice of the batch),
        stacked along the first axis."""
        if len(self.rngs) == 1:  # one block: no parts to stack
            return draw(self.rngs[0], slice(0, int(self.counts[0])))
        parts = [draw(rng, rows) for rng, rows in self._blocks()]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def columns(self, draw: Callable, n: np.ndarray, most: int) -> np.ndarray:
        """``draw(rng, m, rows)`` of shape ``(m, rows)`` for each block, where
        ``m`` is the most any row of the block needs (``n`` per row), padded
        to ``most == max(n)`` and stacked along the second axis."""
        if len(self.rngs) == 1:  # one block: nothing to pad
            return draw(self.rngs[0], most, slice(0, int(self.counts[0])))
        parts = []
        for rng, rows in self._blocks():
            m = int(n[rows].max())
            part = np.zeros((most, rows.stop - rows.start), dtype=np.int64)
            if m:
                part[:m] = draw(rng, m, rows)
            parts.append(part)
        return np.concatenate(parts, axis=1)

    def keep(self, runs: np.ndarray) -> None:
        """Keep the rows of the boolean mask ``runs``."""
        edges = np.cumsum(self.counts)[:-1]
        self.counts = np.array([part.sum() for part in np.split(runs, edges)])


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
        that carry few runs; see :func:`backups_of_one_run`).

    Notes
    -----
    Two savings, both exact. :meth:`keep` drops runs that are done, so the
    batch does not carry them to the end of the slowest run. And a Dyna-Q run
    whose table started at zero and that has seen no reward but 0 has a table
    that is still exactly zero: each of its planning backups computes
    ``q + alpha * (0 + gamma * 0 - q) = 0``, a no-op, so it is skipped (still
    counted, and still drawn from the run's stream, so that results stay
    bit-identical). Dyna-Q+ plans with a bonus and is never skipped.
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
        self.alpha = _per_run(
            "alpha", alpha, runs, check_real, low=0.0, high=1.0, low_open=True
        )
        self.gamma = _per_run("gamma", gamma, runs, check_probability)
        self.epsilon = _per_run("epsilon", epsilon, runs, check_probability)
        self.n_planning_steps = _per_run(
            "n_planning_steps", n_planning_steps, runs, check_int, low=0
        ).astype(np.int64)
        self.kappa = _per_run("kappa", kappa, runs, check_real, low=0.0)
        self.all_actions = np.broadcast_to(
            np.asarray(all_actions, dtype=bool), (runs,)
        ).copy()
        self._plus = bool(self.all_actions.any())  # any Dyna-Q+ run at all
        self.empirical = np.broadcast_to(np.asarray(empirical, dtype=bool), (runs,))
        self.empirical = self.empirical.copy()
        self._counted = bool(self.empirical.any())
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
        if self._counted:  # outcome counts and reward sums, per next state
            counted = (self.n_runs, self.n_states, self.n_actions, self.n_states)
            self.counts = np.zeros(counted, dtype=np.int32)
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
        "reward_sums",
        "ends",
        "last_tried",
        "_visited",
        "_visit_order",
        "_n_visited",
    )

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
            arrays += [self.counts, self.reward_sums, self.ends]
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
        u = self._rng.rows(
            lambda rng, rows: rng.random((rows.stop - rows.start, width))
        )
        best = q_rows == np.maximum.reduce(q_rows, axis=1)[:, None]
        greedy = np.where(best, u[:, :-1], -1.0).argmax(axis=1)
        # u < epsilon explores; u / epsilon is then uniform in [0, 1).
        explore = u[:, -1] < self.epsilon
        if not explore.any():
            return greedy
        scaled = np.divide(
            u[:, -1], self.epsilon, out=np.zeros(self.n_runs), where=explore
        )
        random = (scaled * self.n_actions).astype(np.int64)
        return np.where(explore, np.minimum(random, self.n_actions - 1), greedy)

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
        observed = self.observed.reshape(-1)
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
        target = rewards + self.gamma * best_next * ~terminated
        q[flat] += self.alpha * (target - q[flat])
        self._idle &= rewards == 0
        # (e) the model remembers the latest outcome of each pair.
        new = ~observed[flat]
        if new.any():
            observed[flat] = True
            self._pairs[self._runs[new], self._n_pairs[new]] = pair[new]
            self._n_pairs += new
        self.model_next.reshape(-1)[flat] = next_states
        self.model_reward.reshape(-1)[flat] = rewards
        self.model_terminated.reshape(-1)[flat] = terminated
        if self._counted:  # the empirical model counts every outcome
            cells = flat * self.n_states + next_states  # one per run: no repeats
            self.counts.reshape(-1)[cells] += 1
            self.reward_sums.reshape(-1)[cells] += rewards
            self.ends.reshape(-1)[cells] = terminated
        # (f) planning.
        self._plan(self.n_planning_steps, self._shape)

    def relabel(self, reward_fn, terminal_fn) -> None:
        """Tell every run's model that the goal moved, as
        :func:`~tabular_mbrl.models.relabel` does for one: observed pairs get
        ``reward_fn(states, actions, next_states)`` and ``terminal_fn(...)``
        (vectorised, here on arrays ``(R, S, A)``)."""
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
        pairs = flat[:, counted]
        counts = self.counts.reshape(-1, self.n_states)[pairs]  # (n, R', S)
        cumulative = counts.cumsum(axis=2)
        draw = u * cumulative[..., -1]
        nxt = (draw[..., None] >= cumulative).sum(axis=2)
        cells = pairs * self.n_states + nxt
        reward[:, counted] = (
            self.reward_sums.reshape(-1)[cells] / self.counts.reshape(-1)[cells]
        )
        ends[:, counted] = self.ends.reshape(-1)[cells]
        successors[:, counted] = nxt

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
        if uniform:  # every run plans the same n: no sorting
            if self._idle.any():
                todo = np.flatnonzero(~self._idle)
                if todo.size == 0:
                    return
                flat = flat[:, todo]
            else:  # the common case: every run, no gathering either
                todo = slice(None)
            live = None
        else:
            todo = np.flatnonzero((n > 0) & ~self._idle)
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
            reward[:, plus] = reward[:, plus] + self.kappa[todo][plus] * np.sqrt(tau)
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
        # What reading a run's table into a list and back costs, in backups.
        setup = _PYTHON_SETUP + self.n_states * self.n_actions * _PYTHON_PER_CELL
        starts = [0] if uniform else np.flatnonzero(np.r_[True, live[1:] != live[:-1]])
        for i0, i1 in zip(starts, [*starts[1:], len(live)], strict=True):
            k, count = int(live[i0]), i1 - i0
            if k * (count + setup) < _NUMPY_ROW * count:
                # Few runs: each run's backups in plain Python cost less
                # than a row of NumPy calls per backup (the lockstep tail).
                self.n_backups_in_python += k * count
                for j, run in enumerate(self._runs[todo][:k]):
                    backups_of_one_run(
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
            backups_in_turn(q, *rows, alpha[:k])


def backups_in_turn(q, cells, rewards, discounts, next_cells, alpha) -> None:
    """Q-learning backups of several runs at once, one row after another
    (each row may read what the previous one wrote), on the flat table ``q``.

    Row ``i`` backs up ``cells[i]`` (one per run) with ``rewards[i]``,
    ``discounts[i]`` (gamma, or 0 where the transition ended) and the flat
    cells of the next states' actions ``next_cells[i]`` ``(runs, A)``.
    """
    row_max = np.maximum.reduce
    for cell, reward, discount, nxt in zip(
        cells, rewards, discounts, next_cells, strict=True
    ):
        old = q[cell]
        q[cell] = old + alpha * (reward + discount * row_max(q[nxt], axis=1) - old)


#: Costs in backups of :func:`backups_of_one_run` (0.5 us each, timed with
#: timeit on the 2-core development machine): a row of
#: :func:`backups_in_turn` (NumPy calls, 5-7 us at any width), and setting up
#: one run (14 us with 216 table cells, 190 us with 4,000).
_NUMPY_ROW = 8.0
_PYTHON_SETUP = 10.0
_PYTHON_PER_CELL = 0.1


def backups_of_one_run(q, pairs, rewards, discounts, next_states, alpha) -> None:
    """:func:`backups_in_turn` for one run, on its own table ``q`` ``(S, A)``,
    in plain Python: the same arithmetic in the same order, so the same bits.

    Backup ``i`` is of the pair ``pairs[i]`` (``state * A + action``) with
    ``rewards[i]``, ``discounts[i]`` and ``next_states[i]``, all ``(n,)``.
    Cheaper than a row of NumPy calls per backup when a loop carries few
    runs (the lockstep tail of a batch), and only then: the table is read
    into a list and written back whole.
    """
    n_actions = q.shape[1]
    values = q.reshape(-1).tolist()
    step = float(alpha)
    rows = (pairs, rewards, discounts, next_states)
    for pair, reward, discount, nxt in zip(*(a.tolist() for a in rows), strict=True):
        old = values[pair]
        best = max(values[nxt * n_actions : (nxt + 1) * n_actions])
        values[pair] = old + step * (reward + discount * best - old)
    q[...] = np.reshape(values, q.shape)


def _shape_of(n: np.ndarray) -> tuple[int, int, bool]:
    """(max, sum, whether all are equal) of the planning steps per run."""
    if n.size == 0:
        return 0, 0, True
    return int(n.max()), int(n.sum()), bool((n == n[0]).all())


def _per_run(name: str, value, n_runs: int, check, **rule) -> np.ndarray:
    """``value`` as an array with one entry per run, each checked."""
    values = np.asarray(value)
    if values.ndim == 0:
        return np.full(n_runs, check(name, value, **rule))
    if values.shape != (n_runs,):
        raise ValueError(
            f"{name} has shape {values.shape}, must be a number or ({n_runs},)"
        )
    for one in np.unique(values):  # few distinct settings
        check(name, one.item(), **rule)
    return values.copy()


#: Methods that define an agent's algorithm. A subclass of a supported class
#: that overrides none of them runs the same algorithm, so it batches too.
_ALGORITHM = (
    "__init__",
    "select_action",
    "greedy_action",
    "update",
    "plan",
    "backup",
    "td_error",
)


def unsupported(spec: AgentSpec) -> str:
    """Why the engine cannot run ``spec`` (a one-line reason), or ``''``."""
    cls = spec.agent_class
    base = next((c for c in cls.__mro__ if c in SUPPORTED_AGENTS), None)
    names = ", ".join(c.__name__ for c in SUPPORTED_AGENTS)
    if base is None:
        return f"it runs {names}, not {cls.__name__}"
    for klass in cls.__mro__[: cls.__mro__.index(base)]:
        changed = [m for m in _ALGORITHM if m in vars(klass)]
        if changed:
            return (
                f"it runs {names}, not {cls.__name__}, which overrides "
                f"{changed[0]}() of {base.__name__}"
            )
    model = spec.params.get("model")
    if model is not None and model not in (DeterministicModel, EmpiricalModel):
        name = model.__name__ if isinstance(model, type) else type(model).__name__
        return (
            f"it learns a DeterministicModel or an EmpiricalModel (given as "
            f"the class), not {name}"
        )
    if base is DynaQPlusAgent and model is EmpiricalModel:
        return "its Dyna-Q+ plans on a DeterministicModel, not an EmpiricalModel"
    if base is RandomShootingAgent:
        for name in ("reward_fn", "terminal_fn"):
            if spec.params.get(name) is not None:
                return f"its MPC plans on the learned model's rewards, not a {name}"
        if spec.params.get("planner", "random_shooting") != "random_shooting":
            return "its MPC plans by random shooting, not the cross-entropy method"
    return ""


class VectorMaze:
    """Identical gridworlds for every run, stepped at once from their true
    model arrays (``(S, A, K)``, outcomes sampled by their probabilities).

    Parameters
    ----------
    envs : list
        One env per run, as built by the env factory: ``GridWorld`` or
        ``ShiftingMaze`` (anything with ``model()``, ``start_state`` and
        ``max_steps``; ``change_at`` and ``model_at(t)`` if its walls move).
    """

    def __init__(self, envs: list) -> None:
        env = envs[0]
        reason = self.unsupported(envs)
        if reason:
            raise ValueError(f"the batched engine cannot step these envs: {reason}")
        self.start_state = int(env.start_state)
        self.max_steps = env.max_steps
        self.change_at = getattr(env, "change_at", None)
        self._before = env.model_at(0) if self.change_at is not None else env.model()
        self._after = env.model_at(self.change_at) if self.change_at else None
        self.n_states, self.n_actions = env.n_states, env.n_actions

    @classmethod
    def check(cls, env_factory: Callable[[], object], n_runs: int) -> list | str:
        """Build the env of every run, one at a time, and check they are all
        the same; ``[first env]`` if they are, else the reason. Only one env is
        kept, whatever ``n_runs`` is."""
        first = env_factory()
        for run in range(n_runs):
            reason = cls.unsupported([first] if run == 0 else [first, env_factory()])
            if reason:
                return reason
        return [first]

    @staticmethod
    def unsupported(envs: list) -> str:
        """Why these envs cannot be stepped as one batch ('' if they can)."""
        env = envs[0]
        for name in ("model", "start_state", "max_steps", "total_steps"):
            if not hasattr(env, name):
                return f"{type(env).__name__} has no {name!r}"
        if hasattr(env, "change_at") and not hasattr(env, "model_at"):
            return f"{type(env).__name__} has change_at but no model_at()"
        model = env.model()
        for other in envs:
            if other.total_steps != 0:
                return "the envs must be fresh (no steps taken yet)"
            m = other.model()
            same = (
                type(other) is type(env)
                and other.start_state == env.start_state
                and other.max_steps == env.max_steps
                and getattr(other, "change_at", None) == getattr(env, "change_at", None)
                and m.next_states.shape == model.next_states.shape
                and all(
                    np.array_equal(getattr(m, f), getattr(model, f))
                    for f in ("next_states", "probs", "rewards", "terminated")
                )
            )
            if not same:
                return "every run must use the same environment"
        return ""

    def model_at(self, total_steps: int):
        """The true model for the step taken after ``total_steps`` steps."""
        if self._after is not None and total_steps >= self.change_at:
            return self._after
        return self._before

    def step(
        self, states: np.ndarray, actions: np.ndarray, total_steps: int, rng
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(next_states, rewards, terminated)`` for every run."""
        model = self.model_at(total_steps)
        if model.next_states.shape[2] == 1:
            k = np.zeros_like(states)
        else:
            probs = model.probs[states, actions]
            if isinstance(rng, Streams):
                k = rng.rows(lambda one, rows: sample_outcomes(probs[rows], one))
            else:
                k = sample_outcomes(probs, rng)
        return (
            model.next_states[states, actions, k],
            model.rewards[states, actions, k],
            model.terminated[states, actions, k],
        )


def fusion_key(spec: AgentSpec) -> str | None:
    """Specs with the same key share one batch (None: the engine cannot run
    this spec). Q-learning, Dyna-Q and Dyna-Q+ settings with the same number
    of planning steps share one (the other hyperparameters and the search
    control are per run); an MPC setting shares only with equal ones (its
    horizon and candidates shape the batch). :func:`prepare` can batch any
    mix of Dyna settings; this is the grouping that is fastest."""
    if unsupported(spec):
        return None
    if issubclass(spec.agent_class, RandomShootingAgent):
        # One horizon and candidate count per batch: only equal settings fuse.
        return f"mpc {spec.hyperparameters!r}"
    if issubclass(spec.agent_class, ReplayQAgent):  # its own engine
        hyper = spec.hyperparameters
        return f"replay n={hyper['n_replay_steps']} capacity={hyper['capacity']}"
    # Settings share planning loops only when they plan as many backups per
    # step; fusing n = 0, 5 and 50 makes no loop fewer, and costs the n = 0
    # runs' steps to all of them (slower, when measured on Figure 8.2).
    return f"dyna-q n={spec.hyperparameters.get('n_planning_steps', 0)}"


def prepare(
    specs: AgentSpec | list[AgentSpec],
    env_factory: Callable[[], object],
    *,
    n_runs: int,
    agent_seeds: list[np.random.SeedSequence],
    streams: str,
    seed_sequence: np.random.SeedSequence,
) -> tuple[BatchedDynaQ, VectorMaze, Streams] | str:
    """The engine, the vector env and the env's outcome stream for ``n_runs``
    runs of each of ``specs``, in one batch (the runs of ``specs[0]`` first),
    or a one-line reason why they cannot be batched.

    No per-run agent is built: the hyperparameters come from the specs (and,
    for those they leave out, from the classes' defaults). ``agent_seeds`` are
    the runs' own agent streams, which ``streams="per-run"`` draws from (each
    setting's run ``i`` from the same one, as on the loop).
    """
    specs = [specs] if isinstance(specs, AgentSpec) else list(specs)
    for spec in specs:
        reason = unsupported(spec)
        if reason:
            return reason
    mpc = [issubclass(spec.agent_class, RandomShootingAgent) for spec in specs]
    if any(mpc) and len({fusion_key(spec) for spec in specs}) > 1:
        return "MPC settings batch apart from the others, and from each other"
    replay = [issubclass(spec.agent_class, ReplayQAgent) for spec in specs]
    if any(replay) and len({fusion_key(spec) for spec in specs}) > 1:
        return "replay settings batch apart from the others, and from each other"
    empirical = [spec.params.get("model") is EmpiricalModel for spec in specs]
    if any(empirical) and streams == "per-run":
        return (
            "per-run streams reproduce the loop with a DeterministicModel only; "
            "an EmpiricalModel's outcomes are drawn from the batch's streams"
        )
    envs = VectorMaze.check(env_factory, n_runs)
    if isinstance(envs, str):
        return envs
    # Each setting gets the streams it would get alone: the same seeds.
    batch_seed, env_seed = seed_sequence.spawn(2)
    counts = [n_runs] * len(specs)
    env_stream = Streams([np.random.default_rng(env_seed) for _ in specs], counts)
    if streams == "per-run":
        rng = [np.random.default_rng(s) for _ in specs for s in agent_seeds]
    else:
        rng = Streams([np.random.default_rng(batch_seed) for _ in specs], counts)
    maze = VectorMaze(envs)
    settings = [spec.hyperparameters for spec in specs]
    if issubclass(specs[0].agent_class, RandomShootingAgent):
        from .batched_mpc import BatchedMPC

        params = {
            name: settings[0][name]
            for name in ("horizon", "n_candidates", "gamma", "epsilon")
            + ("unknown_value", "terminal_value", "kappa")
        }
        mpc = BatchedMPC(
            len(specs) * n_runs, maze.n_states, maze.n_actions, rng=rng, **params
        )
        return mpc, maze, env_stream

    def per_run(name: str, default: float) -> np.ndarray:
        return np.repeat([one.get(name, default) for one in settings], n_runs)

    shape = (len(specs) * n_runs, maze.n_states, maze.n_actions)
    if any(replay):
        from .batched_replay import BatchedReplayQ

        engine = BatchedReplayQ(
            np.broadcast_to(per_run("q_init", 0.0).astype(float)[:, None, None], shape),
            alpha=per_run("alpha", 0.0),
            gamma=per_run("gamma", 0.0),
            epsilon=per_run("epsilon", 0.0),
            n_replay_steps=settings[0]["n_replay_steps"],
            capacity=settings[0]["capacity"],
            rng=rng,
        )
        return engine, maze, env_stream
    engine = BatchedDynaQ(
        # A read-only view: the engine's own copy is the only full table.
        np.broadcast_to(per_run("q_init", 0.0).astype(float)[:, None, None], shape),
        alpha=per_run("alpha", 0.0),
        gamma=per_run("gamma", 0.0),
        epsilon=per_run("epsilon", 0.0),
        n_planning_steps=per_run("n_planning_steps", 0),
        kappa=per_run("kappa", 0.0),
        all_actions=np.repeat(
            [issubclass(spec.agent_class, DynaQPlusAgent) for spec in specs], n_runs
        ),
        empirical=np.repeat(empirical, n_runs),
        rng=rng,
    )
    return engine, maze, env_stream


def run_episodes_batched(
    engine: BatchedDynaQ,
    maze: VectorMaze,
    env_rng: Streams,
    n_episodes: int,
    probe: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps, returns, planning updates and the policy's path length (see
    :class:`~tabular_mbrl.experiments.PolicyProbe`; NaN without a ``probe``)
    per episode, each ``(R, n_episodes)``.

    Every run steps until it has finished ``n_episodes`` episodes, then leaves
    the batch (:meth:`BatchedDynaQ.keep`): the batch does not carry finished
    runs along until its slowest run ends."""
    runs = engine.n_runs
    # Real steps, return and planning count at the end of each episode, per
    # run; the per-episode values are their differences.
    ends = np.zeros((runs, n_episodes + 1), dtype=np.int64)
    gains = np.zeros((runs, n_episodes + 1))
    plans = np.zeros((runs, n_episodes + 1), dtype=np.int64)
    policy = np.full((runs, n_episodes), np.nan)
    ids = np.arange(runs)  # which run each row of the batch is
    episode = np.zeros(runs, dtype=np.int64)
    in_episode = np.zeros(runs, dtype=np.int64)
    total = np.zeros(runs)
    states = np.full(runs, maze.start_state)
    limit = maze.max_steps
    while True:
        actions = engine.select_actions(states)
        next_states, rewards, terminated = maze.step(
            states, actions, engine.n_real_steps, env_rng
        )
        engine.update(states, actions, rewards, next_states, terminated)
        total += rewards
        in_episode += 1
        done = terminated if limit is None else terminated | (in_episode >= limit)
        if not done.any():
            states = next_states
            continue
        ended = np.flatnonzero(done)
        ends[ids[ended], episode[ended] + 1] = engine.n_real_steps
        gains[ids[ended], episode[ended] + 1] = total[ended]
        plans[ids[ended], episode[ended] + 1] = engine.n_planning_updates[ended]
        if probe is not None:
            for row in ended:
                policy[ids[row], episode[row]] = probe.of_row(engine, row)
        episode += done
        in_episode[done] = 0
        states = np.where(done, maze.start_state, next_states)
        finished = episode >= n_episodes
        if finished.all():
            break
        if finished.any():
            stay = ~finished
            engine.keep(stay)
            env_rng.keep(stay)
            ids, episode, in_episode = ids[stay], episode[stay], in_episode[stay]
            total, states = total[stay], states[stay]
    return (
        np.diff(ends, axis=1),
        np.diff(gains, axis=1),
        np.diff(plans, axis=1),
        policy,
    )


def run_steps_batched(
    engine: BatchedDynaQ,
    maze: VectorMaze,
    env_rng: Streams,
    n_steps: int,
    on_change: Callable | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative reward and planning updates after each real step, each
    ``(R, n_steps)``, and the step at which the maze changed ``(R,)``.
    ``on_change(maze, engine)``, if given, is called right after the step
    that changes the maze (as the loop calls it after the step whose env
    reports the change)."""
    runs = engine.n_runs
    rewards = np.zeros((runs, n_steps))
    planning = np.zeros((runs, n_steps), dtype=np.int64)
    in_episode = np.zeros(runs, dtype=np.int64)
    states = np.full(runs, maze.start_state)
    for t in range(n_steps):
        actions = engine.select_actions(states)
        next_states, reward, terminated = maze.step(states, actions, t, env_rng)
        engine.update(states, actions, reward, next_states, terminated)
        rewards[:, t] = reward
        planning[:, t] = engine.n_planning_updates
        in_episode += 1
        done = terminated.copy()
        if maze.max_steps is not None:
            done |= in_episode >= maze.max_steps
        in_episode[done] = 0
        states = np.where(done, maze.start_state, next_states)
        if on_change is not None and maze.change_at == t + 1:
            on_change(maze, engine)
    change = maze.change_at
    change_step = change if change is not None and change <= n_steps else -1
    return rewards.cumsum(axis=1), planning, np.full(runs, change_step)
