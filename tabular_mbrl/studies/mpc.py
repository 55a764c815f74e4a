"""What MPC's saving in real steps is, and what it comes from: MPC against
Dyna-Q and Q-learning on the Dyna maze, one ingredient of MPC taken away at a
time, and its budget of horizon x candidates."""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np

import gridworlds

from .._checks import check_nonempty
from ..agents import QLearningAgent
from ..results import Series, Study, Verdict
from ..results import compare as compare_medians
from ..spec import AgentSpec
from .registry import Run, experiment
from .running import episode_settings, in_parallel
from .specs import (
    DYNA_EXACT,
    DYNA_MATCHED,
    MPC_EXPLORING,
    STANDARD_MPC,
    dyna_q_spec,
    exact_dyna_q,
    matched_dyna_q,
    matched_note,
)


def _dyna_maze() -> gridworlds.GridWorld:
    return gridworlds.make("dyna_maze")


def matched_controls() -> list[AgentSpec]:
    """The controls beside MPC and Dyna-Q n=50 wherever they meet, but the
    one that needs MPC's measured compute: MPC exploring with Dyna-Q's
    epsilon = 0.1, and Dyna-Q with MPC's exact backup and optimism
    (:func:`~.specs.exact_dyna_q`)."""
    return [
        STANDARD_MPC.replace(epsilon=0.1, label=MPC_EXPLORING),
        exact_dyna_q(50, label=DYNA_EXACT),
    ]


def with_matched_compute(
    specs: list[AgentSpec], run: Run, *, n_episodes: int, before: str | None = None
) -> tuple[list[Series], str]:
    """Steps per episode of ``specs`` on the Dyna maze, then of Dyna-Q with as
    many backups per real step as the standard MPC measured
    (:func:`~.specs.matched_dyna_q`, series :data:`~.specs.DYNA_MATCHED`),
    placed before the series ``before`` (default: last). MPC runs to be
    measured even where ``only`` leaves it out. Returns the series and a line
    that says what ``n`` the match gave."""
    run.series([*(spec.label for spec in specs), DYNA_MATCHED])
    if run.wants(DYNA_MATCHED) and not run.wants(STANDARD_MPC.label):
        run.announce([STANDARD_MPC.label])  # measured, not reported
    curves = episode_settings(specs, _dyna_maze, run, n_episodes=n_episodes)
    if not run.wants(DYNA_MATCHED):
        return curves, ""
    mpc = next((c for c in curves if c.name == STANDARD_MPC.label), None)
    if mpc is None:  # measured, not reported
        mpc = episode_settings(
            [STANDARD_MPC], _dyna_maze, run, n_episodes=n_episodes, series=False
        )[0]
    matched = matched_dyna_q(mpc.model_work_per_step)
    (dyna,) = episode_settings([matched], _dyna_maze, run, n_episodes=n_episodes)
    at = next((i for i, c in enumerate(curves) if c.name == before), len(curves))
    curves.insert(at, dyna)
    note = matched_note(DYNA_MATCHED, matched, mpc.model_work_per_step, "over its runs")
    return curves, note


def matched_chain(
    mpc: str,
    exploring: str,
    matched: str,
    exact: str,
    dyna: str,
    *,
    work: str = "MPC's",
    who: str = "Dyna-Q n=50",
) -> list[tuple[str, str, str, str]]:
    """From Dyna-Q to MPC, one difference at a time, between the series of the
    matched controls (their labels): ``(what changes, the series with it, the
    series without it, the comparison in words)``. ``work`` is how many
    backups per real step the compute match gave, ``who`` the book's Dyna-Q."""
    return [
        (
            "the exact backup with optimism",
            exact,
            dyna,
            f"{who} with alpha = 1 and Q0 = 1 against alpha = 0.1, Q0 = 0",
        ),
        (
            "compute",
            matched,
            exact,
            f"that Dyna-Q with {work} backups per real step against 50",
        ),
        (
            "planning at decision time",
            exploring,
            matched,
            "MPC against that Dyna-Q, both exploring with epsilon = 0.1, with the "
            "same backup, optimism and compute",
        ),
        ("acting greedily", mpc, exploring, "MPC with epsilon = 0 against 0.1"),
    ]


