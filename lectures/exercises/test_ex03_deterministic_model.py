"""Tests of exercise 3 (10 points)."""

import numpy as np
import pytest

from tabular_mbrl.course import points, submission

ex = submission("ex03_deterministic_model")


def model_with(*transitions):
    model = ex.DeterministicModel(10, 4)
    for t in transitions:
        model.update(*t)
    return model


@points(2)
def test_predict_returns_what_was_seen():
    model = model_with((3, 1, 0.5, 4, False), (4, 2, 1.0, 9, True))
    reward, next_state, terminated = model.predict(3, 1)
    assert (reward, next_state, bool(terminated)) == (0.5, 4, False)
    reward, next_state, terminated = model.predict(4, 2)
    assert (reward, next_state, bool(terminated)) == (1.0, 9, True)


@points(2)
def test_predict_keeps_the_latest_outcome():
    model = model_with((3, 1, 0.5, 4, False), (3, 1, -1.0, 7, True))
    reward, next_state, terminated = model.predict(3, 1)
    assert (reward, next_state, bool(terminated)) == (-1.0, 7, True)


@points(1)
def test_predict_of_an_unseen_pair_raises_key_error():
    model = model_with((3, 1, 0.5, 4, False))
    with pytest.raises(KeyError):
        model.predict(3, 2)


@points(2)
def test_sample_gives_only_observed_pairs():
    model = model_with(
        (3, 1, 0.0, 4, False), (4, 0, 0.0, 5, False), (9, 3, 1.0, 0, True)
    )
    rng = np.random.default_rng(0)
    seen = {tuple(int(x) for x in model.sample(rng)) for _ in range(300)}
    observed = {(3, 1), (4, 0), (9, 3)}
    assert seen <= observed, (
        f"sampled unobserved pairs such as {sorted(seen - observed)[:3]}"
    )
    assert seen == observed, f"300 samples gave only {sorted(seen)}"


@points(2)
def test_sample_is_uniform_over_distinct_pairs():
    model = model_with(*[(0, 0, 0.0, 1, False)] * 50, (5, 2, 0.0, 6, False))
    rng = np.random.default_rng(1)
    share = np.mean([tuple(model.sample(rng)) == (5, 2) for _ in range(3000)])
    assert 0.44 <= share <= 0.56, (
        f"a pair seen once was sampled {share:.2f} of the time, expected 0.5"
    )


@points(1)
def test_sample_from_an_empty_model_raises_value_error():
    with pytest.raises(ValueError):
        ex.DeterministicModel(10, 4).sample(np.random.default_rng(0))
