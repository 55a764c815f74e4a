"""Argument checks shared by the agents, models and runners.

The number checks are the environments' own (``gridworlds`` never imports us, so
the dependency runs this way only).
"""

from __future__ import annotations

import inspect

import numpy as np

from gridworlds._checks import (
    TooLarge,
    check_bool,
    check_int,
    check_memory,
    check_real,
)

__all__ = [
    "TooLarge",
    "agent_repr",
    "cannot_tell",
    "check_bool",
    "check_callable",
    "check_generator",
    "check_int",
    "check_memory",
    "check_nonempty",
    "check_real",
    "check_pair",
    "check_transition",
    "check_probability",
    "hyperparameters",
    "make_rng",
    "short_repr",
]


def check_probability(name: str, value: object) -> float:
    """A number in [0, 1] (``gamma``, ``epsilon``)."""
    return check_real(name, value, low=0.0, high=1.0)


def check_pair(
    n_states: int, n_actions: int, state: object, action: object, next_state: object = 0
) -> tuple[int, int, int]:
    """Check a transition's indices against a table of ``n_states x n_actions``."""
    return (
        check_int("state", state, low=0, high=n_states - 1),
        check_int("action", action, low=0, high=n_actions - 1),
        check_int("next_state", next_state, low=0, high=n_states - 1),
    )


def check_transition(
    n_states: int,
    n_actions: int,
    state: object,
    action: object,
    reward: object,
    next_state: object,
    terminated: object,
) -> tuple[int, int, float, int, bool]:
    """Check one real transition, as every agent's and model's ``update`` takes
    it: indices in range, a finite reward, and ``terminated`` a bool (a string
    such as ``"no"`` would otherwise count as True)."""
    state, action, next_state = check_pair(
        n_states, n_actions, state, action, next_state
    )
    reward = check_real("reward", reward)
    if not isinstance(terminated, (bool, np.bool_)):
        raise TypeError(
            f"terminated must be a bool, got {type(terminated).__name__} {terminated!r}"
        )
    return state, action, reward, next_state, bool(terminated)


def make_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Normalise ``rng`` (a Generator, a seed >= 0 or None) once (SPEC 7)."""
    if isinstance(rng, bool) or (
        rng is not None
        and not isinstance(
            rng, (np.random.Generator, int, np.integer, np.random.SeedSequence)
        )
    ):
        raise TypeError(
            f"rng must be a numpy Generator, an int seed or None, "
            f"got {type(rng).__name__}"
        )
    if isinstance(rng, int | np.integer):
        rng = check_int("rng", rng, low=0)
    return np.random.default_rng(rng)


def check_generator(name: str, rng: object) -> np.random.Generator:
    """A numpy Generator, for a function that draws from it at every call (a
    seed would give the same draws each time)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__} {rng!r}"
        )
    return rng


def check_nonempty(name: str, values: object) -> tuple:
    """A non-empty sequence of settings, as a tuple (``n_planning_steps=()``
    would run nothing)."""
    if isinstance(values, str) or not hasattr(values, "__len__"):
        raise TypeError(
            f"{name} must be a sequence of settings, got {type(values).__name__}"
        )
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} == (), must name at least one setting")
    return values


def hyperparameters(agent_class: type) -> dict[str, object]:
    """The keyword-only parameters of ``agent_class`` and their defaults, in
    signature order (``rng`` excluded): its hyperparameters."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(agent_class).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "rng"
    }


def short_repr(value: object) -> str:
    """``repr`` for numbers, strings and other plain values; the type's name for
    objects (a model, a function, an array)."""
    if value is None or isinstance(value, (bool, int, float, str, tuple)):
        return repr(value)
    if isinstance(value, type):
        return value.__name__
    return type(value).__name__


def agent_repr(agent: object) -> str:
    """``Class(n_states=.., n_actions=.., <hyperparameters not at default>)``,
    the one ``repr`` of every agent."""
    parts = [f"n_states={agent.n_states}", f"n_actions={agent.n_actions}"]
    for name, default in hyperparameters(type(agent)).items():
        value = getattr(agent, name)
        if value is default or (
            isinstance(value, (int, float, str)) and value == default
        ):
            continue
        parts.append(f"{name}={short_repr(value)}")
    return f"{type(agent).__name__}({', '.join(parts)})"


def cannot_tell(name: str) -> TypeError:
    """The error for telling a new goal to an agent (or its twin) ``name``
    that has no goal to be told: no ``reward_fn`` and no learned model."""
    return TypeError(
        f"{name} has no reward_fn and no learned model: it cannot be told a new "
        f"goal (an agent that can has tell(reward_fn, terminal_fn))"
    )


def check_callable(name: str, value: object) -> object:
    """A callable or None (a progress report, a hook)."""
    if value is not None and not callable(value):
        raise TypeError(
            f"{name} must be callable or None, got {type(value).__name__} {value!r}"
        )
    return value