#: :func:`matched_chain` among the series of ``compare`` and ``mpc-ablation``:
#: (what changes, the series with it, the series without it). Each step's
#: verdict is the interval of the difference of their median real steps to
#: convergence.
CHAIN = tuple(
    step[:3]
    for step in matched_chain(
        STANDARD_MPC.label, MPC_EXPLORING, DYNA_MATCHED, DYNA_EXACT, "Dyna-Q n=50"
    )
)


def attribute(series: list[Series]) -> list[tuple[str, Verdict]]:
    """Each step of :data:`CHAIN` with its verdict: "A < B" where the change
    saves real steps to convergence (a 95 % interval of the difference of
    medians below 0), among ``series``."""
    by = {s.name: s for s in series}
    return [
        (name, compare_medians(by[a].convergence, by[b].convergence))
        for name, a, b in CHAIN
    ]


def lead_sentence(
    steps: list[tuple[str, bool]], lead: str = "MPC's lead over Dyna-Q n=50"
) -> str:
    """What ``lead`` is due to: of the steps from Dyna-Q to MPC (each a name
    and whether its 95 % interval says it helps, as :func:`attribute` gives
    them), those that do, and those the interval cannot tell from nothing."""
    due = [name for name, helps in steps if helps]
    unclear = [name for name, helps in steps if not helps]
    sentence = f"{lead} is due to " + (
        ", ".join(due) if due else "no step the intervals can name"
    )
    if unclear:
        sentence += "; no clear gain from " + ", ".join(unclear)
    return sentence + " (95 % intervals of differences)."


@experiment(
    "compare",
    "model-free vs Dyna-Q vs MPC on the Dyna maze (default)",
    runs=10,
    quick={"n_runs": 4, "n_episodes": 6},  # 2 runs: Dyna-Q n=50 can lead MPC
    group="beyond",
)
def compare(
    run: Run,
    *,
    n_episodes: int = 30,
) -> Study:
    """Model-free vs Dyna-Q vs MPC: steps per episode on the Dyna maze, with
    the matched controls (:func:`matched_controls`,
    :func:`with_matched_compute`): MPC exploring as Dyna-Q does, Dyna-Q with
    MPC's exact backup and optimism, and with MPC's compute as well. The note
    says what MPC's lead is due to (:func:`lead_sentence`)."""
    mpc_exploring, dyna_exact = matched_controls()
    specs = [
        AgentSpec(QLearningAgent, label="Q-learning"),
        dyna_q_spec(50, label="Dyna-Q n=50"),
        dyna_exact,
        mpc_exploring,
        STANDARD_MPC,
    ]
    series, note = with_matched_compute(
        specs, run, n_episodes=n_episodes, before=MPC_EXPLORING
    )
    if run.n_runs > 1 and run.only is None:  # every step of the chain ran
        steps = attribute(series)
        note += "\n" + lead_sentence([(name, v.less) for name, v in steps])
    return Study(
        "compare",
        "Model-free vs model-based on the Dyna maze",
        "episode",
        "steps per episode",
        series,
        log_y=True,
        note=note,
    )


