"""The pieces every runner and planner shares: the interaction loop, the
outcome sampler and the one rule for never-observed pairs."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm


def test_sample_outcomes_follows_the_probabilities():
    probs = np.array([[0.2, 0.5, 0.3], [0.0, 0.0, 1.0]])
    rows = np.tile(probs, (20_000, 1))
    k = gridworlds.sample_outcomes(rows, np.random.default_rng(0))
    assert k.shape == (40_000,) and k.dtype.kind == "i"
    first = k[0::2]
    for outcome, p in enumerate(probs[0]):
        assert abs(np.mean(first == outcome) - p) < 0.012  # ~4 std
    assert np.all(k[1::2] == 2)  # a certain outcome is always drawn


def test_sample_outcomes_draws_one_number_per_row():
    rng, twin = np.random.default_rng(3), np.random.default_rng(3)
    gridworlds.sample_outcomes(np.full((5, 4), 0.25), rng)
    twin.random(5)
    assert rng.random() == twin.random()


def test_unknown_outcomes_by_hand():
    next_states, rewards, terminated = tm.unknown_outcomes(3, 2)
    np.testing.assert_array_equal(next_states, [[0, 0], [1, 1], [2, 2]])
    assert not rewards.any() and not terminated.any()
    model = tm.DeterministicModel(3, 2)
    np.testing.assert_array_equal(model.next_states[..., 0], next_states)
    empirical = tm.EmpiricalModel(3, 2)
    assert empirical.sample(2, 1, np.random.default_rng(0)) == (0.0, 2, False)


def test_optimism_changes_only_the_never_observed_pairs():
    model = tm.DeterministicModel(3, 2)
    model.update(0, 1, 0.5, 2, False)
    view = tm.optimistic(model, model.observed, 7.0)
    assert (view.rewards[0, 1, 0], view.next_states[0, 1, 0]) == (0.5, 2)
    assert not view.terminated[0, 1, 0]
    unknown = ~model.observed
    assert np.all(view.rewards[unknown, 0] == 7.0)
    assert np.all(view.terminated[unknown, 0]) and np.all(view.probs[..., 0] == 1)
    assert not model.terminated.any()  # the model itself is unchanged


def test_interact_is_the_loop_written_out():
    """The library's loop against the loop of lecture 1, step for step."""

    def agent():
        return tm.DynaQAgent(54, 4, n_planning_steps=3, rng=1)

    env, written = gridworlds.make("dyna_maze"), []
    a = agent()
    state, _ = env.reset(seed=2)
    while len(written) < 3000:
        action = a.select_action(state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        a.update(state, action, reward, next_state, terminated)
        written.append((state, action, reward, next_state, terminated))
        state = env.reset()[0] if terminated or truncated else next_state
    env, b = gridworlds.make("dyna_maze"), agent()
    steps = tm.interact(env, b, env.reset(seed=2)[0])
    looped = [tuple(next(steps)[:5]) for _ in range(3000)]
    assert looped == written
    assert any(t[4] for t in looped)  # an episode ended and the env was reset
    np.testing.assert_array_equal(a.q, b.q)


def test_random_walk_teaches_its_models():
    env = gridworlds.make("dyna_maze")
    model = tm.DeterministicModel(env.n_states, env.n_actions)
    walker = tm.RandomWalkAgent(env.n_states, env.n_actions, models=[model], rng=0)
    steps = tm.interact(env, walker, env.reset(seed=0)[0])
    for _ in range(500):
        next(steps)
    assert walker.n_real_steps == 500 and walker.n_planning_updates == 0
    assert model.n_observed > 20
    truth = env.model()
    seen = model.observed
    np.testing.assert_array_equal(
        model.next_states[seen, 0], truth.next_states[seen, 0]
    )
    with pytest.raises(TypeError, match=r"models must be learned models with"):
        tm.RandomWalkAgent(3, 2, models=[truth])


def test_transition_error_of_an_empty_model():
    env = gridworlds.make("dyna_maze")
    errors = tm.transition_error(env.model(), tm.DeterministicModel(54, 4))
    assert errors.shape == (54, 4)
    start = env.start_state
    # From S, UP, DOWN and RIGHT leave the cell; the empty model says "stay".
    assert errors[start].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert tm.transition_error(env.model(), env.model()).max() == 0.0
