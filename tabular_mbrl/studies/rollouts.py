"""Imagined trajectories fed to a model-free learner, and how they drift."""

from __future__ import annotations

from functools import partial

import numpy as np

import gridworlds

from .._checks import check_int, check_real
from ..agents.rollouts import RolloutQAgent
from ..batched import TWINS, Streams, VectorMaze, run_steps_batched
from ..batched.loops import random_walks
from ..experiments import interact
from ..models import DeterministicModel, EmpiricalModel, total_variation
from ..results import Series, Study
from ..spec import AgentSpec
from .registry import Run, experiment
from .running import in_parallel

#: The rollout lengths k of :func:`rollout_drift`.
ROLLOUT_LENGTHS = (1, 2, 5, 10, 20, 50)

#: Its mazes and models, in order: a series per pair, "maze, model".
DRIFT_MAZES = ("Dyna maze", "slippery Dyna maze")
DRIFT_MODELS = ("deterministic model", "empirical model")

#: The suffix of its prediction-error series (second panel).
ERROR = "k-step error"


@experiment(
    "rollout-drift",
    "imagined trajectories of length k fed to Q-learning: drift of a wrong model",
    runs=40,
    # The full warm-up and steps (in 50 no run reaches the goal), 20 runs.
    quick={"n_runs": 20, "lengths": (1, 10)},
    group="beyond",
    # One stream per maze for all its settings: no per-run streams.
    engines=("loop", "batched"),
)
def rollout_drift(
    run: Run,
    *,
    lengths: tuple[int, ...] = ROLLOUT_LENGTHS,
    budget: int = 100,
    slip: float = 0.2,
    warmup: int = 1000,
    n_steps: int = 250,
    alpha: float = 0.5,
) -> Study:
    """Q-learning fed with imagined trajectories of ``k`` steps
    (:class:`~tabular_mbrl.agents.rollouts.RolloutQAgent`), for each ``k`` in
    ``lengths``, at ``budget`` imagined transitions per real step for every
    ``k`` (``budget / k`` rollouts), on the Dyna maze and on its version with
    ``slip``, with a deterministic model and with an empirical one.

    Each run first takes ``warmup`` uniformly random real steps, the same
    walk for every ``k`` and model (its models and Q learn from it, without
    imagining), then ``n_steps`` real steps as the agent. Two values per run:

    - the goals it reached in those ``n_steps`` real steps (learning
      performance);
    - its model's ``k``-step prediction error at the end: the total
      variation distance between where ``k`` imagined steps lead and where
      ``k`` real ones do, from the states the run has visited (uniformly),
      following its rollout policy (a terminal state absorbs).

    The first is the study's series, one per maze and model; the second is
    a second panel, its series named "..., k-step error". Runs on the batched
    engine (:class:`~tabular_mbrl.batched.BatchedRolloutQ`) unless
    ``engine="loop"``: one :class:`RolloutQAgent` at a time, minutes at the
    defaults.
    """
    lengths = tuple(check_int("lengths", k, low=1) for k in lengths)
    if not lengths:
        raise ValueError("lengths == (), must name at least one rollout length")
    budget = check_int("budget", budget, low=1)
    for k in lengths:
        if budget % k:
            raise ValueError(
                f"budget == {budget}, must be a multiple of every rollout length "
                f"(it holds the imagined transitions per real step fixed); "
                f"{k} is not a divisor"
            )
    slip = check_real("slip", slip, low=0.0, high=1.0)
    warmup = check_int("warmup", warmup, low=0)
    n_steps = check_int("n_steps", n_steps, low=1)
    names = [f"{maze}, {model}" for maze in DRIFT_MAZES for model in DRIFT_MODELS]
    # Every setting of a maze shares one batch and its stream: all run.
    run.series(names + [f"{name}, {ERROR}" for name in names], announce=False)
    run.announce(DRIFT_MAZES)
    maze_seeds = np.random.SeedSequence(run.seed).spawn(len(DRIFT_MAZES))
    settings = [(empirical, k) for empirical in (False, True) for k in lengths]
    on_maze = (run, slip, maze_seeds, settings, warmup, n_steps, budget, alpha)
    results = in_parallel(
        [partial(_maze_runs, i, *on_maze) for i in range(len(DRIFT_MAZES))], run.jobs
    )
    series, errors = [], []
    for maze, (goals, error) in zip(DRIFT_MAZES, results, strict=True):
        for m, model in enumerate(DRIFT_MODELS):
            part = slice(m * len(lengths), (m + 1) * len(lengths))
            x = np.array(lengths)
            series.append(Series(f"{maze}, {model}", x, goals[part].T))
            errors.append(
                Series(f"{maze}, {model}, {ERROR}", x, error[part].T, panel=1)
            )
    return Study(
        "rollout-drift",
        f"Imagined trajectories of k steps, {budget} imagined transitions per "
        f"real step (slip {slip:g})",
        "rollout length k (imagined steps)",
        f"goals in {n_steps} real steps",
        series + errors,
        kind="panels",
        log_x=True,
        panel_labels=(
            f"goals in {n_steps} real steps",
            "k-step prediction error (total variation)",
        ),
    )


