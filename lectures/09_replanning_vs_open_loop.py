"""Lecture 9: why MPC replans at every step.

A planner knows the Dyna maze through a deterministic model learned from
random steps: each move's most frequent outcome. On slippery floors the
model is wrong in one way only: it does not slip, and the world does. The
planner plans a whole path to the goal on its model, executes k actions of
it, then plans again from where it really is: k = 1 is MPC's closed loop;
"open loop" executes each whole plan. An episode stops after 30 real steps
(about twice the shortest path). The lines printed under the figure are
computed from these runs.

    python lectures/09_replanning_vs_open_loop.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_curves
from tabular_mbrl.results import Study


@dataclass(frozen=True)
class Config:
    slips: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)  # chance a move slips
    n_runs: int = 10  # models learned, one per run
    n_episodes: int = 20  # episodes per run and setting
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(slips=(0.0, 0.3), n_runs=2, n_episodes=5)


def run(config: Config) -> Study:
    return studies.replanning(
        slips=config.slips,
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        seed=config.seed,
    )


def claims(study: Study) -> list[str]:
    """What the lecture says, each sentence computed from the runs (mean
    steps per episode): its verdict (the words before the colon) chosen by
    the numbers after it."""
    steps = {s.name: s.mean() for s in study.series}
    slips = study.series[0].x
    closed, *_, opened = steps.values()
    at_worst = [values[-1] for values in steps.values()]
    first = [values[0] for values in steps.values()]
    same = max(first) <= 1.05 * min(first)
    pays = opened[-1] > 1.2 * closed[-1]
    ordered = all(np.diff(at_worst) >= -0.5)  # each schedule no better than the last
    verdict = "replanning does not matter" if same else "replanning matters"
    fewer = "the fewer steps" if ordered else "not always the fewer steps"
    return [
        f"Without slips {verdict}: "
        f"at slip {slips[0]:g} every schedule takes "
        f"{', '.join(f'{v[0]:.1f}' for v in steps.values())} steps per episode.",
        f"Replanning at every step {'pays' if pays else 'does not pay'}: at slip "
        f"{slips[-1]:g}, {closed[-1]:.1f} steps per episode against "
        f"{opened[-1]:.1f} in open loop. The model is just as wrong for both; "
        f"the closed loop looks at where it really is.",
        f"The more often it replans, {fewer}: "
        f"at slip {slips[-1]:g}, "
        + ", ".join(f"{name} {v:.1f}" for name, v in zip(steps, at_worst, strict=True))
        + ".",
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study) + study.note.splitlines():
        print(line)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    plot_curves(study, ax=left, marker="o")
    names = [s.name.replace("replan every ", "every ") for s in study.series]
    for j, slip in enumerate(study.series[0].x):
        right.plot(
            names,
            [s.mean()[j] for s in study.series],
            marker="o",
            label=f"slip {slip:g}",
        )
    right.set(
        xlabel="how often it replans",
        ylabel=study.y_label,
        title="Steps per episode against the replanning schedule",
    )
    right.legend()
    right.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
