"""``--quick`` keeps what each figure teaches (issue 31, item 6): an
experiment's quick run shows the ordering its full budget shows, or its
description says what ``--quick`` cannot show.

Each ordering below is the figure's comparison, read as the CLI prints it (the
table's medians, the curves' means, the note's counts); the full budget shows
it at seed 0. The quick budgets were set so that every quick run at seeds 0-9
shows it; the tests pin seed 0, the CLI's (what a user who types ``--quick``
sees).
"""

import re

import pytest

from tabular_mbrl.studies import STUDIES

#: The words of a description that says what its quick preview cannot show.
CANNOT = "--quick cannot show"


def _by(study):
    return {series.name: series for series in study.series}


def _medians(study, *names):
    """Median real steps to convergence, as the table prints them."""
    by = _by(study)
    return [by[name].convergence.median for name in names]


def _finals(study):
    """``{name: its last value, averaged over runs}``."""
    return {s.name: s.values[:, -1].mean() for s in study.series}


def _counts(note, pattern):
    """``{name: k}`` of every "NAME k/N" the note's matching line gives."""
    line = next(line for line in note.splitlines() if re.match(pattern, line))
    return {name: int(k) for name, k in re.findall(r"([\w+-]+) (\d+)/\d+", line)}


def compare(study):
    names = ("Q-learning", "Dyna-Q n=50", "MPC")
    by = _by(study)
    real = [by[n].values.sum(axis=1).mean() for n in names]  # in all
    q, dyna, mpc = _medians(study, *names)
    return mpc < dyna < q and real[2] < real[1] < real[0], (q, dyna, mpc, real)


def dyna_maze(study):
    names = ("n=0", "n=5", "n=50")
    by = _by(study)
    # The first episode is as long for every n (no reward to plan with yet).
    later = [by[n].values[:, 1:].sum(axis=1).mean() for n in names]
    medians = _medians(study, *names)
    fewer = later[0] > later[1] > later[2] and medians[0] > medians[1] > medians[2]
    return fewer, (later, medians)


def blocking_maze(study):
    change = study.change_step
    since = {
        s.name: (s.values[:, -1] - s.values[:, change - 1]).mean() for s in study.series
    }
    return since["Dyna-Q+"] > since["Dyna-Q"], since


def shortcut_maze(study):
    took = _counts(study.note, "Took the shortcut")
    runs = study.series[0].n_runs
    return took["Dyna-Q+"] > runs / 2 and took["Dyna-Q"] < took["Dyna-Q+"], took


def figure_8_3(study):
    decided = dict(re.findall(r"(n=\d+): a greedy direction in (\d+)", study.note))
    return "n=0" in decided and int(decided["n=50"]) > int(decided["n=0"]), decided


def prioritized_sweeping(study):
    means = {s.name: s.mean() for s in study.series}
    fewer = [
        bool((means[f"Prioritized sweeping{a}"] < means[f"Dyna-Q{a}"]).all())
        for a in ("", ", alpha=1")
    ]
    return all(fewer), means


def goal_change(study):
    goals = _finals(study)
    told, not_told = goals["Dyna-Q, told"], goals["Dyna-Q, not told"]
    return goals["MPC"] > told > not_told, goals


def waypoints(study):
    by = _by(study)
    names = ("MPC", "Dyna-Q, told", "Dyna-Q, not told")
    steps = [by[n].values.sum(axis=1).mean() for n in names]  # per tour
    return steps[0] < steps[1] < steps[2], steps


def model_errors(study):
    end = _finals(study)
    deterministic, likely, empirical, more_data = end.values()
    ordered = deterministic > likely > empirical > more_data
    return ordered and likely > deterministic / 2, end


def mpc(study):
    q, dyna_5, dyna_50, mpc = _medians(
        study, "Q-learning", "Dyna-Q n=5", "Dyna-Q n=50", "MPC"
    )
    return mpc <= dyna_50 < q and dyna_5 < q, (q, dyna_5, dyna_50, mpc)


def mpc_ablation(study):
    without = (
        "Dyna-Q n=50",
        "MPC, no optimism",
        "MPC, no terminal values (h=10)",
        "MPC, no terminal values (h=30)",
    )
    mpc, *others = _medians(study, "MPC", *without)
    exact, dyna = _medians(study, "Dyna-Q n=50, alpha=1, Q0=1", "Dyna-Q n=50")
    return all(mpc < o for o in others) and exact < dyna, (mpc, others, exact)


def mpc_budget(study):
    few, many = study.series[0].mean(), study.series[-1].mean()
    # Longer horizons need more candidates: at the longest, more candidates
    # need fewer real steps, and few candidates need more than at h = 1.
    return many[-1] < few[-1] and few[-1] > few[0], (few, many)


def replanning(study):
    closed, open_loop = (s.mean() for s in study.series)
    slipping = study.series[0].x > 0
    return bool((closed < open_loop)[slipping].all()), (closed, open_loop)


