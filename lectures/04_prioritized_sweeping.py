"""Lecture 4: plan where it matters (Sutton & Barto Example 8.4).

Dyna-Q picks the pairs it replays uniformly at random; prioritized sweeping
replays first the pairs whose values would change most, working backwards
from where something changed. Both are counted by one rule: one backup per
real step plus every planning update, until the greedy walk from the start,
looked at after each episode as the book's reference code does, is within
20 % of the shortest path (a run not there after ``max_steps`` real steps is
censored: at least its backups). The book reports a saving of 5-10x. Whether
this package's prioritized sweeping gets there depends on alpha: at the
book's 0.5 each backup moves a value only halfway, so a pair comes back to
the queue until its priority halves below theta; at alpha = 1, the exact
backup of a deterministic maze, a pair is settled in one backup. The lecture
runs both. Every verdict printed under the figure comes from a 95 %
bootstrap interval of a difference of medians over runs. For the book's
range of mazes, 47 to 5,687 free states, run
``tabular-mbrl run prioritized-sweeping``.

    python lectures/04_prioritized_sweeping.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.results import Convergence, Study
from tabular_mbrl.studies.book import sweeping_runs

THETA = studies.BOOK["example 8.4"]["theta"]
BOOK_SAVING = 5  # the low end of the book's "5 to 10" times fewer backups


@dataclass(frozen=True)
class Config:
    scales: tuple[int, ...] = (1, 2)  # each maze cell becomes a k x k block
    n_runs: int = 50  # runs per agent and maze size
    n_planning_steps: int = 5  # the book's n for both agents
    max_steps: int = 100_000  # real steps before a run is censored
    seed: int = 0  # master seed
    jobs: int = 2  # agents run side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(scales=(1,), n_runs=2)


@dataclass(frozen=True)
class Result:
    study: Study  # the curves, as ``tabular-mbrl run`` draws them
    runs: dict[str, list[Convergence]]  # per series, per maze size
    repeats: dict[float, np.ndarray]  # per alpha, per run: backups per pair


def run(config: Config) -> Result:
    """The study, each series' runs per size, and how many times prioritized
    sweeping backs up each pair it backs up at all (per run, smallest maze),
    at alpha 0.5 and 1."""
    study, runs = sweeping_runs(
        studies.Run(n_runs=config.n_runs, seed=config.seed, jobs=config.jobs),
        scales=config.scales,
        n_planning_steps=config.n_planning_steps,
        max_steps=config.max_steps,
    )
    repeats = {a: backups_per_pair(config, a) for a in (0.5, 1.0)}
    return Result(study, runs, repeats)


def backups_per_pair(config: Config, alpha: float) -> np.ndarray:
    """The same runs of prioritized sweeping on the smallest maze, keeping each
    agent to read how often it backed up each pair: the mean per run."""
    agents = []

    def sweeping(env, rng):
        agents.append(
            tm.PrioritizedSweepingAgent(
                env.n_states,
                env.n_actions,
                n_planning_steps=config.n_planning_steps,
                alpha=alpha,
                theta=THETA,
                rng=rng,
            )
        )
        return agents[-1]

    tm.backups_until_optimal(
        lambda: gridworlds.make("dyna_maze", scale=min(config.scales)),
        sweeping,
        n_runs=config.n_runs,
        seed=config.seed,
        max_steps=config.max_steps,
    )
    counts = [list(a.pair_backups.values()) or [0] for a in agents]  # 0: none
    return np.array([np.mean(c) for c in counts])


def times(c: Convergence, factor: float) -> Convergence:
    """``factor`` times every run's backups (and budget)."""
    return Convergence(c.steps * factor, c.budgets * factor)


