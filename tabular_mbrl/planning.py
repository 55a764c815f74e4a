"""Decision-time planning on a tabular model: roll a batch of action sequences
out in a model and pick the first action of the best one (random shooting), or
refit a distribution over sequences to the best ones (the cross-entropy method).

These are the pure functions behind MPC (:class:`~tabular_mbrl.agents.mpc.
RandomShootingAgent`), which calls them at every real step. The planning is done
in NumPy over all candidate sequences at once: one Python loop over the horizon,
none over candidates. See Sutton & Barto, 2nd ed., section 8.8 (planning at
decision time) and 8.10 (rollout algorithms).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gridworlds import TabularModel, sample_outcomes

from ._checks import (
    check_generator,
    check_int,
    check_memory,
    check_probability,
    check_real,
)
from .models import goal_array, optimistic, outcome_arrays

RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def rollout_returns(
    model: object,
    state: int,
    action_sequences: np.ndarray,
    *,
    gamma: float,
    reward_fn: RewardFn | None = None,
    terminal_fn: RewardFn | None = None,
    terminal_value: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Discounted returns of a batch of action sequences rolled out in a model.

    Parameters
    ----------
    model : TabularModel or learned model
        Outcome arrays ``(S, A, K)``. With ``K > 1`` each step samples an
        outcome for every candidate, using ``rng``.
    state : int
        Where every rollout starts.
    action_sequences : ndarray of int, shape (n_candidates, horizon)
    gamma : float
        Discount in [0, 1].
    reward_fn : callable, optional
        ``reward_fn(states, actions, next_states) -> rewards``, on arrays of
        shape ``(n_candidates,)``; replaces the model's rewards, so a new goal
        needs no relearning.
    terminal_fn : callable, optional
        Same signature, returning booleans; replaces the model's terminated flags.
    terminal_value : ndarray, shape (n_states,), optional
        Value added (discounted by ``gamma ** horizon``) for the state where a
        rollout still running at the horizon ends.
    rng : numpy Generator, optional
        Needed for stochastic models.

    Returns
    -------
    ndarray of float, shape (n_candidates,)
        Sum of ``gamma ** t * r_t``, stopping after a terminal transition.
    """
    gamma = check_probability("gamma", gamma)
    next_states, probs, rewards, terminated = outcome_arrays(model)
    n_states, n_actions, n_outcomes = next_states.shape
    state = check_int("state", state, low=0, high=n_states - 1)
    sequences = _check_sequences(action_sequences, n_actions)
    n_candidates, horizon = sequences.shape
    if terminal_value is not None:
        terminal_value = check_terminal_value(terminal_value, n_states)
    stochastic = n_outcomes > 1 and (probs[..., 1:] > 0).any()
    if rng is not None:
        rng = check_generator("rng", rng)
    if stochastic and rng is None:
        raise ValueError(
            f"rollout_returns needs rng= for a stochastic model "
            f"(K == {n_outcomes} outcomes per pair)"
        )
    states = np.full(n_candidates, state)
    returns = np.zeros(n_candidates)
    running = np.ones(n_candidates, dtype=bool)
    discount = 1.0
    for t in range(horizon):
        actions = sequences[:, t]
        k = sample_outcomes(probs[states, actions], rng) if stochastic else 0
        next_s = next_states[states, actions, k]
        step_rewards = (
            rewards[states, actions, k]
            if reward_fn is None
            else _call(reward_fn, "reward_fn", states, actions, next_s)
        )
        ends = (
            terminated[states, actions, k]
            if terminal_fn is None
            else _call(terminal_fn, "terminal_fn", states, actions, next_s)
        )
        returns += np.where(running, discount * step_rewards, 0.0)
        running &= ~ends.astype(bool)
        states = next_s
        discount *= gamma
    if terminal_value is not None:
        returns += np.where(running, discount * terminal_value[states], 0.0)
    return returns


def check_terminal_value(terminal_value: object, n_states: int) -> np.ndarray:
    """A finite array of shape ``(n_states,)``."""
    values = np.asarray(terminal_value, dtype=float)
    if values.shape != (n_states,):
        raise ValueError(
            f"terminal_value has shape {values.shape}, must "
            f"be (n_states,) == ({n_states},)"
        )
    if not np.isfinite(values).all():
        raise ValueError("terminal_value has NaN or infinite entries, must be finite")
    return values


