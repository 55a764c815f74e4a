"""Sutton & Barto's chapter 8, figure by figure, at the book's settings.

:data:`BOOK` is the one table of the book's settings: these studies take their
defaults from it, and bench, the lectures and the tests read it too. What it
leaves out (alpha 0.1, gamma 0.95, epsilon 0.1, Q0 = 0 for Figure 8.2) are the
agent classes' own defaults.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np

import gridworlds

from .._checks import check_bool, check_nonempty
from ..agents import DynaQAgent, DynaQPlusAgent, PrioritizedSweepingAgent
from ..dynamic_programming import shortest_path_length
from ..experiments import CHECKS, backups_until_optimal, q_midway, run_steps
from ..results import Convergence, Series, Study, greedy_directions, work_per_step
from ..spec import AgentSpec
from .registry import LOOP_ONLY, Run, experiment
from .running import episode_settings, in_parallel, run_settings
from .specs import STANDARD_MPC, dyna_q_spec

#: The book's settings (2nd ed., chapter 8), one home for studies, bench,
#: lectures and tests.
BOOK: dict[str, dict] = {
    "figure 8.2": {"n_runs": 30, "n_episodes": 50, "n_planning_steps": (0, 5, 50)},
    "figure 8.4": {
        "n_runs": 20,
        "n_steps": 3000,
        "n_planning_steps": 10,
        "alpha": 1.0,
        "kappa": 1e-4,
    },
    "figure 8.5": {
        "n_runs": 5,
        "n_steps": 6000,
        "n_planning_steps": 50,
        "alpha": 1.0,
        "kappa": 1e-3,
    },
    "example 8.4": {
        "n_runs": 20,  # the book does not say; its reference code runs 5
        # 47 k^2 free states: 47, 188, 752 and 3,008 are sizes of the book's
        # (its mazes double: 47, 94, ..., 6,016); 5,687 is about its largest.
        "scales": (1, 2, 4, 8, 11),
        "n_planning_steps": 5,
        "alpha": 0.5,
        "theta": 1e-4,
        "max_steps": 1_000_000,  # real steps, then a run is censored
    },
}
_FIG_8_2, _FIG_8_4, _FIG_8_5, _EX_8_4 = BOOK.values()


@experiment(
    "dyna-maze",
    "Figure 8.2: Dyna-Q with n = 0, 5, 50 planning steps",
    runs=_FIG_8_2["n_runs"],
    # 25 runs: with fewer, the first episode (as long for every n) often
    # puts n = 50's median real steps to convergence above n = 5's.
    quick={"n_runs": 25, "n_episodes": 10},
    group="book",
)
def dyna_maze(
    run: Run,
    *,
    n_episodes: int = _FIG_8_2["n_episodes"],
    n_planning_steps: tuple[int, ...] = _FIG_8_2["n_planning_steps"],
) -> Study:
    """Figure 8.2: steps per episode of Dyna-Q with n planning steps (S&B §8.2).

    alpha 0.1, gamma 0.95, epsilon 0.1, Q0 = 0 (the class defaults), on the Dyna
    maze. ``engine`` as for :func:`~tabular_mbrl.run_episodes` (``"auto"``:
    batched for several runs); ``jobs`` settings run in parallel processes.
    """
    n_planning_steps = check_nonempty("n_planning_steps", n_planning_steps)
    specs = [dyna_q_spec(n) for n in n_planning_steps]
    run.series([spec.label for spec in specs])
    series = episode_settings(
        specs, partial(gridworlds.make, "dyna_maze"), run, n_episodes=n_episodes
    )
    return Study(
        "dyna-maze",
        "Dyna-Q on the Dyna maze (S&B Figure 8.2)",
        "episode",
        "steps per episode",
        series,
        log_y=True,
    )


def changing_maze_specs(
    n_planning_steps: int,
    alpha: float,
    kappa: float,
    mpc: bool,
    mpc_plus: bool = False,
) -> list[AgentSpec]:
    """Dyna-Q, Dyna-Q+ (and MPC; and MPC+, MPC with Dyna-Q+'s staleness
    bonus at the same ``kappa`` in its rollouts) as Figures 8.4 and 8.5
    compare them."""
    specs = [
        AgentSpec(
            DynaQAgent, n_planning_steps=n_planning_steps, alpha=alpha, label="Dyna-Q"
        ),
        AgentSpec(
            DynaQPlusAgent,
            n_planning_steps=n_planning_steps,
            alpha=alpha,
            kappa=kappa,
            label="Dyna-Q+",
        ),
    ]
    if mpc:
        specs.append(STANDARD_MPC)
    if mpc_plus:
        specs.append(STANDARD_MPC.replace(kappa=kappa, label="MPC+"))
    return specs


def _changing_maze(
    name: str,
    title: str,
    maze: str,
    specs: list[AgentSpec],
    run: Run,
    *,
    change_at: int | None,
    n_steps: int,
) -> Study:
    run.series([spec.label for spec in specs])
    changes = {} if change_at is None else {"change_at": change_at}
    results = run_settings(
        run_steps,
        specs,
        partial(gridworlds.make, maze, **changes),
        run,
        n_steps=n_steps,
    )
    series = [
        Series(
            spec.label,
            np.arange(1, n_steps + 1),
            result.cumulative_reward,
            planning_updates=float(result.planning_updates[:, -1].mean()),
            model_work_per_step=work_per_step(
                result.planning_updates[:, -1], np.full(run.n_runs, n_steps)
            ),
        )
        for spec, result in zip(specs, results, strict=True)
        if result is not None
    ]
    ran = [result for result in results if result is not None]
    change = ran[-1].change_step if ran else None
    return Study(name, title, "real steps", "cumulative reward", series, change)


@experiment(
    "blocking-maze",
    "Figure 8.4: Dyna-Q vs Dyna-Q+ vs MPC when the short path closes",
    runs=_FIG_8_4["n_runs"],
    # The book's 3000 steps (Dyna-Q+ needs them after the wall moves), and
    # 12 runs: in fewer, one Dyna-Q+ run stuck behind the wall can reverse it.
    quick={"n_runs": 12},
    group="book",
)
def blocking_maze(
    run: Run,
    *,
    n_steps: int = _FIG_8_4["n_steps"],
    n_planning_steps: int = _FIG_8_4["n_planning_steps"],
    alpha: float = _FIG_8_4["alpha"],
    kappa: float = _FIG_8_4["kappa"],
    mpc: bool = True,
    change_at: int | None = None,
) -> Study:
    """Figure 8.4: the short path closes at step 1000 (S&B Example 8.2), or at
    ``change_at`` if given."""
    mpc = check_bool("mpc", mpc)
    return _changing_maze(
        "blocking-maze",
        "Blocking maze (S&B Figure 8.4)",
        "blocking_maze",
        changing_maze_specs(n_planning_steps, alpha, kappa, mpc),
        run,
        change_at=change_at,
        n_steps=n_steps,
    )


@experiment(
    "shortcut-maze",
    "Figure 8.5: who finds the shortcut that opens at step 3000 (--quick: 1000)",
    runs=_FIG_8_5["n_runs"],
    # The book's n = 50 and 1500 steps after the change: Dyna-Q+ takes the
    # shortcut in every run (at n = 10 and 500 steps, in almost none).
    quick={"n_runs": 2, "n_steps": 2500, "change_at": 1000},
    group="book",
)
def shortcut_maze(
    run: Run,
    *,
    n_steps: int = _FIG_8_5["n_steps"],
    n_planning_steps: int = _FIG_8_5["n_planning_steps"],
    alpha: float = _FIG_8_5["alpha"],
    kappa: float = _FIG_8_5["kappa"],
    mpc: bool = True,
    change_at: int | None = None,
) -> Study:
    """Figure 8.5: a shortcut opens at step 3000 (S&B Example 8.3), or at
    ``change_at`` if given. With ``mpc``, MPC and MPC+ (MPC with the
    staleness bonus ``kappa * sqrt(tau)`` in its rollouts) run too. The
    study's note counts the runs that took the shortcut, and says why."""
    mpc = check_bool("mpc", mpc)
    study = _changing_maze(
        "shortcut-maze",
        "Shortcut maze (S&B Figure 8.5)",
        "shortcut_maze",
        changing_maze_specs(n_planning_steps, alpha, kappa, mpc, mpc_plus=mpc),
        run,
        change_at=change_at,
        n_steps=n_steps,
    )
    return dataclasses.replace(study, note=_shortcut_note(study, change_at))


