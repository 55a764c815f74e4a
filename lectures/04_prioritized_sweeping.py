"""Lecture 4: plan where it matters (Sutton & Barto Example 8.4).

Dyna-Q picks the pairs it replays uniformly at random; prioritized sweeping
replays first the pairs whose values would change most, working backwards
from where something changed. Counted in backups until the greedy path is
(within 20 % of) the shortest, it needs several times fewer, and the gap grows
with the maze. Run:

    python lectures/04_prioritized_sweeping.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_curves


@dataclass(frozen=True)
class Config:
    scales: tuple[int, ...] = (1, 2)  # each maze cell becomes a k x k block
    n_runs: int = 3  # runs per maze size
    n_planning_steps: int = 5  # the book's n for both agents
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(scales=(1,), n_runs=1)


def main(config: Config):
    study = studies.sweeping_backups(
        scales=config.scales,
        n_runs=config.n_runs,
        n_planning_steps=config.n_planning_steps,
        seed=config.seed,
    )
    dyna, sweeping = (series.mean() for series in study.series)
    for states, d, p in zip(study.series[0].x, dyna, sweeping, strict=True):
        print(
            f"{states:5d} states: Dyna-Q {d:9.0f} backups, prioritized sweeping "
            f"{p:8.0f} ({d / p:.1f}x fewer)"
        )
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plot_curves(study, ax=ax, marker="o")
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
