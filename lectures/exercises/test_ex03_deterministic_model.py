"""Tests of exercise 3 (10 points)."""

import numpy as np
import pytest

import tabular_mbrl as tm
from tabular_mbrl.course import points, submission

ex = submission("ex03_deterministic_model")


def model_with(*transitions, model_class=None):
    model = (model_class or ex.DeterministicModel)(10, 4)
    for t in transitions:
        model.update(*t)
    return model


def outcome(model, state, action):
    reward, next_state, terminated = model.sample(state, action)
    return float(reward), int(next_state), bool(terminated)


@points(1)
def test_sample_returns_what_was_seen():
    model = model_with((3, 1, 0.5, 4, False), (4, 2, 1.0, 9, True))
    assert outcome(model, 3, 1) == (0.5, 4, False)
    assert outcome(model, 4, 2) == (1.0, 9, True)


@points(2)
def test_sample_keeps_the_latest_outcome():
    model = model_with((3, 1, 0.5, 4, False), (3, 1, -1.0, 7, True))
    assert outcome(model, 3, 1) == (-1.0, 7, True)
    # And the other way round: a pair that ended the episode once and then
    # did not is no longer terminal (planning would never bootstrap past it).
    model = model_with((3, 1, -1.0, 7, True), (3, 1, 0.5, 4, False))
    got = outcome(model, 3, 1)
    assert got == (0.5, 4, False), (
        f"sample gave {got} after a terminal outcome, then (0.5, 4, False): "
        "the latest outcome replaces all of the earlier one, terminated too"
    )
    assert not np.asarray(model.terminated)[3, 1].any(), "terminated[3, 1] stays True"


@points(2)
def test_unseen_pairs_follow_the_rule_and_the_arrays_match_the_library():
    transitions = [(3, 1, 0.5, 4, False), (4, 2, 1.0, 9, True), (3, 1, 2.0, 5, False)]
    model = model_with(*transitions)
    assert outcome(model, 3, 2) == (0.0, 3, False), "unseen: stay, reward 0"
    assert outcome(model, 7, 0) == (0.0, 7, False), "unseen: stay, reward 0"
    library = model_with(*transitions, model_class=tm.DeterministicModel)
    for name in ("next_states", "rewards", "terminated", "probs", "observed"):
        got, expected = np.asarray(getattr(model, name)), getattr(library, name)
        assert got.shape == expected.shape, f"{name} has shape {got.shape}"
        np.testing.assert_array_equal(got, expected, err_msg=name)


@points(2)
def test_sample_pairs_gives_only_observed_pairs():
    model = model_with(
        (3, 1, 0.0, 4, False), (4, 0, 0.0, 5, False), (9, 3, 1.0, 0, True)
    )
    pairs = model.sample_pairs(300, np.random.default_rng(0))
    assert len(pairs) == 300, f"asked for 300 pairs, got {len(pairs)}"
    seen = {tuple(int(x) for x in pair) for pair in pairs}
    observed = {(3, 1), (4, 0), (9, 3)}
    assert seen <= observed, (
        f"sampled unobserved pairs such as {sorted(seen - observed)[:3]}"
    )
    assert seen == observed, f"300 samples gave only {sorted(seen)}"


@points(2)
def test_sample_pairs_is_uniform_over_distinct_pairs():
    model = model_with(*[(0, 0, 0.0, 1, False)] * 50, (5, 2, 0.0, 6, False))
    pairs = model.sample_pairs(3000, np.random.default_rng(1))
    share = np.mean([tuple(int(x) for x in pair) == (5, 2) for pair in pairs])
    assert 0.44 <= share <= 0.56, (
        f"a pair seen once was sampled {share:.2f} of the time, expected 0.5"
    )
    # Three actions tried in state 0, one in state 1: each of the 4 pairs is
    # drawn 1/4 of the time (picking a state first would give (1, 0) half).
    model = model_with(
        (0, 0, 0.0, 1, False), (0, 1, 0.0, 2, False), (0, 2, 0.0, 3, False),
        (1, 0, 0.0, 2, False),
    )  # fmt: skip
    pairs = model.sample_pairs(4000, np.random.default_rng(2))
    share = np.mean([tuple(int(x) for x in pair) == (1, 0) for pair in pairs])
    assert 0.2 <= share <= 0.3, (
        f"pair (1, 0), one of 4 observed pairs, was sampled {share:.2f} of the "
        "time, expected 0.25: sample pairs, not a state and then an action"
    )
    first = model.sample_pairs(20, np.random.default_rng(5))
    np.random.seed(9)  # noqa: NPY002 - must make no difference
    again = model.sample_pairs(20, np.random.default_rng(5))
    assert [list(map(int, p)) for p in first] == [list(map(int, p)) for p in again], (
        "the same rng seed gave other pairs: use only the given rng"
    )


@points(1)
def test_sample_pairs_from_an_empty_model_raises_runtime_error():
    model = ex.DeterministicModel(10, 4)
    assert list(model.sample_pairs(0, np.random.default_rng(0))) == []
    with pytest.raises(RuntimeError):
        model.sample_pairs(1, np.random.default_rng(0))
