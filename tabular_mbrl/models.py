"""Learned tabular models: M(s, a) -> (s', r), learned from real transitions.

Both models expose the same outcome arrays as an environment's true model
(``gridworlds.TabularModel``): ``next_states``, ``probs``, ``rewards`` and
``terminated``, each of shape ``(n_states, n_actions, K)``, plus ``observed``,
a boolean mask ``(n_states, n_actions)`` of the pairs seen at least once. So any
planner (``value_iteration``, Dyna, MPC) runs on a true or a learned model alike.

Never-observed pairs
--------------------
One rule, for every learned model and every planner: a pair never observed is
modelled as staying in place with reward 0, not terminal (the initial model of
S&B's Dyna-Q+ footnote, section 8.3). :func:`unknown_outcomes` gives the rule as
arrays; the learned models start from it, Dyna-Q+ plans from it and the batched
engine's models start from it too. ``observed`` tells these guesses from real
knowledge; Dyna-Q's search control only samples observed pairs.

One option sits on top of the rule: :func:`optimistic`, which MPC uses to
explore. It turns every never-observed pair into a terminal transition worth a
fixed value (optimism in the spirit of R-max), so a planner seeks out what its
model does not know yet.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from gridworlds import TabularModel

from ._checks import (
    check_generator,
    check_int,
    check_memory,
    check_real,
    check_transition,
)


def unknown_outcomes(
    n_states: int, n_actions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rule for never-observed pairs, as arrays of shape ``(S, A)``.

    Returns
    -------
    next_states : ndarray of int
        ``next_states[s, a] == s``: the agent stays in place.
    rewards : ndarray of float
        All 0.
    terminated : ndarray of bool
        All False.
    """
    shape = (
        check_int("n_states", n_states, low=1),
        check_int("n_actions", n_actions, low=1),
    )
    check_memory(
        f"{shape[0] * shape[1]:,} state-action pairs", shape[0] * shape[1] * 24
    )
    next_states = np.broadcast_to(np.arange(n_states)[:, None], shape).copy()
    return next_states, np.zeros(shape), np.zeros(shape, dtype=bool)


def optimistic(
    model: object, observed: np.ndarray, unknown_value: float
) -> TabularModel:
    """The model with optimism for never-observed pairs (R-max style).

    Each pair with ``observed[s, a]`` False becomes one terminal outcome with
    reward ``unknown_value``; observed pairs keep their outcomes.

    Parameters
    ----------
    model : TabularModel or learned model
        Outcome arrays of shape ``(S, A, K)``.
    observed : ndarray of bool, shape (S, A)
    unknown_value : float

    Returns
    -------
    TabularModel
        New arrays; ``model`` is not changed.
    """
    next_states, probs, rewards, terminated = outcome_arrays(model)
    rewards, terminated, probs = (
        np.array(rewards, dtype=float),
        np.array(terminated, dtype=bool),
        np.array(probs, dtype=float),
    )
    observed = np.asarray(observed)
    if observed.shape != next_states.shape[:2]:
        raise ValueError(
            f"observed has shape {observed.shape}, must be (n_states, n_actions) "
            f"== {next_states.shape[:2]}"
        )
    unknown_value = check_real("unknown_value", unknown_value)
    unknown = ~observed.astype(bool)
    rewards[unknown], terminated[unknown], probs[unknown] = 0.0, True, 0.0
    rewards[unknown, 0], probs[unknown, 0] = unknown_value, 1.0
    return TabularModel(next_states, probs, rewards, terminated)


