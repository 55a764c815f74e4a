"""Tests of exercise 6 (10 points). Values are compared after flattening, so
a solution with the wrong output shape loses the shape points only."""

import numpy as np

import gridworlds
from tabular_mbrl.course import points, submission

ex = submission("ex06_rollout_returns")

# A 3-state chain 0 -> 1 -> 2. Action 1 moves right, action 0 stays.
# Rewards: 1 for staying in 0, 2 for 0->1, 5 for 1->2 (terminal), 0 for staying
# in 1. State 2 pays 7 for anything, but a sequence that terminated never sees it.
NEXT = np.array([[0, 1], [1, 2], [2, 2]])
REWARD = np.array([[1.0, 2.0], [0.0, 5.0], [7.0, 7.0]])
TERMINAL = np.array([[False, False], [False, True], [False, False]])
# The same chain as the library's models hold it: arrays (S, A, K) with K = 1.
CHAIN = gridworlds.TabularModel(
    NEXT[..., None], np.ones(NEXT.shape + (1,)), REWARD[..., None], TERMINAL[..., None]
)


def returns(sequences, gamma=0.5, state=0):
    return ex.rollout_returns(CHAIN, state, np.array(sequences), gamma=gamma)


@points(1)
def test_shape_and_dtype():
    out = returns([[0, 1], [1, 1], [1, 0]])
    assert isinstance(out, np.ndarray), f"returned a {type(out).__name__}, not an array"
    assert out.shape == (3,), f"shape {out.shape}, expected (n_candidates,) == (3,)"
    assert out.dtype.kind == "f", f"dtype {out.dtype}, expected float"


@points(1)
def test_a_single_candidate():
    out = np.asarray(returns([[1, 1, 0]]))
    assert out.shape == (1,), f"shape {out.shape}, expected (1,)"


@points(2)
def test_hand_computed_returns():
    # gamma 0.9, from state 0:
    # [0, 0, 1]: 1 + 0.9 * 1 + 0.81 * 2 = 3.52
    # [0, 1, 1]: 1 + 0.9 * 2 + 0.81 * 5 = 6.85  (terminates at the last step)
    # [1, 1, 0]: 2 + 0.9 * 5 = 6.5  (terminates at step 2: the 7 never counts)
    out = np.ravel(returns([[0, 0, 1], [0, 1, 1], [1, 1, 0]], gamma=0.9))
    np.testing.assert_allclose(
        out, [3.52, 6.85, 6.5], err_msg="returns of [0,0,1], [0,1,1], [1,1,0]"
    )


@points(3)
def test_nothing_after_termination():
    # [1, 1, 0, 0]: 2 + 0.5 * 5, then the episode is over (state 2's 7s never count)
    out = np.ravel(returns([[1, 1, 0, 0], [1, 1, 1, 1]]))
    np.testing.assert_allclose(
        out, [4.5, 4.5], err_msg="after a terminal step a sequence earns nothing"
    )


@points(2)
def test_gamma_zero_counts_the_first_reward_only():
    # gamma ** 0 == 1: the docstring allows gamma in [0, 1]
    out = np.ravel(returns([[0, 1], [1, 1], [1, 0]], gamma=0.0))
    np.testing.assert_allclose(
        out, [1.0, 2.0, 2.0], err_msg="with gamma 0 only the first reward counts"
    )


@points(1)
def test_matches_a_plain_loop_on_the_dyna_maze():
    model = gridworlds.make("dyna_maze").model()  # arrays (S, A, 1)
    nxt, rew, term = (
        a[..., 0] for a in (model.next_states, model.rewards, model.terminated)
    )
    rng = np.random.default_rng(0)
    sequences = rng.integers(4, size=(300, 25))
    start = 17  # just below the goal, so many sequences terminate
    expected = []
    for sequence in sequences:  # the oracle: one candidate at a time
        s, total = start, 0.0
        for t, a in enumerate(sequence):
            total += 0.95**t * rew[s, a]
            if term[s, a]:
                break
            s = nxt[s, a]
        expected.append(total)
    assert max(expected) > 0, "the oracle should reach the goal at least once"
    out = np.ravel(ex.rollout_returns(model, start, sequences, gamma=0.95))
    np.testing.assert_allclose(out, expected)
