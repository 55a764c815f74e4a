"""Exercise 6: scoring many action sequences at once in a model (MPC).

Run the tests:  pytest test_ex06_rollout_returns.py
"""

import numpy as np


def rollout_returns(
    next_states: np.ndarray,
    rewards: np.ndarray,
    terminated: np.ndarray,
    state: int,
    action_sequences: np.ndarray,
    gamma: float,
) -> np.ndarray:
    """Discounted returns of a batch of action sequences in a deterministic model.

    Every sequence starts in ``state``. Step ``t`` of sequence ``i`` takes action
    ``a = action_sequences[i, t]`` in the sequence's current state ``s``,
    receives ``rewards[s, a]`` discounted by ``gamma ** t``, and moves to
    ``next_states[s, a]``. After a transition with ``terminated[s, a]`` the
    sequence is over: later actions earn nothing.

    Parameters
    ----------
    next_states : ndarray of int, shape (n_states, n_actions)
    rewards : ndarray of float, shape (n_states, n_actions)
    terminated : ndarray of bool, shape (n_states, n_actions)
        The model: one outcome per pair (``env.model()`` of a gridworld
        without slip, with the last axis dropped).
    state : int
        The start state of every sequence.
    action_sequences : ndarray of int, shape (n_candidates, horizon)
    gamma : float
        Discount, in [0, 1].

    Returns
    -------
    ndarray of float, shape (n_candidates,)
        ``sum_t gamma**t * r_t`` for each sequence, stopping at termination.

    Hints
    -----
    Loop over the horizon (a short loop), never over the candidates: keep an
    array ``states`` of shape ``(n_candidates,)``, an array ``alive`` of
    booleans, and index the model with ``rewards[states, actions]``.
    """
    raise NotImplementedError("exercise 6: write rollout_returns")