def _maze_runs(
    index: int,
    run: Run,
    slip: float,
    maze_seeds: list[np.random.SeedSequence],
    settings: list[tuple[bool, int]],
    warmup: int,
    n_steps: int,
    budget: int,
    alpha: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The runs of :func:`rollout_drift` on its maze ``index``: goals and
    k-step errors ``(len(settings), n_runs)``."""
    n_runs = run.n_runs
    env = gridworlds.make("dyna_maze", slip=(0.0, slip)[index])
    walk_seed, agent_seed, env_seed = maze_seeds[index].spawn(3)
    walk = random_walks(env, warmup, n_runs, np.random.default_rng(walk_seed))
    runs = _loop_runs if run.engine == "loop" else _batched_runs
    goals, errors = runs(
        env, settings, walk, n_steps, budget, alpha, agent_seed, env_seed
    )
    if run.progress is not None:
        run.progress(DRIFT_MAZES[index], n_runs, n_runs)
    return goals, errors


def _batched_runs(env, settings, walk, n_steps, budget, alpha, agent_seed, env_seed):
    """Goals and k-step errors ``(len(settings), n_runs)``, all runs at once."""
    n_runs = walk[0].shape[1]
    ks = np.repeat([k for _, k in settings], n_runs)
    truth = env.model()
    rows = len(ks)
    maze = VectorMaze([env])
    batch = TWINS[RolloutQAgent].from_specs(
        [_spec(empirical, k, budget, alpha) for empirical, k in settings],
        n_runs=n_runs,
        maze=maze,
        rng=np.random.default_rng(agent_seed),
    )
    for step in zip(*walk, strict=True):  # the same walk for every setting
        batch.update(*(np.tile(part, len(settings)) for part in step), imagine=False)
    env_stream = Streams([np.random.default_rng(env_seed)], [rows])
    reward, _, _ = run_steps_batched(batch, maze, env_stream, n_steps)
    totals = batch.outcome_counts.sum(axis=3, keepdims=True)
    probs = batch.outcome_counts / np.maximum(totals, 1)
    errors = [
        k_step_error(
            truth,
            (truth.next_states, probs[r], batch.outcome_ends[r]),
            batch.observed[r],
            batch.q[r],
            np.flatnonzero(batch.visited[r]),  # where its rollouts start
            float(batch.epsilon[r]),
            int(ks[r]),
        )
        for r in range(rows)
    ]
    shape = (len(settings), n_runs)
    return reward[:, -1].reshape(shape), np.reshape(errors, shape)


def _spec(empirical: bool, k: int, budget: int, alpha: float) -> AgentSpec:
    """The agent of one setting: ``budget / k`` rollouts of ``k`` steps."""
    return AgentSpec(
        RolloutQAgent,
        n_rollouts=budget // k,
        rollout_length=k,
        alpha=alpha,
        model=EmpiricalModel if empirical else DeterministicModel,
    )


def _loop_runs(env, settings, walk, n_steps, budget, alpha, agent_seed, env_seed):
    """Goals and k-step errors ``(len(settings), n_runs)``, one agent at a time."""
    n_runs = walk[0].shape[1]
    truth = env.model()
    goals = np.zeros((len(settings), n_runs))
    errors = np.zeros((len(settings), n_runs))
    agent_seeds = agent_seed.spawn(n_runs)
    env_seeds = env_seed.spawn(n_runs)
    for i, (empirical, k) in enumerate(settings):
        for run in range(n_runs):
            model = (EmpiricalModel if empirical else DeterministicModel)(
                env.n_states, env.n_actions
            )
            agent = RolloutQAgent(
                env.n_states,
                env.n_actions,
                n_rollouts=0,  # the warm-up learns without imagining
                rollout_length=k,
                alpha=alpha,
                model=model,
                rng=np.random.default_rng(agent_seeds[run]),
            )
            for s, a, r, n, end in zip(*(part[:, run] for part in walk), strict=True):
                agent.update(int(s), int(a), float(r), int(n), bool(end))
            agent.n_rollouts = budget // k
            state, _ = env.reset(seed=int(env_seeds[run].generate_state(1)[0]))
            steps = interact(env, agent, state)
            goals[i, run] = sum(next(steps).reward for _ in range(n_steps))
            errors[i, run] = k_step_error(
                truth,
                (model.next_states, model.probs, model.terminated),
                model.observed,
                agent.q,
                np.flatnonzero(model.observed.any(axis=1)),  # the visited states
                agent.epsilon,
                k,
            )
    return goals, errors


def k_step_error(
    truth: gridworlds.TabularModel,
    model: tuple[np.ndarray, np.ndarray, np.ndarray],
    known: np.ndarray,
    q: np.ndarray,
    starts: np.ndarray,
    epsilon: float,
    k: int,
) -> float:
    """How far ``k`` imagined steps drift from ``k`` real ones.

    Parameters
    ----------
    truth : TabularModel
        The environment's model.
    model : (next_states, probs, terminated), each of shape (S, A, K)
        The learned model's outcomes.
    known : ndarray of bool, shape (S, A)
        The pairs the model has seen; it predicts nothing else.
    q : ndarray, shape (S, A)
        The run's action values.
    starts : ndarray of int
        The states rollouts start from (uniformly).
    epsilon : float
    k : int

    Returns
    -------
    float
        The total variation distance between the state distributions after
        ``k`` steps in the model and in the environment, following the
        rollout policy (epsilon-greedy over the known actions, ties shared).
        A terminal state absorbs; so does a state where the model knows no
        action, in both, since a rollout stops there too (the model predicts
        nothing from it).
    """
    n_states, n_actions = q.shape
    values = np.where(known, q, -np.inf)
    best = known & (values == values.max(axis=1, keepdims=True))
    n_known = known.sum(axis=1, keepdims=True)
    greedy = best / np.maximum(best.sum(axis=1, keepdims=True), 1)
    spread = np.where(n_known > 1, epsilon, 0.0)
    policy = (1 - spread) * greedy + spread * known / np.maximum(n_known, 1)
    steps = [_policy_matrix(model, policy), _policy_matrix(truth, policy)]
    stop = np.flatnonzero(n_known[:, 0] == 0)  # rollouts stop there: so do both
    for matrix in steps:
        matrix[stop] = 0.0
        matrix[stop, stop] = 1.0
    start = np.zeros(n_states + 1)
    start[starts] = 1.0 / len(starts)
    imagined, real = start, start.copy()
    for _ in range(k):
        imagined, real = imagined @ steps[0], real @ steps[1]
    return float(total_variation(imagined, real))


def _policy_matrix(model, policy: np.ndarray) -> np.ndarray:
    """The state-to-state matrix ``(S + 1, S + 1)`` of following ``policy``
    ``(S, A)`` in ``model`` (arrays ``(S, A, K)``); row and column S are the
    end of the episode, which absorbs."""
    if isinstance(model, gridworlds.TabularModel):
        model = (model.next_states, model.probs, model.terminated)
    next_states, probs, terminated = (np.asarray(part) for part in model)
    n_states = policy.shape[0]
    destination = np.where(terminated, n_states, next_states)
    weight = policy[..., None] * probs
    rows = np.broadcast_to(np.arange(n_states)[:, None, None], destination.shape)
    matrix = np.zeros((n_states + 1, n_states + 1))
    np.add.at(matrix, (rows, destination), weight)
    matrix[n_states, n_states] = 1.0
    return matrix
