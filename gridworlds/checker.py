"""``check_env``: a checker for tabular environments, stricter than Gymnasium's.

Gymnasium's checker can only look at ``reset`` and ``step``. A tabular env also
publishes its model, so we can check that the model is a probability
distribution and that ``step`` really samples from it.
"""

from __future__ import annotations

import copy
from itertools import zip_longest
from typing import Any

import numpy as np

from ._checks import check_int
from .layout import parse_layout


class EnvCheckError(ValueError):
    """Raised by :func:`check_env`; ``violations`` lists every problem found."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__(f"check_env found {len(violations)} problem(s):\n{lines}")


def check_env(
    env: Any,
    *,
    seed: int = 0,
    n_pairs: int = 40,
    n_samples: int = 400,
    max_states: int = 10_000,
) -> None:
    """Check a tabular env against its own model; raise listing every violation.

    Checks, on deep copies (``env`` itself is not touched):

    1. sizes: ``n_states == rows * cols``; ``to_cell``/``to_state`` invert each other;
    2. the model: arrays of shape ``(S, A, K)``, next states in range,
       probabilities >= 0 summing to 1, and ``transitions()`` equal to ``model()``;
    3. sampling: for ``n_pairs`` seeded random (state, action) pairs, every
       sampled ``(next_state, reward, terminated)`` is an outcome of
       ``transitions()``, and the frequency of each outcome is within
       ``5 * sqrt(p * (1 - p) / n_samples) + 1 / n_samples`` of its probability
       (over 5 standard deviations: a correct env fails with probability < 1e-6
       per outcome, and the check is seeded so it never fails by chance);
    4. ``reset(seed=...)`` twice gives the same rollout under the same actions;
    5. ``step()`` after the episode ended raises an error that mentions reset;
    6. the text map round-trips: ``parse_layout(env.layout)`` and
       ``parse_layout(env.render())`` give back ``env.grid``.

    Checks 1 and 2 call the env once per state (and action): on an env of more
    than ``max_states`` states they cover a seeded sample of ``max_states``
    states (the first and the last among them), so a 2000 x 2000 grid is
    checked in seconds; the array checks of the model still cover every pair.

    Raises
    ------
    EnvCheckError
        With one line per violation, saying what was expected and what was found.
    """
    n_pairs = check_int("n_pairs", n_pairs, low=1)
    n_samples = check_int("n_samples", n_samples, low=1)
    max_states = check_int("max_states", max_states, low=2)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    states = _states_to_check(env.n_states, max_states, seed)
    problems: list[str] = []
    _check_sizes(env, states, problems)
    _check_model(env, states, problems)
    if not problems:  # sampling against a broken model reports noise
        _check_sampling(copy.deepcopy(env), rng, n_pairs, n_samples, problems)
    _check_seeding(env, rng, problems)
    _check_step_after_end(copy.deepcopy(env), problems)
    _check_text(copy.deepcopy(env), problems)
    if problems:
        raise EnvCheckError(problems)


def _states_to_check(n_states: int, max_states: int, seed: int) -> list[int]:
    """Every state, or a seeded sample of ``max_states`` with the first and
    the last, in order."""
    if n_states <= max_states:
        return list(range(n_states))
    rng = np.random.default_rng([seed, n_states])  # apart from the checks' own
    middle = rng.choice(np.arange(1, n_states - 1), size=max_states - 2, replace=False)
    return [0, *sorted(middle.tolist()), n_states - 1]


def _check_sizes(env: Any, states: list[int], problems: list[str]) -> None:
    rows, cols = env.shape
    if env.n_states != rows * cols:
        problems.append(
            f"n_states: expected rows * cols = {rows * cols}, found {env.n_states}"
        )
    for state in states:
        if env.to_state(*env.to_cell(state)) != state:
            problems.append(
                f"to_state(*to_cell({state})): expected {state}, "
                f"found {env.to_state(*env.to_cell(state))}"
            )
            break


def _check_model(env: Any, states: list[int], problems: list[str]) -> None:
    model = env.model()
    expected = (env.n_states, env.n_actions)
    if model.next_states.shape[:2] != expected:
        problems.append(
            f"model() arrays: expected shape {expected + ('K',)}, "
            f"found {model.next_states.shape}"
        )
        return
    if (model.next_states < 0).any() or (model.next_states >= env.n_states).any():
        problems.append(
            f"model().next_states: expected values in [0, {env.n_states})"
            f", found {model.next_states.min()}..{model.next_states.max()}"
        )
    totals = model.probs.sum(axis=-1)
    bad = np.argwhere(~np.isclose(totals, 1.0) | (model.probs < 0).any(axis=-1))
    for state, action in bad[:5]:
        problems.append(
            f"probabilities of (state={state}, action={action}): expected "
            f"non-negative and summing to 1, found "
            f"{model.probs[state, action].tolist()} "
            f"(sum {totals[state, action]:.6g})"
        )
    for state in states:
        for action in range(env.n_actions):
            listed = {(s, r, t): p for p, s, r, t in env.transitions(state, action)}
            arrays: dict[tuple[int, float, bool], float] = {}
            for k in range(model.next_states.shape[2]):
                key = (
                    int(model.next_states[state, action, k]),
                    float(model.rewards[state, action, k]),
                    bool(model.terminated[state, action, k]),
                )
                arrays[key] = arrays.get(key, 0.0) + float(
                    model.probs[state, action, k]
                )
            arrays = {key: p for key, p in arrays.items() if p > 0}
            if arrays.keys() != listed.keys() or not np.allclose(
                [arrays[key] for key in listed], list(listed.values())
            ):
                problems.append(
                    f"transitions({state}, {action}): expected the model "
                    f"arrays' outcomes {arrays}, found {listed}"
                )
                return


def _standable(env: Any) -> np.ndarray:
    cells = env.grid.ravel()
    return np.flatnonzero((cells == ".") | (cells == "S"))


def _check_sampling(
    env: Any,
    rng: np.random.Generator,
    n_pairs: int,
    n_samples: int,
    problems: list[str],
) -> None:
    env.reset(seed=int(rng.integers(2**31)))
    standable = _standable(env)
    for _ in range(n_pairs):
        state = int(rng.choice(standable))
        action = int(rng.integers(env.n_actions))
        for _attempt in range(2):  # the layout changed mid-block: take it again
            outcomes = env.transitions(state, action)
            counts = _sample_block(env, state, action, outcomes, n_samples, problems)
            if counts is None or env.transitions(state, action) == outcomes:
                break
        if counts is None:
            return
        for prob, s, r, t in outcomes:
            freq = counts[(s, r, t)] / n_samples
            bound = 5 * np.sqrt(prob * (1 - prob) / n_samples) + 1 / n_samples
            if abs(freq - prob) > bound:
                problems.append(
                    f"step() from state {state} with action {action}: "
                    f"expected outcome (next_state={s}, reward={r}) with "
                    f"probability {prob:.3f} (+/- {bound:.3f}), found "
                    f"frequency {freq:.3f} in {n_samples} samples"
                )


def _sample_block(
    env: Any,
    state: int,
    action: int,
    outcomes: list[tuple],
    n_samples: int,
    problems: list[str],
) -> dict | None:
    """Step ``n_samples`` times from ``state``; count outcomes (None on a bad one)."""
    counts = dict.fromkeys(((s, r, t) for _, s, r, t in outcomes), 0)
    for _ in range(n_samples):
        if (
            env.grid.flat[state] not in (".", "S")
            or env.transitions(state, action) != outcomes
        ):
            break  # the layout changed: the caller takes the block again
        env.reset(options={"state": state})
        next_state, reward, terminated, _, _ = env.step(action)
        key = (next_state, reward, terminated)
        if key not in counts:
            problems.append(
                f"step() from state {state} with action {action}: "
                f"expected an outcome of {outcomes}, found "
                f"(next_state={next_state}, reward={reward}, "
                f"terminated={terminated})"
            )
            return None
        counts[key] += 1
    return counts


def _rollout(env: Any, seed: int, actions: np.ndarray) -> list[tuple]:
    trace = [env.reset(seed=seed)[0]]
    for action in actions:
        state, reward, terminated, truncated, _ = env.step(int(action))
        trace.append((state, reward, terminated, truncated))
        if terminated or truncated:
            trace.append(env.reset()[0])
    return trace


def _check_seeding(env: Any, rng: np.random.Generator, problems: list[str]) -> None:
    seed, actions = int(rng.integers(2**31)), rng.integers(env.n_actions, size=200)
    first = _rollout(copy.deepcopy(env), seed, actions)
    second = _rollout(copy.deepcopy(env), seed, actions)
    if first != second:
        at = next(i for i, (a, b) in enumerate(zip_longest(first, second)) if a != b)
        problems.append(
            f"reset(seed={seed}) twice with the same actions: expected the "
            f"same rollout, found {first[at : at + 1]} vs {second[at : at + 1]} "
            f"at step {at}"
        )


def _check_step_after_end(env: Any, problems: list[str]) -> None:
    model = env.model()
    ends = (model.probs * model.terminated).sum(axis=-1)  # P(terminate | s, a)
    outside = np.ones(env.n_states, dtype=bool)
    outside[_standable(env)] = False
    ends[outside] = 0.0
    if ends.max() == 0:
        return  # no goal can be reached in one step: nothing to check here
    state, action = np.unravel_index(np.argmax(ends), ends.shape)
    env.reset(seed=0, options={"state": int(state)})
    for _ in range(1000):
        terminated = env.step(int(action))[2]
        if terminated:
            break
        env.reset(options={"state": int(state)})
    try:
        env.step(int(action))
    except Exception as error:  # noqa: BLE001 - any clear error will do
        if "reset" not in str(error):
            problems.append(
                f"step() after the episode ended: expected an error that "
                f"says to call reset(), found {error!r}"
            )
    else:
        problems.append(
            "step() after the episode ended: expected an error, found a normal step"
        )


def _check_text(env: Any, problems: list[str]) -> None:
    env.reset(seed=0)
    for source in ("layout", "render()"):
        text = env.layout if source == "layout" else env.render()
        try:
            grid = parse_layout(text)
        except ValueError as error:
            problems.append(
                f"parse_layout(env.{source}): expected the layout, "
                f"found an error: {error}"
            )
            continue
        if grid.shape != env.grid.shape or (grid != env.grid).any():
            problems.append(
                f"parse_layout(env.{source}): expected the grid\n"
                f"{env.layout}\nfound\n{text}"
            )
