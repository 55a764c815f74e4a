"""Lecture 2: planning steps buy real steps (Sutton & Barto Figures 8.2, 8.3).

Left: Dyna-Q with n = 0 (Q-learning), 5 and 50 planning updates per real step
on the Dyna maze. The more it plans on its learned model, the fewer real
episodes it needs. 30 runs, as the book averages (``tabular-mbrl run
dyna-maze``). Right: why. Halfway through the second episode, from the same
seed, the greedy policy of n = 0 knows one step, the one that ended the first
episode; with n = 50, planning has carried the goal's value back over most
of the maze (``tabular-mbrl run fig-8-3``). The lines printed under the
figure are computed from these runs.

    python lectures/02_dyna_q_planning_steps.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_steps_per_episode, plot_study
from tabular_mbrl.results import Study, greedy_directions
from tabular_mbrl.studies import BOOK


@dataclass(frozen=True)
class Config:
    n_runs: int = BOOK["figure 8.2"]["n_runs"]  # independent runs averaged (30)
    n_episodes: int = 50  # episodes per run
    n_planning_steps: tuple[int, ...] = BOOK["figure 8.2"]["n_planning_steps"]  # n
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_episodes=5)


def run(config: Config) -> tuple[Study, Study]:
    """Figure 8.2's curves, and Figure 8.3's policies (n = 0 and the largest n)."""
    curves = studies.dyna_maze(
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        n_planning_steps=config.n_planning_steps,
        seed=config.seed,
    )
    ns = (min(config.n_planning_steps), max(config.n_planning_steps))
    policies = studies.figure_8_3(n_planning_steps=ns, seed=config.seed)
    return curves, policies


def directions(policies: Study) -> list[int]:
    """States with a greedy direction in each policy of Figure 8.3."""
    return [greedy_directions(s, policies.maze) for s in policies.series]


def claims(result: tuple[Study, Study]) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by the numbers after it."""
    curves, policies = result
    done = [s.convergence for s in curves.series]
    medians = [c.median for c in done]
    says = ", ".join(
        f"{s.name} {c.text()} ({c.fraction})"
        for s, c in zip(curves.series, done, strict=True)
    )
    fewer = all(m < medians[0] for m in medians[1:])  # every n > 0 than n = 0
    first = medians[0] - medians[1]  # what the first planning steps save
    rest = medians[1] - medians[-1]  # and what many more save on top
    few, many = directions(policies)
    low, high = (s.name for s in policies.series)
    reaches = many >= 5 * max(few, 1)
    names = [s.name for s in curves.series]
    return [
        f"Planning {'buys' if fewer else 'does not buy'} real steps: median real "
        f"steps to convergence (runs converged) {says}.",
        f"The first planning steps buy {'the most' if first > rest else 'less'}: "
        f"{names[0]} to {names[1]} saves {first:,.0f} real steps (medians), "
        f"{names[1]} to {names[-1]} {rest:,.0f}. Every n pays the same first "
        f"episode, a random walk until the first reward; planning pays off "
        f"after it.",
        f"Planning {'reaches back' if reaches else 'does not reach back'}: "
        f"halfway through episode 2 the greedy policy of {low} has a direction "
        f"in {few} state{'s' * (few != 1)}, that of {high} in {many}.",
    ]


def main(config: Config):
    result = run(config)
    for line in claims(result):
        print(line)
    curves, policies = result
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 1.4]}
    )
    plot_steps_per_episode(curves, ax=left)
    left.set_title("Dyna-Q on the Dyna maze (S&B Figure 8.2)")
    plot_study(policies, ax=right)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
