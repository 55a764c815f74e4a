"""Hostile input: no hangs, no silent nonsense, no deep tracebacks. Each test
is a class of bad input, tried on every public entry point it reaches."""

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl.__main__ import main

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
MODELS = [tm.DeterministicModel, tm.EmpiricalModel]
LEARNERS = [*AGENTS, *MODELS]


def dead_end():
    return gridworlds.GridWorld("S.#G")  # the goal cannot be reached


@pytest.mark.parametrize("engine", ["loop", "batched", "auto"])
def test_episodes_that_can_never_end_are_refused_not_run(engine):
    spec = tm.AgentSpec(tm.QLearningAgent)
    with pytest.raises(ValueError, match=r"no goal can be reached from the start"):
        tm.run_episodes(dead_end, spec, n_episodes=1, n_runs=2, seed=0, engine=engine)
    with pytest.raises(ValueError, match=r"no goal can be reached from the start"):
        tm.backups_until_optimal(
            lambda: gridworlds.GridWorld("S.#G", max_steps=5), spec
        )
    # With a time limit the episodes end, and the runs go through.
    capped = tm.run_episodes(
        lambda: gridworlds.GridWorld("S.#G", max_steps=7), spec, n_episodes=2
    )
    assert capped.steps.tolist() == [[7, 7]]


@pytest.mark.parametrize("learner", LEARNERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "reward, terminated, error, message",
    [
        (float("nan"), False, ValueError, r"reward == nan, must be finite"),
        (float("inf"), False, ValueError, r"reward == inf, must be finite"),
        ("1", False, TypeError, r"reward must be a real number, got str"),
        (1.0, "no", TypeError, r"terminated must be a bool, got str 'no'"),
        (1.0, None, TypeError, r"terminated must be a bool, got NoneType"),
    ],
)
def test_updates_refuse_non_finite_rewards_and_non_bool_ends(
    learner, reward, terminated, error, message
):
    thing = learner(5, 4)
    with pytest.raises(error, match=message):
        thing.update(0, 0, reward, 1, terminated)
    thing.update(0, 0, 1.0, 1, np.bool_(False))  # numpy's bool is a bool


@pytest.mark.parametrize("agent_class", AGENTS[:4], ids=lambda c: c.__name__)
@pytest.mark.parametrize("state", [-1, 10])
def test_greedy_action_checks_the_state(agent_class, state):
    with pytest.raises(ValueError, match=rf"state == {state}, must be in \[0, 9\]"):
        agent_class(10, 4).greedy_action(state)


def test_a_model_that_cannot_learn_is_refused_up_front():
    message = r"model must be a learned model .* got TabularModel, which has no upd"
    with pytest.raises(TypeError, match=message):
        tm.DynaQAgent(54, 4, model=gridworlds.make("dyna_maze").model())


def test_runs_must_not_share_an_env_or_an_agent():
    maze = gridworlds.make("blocking_maze")
    spec = tm.AgentSpec(tm.QLearningAgent)
    with pytest.raises(ValueError, match=r"the env factory returned the same object"):
        tm.run_steps(lambda: maze, spec, n_steps=5, n_runs=2)
    agent = tm.QLearningAgent(54, 4)
    with pytest.raises(ValueError, match=r"the agent factory returned the same obj"):
        tm.run_episodes(
            lambda: gridworlds.make("dyna_maze"), lambda env, rng: agent,
            n_episodes=1, n_runs=2,
        )  # fmt: skip


def test_value_iteration_refuses_nan_instead_of_spinning():
    model = gridworlds.make("dyna_maze").model()
    with pytest.raises(ValueError, match=r"initial_values has NaN or infinite"):
        tm.value_iteration(model, gamma=0.9, initial_values=np.full(54, np.nan))
    broken = gridworlds.TabularModel(
        model.next_states, np.full(model.probs.shape, np.nan), model.rewards,
        model.terminated,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"model probs has NaN or infinite entries"):
        tm.value_iteration(broken, gamma=0.9)