#: The steps at the end of a run over which :func:`took_shortcut` measures.
SHORTCUT_WINDOW = 2000


def took_shortcut(series: Series, change_at: int, old_path: int) -> np.ndarray:
    """Per run: whether it reached the goal more often over its last
    :data:`SHORTCUT_WINDOW` real steps after the change (fewer, if the run
    has fewer) than a walk of the old path's ``old_path`` steps can: once
    per ``old_path`` steps, rounded up (a window that is no multiple of it
    can hold one goal more). Only the shortcut allows more. Boolean, shape
    (runs,)."""
    window = min(SHORTCUT_WINDOW, len(series.x) - change_at)
    reward = series.values
    return reward[:, -1] - reward[:, -1 - window] > -(-window // old_path)


def _shortcut_note(study: Study, change_at: int | None) -> str:
    """Who took the shortcut (k/N runs), and why, from the study's runs."""
    changes = {} if change_at is None else {"change_at": change_at}
    maze = gridworlds.make("shortcut_maze", **changes)
    change = maze.change_at
    if not study.series or len(study.series[0].x) <= change:
        return ""  # the shortcut never opened
    old = shortest_path_length(maze.model_at(0), maze.start_state)
    new = shortest_path_length(maze.model_at(change), maze.start_state)
    counts = {s.name: took_shortcut(s, change, old) for s in study.series}
    took = ", ".join(f"{name} {k.sum()}/{len(k)}" for name, k in counts.items())
    lines = [
        f"Took the shortcut ({new} steps; the old path is {old}): {took}.",
        "Why: a learned model keeps the last outcome it saw. Where the "
        "shortcut opens it saw a wall, and nothing sends Dyna-Q or MPC back to "
        "try it (Dyna-Q only by an epsilon-greedy step that far off its path).",
    ]
    if "Dyna-Q+" in counts:
        lines.append(
            "Dyna-Q+'s bonus kappa*sqrt(tau) makes every pair not tried for "
            "tau steps worth a try, in its planning backups, so it spreads "
            "through Q to the whole maze."
        )
    if "MPC+" in counts:
        lines.append(
            f"MPC+ adds the same bonus in its rollouts only: it pulls towards "
            f"stale pairs within its {STANDARD_MPC.params['horizon']}-step "
            f"horizon, not beyond (its terminal values have no bonus)."
        )
    return "\n".join(lines)


@experiment(
    "fig-8-3",
    "Figure 8.3: greedy policies halfway through the second episode, n = 0 vs 50",
    runs=1,
    quick={},  # its defaults take about a second: n = 0 beside n = 50
    group="book",
    engines=LOOP_ONLY,
    parallel=False,
)
def figure_8_3(run: Run, *, n_planning_steps: tuple[int, ...] = (0, 50)) -> Study:
    """Figure 8.3: the greedy policies of Dyna-Q with n = 0 and n = 50 halfway
    through the second episode on the Dyna maze, each setting's run ``i`` from
    the same seed (:func:`~tabular_mbrl.experiments.q_midway`). Without
    planning only the last step before the goal has a direction; with
    planning the policy reaches back most of the way to the start. The note
    counts the states with a greedy direction. One run is the figure; more
    runs add Q tables (the plot shows the first)."""
    env = gridworlds.make("dyna_maze")
    free = np.isin(env.grid.ravel(), [".", "S"])  # the states a policy covers
    n_planning_steps = check_nonempty("n_planning_steps", n_planning_steps)
    run.series([f"n={n}" for n in n_planning_steps])
    series, lines = [], []
    for n in n_planning_steps:
        if not run.wants(f"n={n}"):
            continue
        q, steps = q_midway(
            lambda: gridworlds.make("dyna_maze"),
            dyna_q_spec(n),
            n_runs=run.n_runs,
            seed=run.seed,
        )
        series.append(
            Series(
                f"n={n}",
                np.arange(q[0].size),
                q.reshape(run.n_runs, -1),
                planning_updates=float(n * steps.mean()),
            )
        )
        decided = greedy_directions(series[-1], env)  # the first run's, as drawn
        lines.append(
            f"n={n}: a greedy direction in {decided} of {free.sum()} "
            f"states after {steps[0]:,} real steps"
        )
        if run.progress is not None:
            run.progress(f"n={n}", run.n_runs, run.n_runs)
    return Study(
        "fig-8-3",
        "Greedy policies halfway through episode 2 (S&B Figure 8.3)",
        "state-action pair",
        "Q",
        series,
        kind="policy",
        note="; ".join(lines) + ".",
        maze="dyna_maze",
    )


@experiment(
    "prioritized-sweeping",
    "Example 8.4: backups until optimal as the maze grows",
    runs=_EX_8_4["n_runs"],
    # The book's 20 runs at the two smallest sizes: the curves are means,
    # and a few of prioritized sweeping's runs need many times the backups.
    quick={"scales": (1, 2)},
    group="book",
    engines=LOOP_ONLY,
)
def sweeping_backups(
    run: Run,
    *,
    scales: tuple[int, ...] = _EX_8_4["scales"],
    n_planning_steps: int = _EX_8_4["n_planning_steps"],
    alpha: float = _EX_8_4["alpha"],
    theta: float = _EX_8_4["theta"],
    exact: bool = True,
    check: str = "episode",
    max_steps: int = _EX_8_4["max_steps"],
) -> Study:
    """Example 8.4: backups until the greedy path is near-shortest, as the Dyna
    maze grows (each cell a ``k x k`` block: 47 k^2 free states), by one rule
    for both agents (:func:`~tabular_mbrl.backups_until_optimal`): one backup
    per real step plus every planning update, until the greedy walk from the
    start is within 20 % of the shortest path, looked at after each episode
    (``check="episode"``, as the book's reference code) or after every real
    step (``check="step"``). A run not there after ``max_steps`` real steps
    is censored: its value is the backups it made, a lower bound, and the
    note gives the medians with k/N. With ``exact``, both agents run again
    at ``alpha = 1``, the exact backup of a deterministic maze: the series
    that show what ``alpha`` does to prioritized sweeping. Both agents run
    on their fast twins (the loop's numbers); ``jobs`` runs them side by
    side."""
    return sweeping_runs(
        run,
        scales=scales,
        n_planning_steps=n_planning_steps,
        alpha=alpha,
        theta=theta,
        exact=exact,
        check=check,
        max_steps=max_steps,
    )[0]


def _sweeping(
    spec: AgentSpec, run: Run, scales: tuple[int, ...], max_steps: int, check: str
) -> list[Convergence]:
    """One series of :func:`sweeping_runs`: its runs at each maze size."""
    return [
        backups_until_optimal(
            partial(gridworlds.make, "dyna_maze", scale=k),
            spec,
            n_runs=run.n_runs,
            seed=run.seed,
            max_steps=max_steps,
            check=check,
            progress=run.reporter(f"{spec.label}, scale {k}"),
        )
        for k in scales
    ]


def sweeping_runs(
    run: Run,
    *,
    scales: tuple[int, ...] = _EX_8_4["scales"],
    n_planning_steps: int = _EX_8_4["n_planning_steps"],
    alpha: float = _EX_8_4["alpha"],
    theta: float = _EX_8_4["theta"],
    exact: bool = True,
    check: str = "episode",
    max_steps: int = _EX_8_4["max_steps"],
) -> tuple[Study, dict[str, list[Convergence]]]:
    """:func:`sweeping_backups`' study, and each series' runs per maze size
    as a :class:`~tabular_mbrl.results.Convergence` (backups, censored runs
    kept as lower bounds): what lecture 04's verdicts compare."""
    exact = check_bool("exact", exact)
    scales = check_nonempty("scales", scales)
    if check not in CHECKS:
        raise ValueError(f"check == {check!r}, must be one of {list(CHECKS)}")
    alphas = [alpha, 1.0] if exact and alpha != 1.0 else [alpha]
    specs = [
        spec
        for a in alphas
        for spec in (
            AgentSpec(
                DynaQAgent,
                n_planning_steps=n_planning_steps,
                alpha=a,
                label="Dyna-Q" + ("" if a == alpha else f", alpha={a:g}"),
            ),
            AgentSpec(
                PrioritizedSweepingAgent,
                n_planning_steps=n_planning_steps,
                alpha=a,
                theta=theta,
                label="Prioritized sweeping" + ("" if a == alpha else f", alpha={a:g}"),
            ),
        )
    ]
    run.series([spec.label for spec in specs], announce=False)
    sizes = np.array(
        [free_states(gridworlds.make("dyna_maze", scale=k)) for k in scales]
    )
    chosen = [spec for spec in specs if run.wants(spec.label)]
    run.announce([f"{spec.label}, scale {k}" for spec in chosen for k in scales])
    done = in_parallel(
        [partial(_sweeping, spec, run, scales, max_steps, check) for spec in chosen],
        run.jobs,
    )
    runs = {
        spec.label: sizes_done for spec, sizes_done in zip(chosen, done, strict=True)
    }
    series = [
        Series(name, sizes, np.column_stack([c.values for c in per_size]))
        for name, per_size in runs.items()
    ]
    study = Study(
        "prioritized-sweeping",
        "Prioritized sweeping (S&B Example 8.4)",
        "free states in the maze",
        "backups until optimal",
        series,
        log_x=True,
        log_y=True,
        note=_sweeping_note(runs, sizes, check, max_steps),
    )
    return study, runs


def _sweeping_note(
    runs: dict[str, list[Convergence]], sizes: np.ndarray, check: str, max_steps: int
) -> str:
    """What the figure of :func:`sweeping_backups` says beside it: the medians
    with k/N per size, and how the measure differs from the book's."""
    medians = "; ".join(
        f"{name}: " + ", ".join(f"{c.text()} ({c.fraction})" for c in per_size)
        for name, per_size in runs.items()
    )
    when = (
        "the greedy walk from the start (first of tied actions), looked at "
        "after each episode, as the book's reference code does"
        if check == "episode"
        else "the shortest greedy path from the start (ties explored), looked "
        "at after every real step"
    )
    sizes_text = ", ".join(f"{n:,}" for n in sizes)
    return (
        f"Median backups until optimal at {sizes_text} free states (k/N runs "
        f"there within {max_steps:,} real steps; '>=': a lower bound): "
        f"{medians}. The curves are means over runs, a run not there counted "
        f"at the backups it made.\n"
        f"Measure: one backup per real step plus each planning backup, until "
        f"{when}, is within 1.2 x the shortest path. The book counts backups "
        f"until an optimal solution (Peng & Williams, 1993), on mazes that "
        f"double in size; these blow each cell up to k x k with the start and "
        f"the goal single cells (the reference code makes the goal a block)."
    )


def free_states(env: gridworlds.GridWorld) -> int:
    """The cells an agent can stand on (the book counts these: 47 for the
    Dyna maze)."""
    return int((env.grid != "#").sum())
