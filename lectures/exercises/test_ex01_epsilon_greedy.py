"""Tests of exercise 1 (10 points). Frequencies are checked over thousands of
seeded draws with bands at least 6 standard deviations wide, so a correct
solution passes whatever order it draws its random numbers in."""

import numpy as np

from tabular_mbrl.course import points, repeat, submission

ex = submission("ex01_epsilon_greedy")


def counts(q_row, epsilon, n, seed=0):
    rng = np.random.default_rng(seed)
    # n calls, each on its own copy of q_row (one message to the grader's
    # submission process, not n).
    actions = repeat(ex.epsilon_greedy, n, np.array(q_row, dtype=float), epsilon, rng)
    return np.bincount(actions, minlength=len(q_row))


@points(1)
def test_returns_an_int_action_in_range():
    rng = np.random.default_rng(1)
    for q_row in ([0.0, 1.0], [3.0, -1.0, 2.0, 0.5, 0.5], [0.0] * 4):
        action = ex.epsilon_greedy(np.array(q_row), 0.5, rng)
        assert isinstance(action, int | np.integer), f"returned {action!r}, not an int"
        assert 0 <= action < len(q_row), f"action {action} out of range"


@points(2)
def test_greedy_when_epsilon_is_zero():
    assert counts([0.0, 0.3, -2.0, 0.1], 0.0, 200).tolist() == [0, 200, 0, 0]
    # Nearly equal is not equal: only exact ties are broken at random.
    got = counts([1.0, 1.0 + 1e-9, 0.0], 0.0, 200).tolist()
    assert got == [0, 200, 0], (
        f"chose {got} for values [1, 1 + 1e-9, 0], expected [0, 200, 0]: "
        "only the largest value is greedy (tiny noise is not a tie-break)"
    )


@points(2)
def test_ties_are_broken_at_random():
    c = counts([0.0, 5.0, 5.0, 1.0], 0.0, 2000)
    assert c[0] == c[3] == 0, "only the tied best actions may be chosen"
    assert 800 <= c[1] <= 1200 and 800 <= c[2] <= 1200, (
        f"tied actions chosen {c[1]} and {c[2]} times of 2000, expected about "
        "1000 each (np.argmax always picks the first)"
    )


@points(2)
def test_leaves_the_q_row_as_it_was():
    rng = np.random.default_rng(2)
    for values in ([0.0, 5.0, 5.0, 1.0], [-2.0, -1.0, -3.0], [0.0] * 4):
        for epsilon in (0.0, 0.5, 1.0):
            q_row = np.array(values)
            ex.epsilon_greedy(q_row, epsilon, rng)
            assert q_row.tolist() == values, (
                f"q_row became {q_row.tolist()}, was {values}: choosing an action "
                "must not change the agent's values"
            )


@points(1)
def test_explores_uniformly_when_epsilon_is_one():
    c = counts([0.0, 0.0, 9.0, 0.0], 1.0, 4000)
    assert ((c >= 800) & (c <= 1200)).all(), f"counts {c.tolist()}, expected ~1000 each"


@points(1)
def test_random_action_with_probability_epsilon():
    # P(greedy) = (1 - eps) + eps / n_actions = 0.6 + 0.1 = 0.7
    c = counts([1.0, 0.0, 0.0, 0.0], 0.4, 4000)
    assert 0.65 <= c[0] / 4000 <= 0.75, f"greedy share {c[0] / 4000:.3f}, expected 0.7"


@points(1)
def test_draws_only_from_the_given_rng():
    q_row = np.array([0.0, 2.0, 2.0, 1.0])

    def actions(seed, global_seed):
        np.random.seed(global_seed)  # noqa: NPY002 - must make no difference
        rng = np.random.default_rng(seed)
        return [int(a) for a in repeat(ex.epsilon_greedy, 50, q_row, 0.5, rng)]

    first = actions(3, global_seed=1)
    assert actions(3, global_seed=2) == first, (
        "the same rng seed gave other actions: use only the given rng "
        "(not np.random.* nor a new default_rng())"
    )
