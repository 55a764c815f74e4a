"""Lecture 9: why MPC replans at every step.

A planner knows the Dyna maze through a deterministic model learned from
random steps: each move's most frequent outcome. On slippery floors the
model is wrong in one way only: it does not slip, and the world does. The
planner plans a whole path to the goal on its model, executes k actions of
it, then plans again from where it really is: k = 1 is MPC's closed loop;
"open loop" executes each whole plan. An episode stops after 30 real steps
(about twice the shortest path). The lines printed under the figure are
computed from these runs: claims, each verdict (the words before the colon)
from 95 % bootstrap intervals of differences of mean steps per episode, paired
over runs (each run plans every schedule on one learned model); then an
observation that holds by construction.

    python lectures/09_replanning_vs_open_loop.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

from tabular_mbrl import results, studies
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
    """What the lecture claims, each sentence computed from the runs at the
    largest slip: its verdict (the words before the colon) chosen by 95 %
    intervals of differences of mean steps per episode, paired over runs."""
    at = {s.name: s.values[:, -1] for s in study.series}  # the largest slip
    slip = study.series[0].x[-1]
    names = list(at)
    closed, opened = at[names[0]], at[names[-1]]
    pays = results.compare(closed, opened, statistic="mean", paired=True)
    steps = [
        results.compare(at[a], at[b], statistic="mean", paired=True)
        for a, b in zip(names[:-1], names[1:], strict=True)
    ]
    fewer = (
        "The more often it replans, the fewer steps"
        if all(v.less for v in steps)
        else "Replanning more often never costs steps"
        if not any(v.more for v in steps)
        else "Replanning more often does not always save steps"
    )
    short = [name.replace("replan every ", "every ") for name in names]
    return [
        "Replanning at every step "
        + pays.word("pays", "costs steps", "makes no clear difference")
        + f": at slip {slip:g}, {closed.mean():.1f} steps per episode against "
        f"{opened.mean():.1f} in open loop (difference {pays.interval(1)}). The "
        f"model is just as wrong for both; the closed loop looks at where it "
        f"really is.",
        f"{fewer}: at slip {slip:g}, "
        + ", ".join(
            f"{n} {at[name].mean():.1f}" for n, name in zip(short, names, strict=True)
        )
        + "; each minus the next: "
        + ", ".join(f"{n} {v.interval(1)}" for n, v in zip(short, steps, strict=False))
        + ".",
    ]


def observations(study: Study) -> list[str]:
    """What holds by construction (no verdict): without slips the learned
    model is exact, and every schedule follows the same shortest path."""
    slips = study.series[0].x
    return [
        f"At slip {slips[0]:g} the learned model is exact, so every schedule walks "
        "the same path, "
        + ", ".join(f"{s.mean()[0]:.1f}" for s in study.series)
        + " steps per episode."
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study) + observations(study) + study.note.splitlines():
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
