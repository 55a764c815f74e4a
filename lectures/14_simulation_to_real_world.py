"""Lecture 14: a model that is wrong in a systematic way (simulation to real world).

"Model imperfection is not a problem as you replan all the time." Which
imperfection? Agents are trained in a simulator of the Dyna maze, then
deployed in the real one, in two worlds. In "slip" the real floor slips where
the simulator's does not: the simulator's model is wrong at random, a little
everywhere. In "wall" the simulator lacks one wall of the real maze: its
model is wrong in one place, always the same way, on the path it prefers.
MPC that replans on the frozen simulator model meets both; beside it, MPC
and Dyna-Q trained in the simulator whose models keep learning from real
steps, and Q-learning from scratch. Goals are counted from deployment, with
the model work per real step that bought them. Every verdict printed under
the figure comes from a 95 % bootstrap interval of a difference of mean goals.

    python lectures/14_simulation_to_real_world.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.dynamic_programming import shortest_path_length
from tabular_mbrl.plotting import plot_study
from tabular_mbrl.results import Study, Verdict


@dataclass(frozen=True)
class Config:
    n_runs: int = 20  # runs per agent and world
    n_steps: int = 1000  # real steps after deployment
    sim_steps: int = 2000  # steps in the simulator before it (the learners)
    slip: float = 0.2  # how often the real floor slips; the simulator's never
    missing_wall: tuple[int, int] = (0, 7)  # the wall the simulator lacks
    n_planning_steps: int = 50  # Dyna-Q's n
    seed: int = 0  # master seed
    jobs: int = 2  # settings run side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_steps=200, sim_steps=300)


def run(config: Config) -> Study:
    return studies.sim_to_real(
        n_runs=config.n_runs,
        n_steps=config.n_steps,
        sim_steps=config.sim_steps,
        slip=config.slip,
        missing_wall=config.missing_wall,
        n_planning_steps=config.n_planning_steps,
        seed=config.seed,
        jobs=config.jobs,
    )


def claims(study: Study) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by a 95 % interval of a
    difference of mean goals since deployment
    (:func:`tabular_mbrl.results.compare`), the numbers after it."""
    by = {series.name: series for series in study.series}
    goals = {name: series.values[:, -1] for name, series in by.items()}
    n_steps = len(study.series[0].x)
    maze = gridworlds.make("dyna_maze")
    shortest = shortest_path_length(maze.model(), maze.start_state)

    def differ(a: str, b: str) -> tuple[Verdict, str]:
        verdict = results.compare(goals[a], goals[b], statistic="mean")
        return verdict, (
            f"{said(a)} against {said(b)}, difference {verdict.interval(digits=1)}"
        )

    def said(name: str) -> str:
        reached = f"{(goals[name] > 0).sum()}/{len(goals[name])}"
        return f"{goals[name].mean():.1f} goals ({reached} runs reach one)"

    def work(name: str) -> str:
        return f"{by[name].model_work_per_step:,.0f}"

    frozen, learning, dyna, scratch = agents = (
        "MPC, frozen sim model",
        "MPC, learning",
        "Dyna-Q, learning",
        "Q-learning, from scratch",
    )
    worlds = ("slip", "wall")  # the series are "world: agent"
    slip, wall = ({agent: f"{world}: {agent}" for agent in agents} for world in worlds)

    def rate(name: str) -> str:
        mean = goals[name].mean()
        return f"one goal per {n_steps / mean:.1f} real steps" if mean else "none"

    verdict, numbers = differ(slip[frozen], wall[frozen])
    lines = [
        verdict.word(
            "Replanning absorbs the bias better than the random error",
            "Replanning absorbs the random error, not the bias",
            "Replanning absorbs the random error and the bias alike",
        )
        + f": in {n_steps:,} real steps, MPC on the frozen simulator model, on "
        f"the slippery floor against where the simulator lacks a wall: "
        f"{numbers}. On the slippery floor that is {rate(slip[frozen])}; the "
        f"shortest path is {shortest}."
    ]
    verdict, numbers = differ(wall[learning], wall[frozen])
    lines.append(
        verdict.word(
            "Learning makes the bias worse",
            "Learning corrects the bias",
            f"Learning does not correct the bias in {n_steps:,} real steps",
        )
        + f": where the simulator lacks a wall, MPC whose model keeps learning "
        f"against MPC on the frozen model: {numbers}. The learned model keeps "
        "the last outcome of each pair, so one bump into the wall corrects it: "
        f"{rate(wall[learning])}, on a shortest path of {shortest}."
    )
    verdict, numbers = differ(slip[learning], slip[frozen])
    lines.append(
        verdict.word(
            "On the slippery floor learning hurts",
            "On the slippery floor learning helps too",
            "On the slippery floor learning makes no clear difference",
        )
        + f": MPC whose model keeps learning against the frozen model: "
        f"{numbers}. Keeping the last outcome, the model takes every slip it "
        f"sees for what the action does, and replans on that; it redoes value "
        f"iteration at each change, {work(slip[learning])} against "
        f"{work(slip[frozen])} model work per real step."
    )
    verdict, numbers = differ(wall[dyna], wall[learning])
    alpha = studies.dyna_q_spec(50).hyperparameters["alpha"]
    lines.append(
        verdict.word(
            "Dyna-Q corrects the bias more slowly than MPC",
            "Dyna-Q corrects the bias faster than MPC",
            "Dyna-Q corrects the bias about as fast as MPC",
        )
        + f": where the simulator lacks a wall, Dyna-Q that keeps learning "
        f"against MPC that does: {numbers}. Both models learn the wall at the "
        f"first bump; Dyna-Q's values must then be backed up away from it, "
        f"alpha = {alpha:g} of the way at a time, while MPC plans anew."
    )
    pays = [differ(world[dyna], world[scratch]) for world in (slip, wall)]
    where = [
        world for world, (verdict, _) in zip(worlds, pays, strict=True) if verdict.more
    ]
    if len(where) == len(pays):
        verdict_words = "Training in the wrong simulator pays in both worlds"
    elif where:
        verdict_words = (
            f"Training in the wrong simulator pays only in the {where[0]} world"
        )
    else:
        verdict_words = "Training in the wrong simulator does not clearly pay"
    lines.append(
        verdict_words
        + f": Dyna-Q trained there against Q-learning from scratch: on the "
        f"slippery floor {pays[0][1]}; where the simulator lacks a wall "
        f"{pays[1][1]}."
    )
    lines.append(
        "Model work per real step since deployment: MPC on the frozen model "
        f"{work(slip[frozen])} (slip) and {work(wall[frozen])} (wall), MPC "
        f"learning {work(slip[learning])} and {work(wall[learning])}, Dyna-Q "
        f"{work(slip[dyna])} and {work(wall[dyna])}, Q-learning "
        f"{work(slip[scratch])}."
    )
    return lines


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
    fig, ax = plt.subplots(figsize=(12, 5))
    plot_study(study, ax=ax)
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
