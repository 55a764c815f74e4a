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


@points(3)
def test_update_hand_computed():
    # target = -1 + 0.9 * max(0.5, 2.0) = 0.8; delta = 0.8 - 0.2 = 0.6
    q = table()
    update(q)
    assert q[0, 1] == pytest.approx(0.2 + 0.5 * 0.6)


@points(1)
def test_returns_the_td_error():
    assert update(table()) == pytest.approx(0.6)


@points(2)
def test_terminal_transition_does_not_bootstrap():
    # target = -1; delta = -1.2
    q = table()
    delta = update(q, terminated=True)
    assert q[0, 1] == pytest.approx(0.2 - 0.6), "a terminal next state is worth 0"
    assert delta == pytest.approx(-1.2)


@points(2)
def test_truncated_transition_still_bootstraps():
    q = table()
    update(q, truncated=True)
    assert q[0, 1] == pytest.approx(0.5), (
        "a time limit is not a terminal state: bootstrap from S'"
    )


@points(1)
def test_only_the_updated_entry_changes():
    q = table()
    update(q)
    changed = np.argwhere(q != table()).tolist()
    assert changed == [[0, 1]], f"entries changed: {changed}"


@points(1)
def test_updates_in_place():
    q = table()
    result = update(q)
    assert not isinstance(result, np.ndarray) or result.ndim == 0, (
        "return the TD error (a number), not a table"
    )
    assert q[0, 1] != 0.2, "q must be changed in place"
