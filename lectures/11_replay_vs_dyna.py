"""Lecture 11: Dyna-Q's model and DQN's replay memory.

Both feed extra Q-learning backups between real steps, here 10 per real
step each. Replay draws real transitions from a memory of the last 1,000, as often
as they happened; Dyna-Q draws the pairs its model knows, each as often as
any other, and its model answers with the last outcome seen (deterministic)
or with the counted outcome frequencies (empirical). Three mazes ask where
that matters: the Dyna maze, the same maze with slippery floors, and the
blocking maze, whose short path closes after 1,000 real steps. Each bar is
the mean over runs of the goals reached in the last 1,000 real steps. The
lines printed under the figure are computed from these runs, each verdict
(the words before the colon) from a 95 % bootstrap interval of a difference
of those means (:func:`tabular_mbrl.results.compare`); 50 runs, so that the
intervals decide what the models do on slippery floors and on the blocking
maze.

    python lectures/11_replay_vs_dyna.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.results import Study


@dataclass(frozen=True)
class Config:
    n_runs: int = 50  # runs per agent and maze
    n_steps: int = 3000  # real steps per run on the Dyna mazes
    blocking_steps: int = 3000  # real steps on the blocking maze (closes at 1000)
    n_updates: int = 10  # replays or planning backups per real step, for all
    seed: int = 0  # master seed
    jobs: int = 2  # the mazes run side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_steps=1100, blocking_steps=1100)


def run(config: Config) -> Study:
    return studies.replay_vs_dyna(
        n_runs=config.n_runs,
        n_steps=config.n_steps,
        blocking_steps=config.blocking_steps,
        n_updates=config.n_updates,
        window=min(1000, config.n_steps, config.blocking_steps - 1000),
        seed=config.seed,
        jobs=config.jobs,
    )


#: A run has found the blocking maze's new path if it reached the goal this
#: often in the last steps (a run stuck on the old path reaches it 0-1 times).
FOUND = 10


def claims(study: Study) -> list[str]:
    """What the lecture claims, each sentence computed from the runs (goals
    in the last steps, per run): its verdict (the words before the colon)
    chosen by 95 % intervals of differences of means, the numbers after it."""
    by = {s.name: s.values for s in study.series}
    replay, last, counts = (by[name] for name in studies.REPLAY_VS_DYNA)

    def differ(a: np.ndarray, b: np.ndarray, maze: int) -> results.Verdict:
        return results.compare(a[:, maze], b[:, maze], statistic="mean")

    def says(maze: int) -> str:
        return (
            f"replay {replay[:, maze].mean():.1f}, last-outcome model "
            f"{last[:, maze].mean():.1f}, counted model {counts[:, maze].mean():.1f} "
            "goals (means)"
        )

    def found(values: np.ndarray) -> str:
        return f"{(values[:, 2] >= FOUND).sum()}/{len(values)}"

    rule = differ(replay, last, 0)
    hurts = differ(last, counts, 1)
    pays = differ(last, counts, 2)
    return [
        rule.word(
            "Replay reaches fewer goals than Dyna-Q on the Dyna maze",
            "Replay reaches more goals than Dyna-Q on the Dyna maze",
            "The sampling rule makes no clear difference on the Dyna maze",
        )
        + f": {says(0)}; replay minus the last-outcome model {rule.interval(1)}. "
        "Replay draws transitions as often as they happened, Dyna every known "
        "pair as often; in a deterministic maze both hold the same transitions, "
        "and the two models the same outcomes.",
        "A last-outcome model "
        + hurts.word("hurts", "helps", "makes no clear difference to")
        + f" Dyna-Q on slippery floors: {says(1)}; the last-outcome model minus "
        f"the counted one {hurts.interval(1)} (minus replay "
        f"{differ(last, replay, 1).interval(1)}). "
        "Replay and counts keep the frequencies of slips; a model of the last "
        "outcome takes a slip for the rule.",
        "Overwriting "
        + pays.word("costs", "pays", "makes no clear difference")
        + f" when the wall moves: on the blocking maze, {says(2)}; the "
        f"last-outcome model minus the counted one {pays.interval(1)}. Runs with at "
        f"least {FOUND} goals (found the new path): last-outcome model "
        f"{found(last)}, counted model {found(counts)}, replay {found(replay)}. The "
        "last-outcome model forgets an old outcome at once and the counts keep "
        "it for good; the memory keeps it until it ages out, and Q has to "
        "unlearn it after that.",
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(study.series)
    for i, series in enumerate(study.series):
        positions = series.x + (i - 1) * width
        ax.bar(positions, series.mean(), width, label=series.name)
    ax.set_xticks(study.series[0].x, studies.REPLAY_MAZES)
    ax.set_ylabel(study.y_label + " (mean)")
    ax.set_title(study.title)
    ax.legend()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
