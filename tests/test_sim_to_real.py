"""sim-to-real: agents trained in a simulator, deployed in the real maze; its
env, its agreement with plain runs, its refusals, and lecture 14's verdicts."""

import dataclasses

import numpy as np
import pytest

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import studies
from tabular_mbrl.studies.sim_to_real import (
    SIM_TO_REAL,
    SIM_TO_REAL_AGENTS,
    Deployment,
    world_maps,
)
from tabular_mbrl.studies.specs import STANDARD_MPC, dyna_q_spec

LECTURE = "14_simulation_to_real_world"


def walk(env, seed, n_steps=300):
    """The transitions of a fixed random walk in ``env``, reset on episode end."""
    actions = np.random.default_rng(99).integers(4, size=n_steps)
    state, _ = env.reset(seed=seed)
    out = []
    for action in actions:
        step = env.step(int(action))
        out.append(step[:4])
        state = env.reset()[0] if step[2] or step[3] else step[0]
    return out, state


def test_deployed_at_once_the_floor_slips_as_a_slippery_gridworld():
    maze = gridworlds.make("dyna_maze", slip=0.2)
    env = Deployment(maze.layout, maze.layout, deploy_at=0, slip=0.2)
    assert walk(env, seed=3) == walk(maze, seed=3)
    for part in ("next_states", "probs", "rewards", "terminated"):
        assert np.array_equal(getattr(env.model(), part), getattr(maze.model(), part))


def test_the_simulator_until_deployment_then_the_real_maze():
    simulator, real = world_maps("wall")
    env = Deployment(simulator, real, deploy_at=3, slip=0.5)
    opening = gridworlds.make("dyna_maze").to_state(0, 7)
    assert env.model_at(2).next_states[6, gridworlds.Action.RIGHT, 0] == opening
    after = env.model_at(3)
    assert after.next_states.shape[2] == 4  # the real floor slips
    assert (after.next_states[6, gridworlds.Action.RIGHT] != opening).all()
    env.reset(seed=0)
    infos = [env.step(gridworlds.Action.UP)[4]["changed"] for _ in range(4)]
    assert infos == [False, False, True, True]
    assert "slip=0.5" in repr(env) and env.changed


def test_the_wall_world_lacks_one_wall_and_the_slip_world_none():
    simulator, real = world_maps("wall", (2, 2))
    differ = np.argwhere(
        gridworlds.parse_layout(simulator) != gridworlds.parse_layout(real)
    )
    assert differ.tolist() == [[2, 2]]
    assert world_maps("slip")[0] == world_maps("wall", None)[0] == real


@pytest.mark.parametrize(
    "engine", ["loop", pytest.param("auto", marks=pytest.mark.slow)]
)
def test_a_simulator_equal_to_the_real_maze_gives_the_plain_numbers(engine):
    """With no slip and no missing wall, each series is the plain run's on the
    Dyna maze (same seed), counted from deployment, work included."""
    n_runs, n_steps, sim_steps = 3, 150, 120
    study = studies.sim_to_real(
        n_runs=n_runs,
        n_steps=n_steps,
        sim_steps=sim_steps,
        slip=0.0,
        missing_wall=None,
        engine=engine,
        seed=4,
    )
    by = {s.name: s for s in study.series}
    assert list(by) == list(SIM_TO_REAL)

    def plain():
        return gridworlds.make("dyna_maze")

    frozen = STANDARD_MPC.replace(model=plain().model())
    specs = dict(
        zip(
            SIM_TO_REAL_AGENTS,
            [
                (frozen, 0),
                (STANDARD_MPC, sim_steps),
                (dyna_q_spec(50), sim_steps),
                (tm.AgentSpec(tm.QLearningAgent), 0),
            ],
            strict=True,
        )
    )
    for agent, (spec, trained) in specs.items():
        result = tm.run_steps(
            plain,
            spec,
            n_steps=trained + n_steps,
            n_runs=n_runs,
            seed=4,
            engine="loop" if agent == "MPC, frozen sim model" else engine,
        )
        reward, work = result.cumulative_reward, result.planning_updates
        before = (reward[:, trained - 1 : trained], work[:, trained - 1])
        if not trained:
            before = (0.0, 0)
        for world in ("slip", "wall"):
            series = by[f"{world}: {agent}"]
            assert np.array_equal(series.values, reward[:, trained:] - before[0])
            assert series.model_work_per_step == tm.results.work_per_step(
                work[:, -1] - before[1], np.full(n_runs, n_steps)
            )


def test_every_series_reports_goals_and_model_work_since_deployment():
    study = studies.sim_to_real(n_runs=2, n_steps=50, sim_steps=30)
    assert study.kind == "panels" and len(study.panel_labels) == 2
    for series in study.series:
        assert series.values.shape == (2, 50)
        assert (np.diff(series.values, axis=1) >= 0).all()  # goals only add
        assert series.panel == ("wall" in series.name)
        assert np.isfinite(series.model_work_per_step)
        learns = "Q-learning" not in series.name
        assert (series.model_work_per_step > 0) == learns
    only = studies.sim_to_real(
        n_runs=2, n_steps=20, sim_steps=10, only=["wall: MPC, learning"]
    )
    assert [s.name for s in only.series] == ["wall: MPC, learning"]


