"""Exercise 6: scoring many action sequences at once in a model (MPC).

Run the tests:  pytest test_ex06_rollout_returns.py
"""

import numpy as np


def rollout_returns(
    model,
    state: int,
    action_sequences: np.ndarray,
    *,
    gamma: float,
) -> np.ndarray:
    """Discounted returns of a batch of action sequences in a deterministic model.

    Every sequence starts in ``state``. Step ``t`` of sequence ``i`` takes action
    ``a = action_sequences[i, t]`` in the sequence's current state ``s``,
    receives ``model.rewards[s, a, 0]`` discounted by ``gamma ** t``, and moves
    to ``model.next_states[s, a, 0]``. After a transition with
    ``model.terminated[s, a, 0]`` the sequence is over: later actions earn
    nothing.

    Parameters
    ----------
    model : TabularModel or learned model
        Outcome arrays ``next_states``, ``probs``, ``rewards`` and
        ``terminated``, each of shape ``(n_states, n_actions, K)``, as
        ``env.model()`` and ``tabular_mbrl``'s learned models give them. Here
        the model is deterministic: ``K == 1``, so outcome ``0`` is certain.
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
    booleans, and index the model with ``model.rewards[states, actions, 0]``.
    This is ``tabular_mbrl.rollout_returns`` for one outcome per pair.
    """
    raise NotImplementedError("exercise 6: write rollout_returns")
