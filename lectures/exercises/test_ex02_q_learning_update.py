"""Tests of exercise 2 (10 points), on hand-computed numbers."""

import numpy as np
import pytest

from tabular_mbrl.course import points, submission

ex = submission("ex02_q_learning_update")


def table():
    q = np.zeros((3, 2))
    q[0] = [0.0, 0.2]
    q[1] = [0.5, 2.0]
    return q


def update(q, terminated=False, truncated=False):
    # S=0, A=1, R=-1, S'=1, alpha=0.5, gamma=0.9
    return ex.q_learning_update(
        q, 0, 1, -1.0, 1, terminated, truncated, alpha=0.5, gamma=0.9
    )


@points(2)
def test_update_hand_computed():
    # target = -1 + 0.9 * max(0.5, 2.0) = 0.8; delta = 0.8 - 0.2 = 0.6
    q = table()
    result = update(q)
    assert q[0, 1] == pytest.approx(0.5), f"Q(S, A) == {q[0, 1]}, expected 0.5"
    assert not isinstance(result, np.ndarray) or result.ndim == 0, (
        "return the TD error (a number), not a table"
    )
    assert result == pytest.approx(0.6), f"returned {result}, expected delta 0.6"
    changed = np.argwhere(q != table()).tolist()
    assert changed == [[0, 1]], f"entries changed: {changed}, expected only [0, 1]"


@points(2)
def test_bootstraps_from_the_best_next_action():
    # S=0, A=0, R=0, S'=1: target = 0.9 * max(0.5, 2.0) = 1.8, not 0.9 * Q(S', A)
    q = table()
    ex.q_learning_update(q, 0, 0, 0.0, 1, False, False, alpha=1.0, gamma=0.9)
    assert q[0, 0] == pytest.approx(1.8), (
        f"Q(0, 0) == {q[0, 0]}, expected 1.8 = 0.9 * max_a Q(1, a) "
        "(Q-learning bootstraps from the best next action, not the one taken)"
    )


@points(3)
def test_terminal_transition_does_not_bootstrap():
    # target = -1; delta = -1.2
    q = table()
    delta = update(q, terminated=True)
    assert q[0, 1] == pytest.approx(0.2 - 0.6), (
        f"Q(S, A) == {q[0, 1]}, expected -0.4: a terminal next state is worth 0"
    )
    assert delta == pytest.approx(-1.2), f"returned {delta}, expected -1.2"


@points(2)
def test_terminated_wins_over_truncated():
    # The time limit hit on the very step that reached the goal: still terminal.
    q = table()
    update(q, terminated=True, truncated=True)
    assert q[0, 1] == pytest.approx(-0.4), (
        f"Q(S, A) == {q[0, 1]}, expected -0.4: terminated and truncated "
        "together is a terminal step, so no bootstrap"
    )


@points(1)
def test_truncated_transition_still_bootstraps():
    q = table()
    update(q, truncated=True)
    assert q[0, 1] == pytest.approx(0.5), (
        f"Q(S, A) == {q[0, 1]}, expected 0.5: a time limit is not a terminal "
        "state, bootstrap from S'"
    )