@experiment(
    "mpc",
    "real steps to convergence: Q-learning vs Dyna-Q vs MPC",
    runs=30,
    quick={"n_runs": 4, "n_episodes": 10},  # 2 runs: Dyna-Q n=50 can lead MPC
    group="beyond",
)
def mpc_real_steps(
    run: Run,
    *,
    n_episodes: int = 50,
    horizon: int = STANDARD_MPC.params["horizon"],
    n_candidates: int = STANDARD_MPC.params["n_candidates"],
) -> Study:
    """Real steps to convergence against planning budget per real step:
    Q-learning (0), Dyna-Q (5, 50) and MPC (``horizon * n_candidates``)."""
    settings = [
        (AgentSpec(QLearningAgent, label="Q-learning"), 0),
        (dyna_q_spec(5, label="Dyna-Q n=5"), 5),
        (dyna_q_spec(50, label="Dyna-Q n=50"), 50),
        (
            STANDARD_MPC.replace(horizon=horizon, n_candidates=n_candidates),
            horizon * n_candidates,
        ),
    ]
    specs = [spec for spec, _ in settings]
    chosen = run.series([spec.label for spec in specs])
    curves = episode_settings(specs, _dyna_maze, run, n_episodes=n_episodes)
    budgets = [budget for spec, budget in settings if spec.label in chosen]
    return Study(
        "mpc",
        "Real steps to convergence on the Dyna maze",
        "planning budget per real step",
        "real steps to convergence",
        _bars(curves, budgets),
        kind="bar",
    )


def _bars(curves: list[Series], xs: list[float]) -> list[Series]:
    """One bar per curve: its runs' real steps to convergence (a run that did
    not converge counts its real steps, a lower bound), at ``x``; the
    curve's convergence, first and final episodes and planning kept."""
    return [
        dataclasses.replace(
            curve, x=np.array([x]), values=curve.convergence.values[:, None]
        )
        for curve, x in zip(curves, xs, strict=True)
    ]


#: The series of :func:`mpc_ablation`, in order: the standard MPC, then one
#: ingredient changed at a time (exploration, optimism, terminal values,
#: rollouts), then Dyna-Q: as in the book, optimistic at alpha = 0.1, with
#: MPC's exact backup and optimism, and with MPC's compute as well.
ABLATION = (
    "MPC",
    MPC_EXPLORING,
    "MPC, no optimism",
    "MPC, no terminal values (h=10)",
    "MPC, no terminal values (h=30)",
    "greedy on values (h=1)",
    "Dyna-Q n=50",
    "Dyna-Q n=50, optimistic Q0",
    DYNA_EXACT,
    DYNA_MATCHED,
)


def ablation_specs(n_sampled: int = 100) -> list[AgentSpec]:
    """The agents of :func:`mpc_ablation`, labelled as :data:`ABLATION`, but
    the last (its ``n`` is MPC's measured compute: :func:`with_matched_compute`).

    The standard MPC scores every sequence of 3 actions and adds value
    iteration's values where a rollout ends, on a model that is optimistic
    about pairs it has not seen (worth 1, the goal's reward). Each variant
    changes one ingredient: exploring at random as Dyna-Q does (epsilon =
    0.1); no optimism (unseen pairs stay put, worth 0); no
    terminal values (the rollout must reach the goal itself, so longer
    horizons, with ``n_sampled`` random sequences since 4^10 are too many to
    score); no rollouts beyond one step (greedy on the values). Dyna-Q n=50
    with Q0 = 1 at the book's alpha = 0.1 (where each backup shrinks the
    optimism by a tenth), and with alpha = 1 (MPC's exact backup).
    """
    no_values = STANDARD_MPC.replace(terminal_value=None, n_candidates=n_sampled)
    mpc_exploring, dyna_exact = matched_controls()
    specs = [
        STANDARD_MPC,
        mpc_exploring,
        STANDARD_MPC.replace(unknown_value=None),
        no_values.replace(horizon=10),
        no_values.replace(horizon=30),
        STANDARD_MPC.replace(horizon=1, n_candidates=4),
        dyna_q_spec(50),
        dyna_q_spec(50, q_init=1.0),
        dyna_exact,
    ]
    return [
        spec.replace(label=label)
        for spec, label in zip(specs, ABLATION[:-1], strict=True)
    ]


