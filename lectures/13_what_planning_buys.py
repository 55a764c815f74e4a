"""Lecture 13: what planning buys, and what it costs.

Every planner spends model work (backups, simulated transitions, sweeps of
value iteration) to save real steps. The ``frontier`` experiment measures
both, family by family, each over its budget knob: Q-learning (no model),
Dyna-Q over its planning steps n (alpha 0.1 and 1, Q0 = 0 and 1),
prioritized sweeping over n, greedy on the values of value iteration on an
optimistic model (R-max style), and MPC over horizon x candidates. Each point
is the median real steps until the agent's policy walks within 1.2x the
shortest path and stays so (hollow where runs that never did make it a lower
bound; "k/N" where not every run converged) against the model work per real
step the agent counted (log axis; Q-learning at 0). Left the Dyna maze;
right the same maze with slippery floors, where the model-based agents learn
counted models and a backup with alpha = 1 is no longer exact. The lines
printed under the figure are computed from these runs; every verdict from a
95 % bootstrap interval of the difference of two medians.

    python lectures/13_what_planning_buys.py [--show] [--quick]
"""

import dataclasses
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import PALETTE
from tabular_mbrl.results import Series, Study, Verdict
from tabular_mbrl.studies.frontier import FAMILIES, MAZES, curves


@dataclass(frozen=True)
class Config:
    n_runs: int = 10  # runs per point
    n_episodes: int = 20  # episodes per run: its budget of real steps
    planning_steps: tuple[int, ...] = (1, 10, 100)  # Dyna-Q's n
    sweeping_steps: tuple[int, ...] = (1, 10, 100)  # prioritized sweeping's n
    horizons: tuple[int, ...] = (2, 3)  # MPC's horizons, each with ...
    n_candidates: tuple[int, ...] = (16, 64)  # ... as many candidate sequences
    slip: float = 0.2  # the slippery maze: a move goes at random this often
    max_steps: int = 200  # a planner's episode on the slippery maze stops here
    slippery_mpc: bool = False  # MPC beyond greedy on the slippery maze (slow)
    seed: int = 0  # master seed
    jobs: int = 2  # batches run side by side in this many processes


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(
    n_runs=2,
    n_episodes=4,
    planning_steps=(10,),
    sweeping_steps=(10,),
    horizons=(2,),
    n_candidates=(16,),
)


def run(config: Config) -> Study:
    return studies.frontier(**dataclasses.asdict(config))  # every field, by name


def differ(a: Series, b: Series) -> tuple[Verdict, str]:
    """The verdict on A's median real steps to convergence against B's, and
    "A: median (k/N) at W work per real step, against B: ..., difference D
    (95 % interval)"."""
    verdict = results.compare(a.convergence, b.convergence)

    def says(s: Series) -> str:
        done = s.convergence
        return (
            f"{s.name} {done.text()} ({done.fraction}) at "
            f"{s.model_work_per_step:,.0f} work per real step"
        )

    return verdict, f"{says(a)}, against {says(b)}: difference {verdict.interval()}"


#: The families, by the lecture's names for them.
Q, BOOK, OPTIMISTIC, EXACT, BEST, SWEEPING, GREEDY, MPC = FAMILIES


