"""Tests of exercise 7 (10 points). The scorers are fakes that record what
they were given, so the tests hold whatever sequences the solution draws."""

import numpy as np

from tabular_mbrl.course import points, submission

ex = submission("ex07_random_shooting")


class Recorder:
    """Scores a sequence by a fixed weighting of its actions; keeps the calls."""

    def __init__(self, constant=False):
        self.calls = []
        self.constant = constant

    def __call__(self, sequences):
        sequences = np.asarray(sequences)
        self.calls.append(sequences.copy())
        if self.constant:
            return np.zeros(len(sequences))
        weights = np.pi ** -np.arange(sequences.shape[1])  # no two sums tie
        return (sequences * weights).sum(axis=1) * np.cos(sequences[:, -1])


def choose(score, n_actions=4, horizon=5, n_candidates=30, seed=0):
    return ex.random_shooting_action(
        score, n_actions, horizon, n_candidates, np.random.default_rng(seed)
    )


@points(1)
def test_scores_one_batch_of_the_requested_shape():
    score = Recorder()
    choose(score)
    assert len(score.calls) == 1, f"score called {len(score.calls)} times, expected 1"
    sequences = score.calls[0]
    assert sequences.shape == (30, 5), f"sequences of shape {sequences.shape}"
    assert sequences.dtype.kind in "iu", f"sequences of dtype {sequences.dtype}"
    assert sequences.min() >= 0 and sequences.max() < 4


@points(2)
def test_returns_the_first_action_of_the_best_sequence():
    for seed in range(20):
        score = Recorder()
        action = choose(score, seed=seed)
        sequences = score.calls[0]
        best = sequences[np.argmax(score(sequences))]
        assert action == best[0], f"returned {action}, the best sequence is {best}"


@points(2)
def test_sequences_are_uniform_random():
    score = Recorder()
    for seed in range(10):
        choose(score, n_actions=3, horizon=10, n_candidates=300, seed=seed)
    c = np.bincount(np.concatenate([s.ravel() for s in score.calls]), minlength=3)
    share = c / c.sum()  # 30,000 draws: std of a share about 0.003
    assert np.all(np.abs(share - 1 / 3) < 0.02), f"action shares {share.round(3)}"


@points(1)
def test_equal_scores_still_give_an_action():
    action = choose(Recorder(constant=True), n_actions=4, horizon=3, n_candidates=50)
    assert 0 <= int(action) < 4


@points(1)
def test_horizon_one():
    score = Recorder()
    action = choose(score, n_actions=6, horizon=1, n_candidates=40)
    sequences = score.calls[0]
    assert action == sequences[np.argmax(score(sequences)), 0]


def candidates(seed, global_seed):
    """The candidates drawn with ``default_rng(seed)``, NumPy's global
    generator seeded with ``global_seed``."""
    np.random.seed(global_seed)  # noqa: NPY002 - must make no difference
    score = Recorder()
    choose(score, seed=seed)
    return score.calls[0]


@points(1)
def test_draws_only_from_the_given_rng():
    assert np.array_equal(candidates(3, global_seed=1), candidates(3, global_seed=2)), (
        "the same rng seed gave other candidates: draw them only from the given "
        "rng (not np.random.*)"
    )


@points(2)
def test_other_decisions_look_at_other_candidates():
    # A generator made inside the function (default_rng(0)) would show every
    # decision of an episode the same sequences.
    assert not np.array_equal(
        candidates(3, global_seed=1), candidates(4, global_seed=2)
    ), "another rng gave the same candidates: draw them from the rng you are given"