@experiment(
    "mpc-ablation",
    "what MPC's saving in real steps comes from, one ingredient at a time",
    runs=20,
    quick={"n_runs": 4, "n_episodes": 10, "n_sampled": 20},
    group="beyond",
)
def mpc_ablation(
    run: Run,
    *,
    n_episodes: int = 20,
    n_sampled: int = 100,
) -> Study:
    """Real steps to convergence of MPC with one ingredient taken away at a
    time, beside Dyna-Q n=50 with and without optimistic initial values, on
    the Dyna maze (see :func:`ablation_specs`), and Dyna-Q with MPC's compute
    (:func:`with_matched_compute`). Each bar's x is the model work it did per
    real step (simulated transitions, value-iteration and Dyna backups), as
    measured: the mean over runs of each run's work over its real steps."""
    curves, note = with_matched_compute(
        ablation_specs(n_sampled), run, n_episodes=n_episodes
    )
    return Study(
        "mpc-ablation",
        "Where MPC's saving comes from (Dyna maze)",
        "model work per real step",
        "real steps to convergence",
        _bars(curves, [c.model_work_per_step for c in curves]),
        kind="bar",
        note=note,
    )


@experiment(
    "mpc-budget",
    "MPC horizon x candidates sweep",
    runs=5,
    quick={
        "n_runs": 2,
        "horizons": (1, 5),
        "n_candidates": (10, 100),
        "n_episodes": 10,
    },
    group="beyond",
)
def mpc_budget(
    run: Run,
    *,
    horizons: tuple[int, ...] = (1, 2, 5, 10),
    n_candidates: tuple[int, ...] = (10, 100, 1000),
    n_episodes: int = 30,
) -> Study:
    """Horizon x candidates sweep of the standard MPC agent on the Dyna maze:
    real steps to convergence per setting (the planning cost grows as their
    product). ``jobs`` runs the candidate counts side by side."""
    horizons = check_nonempty("horizons", horizons)
    n_candidates = check_nonempty("n_candidates", n_candidates)
    names = [f"{count} candidates" for count in n_candidates]
    chosen = run.series(names, announce=False)
    run.announce(
        [
            _budget_label(h, count)
            for count, name in zip(n_candidates, names, strict=True)
            if name in chosen
            for h in horizons
        ]
    )
    results = in_parallel(
        [
            partial(_budget_row, count, horizons, run, n_episodes)
            for count, name in zip(n_candidates, names, strict=True)
            if name in chosen
        ],
        run.jobs,
    )
    note = "Runs converged per point (the others count their real steps):\n"
    return Study(
        "mpc-budget",
        "MPC budget: horizon x candidates",
        "horizon",
        "real steps to convergence (not converged: its budget)",
        [series for series, _ in results],
        note=note + "\n".join(line for _, line in results),
    )


def _budget_label(horizon: int, count: int) -> str:
    """The name of one setting of :func:`mpc_budget`."""
    return f"MPC h={horizon} x {count}"


def _budget_row(
    count: int, horizons: tuple[int, ...], run: Run, n_episodes: int
) -> tuple[Series, str]:
    """One series of :func:`mpc_budget`: ``count`` candidates at each
    horizon, and the line of its note."""
    specs = [
        STANDARD_MPC.replace(
            horizon=h, n_candidates=count, label=_budget_label(h, count)
        )
        for h in horizons
    ]
    curves = episode_settings(
        specs,
        _dyna_maze,
        run,
        jobs=1,
        n_episodes=n_episodes,
        series=False,  # its series are candidate counts, not these specs
    )
    converged = ", ".join(
        f"h={h} {c.convergence.fraction}" for h, c in zip(horizons, curves, strict=True)
    )
    return Series(
        f"{count} candidates",
        np.array(horizons),
        # A run that did not converge counts its budget: a lower bound.
        np.column_stack([c.convergence.values for c in curves]),
        planning_updates=float(np.mean([c.planning_updates for c in curves])),
    ), f"{count} candidates: {converged}"
