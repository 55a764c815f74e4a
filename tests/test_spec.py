"""Agent specs, and the agents' explicit, keyword-only signatures."""

import inspect

import numpy as np
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
    tm.RandomShootingAgent,
    tm.RandomWalkAgent,
]

# A value other than the default for each hyperparameter, to see it stored.
OTHER = {
    "alpha": 0.5,
    "gamma": 0.9,
    "epsilon": 0.2,
    "q_init": 1.0,
    "n_planning_steps": 7,
    "kappa": 0.01,
    "theta": 0.1,
    "horizon": 3,
    "n_candidates": 11,
    "unknown_value": 2.0,
    "terminal_value": "value_iteration",
    "planner": "cem",
    "n_iterations": 2,
    "n_replay_steps": 3,
    "n_rollouts": 2,
    "rollout_length": 4,
    "capacity": 50,
}


@pytest.mark.parametrize("agent_class", AGENTS, ids=lambda c: c.__name__)
def test_hyperparameters_are_keyword_only_and_stored_under_their_names(agent_class):
    parameters = inspect.signature(agent_class).parameters
    kinds = {p.kind for name, p in parameters.items() if name not in ("self",)}
    assert inspect.Parameter.VAR_KEYWORD not in kinds  # no **kwargs
    assert list(parameters)[:2] == ["n_states", "n_actions"]
    for name in list(parameters)[2:]:
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    given = {k: v for k, v in OTHER.items() if k in parameters}
    agent = agent_class(5, 4, rng=0, **given)
    for name, value in given.items():
        assert getattr(agent, name) == value, name


def test_shared_hyperparameters_have_one_default():
    for name in ("alpha", "gamma", "epsilon", "q_init", "n_planning_steps"):
        defaults = {
            c.__name__: inspect.signature(c).parameters[name].default
            for c in AGENTS
            if name in inspect.signature(c).parameters
            # MPC explores by optimism; its epsilon (a random action instead of
            # planning) is an extra, off by default.
            and not (c is tm.RandomShootingAgent and name == "epsilon")
        }
        assert len(set(defaults.values())) == 1, (name, defaults)


def test_an_unknown_keyword_names_the_agent():
    with pytest.raises(TypeError, match=r"DynaQAgent.__init__\(\) got an unexpected"):
        tm.DynaQAgent(5, 4, foo=1)


def test_repr_shows_the_hyperparameters_that_differ_from_the_defaults():
    assert repr(tm.QLearningAgent(5, 4)) == "QLearningAgent(n_states=5, n_actions=4)"
    assert (
        repr(tm.PrioritizedSweepingAgent(5, 4, alpha=0.5, theta=0.1))
        == "PrioritizedSweepingAgent(n_states=5, n_actions=4, theta=0.1, alpha=0.5)"
    )
    agent = tm.DynaQAgent(5, 4, n_planning_steps=50, model=tm.EmpiricalModel(5, 4))
    assert repr(agent) == (
        "DynaQAgent(n_states=5, n_actions=4, n_planning_steps=50, model=EmpiricalModel)"
    )


def test_a_spec_builds_fresh_agents_with_its_hyperparameters():
    spec = tm.AgentSpec(tm.DynaQAgent, n_planning_steps=50, model=tm.EmpiricalModel)
    assert repr(spec) == (
        "AgentSpec(DynaQAgent, n_planning_steps=50, model=EmpiricalModel)"
    )
    assert spec.label == "DynaQAgent(n_planning_steps=50, model=EmpiricalModel)"
    assert spec.hyperparameters == {
        "n_planning_steps": 50,
        "alpha": 0.1,
        "gamma": 0.95,
        "epsilon": 0.1,
        "q_init": 0.0,
        "model": tm.EmpiricalModel,
    }
    a, b = spec.build(54, 4, 0), spec.build(54, 4, 0)
    assert isinstance(a, tm.DynaQAgent) and a.n_planning_steps == 50
    assert isinstance(a.model, tm.EmpiricalModel) and a.model is not b.model
    assert a.rng.random() == b.rng.random()  # the same seed, the same stream


def test_replace_and_label():
    spec = tm.AgentSpec(tm.DynaQAgent, n_planning_steps=5, label="Dyna-Q")
    other = spec.replace(alpha=0.5)
    assert other.label == "Dyna-Q" and other.params == {
        "n_planning_steps": 5,
        "alpha": 0.5,
    }
    assert spec.params == {"n_planning_steps": 5}  # unchanged
    assert spec.replace(label="x").label == "x"
    assert other == tm.AgentSpec(
        tm.DynaQAgent, n_planning_steps=5, alpha=0.5, label="Dyna-Q"
    )
    assert other != spec
    assert tm.AgentSpec(tm.QLearningAgent).label == "QLearningAgent()"


def test_specs_are_immutable():
    spec = tm.AgentSpec(tm.DynaQAgent)
    with pytest.raises(AttributeError, match=r"AgentSpec is immutable; use spec"):
        spec.label = "x"
    with pytest.raises(TypeError):
        spec.params["alpha"] = 0.5


@pytest.mark.parametrize(
    "args, params, error, message",
    [
        (
            (tm.DynaQAgent,),
            {"foo": 1},
            TypeError,
            r"DynaQAgent has no hyperparameter 'foo'; its hyperparameters are "
            r"n_planning_steps, alpha, gamma, epsilon, q_init, model",
        ),
        ((tm.DynaQAgent,), {"rng": 1}, TypeError, r"rng is not a hyperparameter"),
        (
            (tm.DynaQAgent,),
            {"model": tm.DeterministicModel(5, 4)},
            TypeError,
            r"model == DeterministicModel\(...\) is an object that learns, which "
            r"every run would share; pass its class \(model=DeterministicModel\)",
        ),
        (("DynaQAgent",), {}, TypeError, r"agent_class must be an agent class"),
        ((tm.DynaQAgent,), {"label": 3}, TypeError, r"label must be a str, got int"),
    ],
)
def test_bad_specs(args, params, error, message):
    with pytest.raises(error, match=message):
        tm.AgentSpec(*args, **params)


def test_bad_hyperparameter_values_fail_at_build_naming_the_rule():
    spec = tm.AgentSpec(tm.DynaQAgent, alpha=1.5)
    with pytest.raises(ValueError, match=r"alpha == 1.5, must be in \(0, 1\]"):
        tm.run_episodes(lambda: gridworlds.make("dyna_maze"), spec, n_episodes=1)


def test_a_true_model_may_be_shared_by_every_run():
    env = gridworlds.make("dyna_maze")
    spec = tm.AgentSpec(
        tm.RandomShootingAgent,
        model=env.model(),  # immutable: nothing to learn, nothing to share
        horizon=3,
        terminal_value="value_iteration",
    )
    results = tm.run_episodes(
        lambda: gridworlds.make("dyna_maze"), spec, n_episodes=2, n_runs=2, seed=0
    )
    assert np.all(results.steps <= 20)  # near the 14-step optimum from the start
