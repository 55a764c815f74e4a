"""Lecture 2: planning steps buy real steps (Sutton & Barto Figures 8.2, 8.3).

Left: Dyna-Q with n = 0 (Q-learning), 5 and 50 planning updates per real step
on the Dyna maze. The more it plans on its learned model, the fewer real
episodes it needs. 30 runs, as the book averages (``tabular-mbrl run
dyna-maze``). Right: why. Halfway through the second episode the greedy
policy of n = 0 knows one step, the one that ended the first episode; with
n = 50, planning has carried the goal's value back over much of the maze
(``tabular-mbrl run fig-8-3``; the figure is the first of 10 runs, the claim
counts all). The lines printed under the figure are computed from these runs:
claims, each verdict (the words before the colon) from 95 % bootstrap
intervals of differences (:func:`tabular_mbrl.results.compare`), then an
observation that holds by construction.

    python lectures/02_dyna_q_planning_steps.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_steps_per_episode, plot_study
from tabular_mbrl.results import Study
from tabular_mbrl.studies import BOOK


@dataclass(frozen=True)
class Config:
    n_runs: int = BOOK["figure 8.2"]["n_runs"]  # independent runs averaged (30)
    n_episodes: int = 50  # episodes per run
    n_planning_steps: tuple[int, ...] = BOOK["figure 8.2"]["n_planning_steps"]  # n
    policy_runs: int = 10  # runs of Figure 8.3's policies (the figure draws the first)
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_episodes=5, policy_runs=2)


def run(config: Config) -> tuple[Study, Study]:
    """Figure 8.2's curves, and Figure 8.3's policies (n = 0 and the largest n)."""
    curves = studies.dyna_maze(
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        n_planning_steps=config.n_planning_steps,
        seed=config.seed,
    )
    ns = (min(config.n_planning_steps), max(config.n_planning_steps))
    policies = studies.figure_8_3(
        n_planning_steps=ns, n_runs=config.policy_runs, seed=config.seed
    )
    return curves, policies


def directions(policies: Study) -> list[np.ndarray]:
    """Per policy of Figure 8.3, the states with a greedy direction in each
    run, shape (n_runs,)."""
    env = gridworlds.make(policies.maze)
    shape = (env.n_states, env.n_actions)
    return [
        np.array([tm.decided_states(q.reshape(shape), env).sum() for q in s.values])
        for s in policies.series
    ]


def claims(result: tuple[Study, Study]) -> list[str]:
    """What the lecture claims, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by 95 % bootstrap intervals
    of differences of medians (a run that did not converge counts as at
    least its budget), the numbers after it."""
    curves, policies = result
    done = {s.name: s.convergence for s in curves.series}
    names = list(done)
    if len(names) < 2:  # one n: nothing to compare it with
        return []
    says = ", ".join(f"{name} {c.text()} ({c.fraction})" for name, c in done.items())
    saves = {name: results.compare(done[name], done[names[0]]) for name in names[1:]}
    buys = all(v.less for v in saves.values())
    lines = [
        f"Planning {'buys' if buys else 'does not clearly buy'} real steps: median "
        f"real steps to convergence (runs converged) {says}; differences from "
        f"{names[0]}: "
        + ", ".join(f"{name} {v.interval()}" for name, v in saves.items())
        + "."
    ]
    if len(names) >= 3:
        # What the first planning steps save, and what many more save on top:
        # the first buy the most if the smallest saving its interval allows is
        # above the largest the second's allows.
        first = results.compare(done[names[0]], done[names[1]])
        rest = results.compare(done[names[1]], done[names[-1]])
        word = (
            "buy the most"
            if first.low > rest.high
            else "buy less than the later ones"
            if first.high < rest.low
            else "buy no clearly different amount from the later ones"
        )
        lines.append(
            f"The first planning steps {word}: {names[0]} to {names[1]} saves "
            f"{first.interval()} real steps (medians), {names[1]} to {names[-1]} "
            f"{rest.interval()}."
        )
    few, many = directions(policies)[0], directions(policies)[-1]
    low, high = (s.name for s in (policies.series[0], policies.series[-1]))
    reaches = results.compare(many, few)
    lines.append(
        "Planning "
        + reaches.word(
            "does not reach back", "reaches back", "does not clearly reach back"
        )
        + f": halfway through episode 2 the greedy policy of {low} has a direction "
        f"in a median of {np.median(few):g} state{'s' * bool(np.median(few) != 1)}, "
        f"that of {high} in "
        f"{np.median(many):g} (over {len(many)} runs; difference {reaches.interval()})."
    )
    return lines


def observations(result: tuple[Study, Study]) -> list[str]:
    """What holds by construction (no verdict): until the first reward Q is
    0, so every n acts at random and its planning backs up zeros."""
    curves, _ = result
    first = {s.name: s.values[:, 0] for s in curves.series}
    names = list(first)
    if len(names) < 2:
        return []
    chance = results.compare(first[names[-1]], first[names[0]], statistic="mean")
    return [
        "Every n begins with a random walk until the first reward, since Q is 0 "
        "until then and planning backs up only zeros; episode 1 took "
        + ", ".join(f"{name} {steps.mean():,.0f}" for name, steps in first.items())
        + " real steps on average. The runs of different n take walks of their "
        f"own, so these differ by chance ({names[-1]} minus {names[0]} "
        f"{chance.interval()}); planning's saving comes after it."
    ]


def main(config: Config):
    result = run(config)
    for line in claims(result) + observations(result):
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
