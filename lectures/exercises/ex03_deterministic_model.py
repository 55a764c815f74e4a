"""Exercise 3: the learned deterministic model of Dyna-Q (Sutton & Barto, 8.2).

Run the tests:  pytest test_ex03_deterministic_model.py

Your model has the same names and shapes as ``tabular_mbrl.DeterministicModel``,
so the library's planners (value iteration, MPC) can plan with it.
"""

import numpy as np


class DeterministicModel:
    """Model(S, A): the last reward and next state seen after each pair.

    This is step (e) of the Tabular Dyna-Q box, and the search control of its
    step (f): planning may only start from pairs that were actually tried.

    Never-observed pairs follow the package's one rule: the agent stays in
    place (``next_state == state``), with reward 0, and the episode goes on.

    Parameters
    ----------
    n_states, n_actions : int
        Size of the table the model covers.

    Attributes
    ----------
    next_states : ndarray of int, shape (n_states, n_actions, 1)
    rewards : ndarray of float, shape (n_states, n_actions, 1)
    terminated : ndarray of bool, shape (n_states, n_actions, 1)
        The one outcome of each pair (the last axis is the outcome slot ``k``;
        a deterministic model has one). Before a pair is observed they hold
        the rule above.
    probs : ndarray of float, shape (n_states, n_actions, 1)
        All ones: the one outcome is certain.
    observed : ndarray of bool, shape (n_states, n_actions)
        Which pairs have been seen at least once.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        raise NotImplementedError("exercise 3: set up the model's arrays")

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Remember that ``action`` in ``state`` gave ``reward`` and led to
        ``next_state`` (ending the episode if ``terminated``). A later update of
        the same pair replaces the earlier one: the world is assumed
        deterministic, so the latest outcome is the truth."""
        raise NotImplementedError("exercise 3: write update")

    def sample(
        self, state: int, action: int, rng: np.random.Generator | None = None
    ) -> tuple[float, int, bool]:
        """The predicted ``(reward, next_state, terminated)`` of a pair: the
        remembered outcome, or the rule's ``(0.0, state, False)`` for a pair
        never observed. A deterministic model needs no ``rng``."""
        raise NotImplementedError("exercise 3: write sample")

    def sample_pairs(self, n: int, rng: np.random.Generator) -> list[list[int]]:
        """``n`` previously observed ``[state, action]`` pairs, each uniformly
        at random among the *distinct* pairs observed so far (a pair seen 100
        times is no more likely than a pair seen once).

        Returns ``[]`` for ``n == 0``.

        Raises
        ------
        RuntimeError
            If ``n > 0`` and nothing has been observed yet.

        Hints
        -----
        Keep a list of the distinct observed pairs, in the order they were
        first seen; ``rng.integers(len(pairs), size=n)`` picks ``n`` of them.
        Why pairs and not "a visited state, then one of its tried actions":
        the book's box says "a random previously observed pair". Picking a
        state first favours the pairs of states with few tried actions (one
        action tried in s1 and three in s0 would give (s1, a) half the draws).
        Use only ``rng`` for randomness.
        """
        raise NotImplementedError("exercise 3: write sample_pairs")
