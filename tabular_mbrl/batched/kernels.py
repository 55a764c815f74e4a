"""The formulas of the engine, each written once in array form for many runs.

The agents in :mod:`tabular_mbrl.agents` hold the same formulas in scalar
form, one run at a time (what a student reads next to the book). The twins of
:mod:`tabular_mbrl.batched` call these instead; the contract test
(``tests/test_twins.py``) ties the two forms together, bit for bit.

- :func:`backup` and :func:`backups_in_turn`: the Q-learning backup, S&B
  equation 6.8, for one pair per run (:func:`backups_of_one_run`: the same
  arithmetic for one run in plain Python, for loops that carry few runs);
- :func:`greedy_with_ties` and :func:`explore`: epsilon-greedy with random
  tie-breaking (S&B section 2.2);
- :func:`remember_last`: the deterministic model's update, Model(S,A) <- R, S'
  (step (e) of the Dyna-Q box); :func:`sample_counted`: an outcome drawn from
  a counted model by its frequency;
- :func:`settled`: whether planning can still change a table;
- :func:`staleness_bonus`: Dyna-Q+'s ``kappa * sqrt(tau)`` (S&B section 8.3);
- :func:`iterate_values`: value iteration of many deterministic models to
  the per-run agent's tolerance (S&B section 4.4).
"""

from __future__ import annotations

import numpy as np


def backup(q, cells, rewards, discounts, best_next, alpha) -> None:
    """One Q-learning backup per run, in place on the flat table ``q``:

    Q(S,A) <- Q(S,A) + alpha [R + gamma max_a Q(S',a) - Q(S,A)]   (S&B eq. 6.8)

    ``cells`` are the flat indices of the pairs (one per run: no repeats),
    ``discounts`` gamma, or 0 where the transition ended, and ``best_next``
    max_a Q(S',a); all of shape ``(runs,)``.
    """
    old = q.take(cells)
    q.put(cells, old + alpha * (rewards + discounts * best_next - old))


def backups_in_turn(q, cells, rewards, discounts, next_cells, alpha) -> None:
    """:func:`backup` for several rows of runs, one row after another (each
    row may read what the previous one wrote), on the flat table ``q``.

    Row ``i`` backs up ``cells[i]`` (one per run) with ``rewards[i]``,
    ``discounts[i]`` and the flat cells of the next states' actions
    ``next_cells[i]`` ``(runs, A)``.
    """
    row_max = np.maximum.reduce
    for cell, reward, discount, nxt in zip(
        cells, rewards, discounts, next_cells, strict=True
    ):
        backup(q, cell, reward, discount, row_max(q[nxt], axis=1), alpha)


#: Costs in backups of :func:`backups_of_one_run` (0.5 us each, timed with
#: timeit on the 2-core development machine): a row of
#: :func:`backups_in_turn` (NumPy calls, 5-7 us at any width), and setting up
#: one run (14 us with 216 table cells, and at most as long as reading
#: ``WHOLE_TABLE`` cells: a larger table is read only where the backups go).
NUMPY_ROW = 8.0
PYTHON_SETUP = 10.0
PYTHON_PER_CELL = 0.1


#: Entries of a table up to which :func:`backups_of_one_run` reads it whole:
#: finding the rows the backups touch costs about as much as reading this many.
WHOLE_TABLE = 1024


def python_is_cheaper(runs: int, backups: int, cells: int) -> bool:
    """Whether ``backups`` rows of ``runs`` runs each, on tables of ``cells``
    entries, cost less one run at a time in plain Python
    (:func:`backups_of_one_run`) than as rows of NumPy calls."""
    setup = PYTHON_SETUP + min(cells, WHOLE_TABLE) * PYTHON_PER_CELL
    return runs * (backups + setup) < NUMPY_ROW * backups


