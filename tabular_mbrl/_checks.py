"""Argument checks shared by the agents, models and runners.

The number checks are the environments' own (``gridworlds`` never imports us, so
the dependency runs this way only).
"""

from __future__ import annotations

import numpy as np

from gridworlds._checks import check_int, check_real

__all__ = ["check_int", "check_real", "check_pair", "check_probability", "make_rng"]


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


def make_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Normalise ``rng`` (a Generator, a seed or None) once (SPEC 7)."""
    if rng is not None and not isinstance(
        rng, (np.random.Generator, int, np.random.SeedSequence)
    ):
        raise TypeError(
            f"rng must be a numpy Generator, an int seed or None, "
            f"got {type(rng).__name__}"
        )
    return np.random.default_rng(rng)
