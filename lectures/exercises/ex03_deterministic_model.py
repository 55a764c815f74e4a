"""Exercise 3: the learned deterministic model of Dyna-Q (Sutton & Barto, 8.2).

Run the tests:  pytest test_ex03_deterministic_model.py
"""

import numpy as np


class DeterministicModel:
    """Model(S, A): the last reward and next state seen after each pair.

    This is step (e) of the Tabular Dyna-Q box, and the search control of its
    step (f): planning may only start from pairs that were actually tried.

    Parameters
    ----------
    n_states, n_actions : int
        Size of the table the model covers.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        raise NotImplementedError("exercise 3: set up the model's storage")

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Remember that ``action`` in ``state`` gave ``reward`` and led to
        ``next_state`` (ending the episode if ``terminated``). A later update of
        the same pair replaces the earlier one: the world is assumed
        deterministic, so the latest outcome is the truth."""
        raise NotImplementedError("exercise 3: write update")

    def predict(self, state: int, action: int) -> tuple[float, int, bool]:
        """The remembered ``(reward, next_state, terminated)`` of a pair.

        Raises
        ------
        KeyError
            If the pair was never observed.
        """
        raise NotImplementedError("exercise 3: write predict")

    def sample(self, rng: np.random.Generator) -> tuple[int, int]:
        """A previously observed ``(state, action)`` pair, uniformly at random
        among the *distinct* pairs observed so far (a pair seen 100 times is
        no more likely than a pair seen once).

        Raises
        ------
        ValueError
            If nothing has been observed yet.

        Hints
        -----
        Keep a list of the distinct observed pairs next to a dict (or arrays)
        of outcomes; ``rng.integers(len(pairs))`` picks one.
        """
        raise NotImplementedError("exercise 3: write sample")
