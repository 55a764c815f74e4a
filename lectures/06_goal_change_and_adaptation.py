"""Lecture 6: move the goal mid-run, and tell the agents.

After ``change_at`` real steps the Dyna maze's goal moves from (0, 8) to
(5, 8). Every agent that can use the new reward is told it at that moment,
with no real step: MPC (and MPC at horizon 1, greedy on its values) plans with
the new reward function at its next decision; Dyna-Q has its model's rewards
relabelled, and its planning carries the new goal into Q. Beside them, Dyna-Q
that is not told must unlearn the old goal from experience. Rewards are
counted from the change, so what came before does not blur the comparison.

MPC differs from the book's Dyna-Q in more than planning at decision time: it
acts greedily where Dyna-Q explores with epsilon = 0.1, its value iteration
backs up exactly and optimistically, and it does several times the model work
per real step. Matched controls measure each as a row: MPC with epsilon =
0.1, Dyna-Q with alpha = 1 and Q0 = 1, and that Dyna-Q with MPC's compute
since the change. The lines printed under the figure are computed from these
runs; every verdict from a 95 % bootstrap interval of a difference.

    python lectures/06_goal_change_and_adaptation.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from tabular_mbrl import results, studies
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
    verdict (the words before the colon) chosen by a 95 % interval of a
    difference of mean goals since the change
    (:func:`tabular_mbrl.results.compare`), the numbers after it."""
    by = {series.name: series for series in study.series}
    first = {name: first_goal(series.values) for name, series in by.items()}
    goals = {name: series.values[:, -1] for name, series in by.items()}
    maze = studies.goal_change_maze(change_at=0).make()
    shortest = shortest_path_length(maze.model(), maze.start_state)

    def reach(name: str) -> str:
        return f"{first[name].text()} real steps ({first[name].fraction} runs)"

    def differ(a: str, b: str) -> tuple[results.Verdict, str]:
        verdict = results.compare(goals[a], goals[b], statistic="mean")
        return verdict, (
            f"{goals[a].mean():.1f} goals against {goals[b].mean():.1f} (means), "
            f"difference {verdict.interval(digits=1)}"
        )

    def work(name: str) -> str:
        return f"{by[name].model_work_per_step:,.0f}"

    mpc, greedy = "MPC", "greedy on values, told"
    told, not_told = "Dyna-Q, told", "Dyna-Q, not told"
    exploring, exact, matched = studies.GOAL_CHANGE[4:]
    at_once = first[mpc].median <= 2 * shortest
    lines = [
        f"MPC follows {'at once' if at_once else 'slowly'}: told the new goal, "
        f"it reaches it after a median of {reach(mpc)}; the new goal is "
        f"{shortest} steps from the start, and Dyna-Q told reaches it after "
        f"{reach(told)}."
    ]
    verdict = results.compare(first[told], first[not_told])
    _, numbers = differ(told, not_told)
    lines.append(
        f"Telling {verdict.word('helps', 'costs', 'makes no clear difference to')} "
        f"Dyna-Q: relabelled, its first new goal comes after {reach(told)}, "
        f"against {reach(not_told)} when not told, a difference of "
        f"{verdict.interval()} real steps; since the change, {numbers}."
    )
    verdict, numbers = differ(mpc, told)
    lines.append(
        verdict.word(
            "MPC reaches the new goal less often",
            "MPC reaches the new goal more often",
            "MPC reaches the new goal about as often",
        )
        + f" than Dyna-Q n=50 told, at the book's settings: {numbers}, with "
        f"{work(mpc)} against {work(told)} model work per real step."
    )
    chain = studies.matched_chain(
        mpc,
        exploring,
        matched,
        exact,
        told,
        work=f"MPC's {work(matched)}",
        who="Dyna-Q told",
    )
    steps = []
    for name, a, b, what in chain:
        verdict, numbers = differ(a, b)
        steps.append((name, verdict.more))
        lines.append(
            f"{name.capitalize()} "
            + verdict.word("loses goals", "adds goals", "makes no clear difference")
            + f": {what}: {numbers}."
        )
    lead = goals[mpc].mean() - goals[told].mean()
    share = (goals[mpc].mean() - goals[exploring].mean()) / lead if lead else 0.0
    lines.append(
        studies.lead_sentence(steps, lead="MPC's lead over Dyna-Q told")
        + f" Acting greedily alone is {share:.0%} of the lead of "
        f"{lead:.1f} goals."
    )
    verdict, numbers = differ(mpc, greedy)
    lines.append(
        verdict.word(
            "The rollouts lose goals",
            "The rollouts add goals",
            "Random shooting adds nothing over greedy on the values",
        )
        + f": MPC's 3-step rollouts against greedy on the same values (h=1): "
        f"{numbers}, with {work(mpc)} against {work(greedy)} model work per "
        "real step."
    )
    return lines


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    plot_study(study, ax=ax)
    # MPC drawn wide and pale, under greedy on values where the two agree; its
    # legend entry too (the legend keeps its band entry and its place).
    legend = ax.get_legend()
    entries = {
        text.get_text().replace("\n", " "): handle
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    for line in ax.get_lines():
        if line.get_label().startswith("MPC ("):  # "MPC (N work/step)"
            line.set(linewidth=5, alpha=0.5)
            entries[line.get_label()].set(linewidth=5, alpha=0.5)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
