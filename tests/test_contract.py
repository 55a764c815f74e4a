"""The environment contract, run over every registered env, with and without slip."""

import warnings

import numpy as np
import pytest

import gridworlds

ENVS = [(name, slip) for name in gridworlds.names() for slip in (0.0, 0.2)]


@pytest.fixture(params=ENVS, ids=[f"{n}-slip{s}" for n, s in ENVS])
def env(request):
    name, slip = request.param
    return gridworlds.make(name, slip=slip, max_steps=50)


def test_api_types_and_ranges(env):
    state, info = env.reset(seed=0)
    assert isinstance(state, int) and state == env.start_state and "total_steps" in info
    assert env.n_states == env.shape[0] * env.shape[1] and env.n_actions == 4
    rng = np.random.default_rng(0)
    for _ in range(200):
        state, reward, terminated, truncated, info = env.step(int(rng.integers(4)))
        assert isinstance(state, int) and 0 <= state < env.n_states
        assert isinstance(reward, float)
        assert isinstance(terminated, bool) and isinstance(truncated, bool)
        assert info["total_steps"] == env.total_steps
        if terminated or truncated:
            env.reset()


def test_model_arrays(env):
    model = env.model()
    k = 1 if env.slip == 0 else 4
    assert model.next_states.shape == (env.n_states, env.n_actions, k)
    assert model.next_states.dtype.kind == "i" and model.terminated.dtype == bool
    np.testing.assert_allclose(model.probs.sum(axis=-1), 1.0)


def test_check_env_passes(env):
    gridworlds.check_env(env)


def test_gymnasium_check_env_passes(env):
    pytest.importorskip("gymnasium")
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning from the checker fails the test
        check_env(gridworlds.to_gymnasium(env))


def test_gymnasium_render_modes(env):
    pytest.importorskip("gymnasium")
    ansi = gridworlds.to_gymnasium(env, render_mode="ansi")
    ansi.reset(seed=0)
    assert (gridworlds.parse_layout(ansi.render()) == env.grid).all()
    rgb = gridworlds.to_gymnasium(env, render_mode="rgb_array")
    rgb.reset(seed=0)
    assert rgb.render().shape == (env.shape[0] * 32, env.shape[1] * 32, 3)
