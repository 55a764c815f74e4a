"""Tests of exercise 8 (10 points)."""

import numpy as np
import pytest

import gridworlds
from tabular_mbrl.course import points, submission

ex = submission("ex08_value_iteration")


def two_states(k=1):
    """State 0: action 0 stays (reward 1), action 1 ends the episode (reward 5)."""
    shape = (2, 2, k)
    nxt = np.zeros(shape, dtype=int)
    probs = np.zeros(shape)
    probs[..., 0] = 1.0
    rew = np.zeros(shape)
    term = np.zeros(shape, dtype=bool)
    rew[0, 0, 0] = 1.0
    rew[0, 1, 0] = 5.0
    term[0, 1, 0] = True
    nxt[1] = 1  # state 1 is never reached; it loops with reward 0
    return nxt, probs, rew, term


@points(1)
def test_shapes():
    v, q = ex.value_iteration(*two_states(), gamma=0.9)
    assert np.shape(v) == (2,) and np.shape(q) == (2, 2)


@points(2)
def test_two_states_hand_computed():
    # Staying forever is worth 1 / (1 - 0.9) = 10 > 5 for ending now.
    v, q = ex.value_iteration(*two_states(), gamma=0.9)
    assert v[0] == pytest.approx(10.0, abs=1e-6)
    assert q[0, 1] == pytest.approx(5.0, abs=1e-6)
    # With gamma 0.5 staying is worth 2 < 5.
    v, q = ex.value_iteration(*two_states(), gamma=0.5)
    assert v[0] == pytest.approx(5.0, abs=1e-6)
    assert q[0, 0] == pytest.approx(1 + 0.5 * 5.0, abs=1e-6)


@points(2)
def test_stochastic_outcomes():
    nxt, probs, rew, term = two_states(k=2)
    # Action 1 now ends the episode only with probability 0.5; else it stays
    # in state 0 with reward 0: q(0,1) = 0.5 * 5 + 0.5 * 0.9 * v(0).
    probs[0, 1] = [0.5, 0.5]
    v, q = ex.value_iteration(nxt, probs, rew, term, gamma=0.9)
    # v = max(1 + 0.9 v, 2.5 + 0.45 v): staying gives 10, the gamble
    # 2.5 / 0.55 = 4.545..., so v(0) = 10 and q(0,1) = 2.5 + 4.5 = 7.0
    assert v[0] == pytest.approx(10.0, abs=1e-6)
    assert q[0, 1] == pytest.approx(7.0, abs=1e-6)


@points(1)
def test_dyna_maze_start_is_14_steps_from_the_goal():
    env = gridworlds.make("dyna_maze")
    m = env.model()
    v, _ = ex.value_iteration(m.next_states, m.probs, m.rewards, m.terminated, 0.95)
    assert v[env.start_state] == pytest.approx(0.95**13, abs=1e-6)


@points(1)
def test_stops_at_the_given_tolerance():
    # Sweeps give v(0) = 5, 5.5, 5.95, ... -> 10; with tol 0.5 the change falls
    # below it after two or three sweeps, far from the converged 10.
    v, _ = ex.value_iteration(*two_states(), gamma=0.9, tol=0.5)
    assert 5.0 <= v[0] <= 6.5, (
        f"v(0) == {v[0]:.4f} with tol=0.5, expected about 5.5-5.95: stop once "
        "the largest change in a sweep is below tol"
    )


def chain(n, reward):
    """States 0 -> 1 -> ... -> n - 1, one action; the last step ends the
    episode. Each step pays ``reward``."""
    nxt = np.minimum(np.arange(n) + 1, n - 1).reshape(n, 1, 1)
    probs = np.ones((n, 1, 1))
    rew = np.full((n, 1, 1), float(reward))
    term = np.zeros((n, 1, 1), dtype=bool)
    term[n - 1, 0, 0] = True
    return nxt, probs, rew, term


@points(2)
def test_negative_rewards():
    # Values fall sweep after sweep: a signed change (new - old) is never
    # above tol, yet the values are far from converged after one sweep.
    v, q = ex.value_iteration(*chain(5, -1.0), gamma=0.9)
    expected = [-(1 - 0.9 ** (5 - s)) / (1 - 0.9) for s in range(5)]
    np.testing.assert_allclose(
        np.ravel(v), expected, atol=1e-6, err_msg="a chain of 5 steps paying -1"
    )


@points(1)
def test_stops_on_the_largest_change_not_the_mean():
    # 100 states; state 0 loops on itself with reward 1 (worth 10 at gamma
    # 0.9), the other 99 end at once with reward 0. The mean change falls
    # below tol=0.01 after one sweep, the largest only after about 44.
    nxt = np.zeros((100, 1, 1), dtype=int)
    probs = np.ones((100, 1, 1))
    rew = np.zeros((100, 1, 1))
    rew[0] = 1.0
    term = np.ones((100, 1, 1), dtype=bool)
    term[0] = False
    v, _ = ex.value_iteration(nxt, probs, rew, term, gamma=0.9, tol=0.01)
    assert v[0] > 9.8, (
        f"v(0) == {v[0]:.4f}, expected about 10: stop when the largest change "
        "of V in a sweep is below tol, not its mean"
    )
