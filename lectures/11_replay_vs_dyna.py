"""Lecture 11: Dyna-Q's model and DQN's replay memory.

Both feed extra Q-learning backups between real steps, here 10 per real
step each. Replay draws real transitions from a memory of the last 1,000, as often
as they happened; Dyna-Q draws the pairs its model knows, each as often as
any other, and its model answers with the last outcome seen (deterministic)
or with the counted outcome frequencies (empirical). Three mazes ask where
that matters: the Dyna maze, the same maze with slippery floors, and the
blocking maze, whose short path closes after 1,000 real steps. Each bar is
the mean over runs of the goals reached in the last 1,000 real steps. The
lines printed under the figure are computed from these runs.

    python lectures/11_replay_vs_dyna.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.results import Study


@dataclass(frozen=True)
class Config:
    n_runs: int = 20  # runs per agent and maze
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
    """What the lecture says, each sentence computed from the runs (mean goals
    at the end; on the blocking maze, runs that found the new path, k/N): its
    verdict (the words before the colon) chosen by the numbers after it."""
    by = {s.name: s.values for s in study.series}
    replay, last, counts = (by[name] for name in studies.REPLAY_VS_DYNA)
    mean = {name: values.mean(axis=0) for name, values in by.items()}
    r, d, c = (mean[name] for name in studies.REPLAY_VS_DYNA)

    def says(maze: int) -> str:
        return (
            f"replay {r[maze]:.1f}, last-outcome model {d[maze]:.1f}, counted "
            f"model {c[maze]:.1f} goals (means)"
        )

    def found(values: np.ndarray) -> str:
        return f"{(values[:, 2] >= FOUND).sum()}/{len(values)}"

    ends = [r[0], d[0], c[0]]
    little = (max(ends) - min(ends)) / max(ends) <= 0.15
    hurts = d[1] < min(r[1], c[1])
    k = {name: (v[:, 2] >= FOUND).sum() for name, v in by.items()}
    pays = k[studies.REPLAY_VS_DYNA[1]] > k[studies.REPLAY_VS_DYNA[2]]
    return [
        f"The sampling rule matters {'little' if little else 'a lot'} on the "
        f"Dyna maze: {says(0)}. Replay draws transitions as often as they "
        f"happened, Dyna every known pair as often; in a deterministic maze "
        f"both hold the same transitions.",
        f"A last-outcome model {'hurts' if hurts else 'does not hurt'} on "
        f"slippery floors: {says(1)}. Replay and counts keep the frequencies of "
        f"slips; a model of the last outcome takes a slip for the rule.",
        f"Overwriting {'pays' if pays else 'does not pay'} when the wall moves: "
        f"runs that found the new path (at least {FOUND} goals at the end): "
        f"last-outcome model {found(last)}, counted model {found(counts)}; "
        f"replay {found(replay)}. The last-outcome model forgets an old "
        f"outcome at once and the counts keep it for good; the memory keeps "
        f"it until it ages out, and Q has to unlearn it after that.",
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
