"""Lecture 6: move the goal mid-run, and tell the agents.

After ``change_at`` real steps the Dyna maze's goal moves from (0, 8) to
(5, 8). Every agent that can use the new reward is told it at that moment,
with no real step: MPC (and MPC at horizon 1, greedy on its values) plans with
the new reward function at its next decision; Dyna-Q has its model's rewards
relabelled, and its planning carries the new goal into Q. Beside them, Dyna-Q
that is not told must unlearn the old goal from experience. Rewards are
counted from the change, so what came before does not blur the comparison.
The lines printed under the figure are computed from these runs.

    python lectures/06_goal_change_and_adaptation.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.dynamic_programming import shortest_path_length
from tabular_mbrl.plotting import plot_study
from tabular_mbrl.results import Convergence, Study


@dataclass(frozen=True)
class Config:
    n_runs: int = 20  # independent runs per agent
    n_steps: int = 3000  # real steps per run
    change_at: int = 1500  # real steps before the goal moves
    n_planning_steps: int = 50  # Dyna-Q's n: even a lot of planning must unlearn
    seed: int = 0  # master seed
    jobs: int = 2  # agents run side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_steps=400, change_at=200)


def run(config: Config) -> Study:
    return studies.goal_change(
        n_runs=config.n_runs,
        n_steps=config.n_steps,
        change_at=config.change_at,
        n_planning_steps=config.n_planning_steps,
        seed=config.seed,
        jobs=config.jobs,
    )


def first_goal(values: np.ndarray) -> Convergence:
    """Real steps from the change to each run's first goal (a run that never
    got there counts all its steps, a lower bound: k/N and a censored median).
    ``values``: cumulative reward since the change, shape (runs, steps)."""
    reached = values[:, -1] > 0
    steps = np.where(reached, (values > 0).argmax(axis=1) + 1.0, np.nan)
    return Convergence(steps, np.full(len(values), values.shape[1]))


def claims(study: Study) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by the numbers after it."""
    by = {series.name: series for series in study.series}
    first = {name: first_goal(series.values) for name, series in by.items()}
    goals = {name: float(np.median(s.values[:, -1])) for name, s in by.items()}
    maze = studies.goal_change_maze(change_at=0).make()
    shortest = shortest_path_length(maze.model(), maze.start_state)

    def reach(name: str) -> str:
        return f"{first[name].text()} real steps ({first[name].fraction} runs)"

    mpc, greedy = "MPC", "greedy on values, told"
    told, not_told = "Dyna-Q, told", "Dyna-Q, not told"
    at_once = first[mpc].median <= 2 * shortest
    helps = (
        first[told].median < first[not_told].median and goals[told] > goals[not_told]
    )
    wins = goals[mpc] > goals[told]
    same = abs(goals[greedy] / goals[mpc] - 1) <= 0.05
    return [
        f"MPC follows {'at once' if at_once else 'slowly'}: told the new goal, "
        f"it reaches it after a median of {reach(mpc)}; the new goal is "
        f"{shortest} steps from the start.",
        f"Telling {'helps' if helps else 'does not help'} Dyna-Q: relabelled, "
        f"its first new goal comes after {reach(told)}, against {reach(not_told)} "
        f"when not told; since the change it reaches the goal {goals[told]:.0f} "
        f"times against {goals[not_told]:.0f} (medians).",
        f"Planning at decision time {'wins' if wins else 'does not win'}: "
        f"MPC reaches the new goal {goals[mpc]:.0f} times since the change, "
        f"Dyna-Q told {goals[told]:.0f}.",
        f"Greedy on values {'does as well as' if same else 'differs from'} MPC: "
        f"{goals[greedy]:.0f} goals against {goals[mpc]:.0f}; both plan on the "
        f"same model and values, told the same reward.",
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot_study(study, ax=ax)
    for line in ax.get_lines():  # MPC, under greedy on values when they agree
        if line.get_label() == "MPC":
            line.set(linewidth=5, alpha=0.5)
    ax.legend()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