@pytest.mark.parametrize(
    "settings, error, message",
    [
        ({"n_steps": 0}, ValueError, "n_steps == 0, must be in [1, inf]"),
        ({"sim_steps": -1}, ValueError, "sim_steps == -1, must be in [0, inf]"),
        ({"sim_steps": 2.5}, TypeError, "sim_steps must be an int"),
        ({"slip": 1.5}, ValueError, "slip == 1.5"),
        ({"n_planning_steps": -1}, ValueError, "n_planning_steps == -1"),
        ({"missing_wall": (0, 0)}, ValueError, "missing_wall == (0, 0), must be"),
        ({"missing_wall": (9, 9)}, ValueError, "a wall of the Dyna maze"),
        ({"missing_wall": (0, 7.0)}, ValueError, "one of (0, 7), (1, 2)"),
        ({"missing_wall": "07"}, ValueError, "missing_wall == '07'"),
        ({"missing_wall": 7}, ValueError, "missing_wall == 7"),
    ],
)
def test_bad_settings_are_refused_before_any_run(settings, error, message, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a setting ran")

    monkeypatch.setattr(tm.AgentSpec, "build", refuse)
    with pytest.raises(error) as raised:
        studies.sim_to_real(n_runs=2, **settings)
    assert message in str(raised.value)


def test_bad_worlds_and_deployments_are_refused():
    with pytest.raises(ValueError, match=r"world == 'moon', must be one of"):
        world_maps("moon")
    layout = gridworlds.make("dyna_maze").layout
    with pytest.raises(ValueError, match=r"slip == -0.1"):
        Deployment(layout, layout, deploy_at=0, slip=-0.1)
    with pytest.raises(ValueError, match=r"change_at == -1"):
        Deployment(layout, layout, deploy_at=-1)
    env = Deployment(layout, layout, deploy_at=0, slip=0.5)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action == 4, must be in \[0, 3\]"):
        env.step(4)


@pytest.mark.slow
def test_lecture_14_verdicts_at_its_defaults(lecture_at_defaults):
    lecture, config, study = lecture_at_defaults(LECTURE)
    assert config.n_runs >= 20 and config.seed == 0
    verdicts = [line.split(":")[0] for line in lecture.claims(study)]
    assert verdicts == [
        "Replanning absorbs the random error, not the bias",
        "Learning corrects the bias",
        "On the slippery floor learning hurts",
        "Dyna-Q corrects the bias more slowly than MPC",
        "Training in the wrong simulator pays in both worlds",
        "Model work per real step since deployment",
    ]
    by = {s.name: s for s in study.series}
    # The frozen model never gets past the missing wall; corrected, MPC walks
    # the real shortest path (14 steps) from its first bump on.
    assert (by["wall: MPC, frozen sim model"].values[:, -1] == 0).all()
    assert (by["wall: MPC, learning"].values[:, -1] >= config.n_steps / 15).all()


def swapped(study, a, b, *, copy=False):
    """The study with the values of series ``a`` and ``b`` exchanged (or
    ``b``'s copied onto ``a``)."""
    by = {s.name: s for s in study.series}
    new = {a: by[b].values, b: by[b if copy else a].values}
    series = [
        dataclasses.replace(s, values=new[s.name]) if s.name in new else s
        for s in study.series
    ]
    return dataclasses.replace(study, series=series)


@pytest.mark.slow
def test_lecture_14_verdicts_follow_their_numbers(lecture_at_defaults):
    lecture, _, study = lecture_at_defaults(LECTURE)
    before = [line.split(":")[0] for line in lecture.claims(study)]
    pairs = {
        0: ("slip: MPC, frozen sim model", "wall: MPC, frozen sim model"),
        1: ("wall: MPC, learning", "wall: MPC, frozen sim model"),
        2: ("slip: MPC, learning", "slip: MPC, frozen sim model"),
        3: ("wall: Dyna-Q, learning", "wall: MPC, learning"),
        4: ("slip: Dyna-Q, learning", "slip: Q-learning, from scratch"),
    }
    ties = [
        "Replanning absorbs the random error and the bias alike",
        "Learning does not correct the bias in 1,000 real steps",
        "On the slippery floor learning makes no clear difference",
        "Dyna-Q corrects the bias about as fast as MPC",
        "Training in the wrong simulator pays only in the wall world",
    ]
    for line, (a, b) in pairs.items():
        after = lecture.claims(swapped(study, a, b))
        assert after[line].split(":")[0] != before[line], (a, b)
        tied = lecture.claims(swapped(study, a, b, copy=True))
        assert tied[line].split(":")[0] == ties[line], (a, b)
    wall = swapped(study, "wall: Dyna-Q, learning", "wall: Q-learning, from scratch")
    assert lecture.claims(wall)[4].startswith(
        "Training in the wrong simulator pays only in the slip world"
    )