class _LearnedModel:
    """Bookkeeping shared by the learned models: which pairs were observed."""

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.n_states = check_int("n_states", n_states, low=1)
        self.n_actions = check_int("n_actions", n_actions, low=1)
        cells = self.n_states * self.n_actions
        check_memory(f"a model of {cells:,} state-action pairs", cells * 64)
        self.observed = np.zeros((self.n_states, self.n_actions), dtype=bool)
        # Observed pairs in order of first observation, for O(1) uniform sampling.
        self._pairs = np.empty((self.n_states * self.n_actions, 2), dtype=np.int64)
        self.n_observed = 0

    def _observe(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> tuple[int, int, float, int, bool]:
        state, action, reward, next_state, terminated = check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        if not self.observed[state, action]:
            self.observed[state, action] = True
            self._pairs[self.n_observed] = state, action
            self.n_observed += 1
        return state, action, reward, next_state, terminated

    def _pair(self, state: object, action: object) -> tuple[int, int]:
        """``(state, action)`` checked against the table's size."""
        return (
            check_int("state", state, low=0, high=self.n_states - 1),
            check_int("action", action, low=0, high=self.n_actions - 1),
        )

    def sample_pairs(self, n: int, rng: np.random.Generator) -> list[list[int]]:
        """``n`` previously observed ``[state, action]`` pairs, each uniformly at
        random (Dyna's search control, S&B section 8.2, step (f)), drawn with one
        call to ``rng``."""
        n = check_int("n", n, low=0)
        if not isinstance(rng, np.random.Generator):
            check_generator("rng", rng)
        if n == 0:
            return []
        if self.n_observed == 0:
            raise RuntimeError(
                "sample_pairs() called on an empty model; "
                "call update() with a real transition first"
            )
        return self._pairs[rng.integers(self.n_observed, size=n)].tolist()


class DeterministicModel(_LearnedModel):
    """The last ``(reward, next_state, terminated)`` seen for each pair (K = 1).

    The model of Tabular Dyna-Q (S&B section 8.2): it assumes the world is
    deterministic, so a changed outcome simply overwrites the old one.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        super().__init__(n_states, n_actions)
        # Every pair starts as the rule for never-observed pairs says.
        rule = unknown_outcomes(self.n_states, self.n_actions)
        self.next_states, self.rewards, self.terminated = (a[..., None] for a in rule)
        self.probs = np.ones(self.next_states.shape)

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Model(S, A) <- R, S' (S&B section 8.2, step (e))."""
        state, action, reward, next_state, terminated = self._observe(
            state, action, reward, next_state, terminated
        )
        self.next_states[state, action, 0] = next_state
        self.rewards[state, action, 0] = reward
        self.terminated[state, action, 0] = terminated

    def sample(
        self, state: int, action: int, rng: np.random.Generator | None = None
    ) -> tuple[float, int, bool]:
        """The predicted ``(reward, next_state, terminated)``; needs no randomness."""
        if not (  # plain ints in range (planning, every backup) pass at once
            type(state) is int
            and type(action) is int
            and 0 <= state < self.n_states
            and 0 <= action < self.n_actions
        ):
            state, action = self._pair(state, action)
        return (
            float(self.rewards[state, action, 0]),
            int(self.next_states[state, action, 0]),
            bool(self.terminated[state, action, 0]),
        )


class EmpiricalModel(_LearnedModel):
    """Counts of outcomes: estimated probabilities and mean rewards.

    For stochastic (slippery) envs. Outcome slot ``k`` of a pair is the ``k``-th
    distinct next state seen from it; ``probs`` are the observed frequencies and
    ``rewards`` the mean reward seen with that next state (the maximum-likelihood
    model, S&B section 8.1). ``K`` grows as new outcomes appear.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        super().__init__(n_states, n_actions)
        # Every pair starts as the rule for never-observed pairs says (slot 0).
        rule = unknown_outcomes(self.n_states, self.n_actions)
        self.next_states, self.reward_sums, self.terminated = (
            a[..., None] for a in rule
        )
        self.counts = np.zeros(self.next_states.shape, dtype=np.int64)
        self.n_outcomes = np.zeros((self.n_states, self.n_actions), dtype=np.int64)

    @property
    def probs(self) -> np.ndarray:
        """Observed outcome frequencies, shape ``(S, A, K)`` (1 on the self-loop of
        a never-observed pair)."""
        totals = self.counts.sum(axis=-1, keepdims=True)
        probs = self.counts / np.maximum(totals, 1)
        probs[~self.observed, 0] = 1.0
        return probs

    @property
    def rewards(self) -> np.ndarray:
        """Mean reward per outcome, shape ``(S, A, K)``."""
        return self.reward_sums / np.maximum(self.counts, 1)

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Count one real transition."""
        state, action, reward, next_state, terminated = self._observe(
            state, action, reward, next_state, terminated
        )
        n = self.n_outcomes[state, action]
        seen = np.flatnonzero(self.next_states[state, action, :n] == next_state)
        if len(seen):
            k = seen[0]
        else:
            k = n
            if k == self.counts.shape[2]:
                self._grow()
            self.next_states[state, action, k] = next_state
            self.n_outcomes[state, action] += 1
        self.counts[state, action, k] += 1
        self.reward_sums[state, action, k] += reward
        self.terminated[state, action, k] = terminated

    def _grow(self) -> None:
        """Add one outcome slot to every pair."""
        pad = ((0, 0), (0, 0), (0, 1))
        self.next_states = np.pad(self.next_states, pad, mode="edge")
        self.counts = np.pad(self.counts, pad)
        self.reward_sums = np.pad(self.reward_sums, pad)
        self.terminated = np.pad(self.terminated, pad)

    def sample(
        self, state: int, action: int, rng: np.random.Generator
    ) -> tuple[float, int, bool]:
        """Draw ``(reward, next_state, terminated)`` from the estimated model:
        one uniform number, against the cumulative outcome frequencies (as
        :func:`gridworlds.sample_outcomes` draws; plain Python here, since
        Dyna-Q calls this once per planning backup)."""
        if not (  # plain ints in range (planning, every backup) pass at once
            type(state) is int
            and type(action) is int
            and 0 <= state < self.n_states
            and 0 <= action < self.n_actions
        ):
            state, action = self._pair(state, action)
        k = 0  # a never-observed pair has one outcome: the rule's, in slot 0
        counts = self.counts[state, action].tolist()
        if self.observed[state, action]:
            if not isinstance(rng, np.random.Generator):
                check_generator("rng", rng)
            k = draw_outcome(counts, rng)
        return (
            float(self.reward_sums[state, action, k] / max(counts[k], 1)),
            int(self.next_states[state, action, k]),
            bool(self.terminated[state, action, k]),
        )


def draw_outcome(counts: list[int], rng: np.random.Generator) -> int:
    """The index of an outcome drawn by its count (``counts``, at least one
    positive): one uniform number against the cumulative frequencies, as
    :func:`gridworlds.sample_outcomes` draws."""
    total, draw = sum(counts), rng.random()
    cumulative = enumerate(itertools.accumulate(counts))
    return next(i for i, running in cumulative if draw < running / total)


def relabel(
    model: DeterministicModel | EmpiricalModel,
    reward_fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    terminal_fn: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> None:
    """Tell a learned model that the goal moved: every outcome it has
    observed gets the reward ``reward_fn(states, actions, next_states)`` and
    the end flag ``terminal_fn(...)``, in place; the transitions stay.

    The functions are vectorised as MPC's (see
    :func:`~tabular_mbrl.planning.rollout_returns`), here on arrays of shape
    ``(S, A, K)``. Relabelling is how Dyna-Q is handed a new reward function:
    its planning backups then carry the new goal into Q without a real step
    (the ``goal-change`` experiment).
    """
    if not isinstance(model, DeterministicModel | EmpiricalModel):
        raise TypeError(
            f"model is a {type(model).__name__}, must be a DeterministicModel "
            f"or an EmpiricalModel"
        )
    s, a = (i[..., None] for i in np.indices(model.next_states.shape[:2]))
    seen = np.broadcast_to(model.observed[..., None], model.next_states.shape)
    if isinstance(model, EmpiricalModel):
        seen = seen & (model.counts > 0)
    rewards = goal_array(reward_fn, "reward_fn", s, a, model.next_states, float)
    ends = goal_array(terminal_fn, "terminal_fn", s, a, model.next_states, bool)
    if isinstance(model, EmpiricalModel):  # mean reward = sum / count
        model.reward_sums[seen] = (rewards * model.counts)[seen]
    else:
        model.rewards[seen] = rewards[seen]
    model.terminated[seen] = ends[seen]


def goal_array(fn, name, states, actions, next_states, kind) -> np.ndarray:
    """``fn(states, actions, next_states)`` broadcast to ``next_states``'
    shape, checked: finite numbers of a shape that broadcasts."""
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    out = np.asarray(fn(states, actions, next_states))
    if out.dtype.kind not in "biuf" or not np.isfinite(out).all():
        raise ValueError(f"{name} returned NaN, infinite or non-numeric values")
    try:
        out = np.broadcast_to(out, next_states.shape)
    except ValueError:
        raise ValueError(
            f"{name} returned shape {out.shape}, must broadcast to the shape of "
            f"its arguments {next_states.shape} (it is called on arrays)"
        ) from None
    return out.astype(kind)


def outcome_arrays(
    model: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(next_states, probs, rewards, terminated)`` of any tabular model.

    Accepts an env's ``model()`` (``gridworlds.TabularModel``), a learned model,
    or anything else with those four arrays of one shape ``(S, A, K)``.

    Raises
    ------
    TypeError
        If ``model`` lacks one of the arrays.
    ValueError
        If their shapes differ or are not 3-D.
    """
    names = ("next_states", "probs", "rewards", "terminated")
    # One getattr each: a learned model's probs and rewards are computed.
    found = [getattr(model, name, None) for name in names]
    missing = [name for name, got in zip(names, found, strict=True) if got is None]
    if missing:
        raise TypeError(
            f"model must have the arrays {', '.join(names)} (an env's "
            f"model() or a learned model); {type(model).__name__} lacks "
            f"{', '.join(missing)}"
        )
    arrays = tuple(np.asarray(got) for got in found)
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1 or arrays[0].ndim != 3:
        raise ValueError(
            f"model arrays must share one shape (S, A, K), got "
            f"{[a.shape for a in arrays]}"
        )
    return arrays


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Total variation distance ``0.5 * sum |p - q|`` over the last axis (0 for
    equal distributions, 1 for disjoint ones)."""
    p, q = np.asarray(p), np.asarray(q)
    if p.shape != q.shape:
        raise ValueError(
            f"p and q have shapes {p.shape} and {q.shape}, must be the same "
            f"(distributions over the same states)"
        )
    return 0.5 * np.abs(p - q).sum(axis=-1)


def transition_error(model: object, other: object) -> np.ndarray:
    """How far two models' next-state distributions are apart, per pair.

    Parameters
    ----------
    model, other : TabularModel or learned model
        Outcome arrays ``(S, A, K)`` over the same states and actions, e.g. an
        env's true ``model()`` and a learned model.

    Returns
    -------
    ndarray of float, shape (S, A)
        Total variation distance between p(. | s, a) of the two models.
    """
    sizes = [outcome_arrays(m)[0].shape[:2] for m in (model, other)]
    if sizes[0] != sizes[1]:
        raise ValueError(
            f"model and other have (n_states, n_actions) == {sizes[0]} and "
            f"{sizes[1]}, must be the same"
        )
    dense = [
        TabularModel(*outcome_arrays(m)).transition_matrix() for m in (model, other)
    ]
    return total_variation(*dense)


def most_likely_model(truth: TabularModel) -> TabularModel:
    """Each pair's most likely outcome under ``truth``, as a deterministic
    model (K = 1): a deterministic model with no learning error.

    Parameters
    ----------
    truth : TabularModel
        Outcome arrays ``(S, A, K)``.

    Returns
    -------
    TabularModel
        Arrays ``(S, A, 1)``.
    """
    k = truth.probs.argmax(axis=2)[..., None]
    next_states, rewards, terminated = (
        np.take_along_axis(part, k, axis=2)
        for part in (truth.next_states, truth.rewards, truth.terminated)
    )
    return TabularModel(next_states, np.ones(k.shape), rewards, terminated)


def counted_model(truth: TabularModel, counts: np.ndarray) -> TabularModel:
    """The empirical model of ``counts`` ``(S, A, K)`` (outcome frequencies;
    a pair never tried stays in place, the models' rule), in ``truth``'s
    outcome slots."""
    totals = counts.sum(axis=2, keepdims=True)
    unseen = totals == 0  # (S, A, 1)
    stay = np.arange(len(counts))[:, None, None]  # the rule: stay, reward 0
    first = np.arange(counts.shape[2]) == 0
    return TabularModel(
        np.where(unseen, stay, truth.next_states),
        np.where(unseen, first * 1.0, counts / np.maximum(totals, 1)),
        np.where(unseen, 0.0, truth.rewards),
        np.where(unseen, False, truth.terminated),
    )