def replay_vs_dyna(study):
    by = _by(study)
    last = by["Dyna-Q, deterministic model"].mean()
    counted = by["Dyna-Q, empirical model"].mean()
    # Mazes 2 (slippery) and 3 (blocking): counts win on the first, the
    # last outcome on the second.
    return counted[1] > last[1] and last[2] > counted[2], (last, counted)


def rollout_drift(study):
    by = _by(study)
    name = "slippery Dyna maze, deterministic model"
    goals, error = by[name].mean(), by[f"{name}, k-step error"].mean()
    return error[-1] > error[0] and goals[-1] < goals[0], (goals, error)


def sim_to_real(study):
    goals = _finals(study)
    slip, wall = (
        [
            goals[f"{world}: {agent}"]
            for agent in ("MPC, frozen sim model", "MPC, learning", "Dyna-Q, learning")
        ]
        for world in ("slip", "wall")
    )
    (frozen, learning, _), (frozen_wall, learning_wall, dyna_wall) = slip, wall
    holds = (
        frozen > frozen_wall  # replanning absorbs the slip, not the wall
        and learning_wall > frozen_wall  # learning corrects the wall ...
        and learning < frozen  # ... and hurts on the slippery floor
        and dyna_wall < learning_wall  # Dyna-Q corrects it more slowly
    )
    return holds, goals


#: Experiment -> (its figure's comparison, whether a study shows it and the
#: numbers that say so).
ORDERINGS = {
    "compare": (
        "MPC needs fewer real steps than Dyna-Q n=50, which needs fewer than "
        "Q-learning (median to convergence, and in all)",
        compare,
    ),
    "dyna-maze": (
        "more planning steps, fewer real steps: n=50 < n=5 < n=0 after the "
        "first episode and in median real steps to convergence",
        dyna_maze,
    ),
    "blocking-maze": (
        "Dyna-Q+ reaches more goals than Dyna-Q after the wall moves",
        blocking_maze,
    ),
    "shortcut-maze": (
        "Dyna-Q+ takes the shortcut in most runs, and in more than Dyna-Q",
        shortcut_maze,
    ),
    "fig-8-3": (
        "n = 50 has a greedy direction in more states than n = 0",
        figure_8_3,
    ),
    "prioritized-sweeping": (
        "prioritized sweeping needs fewer backups than Dyna-Q at every size, "
        "at alpha = 0.5 and 1 (the curves' means)",
        prioritized_sweeping,
    ),
    "goal-change": (
        "since the goal moved: MPC > Dyna-Q told > Dyna-Q not told (goals)",
        goal_change,
    ),
    "waypoints": (
        "real steps per tour: MPC < Dyna-Q told < Dyna-Q not told",
        waypoints,
    ),
    "model-errors": (
        "error at the last step ahead: deterministic > most likely true "
        "outcome (more than half of it) > empirical > empirical with 10x data",
        model_errors,
    ),
    "mpc": (
        "median real steps: MPC <= Dyna-Q n=50 < Q-learning, Dyna-Q n=5 < Q-learning",
        mpc,
    ),
    "mpc-ablation": (
        "MPC needs fewer real steps than Dyna-Q n=50 and than MPC without "
        "optimism or terminal values; alpha = 1, Q0 = 1 saves Dyna-Q steps",
        mpc_ablation,
    ),
    "mpc-budget": (
        "at the longest horizon more candidates need fewer real steps, and "
        "few candidates need more there than at h = 1",
        mpc_budget,
    ),
    "replanning": (
        "on a slippery floor replanning at every step takes fewer steps than open loop",
        replanning,
    ),
    "replay-vs-dyna": (
        "goals at the end: the counted model beats the last outcome on the "
        "slippery maze, the last outcome beats it on the blocking maze",
        replay_vs_dyna,
    ),
    "rollout-drift": (
        "on the slippery maze the last-outcome model's k-step error grows "
        "with k, and its long rollouts reach fewer goals than short ones",
        rollout_drift,
    ),
    "sim-to-real": (
        "frozen MPC reaches goals on the slippery floor, none past the missing "
        "wall; learning corrects the wall (Dyna-Q more slowly than MPC) and "
        "hurts on the slippery floor",
        sim_to_real,
    ),
}

#: Quick runs that take under about a second (the others: the full tier).
FAST = ("fig-8-3", "model-errors", "mpc-budget", "replanning")


def test_every_experiment_keeps_its_ordering_or_says_quick_cannot_show_it():
    for name, entry in STUDIES.items():
        says = CANNOT in entry.description
        assert says != (name in ORDERINGS), name
    assert set(ORDERINGS) <= set(STUDIES)


@pytest.mark.parametrize(
    "name",
    [n if n in FAST else pytest.param(n, marks=pytest.mark.slow) for n in ORDERINGS],
)
def test_a_quick_run_shows_what_the_full_budget_shows(name):
    seed = 0
    what, shows = ORDERINGS[name]
    study = STUDIES[name].function(quick=True, seed=seed)
    holds, numbers = shows(study)
    assert holds, f"{name} --quick --seed {seed} does not show: {what}; {numbers}"
