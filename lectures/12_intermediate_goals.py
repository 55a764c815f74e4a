"""Lecture 12: set intermediate goals on the fly.

A planner can be sent anywhere its model reaches, by changing the reward it
plans for. After five episodes on the Dyna maze (so that every agent has
learned it), each agent is sent to A (bottom middle), then B (top), then the
maze's goal G, each leg starting where the last ended. MPC is handed each
leg's goal as a reward function; Dyna-Q n=50 is told too (its model's
rewards relabelled), or not, and its Q values still point at the last goal.
Each point is the median over runs of the real steps a leg took (a leg stops
after 500 steps).

MPC differs from the book's Dyna-Q in more than planning at decision time: it
acts greedily where Dyna-Q explores with epsilon = 0.1, its value iteration
backs up exactly and optimistically, and it does several times the model work
per real step. Matched controls (all told) measure each as a row: MPC with
epsilon = 0.1, Dyna-Q with alpha = 1 and Q0 = 1, and that Dyna-Q with MPC's
compute in the legs. The lines printed under the figure are computed from
these runs; every verdict from a 95 % bootstrap interval of the difference
of median real steps per tour.

    python lectures/12_intermediate_goals.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import gridworlds
from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.dynamic_programming import shortest_path_length
from tabular_mbrl.plotting import series_style
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


def tours(values: np.ndarray, max_steps: int) -> results.Convergence:
    """Each run's real steps over all its legs; a run with a leg stopped at
    ``max_steps`` is censored (its tour took at least that many)."""
    total = values.sum(axis=1).astype(float)
    stopped = (values >= max_steps).any(axis=1)
    return results.Convergence(np.where(stopped, np.nan, total), total)


def claims(study: Study, max_steps: int = Config.max_steps) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by a 95 % interval of the
    difference of median real steps per tour
    (:func:`tabular_mbrl.results.compare`), the numbers after it."""
    by = {s.name: s for s in study.series}
    steps = {name: np.median(s.values, axis=0) for name, s in by.items()}
    tour = {name: tours(s.values, max_steps) for name, s in by.items()}
    capped = {name: int((s.values >= max_steps).sum()) for name, s in by.items()}
    runs = study.series[0].values.size
    mpc, told, not_told, exploring, exact, matched = studies.WAYPOINT_AGENTS
    shortest = shortest_legs(len(steps[mpc]))

    def legs(values: np.ndarray) -> str:
        return ", ".join(f"{v:,.0f}" for v in values)

    def differ(a: str, b: str) -> tuple[results.Verdict, str]:
        verdict = results.compare(tour[a], tour[b])
        return verdict, (
            f"{tour[a].text()} real steps per tour against {tour[b].text()} "
            f"(medians), difference {verdict.interval()}"
        )

    def work(name: str) -> str:
        return f"{by[name].model_work_per_step:,.0f}"

    def times_shortest(name: str) -> str:
        """The median tour over the shortest, "at least" where censored."""
        ratio = f"{tour[name].median / shortest.sum():.1f}x"
        return f"at least {ratio}" if tour[name].censored else ratio

    at_once = (steps[mpc] <= 1.2 * shortest).all()
    lines = [
        f"MPC follows {'each goal at once' if at_once else 'slowly'}: median "
        f"real steps per leg {legs(steps[mpc])}, against shortest paths of "
        f"{legs(shortest)}."
    ]
    verdict, numbers = differ(mpc, told)
    lines.append(
        verdict.word(
            "MPC takes fewer real steps",
            "MPC takes more real steps",
            "MPC takes about as many real steps",
        )
        + f" than Dyna-Q n=50 told, at the book's settings: {numbers}; Dyna-Q's "
        f"legs take {legs(steps[told])}, "
        f"{times_shortest(told)} the shortest tour, at "
        f"{work(mpc)} against {work(told)} model work per real step."
    )
    verdict, numbers = differ(told, not_told)
    lines.append(
        f"Telling {verdict.word('helps', 'costs', 'makes no clear difference to')} "
        f"Dyna-Q: {numbers}; not told, {capped[not_told]} of {runs} legs stopped "
        f"at {max_steps:,} steps ({capped[told]} told)."
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
    helped = []
    for name, a, b, what in chain:
        verdict, numbers = differ(a, b)
        helped.append((name, verdict.less))
        lines.append(
            f"{name.capitalize()} "
            + verdict.word("saves", "costs", "makes no clear difference in")
            + f" real steps: {what}: {numbers}."
        )
    lines.append(
        studies.lead_sentence(helped, lead="MPC's lead over Dyna-Q told")
        + f" Matched, Dyna-Q's tour is {times_shortest(matched)} the shortest."
    )
    return lines


def main(config: Config):
    study = run(config)
    for line in claims(study, config.max_steps):
        print(line)
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, series in enumerate(study.series):
        median = np.median(series.values, axis=0)
        ax.plot(series.x, median, label=series.name, **series_style(i, len(series.x)))
    ax.plot(series.x, shortest_legs(len(series.x)), "k--", label="shortest path")
    ax.set(xlabel=study.x_label, ylabel=study.y_label + " (median)", title=study.title)
    ax.set_yscale("log")
    ax.set_xticks(series.x)
    # Beside the axes, where it covers no leg of any agent.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