def _check_sequences(action_sequences: object, n_actions: int) -> np.ndarray:
    sequences = np.asarray(action_sequences)
    if sequences.dtype.kind not in "iu":
        raise TypeError(
            f"action_sequences must be an integer array, got dtype {sequences.dtype}"
        )
    if sequences.ndim != 2 or 0 in sequences.shape:
        raise ValueError(
            f"action_sequences has shape {sequences.shape}, must be "
            f"(n_candidates, horizon) with both >= 1"
        )
    if sequences.min() < 0 or sequences.max() >= n_actions:
        raise ValueError(
            f"action_sequences has actions {sequences.min()}.."
            f"{sequences.max()}, must be in [0, {n_actions - 1}]"
        )
    return sequences


def _call(
    fn: RewardFn,
    name: str,
    states: np.ndarray,
    actions: np.ndarray,
    next_states: np.ndarray,
) -> np.ndarray:
    """Call a vectorised ``reward_fn``/``terminal_fn`` and check its shape."""
    out = np.asarray(fn(states, actions, next_states))
    if out.shape != states.shape:
        raise ValueError(
            f"{name} returned shape {out.shape}, must be "
            f"(n_candidates,) == {states.shape}"
        )
    if out.dtype.kind not in "biuf" or not np.isfinite(out).all():
        raise ValueError(f"{name} returned NaN, infinite or non-numeric values")
    return out


def _best_first_action(
    sequences: np.ndarray, returns: np.ndarray, rng: np.random.Generator
) -> int:
    """First action of a best sequence, ties broken at random."""
    if not np.isfinite(returns).all():
        raise ValueError(
            "rollout returns are NaN or infinite: the model's rewards (or the "
            "terminal values) must be finite"
        )
    best = np.flatnonzero(returns == returns.max())
    return int(sequences[best[rng.integers(len(best))], 0])


def candidate_sequences(
    n_actions: int, horizon: int, n_candidates: int, rng: np.random.Generator
) -> np.ndarray:
    """The action sequences random shooting scores, ``(C, horizon)``.

    ``n_candidates`` uniform random sequences; but when there are no more
    sequences than that (``n_actions ** horizon <= n_candidates``), every
    sequence once, in order, drawing nothing. Sampling would then only add
    decision noise: 100 random draws of the 4^5 = 1024 sequences often miss
    every best one, and the agent strays from a path it already knows.
    """
    if n_actions**horizon <= n_candidates:
        grid = np.indices((n_actions,) * horizon).reshape(horizon, -1).T
        return np.ascontiguousarray(grid)
    return rng.integers(n_actions, size=(n_candidates, horizon))


def n_sequences(n_actions: int, horizon: int, n_candidates: int) -> int:
    """How many sequences :func:`candidate_sequences` gives."""
    return min(n_candidates, n_actions**horizon)


def random_shooting(
    model: object,
    state: int,
    *,
    horizon: int,
    n_candidates: int,
    gamma: float,
    rng: np.random.Generator,
    **rollout_kwargs,
) -> int:
    """Random-shooting MPC: sample ``n_candidates`` uniform random action sequences
    of length ``horizon`` (all of them, when there are no more than that: see
    :func:`candidate_sequences`), score them with :func:`rollout_returns`, and
    return the first action of the best one (ties broken at random).

    ``rollout_kwargs`` (``reward_fn``, ``terminal_fn``, ``terminal_value``) go to
    :func:`rollout_returns`.
    """
    horizon = check_int("horizon", horizon, low=1)
    n_candidates = check_int("n_candidates", n_candidates, low=1)
    rng = check_generator("rng", rng)
    check_memory(
        f"{n_candidates:,} sequences of {horizon:,} actions",
        n_candidates * horizon * 40,
    )
    n_actions = outcome_arrays(model)[0].shape[1]
    sequences = candidate_sequences(n_actions, horizon, n_candidates, rng)
    returns = rollout_returns(
        model, state, sequences, gamma=gamma, rng=rng, **rollout_kwargs
    )
    return _best_first_action(sequences, returns, rng)


