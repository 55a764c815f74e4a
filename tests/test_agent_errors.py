"""Bad hyperparameters and inputs get errors naming parameter, value and rule."""

import pytest

import gridworlds
import tabular_mbrl as tm

AGENTS = [
    tm.QLearningAgent,
    tm.DynaQAgent,
    tm.DynaQPlusAgent,
    tm.PrioritizedSweepingAgent,
    tm.ReplayQAgent,
    tm.RolloutQAgent,
]


@pytest.mark.parametrize("cls", AGENTS)
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"alpha": 1.5}, ValueError, r"alpha == 1.5, must be in \(0, 1\]"),
        ({"alpha": 0.0}, ValueError, r"alpha == 0, must be in \(0, 1\]"),
        ({"gamma": -0.1}, ValueError, r"gamma == -0.1, must be in \[0, 1\]"),
        ({"epsilon": 2}, ValueError, r"epsilon == 2, must be in \[0, 1\]"),
        ({"epsilon": "0.1"}, TypeError, r"epsilon must be a real number, got str"),
        (
            {"rng": "seed"},
            TypeError,
            r"rng must be a numpy Generator, an int seed or None",
        ),
    ],
)
def test_bad_common_hyperparameters(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(10, 4, **kwargs)


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (
            tm.DynaQAgent,
            {"n_planning_steps": -1},
            r"n_planning_steps == -1, must be in \[0, inf\]",
        ),
        (
            tm.DynaQPlusAgent,
            {"kappa": -1e-3},
            r"kappa == -0.001, must be in \[0, inf\]",
        ),
        (
            tm.PrioritizedSweepingAgent,
            {"theta": -1},
            r"theta == -1, must be in \[0, inf\]",
        ),
        (tm.QLearningAgent, {"n_states": 0}, r"n_states == 0, must be in \[1, inf\]"),
    ],
)
def test_bad_specific_hyperparameters(cls, kwargs, message):
    kwargs = {"n_states": 10, "n_actions": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("cls", AGENTS)
def test_out_of_range_transitions(cls):
    agent = cls(10, 4, rng=0)
    with pytest.raises(ValueError, match=r"state == 10, must be in \[0, 9\]"):
        agent.update(10, 0, 0.0, 1, False)
    with pytest.raises(ValueError, match=r"action == 4, must be in \[0, 3\]"):
        agent.update(0, 4, 0.0, 1, False)
    with pytest.raises(ValueError, match=r"next_state == -1, must be in \[0, 9\]"):
        agent.update(0, 0, 0.0, -1, False)
    with pytest.raises(TypeError, match=r"action must be an int, got float 1.5"):
        agent.update(0, 1.5, 0.0, 1, False)
    with pytest.raises(ValueError, match=r"state == 12, must be in \[0, 9\]"):
        agent.select_action(12)
    assert agent.n_real_steps == 0


def test_model_size_must_match_the_agent():
    with pytest.raises(
        ValueError,
        match=r"model has \(n_states, n_actions\) == "
        r"\(5, 4\), must match the agent's \(10, 4\)",
    ):
        tm.DynaQAgent(10, 4, model=tm.DeterministicModel(5, 4))


def test_runner_checks_agent_against_env():
    with pytest.raises(
        ValueError,
        match=r"agent has \(n_states, n_actions\) == "
        r"\(10, 4\), must match the env's \(54, 4\)",
    ):
        tm.run_episodes(
            lambda: gridworlds.make("dyna_maze"),
            lambda env, rng: tm.QLearningAgent(10, 4, rng=rng),
            n_episodes=1,
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_runs": 0}, r"n_runs == 0, must be in \[1, inf\]"),
        ({"n_episodes": 0}, r"n_episodes == 0, must be in \[1, inf\]"),
        ({"seed": -3}, r"seed == -3, must be in \[0, inf\]"),
    ],
)
def test_runner_arguments(kwargs, message):
    kwargs = {"n_episodes": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        tm.run_episodes(
            lambda: gridworlds.make("dyna_maze"),
            lambda env, rng: tm.QLearningAgent(54, 4, rng=rng),
            **kwargs,
        )
    with pytest.raises(ValueError, match=r"n_steps == 0, must be in \[1, inf\]"):
        tm.run_steps(
            lambda: gridworlds.make("dyna_maze"),
            lambda env, rng: tm.QLearningAgent(54, 4, rng=rng),
            n_steps=0,
        )


def test_planning_on_something_that_is_not_a_model():
    with pytest.raises(
        TypeError,
        match=r"model must have the arrays next_states, "
        r"probs, rewards, terminated .* dict lacks",
    ):
        tm.value_iteration({}, gamma=0.9)
    with pytest.raises(ValueError, match=r"gamma == 1.1, must be in \[0, 1\]"):
        tm.value_iteration(gridworlds.make("dyna_maze").model(), gamma=1.1)