def test_mpc_refuses_nan_values_and_rewards():
    env = gridworlds.make("dyna_maze")
    bad = np.full(54, np.nan)
    with pytest.raises(ValueError, match=r"terminal_value has NaN or infinite"):
        tm.RandomShootingAgent(54, 4, model=env.model(), terminal_value=bad)
    with pytest.raises(ValueError, match=r"terminal_value has NaN or infinite"):
        tm.random_shooting(
            env.model(), 18, horizon=2, n_candidates=5, gamma=0.9,
            rng=np.random.default_rng(0), terminal_value=bad,
        )  # fmt: skip
    agent = tm.RandomShootingAgent(
        54, 4, model=env.model(), reward_fn=lambda s, a, n: np.full(n.shape, np.nan)
    )
    with pytest.raises(ValueError, match=r"reward_fn returned NaN, infinite or non"):
        agent.select_action(18)


def test_planning_before_any_real_step_says_so():
    for agent in (tm.DynaQAgent(10, 4), tm.DynaQPlusAgent(10, 4)):
        with pytest.raises(RuntimeError, match=r"update\(\) with a real transition"):
            agent.plan(5)


def test_convergence_needs_runs_by_episodes():
    message = r"steps has shape \(10,\), must be \(n_runs, n_episodes\); for one"
    with pytest.raises(ValueError, match=message):
        tm.steps_to_convergence(np.ones(10), 14)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_samples": 0}, r"n_samples == 0, must be in \[1, inf\]"),
        ({"n_pairs": -1}, r"n_pairs == -1, must be in \[1, inf\]"),
        ({"seed": "0"}, r"seed must be an int, got str"),
    ],
)
def test_check_env_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        gridworlds.check_env(gridworlds.make("dyna_maze"), **kwargs)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "dyna-maze", "--runs", "99999999999999999999"],
         "argument --runs: 99999999999999999999 must be <= 10000"),
        (["grade", ".", "--timeout", "inf"], "argument --timeout: inf must be <= 3600"),
        (["grade", ".", "--timeout", "1e10"],
         "argument --timeout: 1e+10 must be <= 3600"),
        (["grade", ".", "--timeout", "nan"], "argument --timeout: nan must be > 0"),
        (["run", "dyna-maze", "--jobs", "5000"],
         "argument --jobs: 5000 must be <= 1000"),
    ],
)  # fmt: skip
def test_cli_numbers_out_of_range_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_grade_refuses_an_endless_timeout(tmp_path):
    from tabular_mbrl.course import grade

    with pytest.raises(ValueError, match=r"timeout == inf, must be <= 3600 seconds"):
        grade(tmp_path, timeout=float("inf"))


def test_outputs_that_are_folders_are_refused_before_running(tmp_path, capsys):
    (tmp_path / "model-errors.csv").mkdir()
    argv = ["run", "model-errors", "--quick", "--quiet", "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "model-errors.csv is a folder, not a file" in err
    assert not (tmp_path / "model-errors.png").exists()  # nothing half-written


@pytest.mark.slow
def test_overwriting_outputs_is_said(tmp_path, capsys):
    argv = ["run", "model-errors", "--quick", "--runs", "2", "--quiet",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    assert "overwrote" not in capsys.readouterr().out
    assert main(argv) == 0
    assert "(overwrote model-errors.png and model-errors.csv in" in (
        capsys.readouterr().out
    )


def test_a_model_with_nan_rewards_gets_a_clear_error_from_mpc():
    model = gridworlds.make("dyna_maze").model()
    broken = gridworlds.TabularModel(
        model.next_states, model.probs, np.full(model.rewards.shape, np.nan),
        model.terminated,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"rollout returns are NaN or infinite"):
        tm.random_shooting(
            broken, 18, horizon=2, n_candidates=5, gamma=0.9,
            rng=np.random.default_rng(0),
        )  # fmt: skip
