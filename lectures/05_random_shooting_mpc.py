"""Lecture 5: model-predictive control by random shooting.

At every real step: sample action sequences, roll each out in the model,
execute the first action of the best, replan next step. First on the env's
true model, then on a model learned from the agent's own real steps (with
optimism for pairs it has never tried, and value-iteration terminal values so
a short horizon sees past itself). Beside the learned-model MPC, three
controls: MPC exploring at random as Dyna-Q does (epsilon = 0.1), MPC without
rollouts (greedy on the same values, horizon 1), and Dyna-Q with the same
compute (alpha = 1, Q0 = 1, as many backups per real step as MPC measured).
Right: what horizon x candidates buys. The lines printed under the figure
are computed from these runs; every verdict from a 95 % bootstrap interval
of the difference of median real steps to convergence.

    python lectures/05_random_shooting_mpc.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import results, studies
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_curves, plot_steps_per_episode
from tabular_mbrl.studies import STANDARD_MPC


@dataclass(frozen=True)
class Config:
    n_runs: int = 10  # runs per curve
    n_episodes: int = 15  # episodes per run
    horizon: int = STANDARD_MPC.params["horizon"]  # steps each sequence looks ahead
    n_candidates: int = STANDARD_MPC.params["n_candidates"]  # sequences per step
    sweep_horizons: tuple[int, ...] = (1, 3, 5)  # the budget sweep's horizons ...
    sweep_candidates: tuple[int, ...] = (10, 100)  # ... and candidate counts
    seed: int = 0  # master seed


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_runs=1, n_episodes=3, sweep_horizons=(1,), sweep_candidates=(10,))


LEARNED = "MPC, learned model"
#: The controls beside it, in order.
CONTROLS = ("MPC, epsilon=0.1", "greedy on values (h=1)", "Dyna-Q, MPC's compute")


def run(config: Config):
    """Steps per episode with the true and with a learned model and the
    controls (label -> EpisodeResults), and the horizon x candidates sweep (a
    Study)."""
    mpc = STANDARD_MPC.replace(horizon=config.horizon, n_candidates=config.n_candidates)
    true_model = gridworlds.make("dyna_maze").model()  # never updated
    specs = [
        mpc.replace(model=true_model, label="MPC, true model"),
        mpc.replace(label=LEARNED),  # learns from its real steps
        mpc.replace(epsilon=0.1, label=CONTROLS[0]),
        mpc.replace(horizon=1, n_candidates=4, label=CONTROLS[1]),
    ]

    def episodes(specs):
        return tm.run_episodes(
            lambda: gridworlds.make("dyna_maze"),
            specs,
            n_episodes=config.n_episodes,
            n_runs=config.n_runs,
            seed=config.seed,
        )

    curves = dict(zip((s.label for s in specs), episodes(specs), strict=True))
    learned = curves[LEARNED]
    work = results.work_per_step(
        learned.planning_updates.sum(axis=1), learned.steps.sum(axis=1)
    )
    curves[CONTROLS[2]] = episodes([studies.matched_dyna_q(work)])[0]
    budget = studies.mpc_budget(
        horizons=config.sweep_horizons,
        n_candidates=config.sweep_candidates,
        n_runs=config.n_runs,
        n_episodes=config.n_episodes,
        seed=config.seed,
    )
    return curves, budget


def claims(result) -> list[str]:
    """What the lecture says, each sentence computed from the runs: its
    verdict (the words before the colon) chosen by the numbers after it; a
    comparison's by a 95 % interval of a difference
    (:func:`tabular_mbrl.results.compare`)."""
    curves, _ = result
    true, learned = curves["MPC, true model"], curves[LEARNED]
    env = gridworlds.make("dyna_maze")
    shortest = tm.shortest_path_length(env.model(), env.start_state)
    exact = bool((true.steps == shortest).all())
    first, last = learned.steps[:, 0].mean(), learned.steps[:, -5:].mean()
    catches_up = last <= 1.1 * shortest
    walks = "walks the shortest path" if exact else "strays"
    catch = "catches up" if catches_up else "does not catch up"
    done = {name: r.convergence() for name, r in curves.items()}

    def work(name: str) -> float:
        r = curves[name]
        return results.work_per_step(
            r.planning_updates.sum(axis=1), r.steps.sum(axis=1)
        )

    def differ(a: str, b: str) -> tuple[results.Verdict, str]:
        verdict = results.compare(done[a], done[b])
        return verdict, (
            f"{done[a].text()} ({done[a].fraction}) against {done[b].text()} "
            f"({done[b].fraction}) real steps to convergence (medians), difference "
            f"{verdict.interval()}, at {work(a):,.0f} against {work(b):,.0f} model "
            "work per real step"
        )

    lines = [
        f"With the true model MPC {walks}: "
        f"{true.steps.mean():.1f} steps per episode on average, the shortest path "
        f"being {shortest}, in {true.steps.size} episodes (by construction: value "
        "iteration on the true model gives the shortest path).",
        f"With a learned model MPC {catch}: "
        f"its first episode takes {first:.0f} steps (it explores what its model "
        f"does not know), its last five {last:.1f}; "
        f"{learned.planning_updates.sum(axis=1).mean():,.0f} model updates per run "
        f"against {true.planning_updates.sum(axis=1).mean():,.0f} with the true "
        f"model.",
    ]
    verdict, numbers = differ(CONTROLS[0], LEARNED)
    lines.append(
        "Exploring at random "
        + verdict.word("saves", "costs", "makes no clear difference in")
        + f" real steps: MPC with epsilon = 0.1 against 0: {numbers}."
    )
    verdict, numbers = differ(CONTROLS[1], LEARNED)
    lines.append(
        verdict.word(
            "The rollouts cost real steps",
            "The rollouts save real steps",
            "Random shooting adds nothing over greedy on the values",
        )
        + f": greedy on the same values (h=1) against 3-step rollouts: {numbers}."
    )
    verdict, numbers = differ(CONTROLS[2], CONTROLS[0])
    lines.append(
        verdict.word(
            "Dyna-Q needs fewer real steps than",
            "Dyna-Q needs more real steps than",
            "Dyna-Q needs about as many real steps as",
        )
        + " MPC with the same exploration (epsilon = 0.1), backup (alpha = 1), "
        f"optimism (Q0 = 1) and compute: {numbers}."
    )
    return lines


def main(config: Config):
    result = run(config)
    curves, budget = result
    for line in claims(result) + budget.note.splitlines():
        print(line)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    plot_steps_per_episode(curves, ax=left)
    left.set_title("random-shooting MPC on the Dyna maze")
    plot_curves(budget, ax=right, marker="o")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