def claims(result: Result) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by 95 % intervals of
    differences of medians (:func:`tabular_mbrl.results.compare`), one per
    maze size, the numbers after it."""
    runs, sizes = result.runs, result.study.series[0].x
    n = runs["Dyna-Q"][0].n_runs
    at = " and ".join(f"{s:,}" for s in sizes) + " free states"

    def verdicts(a: str, b: str, factor: float = 1.0) -> list[results.Verdict]:
        """A against ``factor`` times B, at each size."""
        pairs = zip(runs[a], runs[b], strict=True)
        return [results.compare(x, times(y, factor)) for x, y in pairs]

    def word(found: list[results.Verdict], less: str, more: str, same: str) -> str:
        """The words for the verdicts at every size: ``less`` or ``more`` if
        every size gives it, ``same`` if none is clear; else ``less`` or
        ``more``, whichever some size gives, "at some sizes only"."""
        if all(v.less for v in found):
            return less
        if all(v.more for v in found):
            return more
        if not any(v.clear for v in found):
            return same
        return (less if any(v.less for v in found) else more) + " at some sizes only"

    def ratios(a: str, b: str) -> str:
        pairs = zip(runs[a], runs[b], strict=True)
        return ", ".join(results.ratio_text(x, y) for x, y in pairs)

    def intervals(found: list[results.Verdict]) -> str:
        return "; ".join(v.interval() for v in found)

    lines = []
    for alpha, dyna, sweep in (
        ("the book's alpha = 0.5", "Dyna-Q", "Prioritized sweeping"),
        ("alpha = 1", "Dyna-Q, alpha=1", "Prioritized sweeping, alpha=1"),
    ):
        saves = verdicts(dyna, sweep)
        book = verdicts(dyna, sweep, BOOK_SAVING)
        lines.append(
            "Prioritized sweeping "
            + word(saves, "costs backups", "saves backups", "makes no clear difference")
            + f" at {alpha}: Dyna-Q needs {ratios(dyna, sweep)} as many at {at} "
            f"(medians of {n} runs), differences {intervals(saves)}."
        )
        if all(v.less for v in book):
            where = f"below the book's {BOOK_SAVING}-10x"
        elif any(v.less for v in book):
            where = f"below the book's {BOOK_SAVING}-10x at some sizes only"
        else:  # no size below: above it, or too close to tell
            where = f"not clearly below the book's {BOOK_SAVING}x"
        lines.append(
            f"At {alpha} the saving is {where}: Dyna-Q's median minus "
            f"{BOOK_SAVING} times prioritized sweeping's, {intervals(book)}."
        )
    alpha = verdicts("Prioritized sweeping, alpha=1", "Prioritized sweeping")
    dyna = verdicts("Dyna-Q, alpha=1", "Dyna-Q")
    lines.append(
        "Alpha = 1 "
        + word(alpha, "saves", "costs", "makes no clear difference to")
        + " prioritized sweeping backups against alpha = 0.5: differences "
        f"{intervals(alpha)}; Dyna-Q's differ by {intervals(dyna)}."
    )
    again = results.compare(result.repeats[0.5], result.repeats[1.0])
    lines.append(
        "The queue "
        + again.word(
            "serves pairs fewer times",
            "re-serves pairs more times",
            "serves pairs about as many times",
        )
        + " at alpha = 0.5 than at alpha = 1: each pair it backs up, it backs up "
        f"{np.median(result.repeats[0.5]):.1f} times against "
        f"{np.median(result.repeats[1.0]):.1f} (medians over runs), difference "
        f"{again.interval(digits=1)}; log2(1 / theta) = {np.log2(1 / THETA):.1f} "
        f"halvings take a priority below theta, on the {sizes[0]:,}-state maze."
    )
    return lines


def main(config: Config):
    result = run(config)
    for line in claims(result):
        print(line)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sizes = result.study.series[0].x
    for name, per_size in result.runs.items():
        medians = [c.median for c in per_size]
        (line,) = ax.plot(sizes, medians, marker="o", label=name)
        lower = [i for i, c in enumerate(per_size) if c.censored]
        ax.plot(sizes[lower], np.array(medians)[lower], "^", color=line.get_color())
    ax.set(
        xlabel="free states in the maze",
        ylabel="median backups until optimal (^: at least)",
        title=result.study.title,
        xscale="log",
        yscale="log",
    )
    ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
    ax.set_xticks([], minor=True)
    ax.legend(fontsize=8)
    fig.text(
        0.01,
        0.01,
        "One backup per real step plus each planning backup, until the greedy "
        "walk from the start, looked at after each episode,\nis within 1.2 x "
        f"the shortest path; medians of {config.n_runs} runs.",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
