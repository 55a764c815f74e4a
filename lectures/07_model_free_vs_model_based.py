"""Lecture 7: model-free vs model-based, and where MPC's saving comes from.

MPC needs far fewer real steps than Dyna-Q on the Dyna maze. Why? The
standard MPC agent has three ingredients: a model that is optimistic about
pairs it has never tried (worth the goal's reward), value iteration on that
model for the values where a rollout ends, and random-shooting rollouts of
3 steps. The ``mpc-ablation`` experiment takes them away one at a time, and
gives Dyna-Q n=50 the same optimism (Q0 = 1). Each bar is the median of the
real steps until the agent's policy walks within 1.2x the shortest path and
stays so, with "k/N" runs converged; its tick shows the model work per real
step. The lines printed under the figure are computed from these runs.

    python lectures/07_model_free_vs_model_based.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
from tabular_mbrl import studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.dynamic_programming import shortest_path_length
from tabular_mbrl.plotting import plot_convergence
from tabular_mbrl.results import Study


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


def compare(a: float, b: float) -> str:
    """'2.6x fewer real steps than', '2.5x more real steps than' or 'about
    as many real steps as': a against b (within 10 %: about as many)."""
    if abs(a / b - 1) <= 0.1:
        return "about as many real steps as"
    if a > b:
        return f"{a / b:.1f}x more real steps than"
    return f"{b / a:.1f}x fewer real steps than"


def claims(study: Study) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by the numbers after it."""
    by = {series.name: series for series in study.series}
    done = {name: series.convergence for name, series in by.items()}
    env = gridworlds.make("dyna_maze")
    shortest = shortest_path_length(env.model(), env.start_state)

    def says(name: str) -> str:
        return f"{done[name].text()} ({done[name].fraction} converged)"

    def median(name: str) -> float:
        return done[name].median

    mpc = median("MPC")
    h10, h30 = (f"MPC, no terminal values (h={h})" for h in (10, 30))
    greedy = "greedy on values (h=1)"
    optimistic = "Dyna-Q n=50, optimistic Q0"
    dyna, no_optimism = median("Dyna-Q n=50"), median("MPC, no optimism")
    same = abs(median(greedy) / mpc - 1) <= 0.1  # as compare's "about as many"
    gap = median(optimistic) > 1.5 * mpc
    fewer_converged = all(
        done[name].n_converged < done["MPC"].n_converged for name in (h10, h30)
    )
    return [
        f"{'MPC wins' if mpc < dyna else 'MPC does not win'}: "
        f"it needs {compare(mpc, dyna)} Dyna-Q n=50, "
        f"{says('MPC')} against {says('Dyna-Q n=50')}.",
        f"Optimism matters{'' if no_optimism > 1.5 * mpc else ' little'}: "
        f"without it MPC needs {compare(no_optimism, mpc)} with "
        f"it, {says('MPC, no optimism')}. Unseen pairs worth the goal's reward "
        f"send the planner where it has not been.",
        f"Terminal values matter{'' if fewer_converged else ' little'}: "
        f"without them a rollout must reach the goal itself. At h=10, short of "
        f"the {shortest}-step path, {done[h10].fraction} runs converged; at h=30, "
        f"{done[h30].fraction}, ending at {by[h30].final_episodes:.1f} steps per "
        f"episode against MPC's {by['MPC'].final_episodes:.1f}: "
        f"{by[h30].x[0] / by['MPC'].x[0]:.0f}x the model work per real step.",
        f"The rollouts {'add little' if same else 'matter'}: "
        f"greedy on the same values (h=1) needs {compare(median(greedy), mpc)} "
        f"MPC, {says(greedy)}, with {by['MPC'].x[0] / by[greedy].x[0]:.1f}x "
        f"less model work per real step.",
        f"Optimism alone {'does not close' if gap else 'closes'} the gap: "
        f"Dyna-Q n=50 with Q0 = 1 needs {compare(median(optimistic), mpc)} MPC, "
        f"{says(optimistic)}. Greedy on values differs from it in planning "
        f"to convergence on the model before every step (and in not exploring "
        f"at random), where Dyna-Q makes 50 backups.",
    ]


def main(config: Config):
    study = run(config)
    for line in claims(study):
        print(line)
    fig, ax = plt.subplots(figsize=(11, 4.8))
    plot_convergence(study, ax=ax)
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
