"""Exercise 5: the exploration bonus of Dyna-Q+ (Sutton & Barto, section 8.3).

Run the tests:  pytest test_ex05_dyna_q_plus_bonus.py
"""


class ExplorationBonus:
    """kappa * sqrt(tau): how much extra reward planning gives a pair that
    has not been tried for ``tau`` real time steps.

    Time here is counted in **real** steps only, the steps the agent takes in
    the environment. Planning backups are not time passing in the world, so
    calling :meth:`bonus` (which planning does many times per real step) must
    never change the bonus.

    Parameters
    ----------
    n_states, n_actions : int
        Size of the table.
    kappa : float
        Bonus scale, > 0 (the book uses small values such as 1e-3).
    """

    def __init__(self, n_states: int, n_actions: int, kappa: float) -> None:
        raise NotImplementedError("exercise 5: set up the counters")

    def observe(self, state: int, action: int) -> None:
        """One real step was taken: ``action`` was tried in ``state``.

        After this call the real-step count is one larger, and the pair's
        ``tau`` is 0."""
        raise NotImplementedError("exercise 5: write observe")

    def bonus(self, state: int, action: int) -> float:
        """``kappa * sqrt(tau)``, where ``tau`` is the number of real steps
        since the pair was last tried. A pair never tried counts from the
        start: its ``tau`` is the number of real steps taken so far."""
        raise NotImplementedError("exercise 5: write bonus")
