"""Lecture 12: set intermediate goals on the fly.

A planner can be sent anywhere its model reaches, by changing the reward it
plans for. After five episodes on the Dyna maze (so that every agent has
learned it), each agent is sent to A (bottom middle), then B (top), then the
maze's goal G, each leg starting where the last ended. MPC is handed each
leg's goal as a reward function; Dyna-Q n=50 is told too (its model's
rewards relabelled), or not, and its Q values still point at the last goal.
Each point is the median over runs of the real steps a leg took (a leg stops
after 500 steps). The lines printed under the figure are computed from
these runs.

    python lectures/12_intermediate_goals.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import gridworlds
from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.dynamic_programming import shortest_path_length
from tabular_mbrl.results import Study


@dataclass(frozen=True)
class Config:
    n_runs: int = 10  # independent runs per agent
    n_tours: int = 1  # times the agents go A, B, G
    warmup: int = 5  # episodes from S to G first, to learn the maze
    max_steps: int = 500  # a leg stops here (a run that never arrived counts it)
    seed: int = 0  # master seed
    jobs: int = 2  # agents run side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, warmup=3)


def run(config: Config) -> Study:
    return studies.waypoints(
        n_runs=config.n_runs,
        n_tours=config.n_tours,
        warmup=config.warmup,
        max_steps=config.max_steps,
        seed=config.seed,
        jobs=config.jobs,
    )


def shortest_legs(n_legs: int) -> np.ndarray:
    """The shortest path of each leg: S to A, A to B, B to G, G to A, ..."""
    maze = gridworlds.make("dyna_maze")
    begin, lengths = maze.to_cell(maze.start_state), []
    for leg in range(n_legs):
        goal = studies.WAYPOINTS[leg % len(studies.WAYPOINTS)]
        env = studies.waypoint_leg(begin, goal, 10)
        lengths.append(shortest_path_length(env.model(), env.start_state))
        begin = goal
    return np.array(lengths)


def claims(study: Study, max_steps: int = Config.max_steps) -> list[str]:
    """What the lecture says, each sentence computed from the runs (medians
    per leg): its verdict (the words before the colon) chosen by the numbers
    after it."""
    steps = {s.name: np.median(s.values, axis=0) for s in study.series}
    capped = {s.name: int((s.values >= max_steps).sum()) for s in study.series}
    runs = study.series[0].values.size
    mpc, told, not_told = (steps[name] for name in studies.WAYPOINT_AGENTS)
    shortest = shortest_legs(len(mpc))

    def legs(values: np.ndarray) -> str:
        return ", ".join(f"{v:,.0f}" for v in values)

    at_once = (mpc <= 1.2 * shortest).all()
    relearns = told.sum() > 2 * shortest.sum()  # over the tour
    helps = told.sum() < not_told.sum()
    return [
        f"MPC follows {'each goal at once' if at_once else 'slowly'}: median "
        f"real steps per leg {legs(mpc)}, against shortest paths of "
        f"{legs(shortest)}.",
        f"Dyna-Q {'must re-learn each goal' if relearns else 'follows at once'}: "
        f"told, its legs take {legs(told)}, {told.sum() / shortest.sum():.0f}x "
        f"the shortest tour; its Q values point at the last goal until its "
        f"planning has carried the new reward back.",
        f"Telling {'helps' if helps else 'does not help'} Dyna-Q: not told, its "
        f"legs take {legs(not_told)}, and {capped[studies.WAYPOINT_AGENTS[2]]} "
        f"of {runs} legs stopped at {max_steps:,} steps "
        f"({capped[studies.WAYPOINT_AGENTS[1]]} "
        f"told).",
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study, config.max_steps):
        print(line)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for series in study.series:
        ax.plot(
            series.x, np.median(series.values, axis=0), marker="o", label=series.name
        )
    ax.plot(series.x, shortest_legs(len(series.x)), "k--", label="shortest path")
    ax.set(xlabel=study.x_label, ylabel=study.y_label + " (median)", title=study.title)
    ax.set_yscale("log")
    ax.set_xticks(series.x)
    ax.legend()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
