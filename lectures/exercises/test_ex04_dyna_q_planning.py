"""Tests of exercise 4 (10 points). The model is scripted: it hands out a
fixed sequence of pairs, so no test depends on how the solution uses ``rng``."""

import numpy as np
import pytest

from tabular_mbrl.course import points, submission

ex = submission("ex04_dyna_q_planning")


class ScriptedModel:
    """Hands out the pairs of ``script`` in order; predicts from ``outcomes``."""

    def __init__(self, script, outcomes):
        self.script = list(script)
        self.outcomes = outcomes
        self.samples = 0

    def sample_pairs(self, n, rng):
        pairs = [
            list(self.script[(self.samples + i) % len(self.script)]) for i in range(n)
        ]
        self.samples += n
        return pairs

    def sample(self, state, action, rng=None):
        return self.outcomes[(state, action)]  # KeyError for unobserved pairs


class DrawingModel(ScriptedModel):
    """Draws its pairs from ``script`` with the rng it is handed, and keeps
    that rng's state at each call."""

    def __init__(self, script, outcomes):
        super().__init__(script, outcomes)
        self.states = []

    def sample_pairs(self, n, rng):
        self.states.append(rng.bit_generator.state)
        self.samples += n
        return [list(self.script[i]) for i in rng.integers(len(self.script), size=n)]


CHAIN = {(0, 1): (0.0, 1, False), (1, 1): (1.0, 2, True), (1, 0): (0.0, 0, False)}


def plan(model, n, q=None):
    q = np.zeros((3, 2)) if q is None else q
    done = ex.dyna_q_planning(
        q, model, n, alpha=0.5, gamma=0.9, rng=np.random.default_rng(0)
    )
    return q, done


@points(1)
def test_zero_planning_steps_change_nothing():
    q, _ = plan(ScriptedModel([(0, 1)], CHAIN), 0)
    assert not q.any()


@points(3)
def test_backups_hand_computed():
    # (1,1): 0 + 0.5 * (1 - 0) = 0.5          (terminal: no bootstrap)
    # (0,1): 0 + 0.5 * (0 + 0.9 * 0.5 - 0) = 0.225
    # (1,1): 0.5 + 0.5 * (1 - 0.5) = 0.75
    q, _ = plan(ScriptedModel([(1, 1), (0, 1), (1, 1)], CHAIN), 3)
    assert q[1, 1] == pytest.approx(0.75)
    assert q[0, 1] == pytest.approx(0.225)


@points(1)
def test_asks_the_model_for_exactly_n_pairs():
    model = ScriptedModel([(1, 1), (0, 1)], CHAIN)
    _, done = plan(model, 7)
    assert model.samples == 7, f"asked the model for {model.samples} pairs for n=7"
    assert done == 7, f"returned {done!r}, expected the number of backups (7)"


@points(2)
def test_terminal_predictions_do_not_bootstrap():
    q = np.zeros((3, 2))
    q[2] = [10.0, 10.0]  # a terminal state's table row must be ignored
    q, _ = plan(ScriptedModel([(1, 1)], CHAIN), 1, q)
    assert q[1, 1] == pytest.approx(0.5)


@points(2)
def test_many_backups_match_a_replay():
    rng = np.random.default_rng(3)
    outcomes = {
        (s, a): (float(rng.normal()), int(rng.integers(5)), bool(rng.random() < 0.2))
        for s in range(5)
        for a in range(2)
    }
    script = [tuple(int(x) for x in p) for p in rng.integers([5, 2], size=(40, 2))]
    expected = np.zeros((5, 2))
    for s, a in script:  # the oracle: the backup written out by hand
        r, s2, term = outcomes[(s, a)]
        target = r + (0.0 if term else 0.9 * expected[s2].max())
        expected[s, a] += 0.5 * (target - expected[s, a])
    q = np.zeros((5, 2))
    ex.dyna_q_planning(
        q,
        ScriptedModel(script, outcomes),
        40,
        alpha=0.5,
        gamma=0.9,
        rng=np.random.default_rng(0),
    )
    np.testing.assert_allclose(q, expected)


@points(1)
def test_hands_the_model_the_given_rng():
    def planned(seed):
        model = DrawingModel([(0, 1), (1, 1), (1, 0)], CHAIN)
        rng = np.random.default_rng(seed)
        before = rng.bit_generator.state
        q = np.zeros((3, 2))
        ex.dyna_q_planning(q, model, 20, alpha=0.5, gamma=0.9, rng=rng)
        return q, model, before

    q, model, before = planned(7)
    assert model.states, "never asked the model for pairs"
    assert model.states[0] == before, (
        "the model was handed another generator than rng: pass the given rng to "
        "the model's methods (not a new default_rng())"
    )
    again, _, _ = planned(7)
    assert q.tolist() == again.tolist(), "the same rng seed planned other backups"