def cross_entropy_method(
    model: object,
    state: int,
    *,
    horizon: int,
    n_candidates: int,
    gamma: float,
    rng: np.random.Generator,
    n_iterations: int = 4,
    elite_fraction: float = 0.1,
    **rollout_kwargs,
) -> int:
    """The cross-entropy method over discrete action sequences.

    Keeps one categorical distribution over actions per step of the horizon,
    shape ``(horizon, n_actions)``, starting uniform. Each iteration samples
    ``n_candidates`` sequences from it, scores them with :func:`rollout_returns`,
    and refits each step's distribution to the action frequencies among the
    best ``elite_fraction`` of them. Returns the first action of the best
    sequence seen (ties broken at random). It simulates ``n_iterations *
    n_candidates * horizon`` model transitions.
    """
    horizon = check_int("horizon", horizon, low=1)
    n_candidates = check_int("n_candidates", n_candidates, low=1)
    n_iterations = check_int("n_iterations", n_iterations, low=1)
    elite_fraction = check_real(
        "elite_fraction", elite_fraction, low=0.0, high=1.0, low_open=True
    )
    rng = check_generator("rng", rng)
    check_memory(
        f"{n_candidates:,} sequences of {horizon:,} actions",
        n_candidates * horizon * 40,
    )
    n_actions = outcome_arrays(model)[0].shape[1]
    n_elite = max(1, int(round(elite_fraction * n_candidates)))
    dist = np.full((horizon, n_actions), 1.0 / n_actions)
    best_sequences, best_returns = [], []
    for _ in range(n_iterations):
        draws = rng.random((n_candidates, horizon, 1))
        sequences = np.minimum(
            (draws >= dist.cumsum(axis=1)).sum(axis=2), n_actions - 1
        )
        returns = rollout_returns(
            model, state, sequences, gamma=gamma, rng=rng, **rollout_kwargs
        )
        elite = sequences[np.argsort(-returns, kind="stable")[:n_elite]]
        counts = (elite[:, :, None] == np.arange(n_actions)).sum(axis=0)
        dist = counts / n_elite
        best_sequences.append(sequences)
        best_returns.append(returns)
    return _best_first_action(
        np.concatenate(best_sequences), np.concatenate(best_returns), rng
    )


def planning_view(
    model: object,
    *,
    reward_fn: RewardFn | None = None,
    terminal_fn: RewardFn | None = None,
    unknown_value: float | None = None,
    bonus: np.ndarray | None = None,
) -> TabularModel:
    """The model as a planner should see it, as outcome arrays ``(S, A, K)``.

    ``reward_fn``/``terminal_fn`` (vectorised, see :func:`rollout_returns`)
    replace the model's rewards and terminations; ``bonus`` ``(S, A)``, if
    given, is added to every outcome's reward of its pair (MPC's staleness
    bonus). Never-observed pairs of a
    learned model follow the package's one rule (see :mod:`tabular_mbrl.models`);
    with ``unknown_value`` set, the option on top of it applies instead
    (:func:`~tabular_mbrl.models.optimistic`: a terminal transition worth
    ``unknown_value``). Models without ``observed`` (an env's true model) know
    every pair.
    """
    next_states, probs, rewards, terminated = outcome_arrays(model)
    if unknown_value is not None:
        unknown_value = check_real("unknown_value", unknown_value)
    if reward_fn is not None or terminal_fn is not None:
        s, a = (i[..., None] for i in np.indices(next_states.shape[:2]))
        if reward_fn is not None:
            rewards = goal_array(reward_fn, "reward_fn", s, a, next_states, float)
        if terminal_fn is not None:
            terminated = goal_array(terminal_fn, "terminal_fn", s, a, next_states, bool)
    if bonus is not None:
        rewards = rewards + bonus[..., None]
    observed = getattr(model, "observed", None)
    if unknown_value is not None and observed is not None:
        return optimistic(
            TabularModel(next_states, probs, rewards, terminated),
            observed,
            unknown_value,
        )
    return TabularModel(
        next_states,
        np.array(probs, dtype=float),
        np.array(rewards, dtype=float),
        np.array(terminated, dtype=bool),
    )
