"""Lecture 7: model-free vs model-based, and where MPC's saving comes from.

MPC needs far fewer real steps than Dyna-Q n=50 on the Dyna maze. But the two
differ in more than planning at decision time: the standard MPC acts greedily
(epsilon = 0) where Dyna-Q explores with epsilon = 0.1; its value iteration
backs up exactly (alpha = 1 in effect) where Dyna-Q's backups move a tenth of
the way; its model is optimistic about pairs it has never tried; and it does
several times Dyna-Q's model work per real step. The ``mpc-ablation``
experiment measures each difference as a row: MPC exploring as Dyna-Q does,
MPC without optimism, without terminal values, without rollouts (greedy on
the values); Dyna-Q with optimism at the book's alpha = 0.1, with MPC's exact
backup and optimism (alpha = 1, Q0 = 1), and with MPC's compute as well. Each
bar is the median of the real steps until the agent's policy walks within
1.2x the shortest path and stays so, with "k/N" runs converged; its tick shows
the model work per real step. Every verdict printed under the figure comes
from a 95 % bootstrap interval of the difference of two medians.

    python lectures/07_model_free_vs_model_based.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import gridworlds
from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.dynamic_programming import shortest_path_length
from tabular_mbrl.plotting import plot_convergence
from tabular_mbrl.results import Study, Verdict
from tabular_mbrl.studies import DYNA_EXACT, DYNA_MATCHED, MPC_EXPLORING


@dataclass(frozen=True)
class Config:
    n_runs: int = 20  # runs per agent
    n_episodes: int = 20  # episodes per run
    n_sampled: int = 100  # sequences sampled without terminal values (h=10, 30)
    seed: int = 0  # master seed
    jobs: int = 2  # agents run side by side, one process each


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=2, n_episodes=6, n_sampled=20)


def run(config: Config) -> Study:
    return studies.mpc_ablation(
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        n_sampled=config.n_sampled,
        seed=config.seed,
        jobs=config.jobs,
    )


def differ(a, b) -> tuple[Verdict, str]:
    """The verdict on A's median real steps to convergence against B's, and
    "median A against B, difference D (95 % interval)"."""
    verdict = results.compare(a.convergence, b.convergence)
    return verdict, (
        f"{a.convergence.text()} ({a.convergence.fraction}) against "
        f"{b.convergence.text()} ({b.convergence.fraction}), difference "
        f"{verdict.interval()}"
    )


def claims(study: Study) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by a 95 % interval of a
    difference (:func:`tabular_mbrl.results.compare`), the numbers after it."""
    by = {series.name: series for series in study.series}
    env = gridworlds.make("dyna_maze")
    shortest = shortest_path_length(env.model(), env.start_state)
    mpc, dyna = by["MPC"], by["Dyna-Q n=50"]
    h10, h30 = (by[f"MPC, no terminal values (h={h})"] for h in (10, 30))

    def work(series) -> str:
        return f"{series.model_work_per_step:,.0f}"

    verdict, numbers = differ(mpc, dyna)
    lines = [
        verdict.word("MPC needs fewer", "MPC needs more", "MPC needs about as many")
        + f" real steps than Dyna-Q n=50 at the book's settings: {numbers}; "
        f"Dyna-Q needs {results.ratio_text(dyna.convergence, mpc.convergence)} "
        f"MPC's, which does "
        f"{mpc.model_work_per_step / dyna.model_work_per_step:.1f}x the model "
        f"work per real step ({work(mpc)} against {work(dyna)})."
    ]
    # From Dyna-Q n=50 to MPC, one difference at a time.
    chain = studies.matched_chain(
        "MPC",
        MPC_EXPLORING,
        DYNA_MATCHED,
        DYNA_EXACT,
        "Dyna-Q n=50",
        work=f"MPC's {work(by[DYNA_MATCHED])}",
    )
    steps = studies.attribute(study.series)
    for (name, a, b, what), (_, verdict) in zip(chain, steps, strict=True):
        lines.append(
            f"{name.capitalize()} "
            + verdict.word("saves", "costs", "makes no clear difference in")
            + f" real steps: {what}: {differ(by[a], by[b])[1]}."
        )
    lines.append(studies.lead_sentence([(name, v.less) for name, v in steps]))
    greedy = by["greedy on values (h=1)"]
    verdict, numbers = differ(greedy, mpc)
    lines.append(
        verdict.word(  # greedy needing fewer real steps: the rollouts cost
            "The rollouts cost real steps",
            "The rollouts save real steps",
            "Random shooting adds nothing over greedy on the values",
        )
        + f": greedy on the same values (h=1) against MPC's 3-step rollouts: "
        f"{numbers}, with {work(greedy)} against {work(mpc)} model work per "
        "real step."
    )
    verdict, numbers = differ(by["Dyna-Q n=50, optimistic Q0"], dyna)
    lines.append(
        "Optimism at alpha = 0.1 "
        + verdict.word("saves", "costs", "makes no clear difference in")
        + f" real steps: Dyna-Q n=50 with Q0 = 1 against Q0 = 0: {numbers}. Each "
        "backup moves Q a tenth of the way, so Q0 = 1 fades slowly; alpha = 1 "
        "replaces it with the model's value at once."
    )
    verdict, numbers = differ(by["MPC, no optimism"], mpc)
    lines.append(
        "Optimism "
        + verdict.word("costs", "saves", "makes no clear difference in")
        + " MPC real steps: MPC without it (unseen pairs stay put, worth 0) "
        f"against with it: {numbers}."
    )
    found = np.isfinite(mpc.convergence.steps)
    lost = [
        results.compare_proportions(np.isfinite(s.convergence.steps), found)
        for s in (h10, h30)
    ]
    lines.append(
        (
            "Terminal values matter"
            if all(v.less for v in lost)
            else "Terminal values make no clear difference"
        )
        + ": without them a rollout must reach the goal itself. At h=10, short "
        f"of the {shortest}-step path, {h10.convergence.fraction} runs converged, "
        f"at h=30 {h30.convergence.fraction}, against MPC's "
        f"{mpc.convergence.fraction} (differences {lost[0].interval(scale=100)} "
        f"and {lost[1].interval(scale=100)} percentage points), at "
        f"{h30.model_work_per_step / mpc.model_work_per_step:.0f}x MPC's model "
        "work per real step at h=30."
    )
    return lines


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
    fig, ax = plt.subplots(figsize=(14, 5.2))
    plot_convergence(study, ax=ax)
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