def backups_of_one_run(q, pairs, rewards, discounts, next_states, alpha) -> None:
    """:func:`backups_in_turn` for one run, on its own table ``q`` ``(S, A)``,
    in plain Python: the same arithmetic in the same order, so the same bits.

    Backup ``i`` is of the pair ``pairs[i]`` (``state * A + action``) with
    ``rewards[i]``, ``discounts[i]`` and ``next_states[i]``, all ``(n,)``.
    Cheaper than a row of NumPy calls per backup when a loop carries few
    runs (the lockstep tail of a batch), and only then. A small table is
    read into a list and written back whole; of a larger one (more than
    ``WHOLE_TABLE`` entries), only the rows the backups read or write, so
    that the cost does not grow with the maze.
    """
    n, n_actions = len(pairs), q.shape[1]
    touched = None
    if q.size <= WHOLE_TABLE:
        values = q.reshape(-1).tolist()
    else:  # the rows touched, renumbered 0, 1, ... in a list of their own
        states = np.concatenate([pairs // n_actions, next_states])
        touched, local = np.unique(states, return_inverse=True)
        values = q[touched].reshape(-1).tolist()
        pairs = local[:n] * n_actions + pairs % n_actions
        next_states = local[n:]
    step = float(alpha)
    rows = (pairs, rewards, discounts, next_states)
    for pair, reward, discount, nxt in zip(*(a.tolist() for a in rows), strict=True):
        old = values[pair]
        best = max(values[nxt * n_actions : (nxt + 1) * n_actions])
        values[pair] = old + step * (reward + discount * best - old)
    if touched is None:
        q[...] = np.reshape(values, q.shape)
    else:
        q[touched] = np.reshape(values, (len(touched), n_actions))


#: What a look for settled tables (:func:`settled`) costs, in backups of
#: :func:`backups_of_one_run`: 15 us, and 0.015 us per table cell looked at
#: (timed with timeit on the 2-core development machine).
SETTLED_LOOK = 30.0
SETTLED_LOOK_PER_CELL = 0.03


def settled_look_cost(cells: int) -> float:
    """What a look (:func:`settled`) over tables of ``cells`` entries in all
    costs, in backups of plain Python: it reads every entry."""
    return SETTLED_LOOK + SETTLED_LOOK_PER_CELL * cells


def settled(q, next_states, rewards, terminated, observed, gamma, alpha):
    """Whether each run's table ``q`` ``(runs, S, A)`` is a fixed point, bit
    for bit, of the backup (:func:`backup`'s arithmetic) of every pair its
    deterministic model has observed: ``next_states``, ``rewards``,
    ``terminated`` and ``observed`` ``(runs, S, A)``, ``gamma`` and ``alpha``
    ``(runs,)``. Where it is, every planning backup would write back the bits
    it read. Returns ``(runs,)`` bools."""
    runs, n_states, n_actions = q.shape
    rows = q.reshape(-1, n_actions)
    best = rows[:, 0].copy()  # max_a Q(s, a), one action at a time
    for action in range(1, n_actions):
        np.maximum(best, rows[:, action], out=best)
    first_state = (np.arange(runs) * n_states)[:, None, None]
    best_next = best.take(next_states + first_state)  # (R, S, A)
    discount = gamma[:, None, None] * ~terminated
    backed_up = q + alpha[:, None, None] * (rewards + discount * best_next - q)
    same = backed_up.view(np.uint64) == q.view(np.uint64)  # bits, not values
    same |= ~observed
    return same.reshape(runs, -1).all(axis=1)


def greedy_with_ties(values: np.ndarray, noise: np.ndarray, axis: int = 1):
    """Index of a largest entry along ``axis`` of ``values``, ties broken at
    random: among the tied entries, the one with the largest ``noise`` (one
    uniform number per entry, the shape of ``values``)."""
    best = values == values.max(axis=axis, keepdims=True)
    return np.where(best, noise, -1.0).argmax(axis=axis)


def explore(u: np.ndarray, epsilon, n_actions: int, explores=None) -> np.ndarray:
    """A uniformly random action from each uniform number ``u`` below
    ``epsilon`` (``u / epsilon`` is then uniform in [0, 1)); 0 elsewhere.
    ``explores`` is ``u < epsilon``, if known."""
    if explores is None:
        explores = u < epsilon
    scaled = np.divide(u, epsilon, out=np.zeros(len(u)), where=explores)
    return np.minimum((scaled * n_actions).astype(np.int64), n_actions - 1)


def epsilon_greedy(q_rows: np.ndarray, epsilon, u: np.ndarray) -> np.ndarray:
    """Epsilon-greedy actions ``(runs,)`` in the rows ``q_rows`` ``(runs, A)``,
    from one draw per run ``u`` ``(runs, A + 1)``: tie-breaking noise for each
    action, then the number that decides exploration and, if it explores,
    the action (S&B section 2.2)."""
    greedy = greedy_with_ties(q_rows, u[:, :-1])
    explores = u[:, -1] < epsilon
    if not explores.any():
        return greedy
    random = explore(u[:, -1], epsilon, q_rows.shape[1], explores)
    return np.where(explores, random, greedy)


def remember_last(
    model, observed, cells, next_states, rewards, terminated, changes=True
):
    """Model(S,A) <- R, S' for one pair per run (step (e) of the Dyna-Q box):
    the deterministic model keeps the last outcome of each pair.

    ``model`` is the ``(next_states, rewards, terminated)`` arrays and
    ``observed`` the mask of pairs seen, each ``(runs, S, A)`` and contiguous,
    changed in place; ``cells`` are the flat pairs ``(run, state, action)``.
    Returns whether each pair was new (never observed before) and whether
    its model changed (new, or another outcome than the last), ``(runs,)``;
    the second is None with ``changes=False`` (not computed).
    """
    next_model, reward_model, end_model = (part.reshape(-1) for part in model)
    observed = observed.reshape(-1)  # views: the arrays are contiguous
    new = ~observed.take(cells)
    changed = None
    if changes:
        changed = (
            new
            | (next_model[cells] != next_states)
            | (reward_model[cells] != rewards)
            | (end_model[cells] != terminated)
        )
    observed[cells] = True
    next_model[cells] = next_states
    reward_model[cells] = rewards
    end_model[cells] = terminated
    return new, changed


def sample_counted(counts, reward_sums, ends, pairs, u, cumulative=None):
    """Outcomes drawn from counted (empirical) models, each by its frequency,
    as :meth:`EmpiricalModel.sample <tabular_mbrl.models.EmpiricalModel.sample>`
    draws one.

    Parameters
    ----------
    counts, reward_sums, ends : ndarray, shape (runs, S, A, S)
        Each run's outcome counts, summed rewards and end flags per next state.
    pairs : ndarray of int
        Flat ``(run, state, action)`` indices of the pairs sampled.
    u : ndarray of float, the shape of ``pairs``
        One uniform number per sample.
    cumulative : ndarray of int64, shape (runs, S, A, S), optional
        ``counts.cumsum(axis=-1)``, if kept up to date (else computed here,
        for the sampled pairs only).

    Returns
    -------
    rewards, terminated, next_states : ndarray, the shape of ``pairs``
        The mean reward, end flag and next state of each drawn outcome.
    """
    n_states = counts.shape[-1]
    if cumulative is None:
        cumulative = counts.reshape(-1, n_states)[pairs].cumsum(axis=-1)
    else:
        cumulative = cumulative.reshape(-1, n_states)[pairs]
    draw = u * cumulative[..., -1]
    next_states = (draw[..., None] >= cumulative).sum(axis=-1)
    cells = pairs * n_states + next_states
    rewards = reward_sums.reshape(-1)[cells] / counts.reshape(-1)[cells]
    return rewards, ends.reshape(-1)[cells], next_states


def staleness_bonus(kappa, tau):
    """Dyna-Q+'s bonus ``kappa * sqrt(tau)`` for pairs last tried ``tau`` real
    steps ago (S&B section 8.3)."""
    return kappa * np.sqrt(tau)


def iterate_values(values, next_states, rewards, terminated, gamma, tol):
    """Value iteration of many deterministic models (one outcome per pair),
    each run stopping at its own sweep of convergence, as
    :func:`tabular_mbrl.dynamic_programming.iterate_values` does for one.

    Parameters
    ----------
    values : ndarray, shape (runs, S)
        Where to start (a warm start); not changed.
    next_states, rewards, terminated : ndarray, shape (runs, S, A)
    gamma, tol : float

    Returns
    -------
    values : ndarray, shape (runs, S)
    sweeps : ndarray of int, shape (runs,)
    """
    rewards = rewards * 1.0  # as value_iteration computes it for K = 1
    discount = gamma * 1.0 * ~terminated
    v = values.copy()
    runs, n_states = v.shape
    running = np.arange(runs)
    sweeps = np.zeros(runs, dtype=np.int64)
    # The running runs' parts, gathered again only when some runs stop; each
    # next state as a flat index into ``now``, the running runs' values.
    now, cells = v, next_states + (running * n_states)[:, None, None]
    while running.size:
        q = rewards + discount * now.take(cells)
        best = q.max(axis=2)
        change = np.abs(best - now).max(axis=1)
        now = best
        sweeps[running] += 1
        going = ~(change < tol)
        if not going.all():
            v[running] = now  # final for the runs that stop here
            running, now = running[going], now[going]
            rewards, discount = rewards[going], discount[going]
            cells = (
                next_states[running]
                + (np.arange(running.size) * n_states)[:, None, None]
            )
    return v, sweeps