def claims(study: Study) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by a 95 % interval of a
    difference (:func:`tabular_mbrl.results.compare`), the numbers after it.
    A curve's cheapest and dearest points are those of least and most
    measured model work per real step."""
    curve = curves(study)
    maze, slippery = MAZES

    def cheapest(family: str, on: str = maze) -> Series:
        return min(curve[on, family], key=lambda s: s.model_work_per_step)

    def dearest(family: str, on: str = maze) -> Series:
        return max(curve[on, family], key=lambda s: s.model_work_per_step)

    def times(a: Series, b: Series) -> str:
        return f"{a.model_work_per_step / b.model_work_per_step:,.1f}x"

    def also(a: Series, b: Series, *verbs: str) -> str:
        verdict, _ = differ(a, b)
        return f"{verdict.word(*verbs)}, difference {verdict.interval()}"

    def words(pattern: str, verbs: tuple[str, str, str]) -> tuple[str, ...]:
        return tuple(pattern.format(verb) for verb in verbs)

    greedy, mpc, sweeping = dearest(GREEDY), dearest(MPC), dearest(SWEEPING)
    slow = dearest(GREEDY, slippery)
    # The Dyna-Q point whose work is nearest greedy on values' (log scale).
    matched = min(
        curve[maze, BEST],
        key=lambda s: abs(np.log(s.model_work_per_step / greedy.model_work_per_step)),
    )

    buys = ("buys real steps", "costs real steps", "buys no clear saving")
    buy = ("buy real steps", "cost real steps", "buy no clear saving")
    helps = ("helps", "hurts", "makes no clear difference")
    # A, B, the verdict's words (A < B, A > B, neither), what follows the numbers.
    said = [
        (dearest(BEST), cheapest(Q), words("Planning {}", buys), ""),
        (
            dearest(BEST),
            cheapest(BEST),
            words("More planning steps {} with alpha = 1, Q0 = 1", buy),
            "; at the book's alpha = 0.1, Q0 = 0 they "
            + also(dearest(BOOK), cheapest(BOOK), *buy),
        ),
        (
            dearest(BEST),
            dearest(BOOK),
            words("An exact backup with optimism {} (alpha = 1, Q0 = 1 "
                  "against alpha = 0.1, Q0 = 0)", buys),
            "",
        ),
        (
            matched,
            greedy,
            ("At matched work Dyna-Q needs fewer real steps than value iteration",
             "At matched work value iteration needs fewer real steps than Dyna-Q",
             "At matched work Dyna-Q needs about as many real steps as value "
             "iteration"),
            f"; value iteration does {times(greedy, matched)} the work",
        ),
        (
            mpc,
            greedy,
            words("Horizon x candidates {} over greedy on the same values", buy),
            f"; MPC does {times(mpc, greedy)} the work",
        ),
        (
            sweeping,
            greedy,
            ("Prioritized sweeping needs fewer real steps than value iteration",
             "Prioritized sweeping needs more real steps than value iteration",
             "Prioritized sweeping needs about as many real steps as value "
             "iteration"),
            f"; value iteration does {times(greedy, sweeping)} the work "
            "(sweeping backs up only where values change)",
        ),
        (
            dearest(BEST, slippery),
            dearest(OPTIMISTIC, slippery),
            ("alpha = 1 still helps on the slippery maze",
             "alpha = 1 hurts on the slippery maze",
             "alpha = 1 makes no clear difference on the slippery maze"),
            "; with Q0 = 1 and a counted model, a sampled next state replaces "
            "the value backed up; on the Dyna maze alpha = 1 "
            + also(dearest(BEST), dearest(OPTIMISTIC), *helps),
        ),
        (
            slow,
            dearest(OPTIMISTIC, slippery),
            ("On the slippery maze value iteration still needs fewer real steps "
             "than Dyna-Q",
             "On the slippery maze value iteration needs more real steps than "
             "Dyna-Q",
             "On the slippery maze value iteration needs about as many real "
             "steps as Dyna-Q"),
            f"; there greedy on values does {times(slow, greedy)} the work it "
            "does on the Dyna maze: a counted model changes at every real step, "
            "and value iteration runs again",
        ),
    ]  # fmt: skip
    lines = []
    for a, b, what, after in said:
        verdict, numbers = differ(a, b)
        lines.append(f"{verdict.word(*what)}: {numbers}{after}.")
    return lines


#: Marker, line and colour of each family: markers and lines read in greyscale.
STYLES = dict(
    zip(
        FAMILIES,
        [
            ("X", "none"),
            ("o", "-"),
            ("s", "--"),
            ("^", ":"),
            ("D", "-."),
            ("v", (0, (5, 1))),
            ("*", "none"),
            ("P", (0, (1, 1))),
        ],
        strict=True,
    )
)
COLOURS = dict(zip(FAMILIES, PALETTE, strict=False))  # colour-blind safe


def draw(study: Study, axes) -> None:
    """Each maze's curves on its axes: median real steps to convergence
    against model work per real step; hollow where a median is a lower bound,
    "k/N" where not every run converged (stacked where points nearly meet)."""
    placed = []  # (axes, log x, log y) of each "k/N" written
    for (maze, family), points in curves(study).items():
        ax = axes[MAZES.index(maze)]
        marker, line = STYLES[family]
        colour = COLOURS[family]
        x = [s.model_work_per_step for s in points]
        y = [s.convergence.median for s in points]
        ax.plot(x, y, linestyle=line, marker=marker, color=colour, label=family)
        for s, xi, yi in zip(points, x, y, strict=True):
            done = s.convergence
            if done.censored:  # a lower bound: hollow
                ax.plot(xi, yi, marker=marker, color=colour, markerfacecolor="white")
            if done.n_converged < done.n_runs:
                at = (ax, np.log10(1 + xi), np.log10(yi))
                below = sum(
                    a is ax and abs(x - at[1]) < 0.3 and abs(y - at[2]) < 0.05
                    for a, x, y in placed
                )  # labels already written about here: this one goes above
                placed.append(at)
                ax.annotate(
                    done.fraction,
                    (xi, yi),
                    fontsize=6,
                    textcoords="offset points",
                    xytext=(4, 4 + 7 * below),
                )
    right = max(s.model_work_per_step for s in study.series)
    for ax, maze in zip(axes, MAZES, strict=True):
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(-0.3, 3 * right)
        ax.set_yscale("log")
        ax.set(xlabel="model work per real step", title=maze)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("median real steps to convergence (hollow: at least)")
    axes[0].legend(fontsize=7)


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    draw(study, axes)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
