"""Value iteration and path checks on any tabular model (S&B section 4.4)."""

from __future__ import annotations

import numpy as np

from ._checks import check_int, check_probability, check_real
from .models import outcome_arrays


def value_iteration(
    model: object,
    *,
    gamma: float,
    tol: float = 1e-8,
    max_iterations: int = 100_000,
    initial_values: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal values of a tabular model, by value iteration (S&B section 4.4).

    v(s) <- max_a sum_k p_k [r_k + gamma v(s'_k)], with no bootstrapping from
    terminated outcomes, until the largest change is below ``tol``.

    On the env's true model this is the oracle the learning agents should
    approach; on a learned model it is the best one could do believing that
    model (never-observed pairs stay in place with reward 0).

    Parameters
    ----------
    model : TabularModel or learned model
        Outcome arrays of shape ``(S, A, K)``.
    gamma : float
        Discount in [0, 1]. With ``gamma=1`` every state must be able to end the
        episode or the values may not converge.
    tol : float, default 1e-8
        Stop when ``max |v_new - v| < tol``.
    max_iterations : int, default 100000
    initial_values : ndarray, shape (S,), optional
        Where to start (a warm start from a previous, similar model); zeros
        by default.

    Returns
    -------
    v : ndarray, shape (S,)
    q : ndarray, shape (S, A)

    Raises
    ------
    RuntimeError
        If the values have not converged after ``max_iterations`` sweeps.
    """
    v, q, _ = iterate_values(
        model,
        gamma=gamma,
        tol=tol,
        max_iterations=max_iterations,
        initial_values=initial_values,
    )
    return v, q


def iterate_values(
    model: object,
    *,
    gamma: float,
    tol: float = 1e-8,
    max_iterations: int = 100_000,
    initial_values: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`value_iteration`, also returning how many sweeps it took: each
    sweep is ``S * A * K`` backups, the compute a planner that runs it must
    count."""
    gamma = check_probability("gamma", gamma)
    tol = check_real("tol", tol, low=0.0, low_open=True)
    max_iterations = check_int("max_iterations", max_iterations, low=1)
    next_states, probs, rewards, terminated = checked_arrays(model)
    for name, array in (("probs", probs), ("rewards", rewards)):
        if not np.isfinite(array).all():
            raise ValueError(
                f"model {name} has NaN or infinite entries, must be finite"
            )
    expected_reward = (probs * rewards).sum(axis=-1)
    discount = gamma * probs * ~terminated  # weight of v(s') per outcome
    v = np.zeros(next_states.shape[0])
    if initial_values is not None:
        v = np.array(initial_values, dtype=float)
        if v.shape != (next_states.shape[0],):
            raise ValueError(
                f"initial_values has shape {v.shape}, must be "
                f"(n_states,) == ({next_states.shape[0]},)"
            )
        if not np.isfinite(v).all():
            raise ValueError(
                "initial_values has NaN or infinite entries, must be finite"
            )
    for sweep in range(1, max_iterations + 1):
        q = expected_reward + (discount * v.take(next_states)).sum(axis=-1)
        best = q.max(axis=1)
        change = np.abs(best - v).max()
        v = best
        if change < tol:
            q = expected_reward + (discount * v.take(next_states)).sum(axis=-1)
            return v, q, sweep
    raise RuntimeError(
        f"value iteration did not converge in {max_iterations} "
        f"sweeps (last change {change:.3g} >= tol {tol:g}); with "
        f"gamma == {gamma:g} the values may be unbounded"
    )


def shortest_path_length(model: object, start_state: int) -> int | None:
    """Fewest steps from ``start_state`` to a terminating outcome, by breadth-first
    search over outcomes of positive probability (None if none is reachable).

    For a slippery env this is the luckiest path, not the expected one. The
    search goes level by level, each level in a few array operations, so a
    2000 x 2000 grid takes seconds, not minutes.
    """
    next_states, probs, _, terminated = checked_arrays(model)
    n_states = next_states.shape[0]
    start_state = check_int("start_state", start_state, low=0, high=n_states - 1)
    possible = probs > 0  # (S, A, K)
    ends = (terminated & possible).any(axis=(1, 2))  # a step from here can end
    seen = np.zeros(n_states, dtype=bool)
    seen[start_state] = True
    frontier, steps = np.array([start_state]), 0
    while frontier.size:
        steps += 1
        if ends[frontier].any():
            return steps
        reached = next_states[frontier][possible[frontier]]
        reached = np.unique(reached)
        frontier = reached[~seen[reached]]
        seen[frontier] = True
    return None


def greedy_path_length(q: np.ndarray, model: object, start_state: int) -> int | None:
    """Fewest steps from ``start_state`` to a terminating outcome using only greedy
    actions of ``q``, each followed to its most likely outcome.

    All actions tied for the best value count as greedy, so the answer does not
    depend on how ties are broken (exact ties are common: symmetric backups give
    equal values). A state whose actions are all tied, as before anything is
    learned there, gives no direction: no greedy path leaves it. Returns None if
    no greedy path ends the episode.

    Parameters
    ----------
    q : ndarray, shape (S, A)
    model : TabularModel or learned model
    start_state : int
    """
    next_states = checked_arrays(model)[0]
    q = np.asarray(q)
    if q.shape != next_states.shape[:2]:
        raise ValueError(
            f"q has shape {q.shape}, must be (n_states, n_actions) == "
            f"{next_states.shape[:2]}"
        )
    start = check_int("start_state", start_state, low=0, high=len(q) - 1)
    return greedy_path(q, *likely_outcomes(model), start)


def decided_states(q: np.ndarray, env: object) -> np.ndarray:
    """Where the greedy policy of ``q`` (S, A) has a direction: the cells of
    ``env``'s map an agent stands on ('.' and 'S') whose actions are not all
    tied. Boolean, shape (S,). Figure 8.3 counts these."""
    q = np.asarray(q)
    cells = np.asarray(env.grid).ravel()
    if q.ndim != 2 or len(q) != len(cells) or not q.shape[1]:
        raise ValueError(
            f"q has shape {q.shape}, must be (n_states, n_actions) with n_states "
            f"== {len(cells)}, the cells of env's map"
        )
    return ~np.all(q == q[:, :1], axis=1) & np.isin(cells, [".", "S"])


def likely_outcomes(model: object) -> tuple[list[list[int]], list[list[bool]]]:
    """Most likely next state and its terminated flag per pair, as nested lists
    ``[state][action]`` (the path search below reads them one entry at a time)."""
    next_states, probs, _, terminated = outcome_arrays(model)
    likely = probs.argmax(axis=2)[..., None]
    return (
        np.take_along_axis(next_states, likely, axis=2)[..., 0].tolist(),
        np.take_along_axis(terminated, likely, axis=2)[..., 0].tolist(),
    )


def greedy_path(
    q: np.ndarray,
    successor: list[list[int]],
    ends: list[list[bool]],
    start_state: int,
    expanded: list[int] | None = None,
) -> int | None:
    """Breadth-first search over greedy actions (see :func:`greedy_path_length`).

    Plain Python: the frontier holds a few states, where NumPy calls cost more
    than they save. The answer depends on the rows of ``q`` of the states it
    expands, and on no other; pass a list as ``expanded`` to get them.
    """
    frontier, seen, steps = [start_state], {start_state}, 0
    while frontier:
        steps += 1
        if expanded is not None:
            expanded += frontier
        reached = []
        for state in frontier:
            values = q[state].tolist()
            best = max(values)
            if min(values) == best:
                continue  # all tied: no preference, no direction
            end, successors = ends[state], successor[state]
            for action, value in enumerate(values):
                if value == best:  # a greedy action
                    if end[action]:
                        return steps
                    reached.append(successors[action])
        frontier = []  # the states reached for the first time, in order
        for state in reached:
            if state not in seen:
                seen.add(state)
                frontier.append(state)
    return None


def predict_distribution(model: object, state: int, actions: np.ndarray) -> np.ndarray:
    """Exact distribution over states after each action of a fixed sequence.

    Parameters
    ----------
    model : TabularModel or learned model
    state : int
        The start state.
    actions : ndarray of int, shape (horizon,)

    Returns
    -------
    ndarray, shape (horizon, S)
        Row ``t`` is P(S_{t+1} = s) under the model. Terminating outcomes keep
        their probability in the state they lead to.
    """
    next_states, probs, _, _ = checked_arrays(model)
    n_states, n_actions = next_states.shape[:2]
    state = check_int("state", state, low=0, high=n_states - 1)
    actions = np.asarray(actions)
    if actions.ndim != 1 or actions.dtype.kind not in "iu":
        raise TypeError(
            f"actions must be a 1-D array of ints, got shape {actions.shape} and "
            f"dtype {actions.dtype}"
        )
    if actions.size and (actions.min() < 0 or actions.max() >= n_actions):
        raise ValueError(
            f"actions has actions {actions.min()}..{actions.max()}, must be in "
            f"[0, {n_actions - 1}]"
        )
    dist = np.zeros(n_states)
    dist[state] = 1.0
    rows = []
    for action in actions.tolist():
        dist = np.bincount(
            next_states[:, action].ravel(),
            weights=(dist[:, None] * probs[:, action]).ravel(),
            minlength=n_states,
        )
        rows.append(dist)
    return np.array(rows)


def checked_arrays(
    model: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~tabular_mbrl.models.outcome_arrays`, with every next state in
    ``[0, S)``: a planner indexes states by them."""
    arrays = outcome_arrays(model)
    next_states = arrays[0]
    n_states = next_states.shape[0]
    if next_states.dtype.kind not in "iu":
        raise TypeError(
            f"model next_states must be ints, got dtype {next_states.dtype}"
        )
    if next_states.size and (next_states.min() < 0 or next_states.max() >= n_states):
        raise ValueError(
            f"model next_states are {next_states.min()}..{next_states.max()}, must "
            f"be in [0, {n_states - 1}] (one row per state)"
        )
    return arrays
