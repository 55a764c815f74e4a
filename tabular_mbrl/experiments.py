"""Running agents in environments over many seeded runs.

``run_episodes`` gives the curves of S&B Figure 8.2 (steps per episode);
``run_steps`` gives those of Figures 8.4 and 8.5 (cumulative reward against
real steps). Every run gets its own env and agent, with independent random
streams for each, spawned from one seed. An agent is given as an
:class:`~tabular_mbrl.AgentSpec` (or a list of them, one per setting), or as a
plain factory ``factory(env, rng)`` for a custom agent on the loop engine.

All of them, and the named experiments, step agents through one loop:
:func:`interact`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._checks import (
    TooLarge,
    cannot_tell,
    check_callable,
    check_int,
    check_memory,
    check_real,
)
from .agents._fast_dyna_q import fast_planning
from .agents._fast_sweeping import greedy_walk, run_until_optimal, unsupported
from .batched import (
    STREAMS,
    fusion_key,
    prepare,
    run_episodes_batched,
    run_steps_batched,
)
from .dynamic_programming import greedy_path, likely_outcomes, shortest_path_length
from .probe import PolicyProbe
from .results import Convergence, EpisodeResults, StepResults
from .spec import AgentSpec

EnvFactory = Callable[[], Any]
AgentFactory = Callable[[Any, np.random.Generator], Any]
Agents = AgentSpec | Sequence[AgentSpec] | AgentFactory
Progress = Callable[[int, int], None]


class Transition(NamedTuple):
    """One real step, as :func:`interact` yields it."""

    state: int
    action: int
    reward: float
    next_state: int
    terminated: bool
    truncated: bool
    info: dict


def interact(env: Any, agent: Any, state: int) -> Iterator[Transition]:
    """The agent-environment loop (S&B section 3.1), one real step per item.

    From ``state`` (what ``env.reset()`` returned), forever: the agent selects
    an action, the env takes it, the agent learns from the transition, and the
    transition is yielded. After a step that ends the episode (terminated or
    truncated) the env is reset before the next one. Stop consuming to stop.

    Parameters
    ----------
    env
        A gridworld (``reset``, ``step``).
    agent
        Anything with ``select_action(state)`` and ``update(state, action,
        reward, next_state, terminated)``.
    state : int
        The current state of ``env``.
    """
    while True:
        action = agent.select_action(state)
        next_state, reward, terminated, truncated, info = env.step(action)
        agent.update(state, action, reward, next_state, terminated)
        yield Transition(state, action, reward, next_state, terminated, truncated, info)
        state = env.reset()[0] if terminated or truncated else next_state


def backups_until_optimal(
    env_factory: EnvFactory,
    agent: AgentSpec | AgentFactory,
    *,
    n_runs: int = 1,
    seed: int | None = None,
    tolerance: float = 0.2,
    max_steps: int = 100_000,
    check: str = "episode",
    progress: Progress | None = None,
) -> Convergence:
    """Q backups each run makes before its greedy policy walks a (near) shortest
    path: the measure of S&B Example 8.4.

    A run is done when the greedy path from the start, in the env's true
    model, is at most ``(1 + tolerance)`` times the shortest path
    (:func:`shortest_path_length`). ``check`` says when it is looked at:

    - ``"episode"`` (default): at the end of each episode, the greedy walk
      from the start, the first of tied actions taken (as ``np.argmax``), as
      the book's reference implementation (ShangtongZhang's chapter 8 code,
      ``check_path``) checks;
    - ``"step"``: after every real step, the shortest path over every greedy
      action (ties explored; a state whose actions are all tied gives no
      direction, :func:`~tabular_mbrl.dynamic_programming.greedy_path`):
      the earliest moment a near-shortest path is greedy.

    Backups are counted by one rule for every agent: one per real step
    (Dyna-Q's direct update; prioritized sweeping's TD error of the real
    pair, its priority) plus every planning update. So an agent whose
    planning idles while it explores still pays for its real steps.

    Why a tolerance: with ``tolerance=0`` about one run in five on the Dyna maze
    never qualifies within 100,000 steps. Once a 16-step route is greedy, the
    epsilon-greedy agent rarely tries the actions that would show an equally
    short alternative of 14, and nothing else makes it learn their values.
    Allowing 20 % (16 <= 1.2 * 14) measures how fast the agents propagate
    value, which is what the example is about.

    A :class:`~tabular_mbrl.agents.PrioritizedSweepingAgent` or
    :class:`~tabular_mbrl.agents.DynaQAgent` on a deterministic
    :class:`gridworlds.GridWorld` runs on its fast twin (the same numbers,
    see :mod:`tabular_mbrl.agents._fast_sweeping`); anything else on the
    loop.

    Returns
    -------
    Convergence
        Per run, the backups it made (``steps``; NaN for a run that was not
        done after ``max_steps`` real steps) and the backups it had made when
        it stopped (``budgets``): a run that never got there is censored, a
        lower bound, never NaN in ``values`` or ``median``.
    """
    max_steps = check_int("max_steps", max_steps, low=1)
    tolerance = check_real("tolerance", tolerance, low=0.0)
    if check not in CHECKS:
        raise ValueError(f"check == {check!r}, must be one of {list(CHECKS)}")
    n_runs = check_int("n_runs", n_runs, low=1)
    backups, budgets = np.full(n_runs, np.nan), np.zeros(n_runs)
    for run, (env, learner) in enumerate(_runs(env_factory, agent, n_runs, seed)):
        shortest = shortest_path_length(env.model(), env.start_state)
        if shortest is None:
            raise ValueError(
                "no goal can be reached from the start of this env, so no "
                "greedy path can ever be near-shortest"
            )
        bar = (1 + tolerance) * shortest
        if unsupported(env, learner):
            done = _until_optimal(env, learner, bar, max_steps, check)
        else:
            done = run_until_optimal(
                env, learner, bar=bar, max_steps=max_steps, check=check
            )
        budgets[run] = learner.n_planning_updates + learner.n_real_steps
        if done:
            backups[run] = budgets[run]
        if progress is not None:
            progress(run + 1, n_runs)
    return Convergence(backups, budgets)


#: When :func:`backups_until_optimal` looks at the greedy path.
CHECKS = ("episode", "step")


def _until_optimal(env: Any, learner: Any, bar: float, max_steps: int, check: str):
    """:func:`backups_until_optimal`'s run on the loop: whether the greedy
    path from the start got within ``bar`` steps in ``max_steps`` real
    steps."""
    successor, ends = likely_outcomes(env.model())
    steps = interact(env, learner, env.reset()[0])
    if check == "episode":
        flat = [[x for row in table for x in row] for table in (successor, ends)]
        for _ in range(max_steps):
            step = next(steps)
            if (step.terminated or step.truncated) and greedy_walk(
                learner.q.tolist(), *flat, env.start_state, bar
            ) is not None:
                return True
        return False
    rows, read = np.zeros(0, dtype=np.int64), np.zeros((0, env.n_actions))
    for _ in range(max_steps):
        next(steps)
        # The greedy path depends only on the rows of q its search read:
        # while those are unchanged, so is its length (exact, and cheap).
        if len(rows) and np.array_equal(learner.q[rows], read):
            continue
        expanded: list[int] = []
        length = greedy_path(learner.q, successor, ends, env.start_state, expanded)
        rows = np.array(expanded, dtype=np.int64)
        read = learner.q[rows]
        if length is not None and length <= bar:
            return True
    return False


def q_midway(
    env_factory: EnvFactory,
    agent: AgentSpec | AgentFactory,
    *,
    episode: int = 2,
    fraction: float = 0.5,
    n_runs: int = 1,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each run's Q table part of the way through one of its episodes: S&B
    Figure 8.3 shows the greedy policies halfway through the second.

    Each run is played twice from the same seeds: once to learn how long its
    episodes ``1..episode`` are, then again, identically, stopping after the
    earlier episodes and ``floor(fraction * length)`` steps of ``episode``.

    Returns
    -------
    q : ndarray, shape (n_runs, S, A)
    steps : ndarray of int, shape (n_runs,)
        The real steps each run had taken then.
    """
    episode = check_int("episode", episode, low=1)
    fraction = check_real("fraction", fraction, low=0.0, high=1.0)
    tables, taken = [], []
    twice = zip(
        _runs(env_factory, agent, n_runs, seed),
        _runs(env_factory, agent, n_runs, seed),
        strict=True,
    )
    for (env, learner), (again, replay) in twice:
        lengths = [0]  # steps of each episode so far
        for step in interact(env, learner, env.reset()[0]):
            lengths[-1] += 1
            if step.terminated or step.truncated:
                if len(lengths) == episode:
                    break
                lengths.append(0)
        stop = sum(lengths[:-1]) + int(np.floor(fraction * lengths[-1]))
        steps = interact(again, replay, again.reset()[0])
        for _ in range(stop):
            next(steps)
        tables.append(replay.q.copy())
        taken.append(stop)
    return np.array(tables), np.array(taken)


def _factory(agent: AgentSpec | AgentFactory) -> AgentFactory:
    """``factory(env, rng)`` for a spec or a factory."""
    if isinstance(agent, AgentSpec):
        return lambda env, rng: agent.build(env.n_states, env.n_actions, rng)
    if not callable(agent):
        raise TypeError(
            f"agent must be an AgentSpec, a list of them or a factory "
            f"factory(env, rng), got {type(agent).__name__}"
        )
    return agent


def _seeds(n_runs: int, seed: int | None) -> list[np.random.SeedSequence]:
    """One seed sequence per run, spawned from ``seed``."""
    if seed is not None:
        seed = check_int("seed", seed, low=0)
    return np.random.SeedSequence(seed).spawn(n_runs)


def _check_episodes_end(env: Any) -> None:
    """Refuse an env whose episodes can never end: no goal reachable from the
    start (in any of its layouts) and no ``max_steps``."""
    if getattr(env, "max_steps", None) is not None or not hasattr(env, "model"):
        return
    models = [env.model()]
    if hasattr(env, "model_at") and getattr(env, "change_at", None) is not None:
        models += [env.model_at(0), env.model_at(env.change_at)]
    if all(shortest_path_length(m, env.start_state) is None for m in models):
        raise ValueError(
            "no goal can be reached from the start of this env, so an episode "
            "would never end; give it a time limit, e.g. "
            "gridworlds.GridWorld(layout, max_steps=1000)"
        )


class _Fresh:
    """Checks that a factory makes a new object at every call."""

    def __init__(self, what: str, hint: str) -> None:
        self.what, self.hint, self.seen = what, hint, []

    def check(self, obj: Any, run: int) -> None:
        for ref in self.seen:
            if ref() is obj:
                raise ValueError(
                    f"the {self.what} factory returned the same object for run "
                    f"{run + 1} as for an earlier run; runs must not share it, so "
                    f"make a new one at every call ({self.hint})"
                )
        try:
            self.seen.append(weakref.ref(obj))
        except TypeError:  # no weak references: keep the object itself
            self.seen.append(lambda obj=obj: obj)


def _runs(
    env_factory: EnvFactory,
    agent: AgentSpec | AgentFactory,
    n_runs: int,
    seed: int | None,
    fast: bool = False,
):
    """Yield ``(env, agent)`` per run, each seeded from its own spawned stream.
    ``fast``: a spec's ``DynaQAgent`` plans through its twin over lists
    (:func:`~tabular_mbrl.agents._fast_dyna_q.fast_planning`, the same bits)."""
    n_runs = check_int("n_runs", n_runs, low=1)
    if fast and isinstance(agent, AgentSpec):
        agent = fast_planning(agent)
    factory = _factory(agent)
    envs = _Fresh("env", "e.g. lambda: gridworlds.make(...)")
    agents = _Fresh("agent", "or pass an AgentSpec, which builds one per run")
    for run, run_seed in enumerate(_seeds(n_runs, seed)):
        env_seed, agent_seed = run_seed.spawn(2)
        env = _made("env_factory()", env_factory(), _ENV)
        envs.check(env, run)
        learner = _made(
            "the agent factory", factory(env, np.random.default_rng(agent_seed)), _AGENT
        )
        agents.check(learner, run)
        sizes = (learner.n_states, learner.n_actions)
        if sizes != (env.n_states, env.n_actions):
            raise ValueError(
                f"agent has (n_states, n_actions) == {sizes}, must match "
                f"the env's ({env.n_states}, {env.n_actions})"
            )
        env.reset(seed=int(env_seed.generate_state(1)[0]))
        yield env, learner


#: What an environment and an agent must have for the runners.
_ENV = ("reset", "step", "n_states", "n_actions")
_AGENT = ("select_action", "update", "n_states", "n_actions")

#: Bytes a run keeps per real step or episode in the results (with room to
#: spare), and for its seeds.
_BYTES_PER_POINT = 40
_BYTES_PER_RUN = 1024


def _made(what: str, made: Any, needs: tuple[str, ...]) -> Any:
    """``made`` if it has everything in ``needs``, else a TypeError saying
    what ``what`` returned."""
    missing = [name for name in needs if not hasattr(made, name)]
    if missing:
        kind = "an environment" if needs is _ENV else "an agent"
        raise TypeError(
            f"{what} returned {type(made).__name__} {made!r:.60}, must return "
            f"{kind} with {', '.join(needs)} (it has no {missing[0]})"
        )
    return made


def _check_size(n_runs: int, points: int, settings: int = 1) -> None:
    """Refuse, before making any seed, results that would not fit in memory."""
    check_memory(
        f"{settings * n_runs:,} runs of {points:,} points each",
        settings * n_runs * (points * _BYTES_PER_POINT + _BYTES_PER_RUN),
    )


ENGINES = ("loop", "batched", "auto", "batched-per-run")


def _streams(engine: str) -> str:
    """The batched engine's streams for ``engine``: one per run, or one per
    setting (see :mod:`tabular_mbrl.batched`)."""
    return STREAMS[1] if engine == "batched-per-run" else STREAMS[0]


def batch(
    env_factory: EnvFactory,
    specs: list[AgentSpec],
    n_runs: int,
    seed: int | None,
    engine: str,
):
    """The batched engine's pieces for ``n_runs`` runs of each of ``specs``,
    all in one batch, seeded as the runners seed it: ``(twin, vector maze,
    the maze's streams)``, or None to use the loop.

    ``"auto"`` falls back to the loop for one run, for specs the engine
    cannot run, and for a batch that would not fit in memory (counted models
    keep counts per next state: ``runs x S x A x S``; the loop's grow with
    the outcomes seen); ``"batched"`` says why it cannot instead."""
    if engine == "loop" or (engine == "auto" and n_runs == 1):
        return None
    seeds = _seeds(n_runs, seed)
    # The batch's own streams come after the per-run ones.
    sequence = np.random.SeedSequence(seed).spawn(n_runs + 1)[n_runs]
    try:
        pieces = prepare(
            specs,
            env_factory,
            n_runs=n_runs,
            agent_seeds=[run_seed.spawn(2)[1] for run_seed in seeds],
            streams=_streams(engine),
            seed_sequence=sequence,
        )
    except TooLarge:
        if engine == "auto":
            return None
        raise
    if isinstance(pieces, str):
        if engine == "auto":
            return None
        raise ValueError(f"engine == {engine!r} cannot run this experiment: {pieces}")
    return pieces


def _settings(
    env_factory: EnvFactory,
    agent: Agents,
    n_runs: int,
    seed: int | None,
    engine: str,
    progress: Progress | None,
    batched: Callable[[Any], Any],
    loop: Callable[[Any, Progress | None], Any],
) -> Any:
    """The results of ``agent``, or one per spec of a list of specs: a
    runner's two forms, ``batched(pieces)`` (every run of a batch, its
    settings one after another) and ``loop(spec, progress)`` (one setting,
    run by run).

    Specs the batched engine can run together (see
    :func:`~tabular_mbrl.batched.fusion_key`) share one batch, with one row
    of hyperparameters per run; the rest run on the loop. For a list,
    ``progress`` counts the runs of all settings."""
    if engine not in ENGINES:
        raise ValueError(f"engine == {engine!r}, must be one of {list(ENGINES)}")
    single = not isinstance(agent, list | tuple)
    specs = [agent] if single else list(agent)
    if not specs:
        raise ValueError(f"agent == {agent!r}, must hold at least one AgentSpec")
    for spec in specs:
        if not single and not isinstance(spec, AgentSpec):
            raise TypeError(
                f"a list of agents must hold AgentSpecs, got {type(spec).__name__}"
            )
    total, done = n_runs * len(specs), 0

    def report(runs: int) -> None:
        nonlocal done
        done += runs
        if progress is not None:
            progress(done, total)

    results: list[Any] = [None] * len(specs)
    if not isinstance(specs[0], AgentSpec):  # a factory
        if engine in ("batched", "batched-per-run"):
            raise ValueError(
                f"engine == {engine!r} needs an AgentSpec, got a factory "
                f"{type(specs[0]).__name__}; a custom agent runs on engine='loop'"
            )
    else:
        groups: dict[Any, list[int]] = {}
        for i, spec in enumerate(specs):
            key = fusion_key(spec, _streams(engine)) or ("alone", i)
            groups.setdefault(key, []).append(i)
        for members in groups.values():
            pieces = batch(
                env_factory, [specs[i] for i in members], n_runs, seed, engine
            )
            if pieces is None:
                continue
            together = batched(pieces)
            for j, i in enumerate(members):
                results[i] = together.runs(slice(j * n_runs, (j + 1) * n_runs))
                report(n_runs)
    for i, spec in enumerate(specs):
        if results[i] is None:
            results[i] = loop(spec, lambda runs, _: report(1))
    return results[0] if single else results


def run_episodes(
    env_factory: EnvFactory,
    agent: Agents,
    *,
    n_episodes: int,
    n_runs: int = 1,
    seed: int | None = None,
    progress: Progress | None = None,
    engine: str = "loop",
) -> EpisodeResults | list[EpisodeResults]:
    """Run ``n_runs`` independent runs of ``n_episodes`` episodes each.

    Parameters
    ----------
    env_factory : callable
        ``env_factory()`` makes a new env. Give it a ``max_steps`` if an agent
        might never reach the goal.
    agent : AgentSpec, list of AgentSpec, or callable
        The agent to run, as a spec (``AgentSpec(DynaQAgent,
        n_planning_steps=5)``); a list of specs, one per setting, each run with
        the same seed; or a factory ``agent(env, rng)`` for a custom agent
        (loop engine).
    n_episodes, n_runs : int
    seed : int, optional
        One seed for everything: run ``i`` gets independent env and agent streams
        spawned from it, so the same seed gives bit-identical results.
    progress : callable, optional
        Called as ``progress(runs_done, n_runs)`` after each run.
    engine : {"loop", "batched", "auto", "batched-per-run"}, default "loop"
        ``"loop"`` runs the per-run agents one after another (the reference;
        a ``DynaQAgent`` plans through its twin over lists, with the same
        bits: :mod:`tabular_mbrl.agents._fast_dyna_q`).
        ``"batched"`` runs all runs in lockstep (:mod:`tabular_mbrl.batched`;
        Q-learning, Dyna-Q, Dyna-Q+ and random-shooting MPC specs; a list of
        specs shares one batch where it can), with one random stream per
        setting: the same distributions, not the same numbers.
        ``"batched-per-run"`` draws from each run's own agent stream instead:
        bit-identical to ``"loop"`` on envs without slip, but slower.
        ``"auto"`` batches when ``n_runs > 1`` and the spec allows it, and
        uses the loop otherwise.

    Returns
    -------
    EpisodeResults, or a list of them (one per spec) for a list of specs
    """
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    n_runs = check_int("n_runs", n_runs, low=1)
    check_callable("progress", progress)
    _check_size(
        n_runs, n_episodes, len(agent) if isinstance(agent, list | tuple) else 1
    )
    _check_episodes_end(env_factory())

    def batched(pieces) -> EpisodeResults:
        probe = PolicyProbe.of(env_factory(), seed, n_runs)
        return EpisodeResults(*run_episodes_batched(*pieces, n_episodes, probe=probe))

    def loop(setting: AgentSpec | AgentFactory, progress) -> EpisodeResults:
        shape = (n_runs, n_episodes)
        steps = np.zeros(shape, dtype=np.int64)
        planning = np.zeros(shape, dtype=np.int64)
        returns = np.zeros(shape)
        policy = np.full(shape, np.nan)
        probe = PolicyProbe.of(env_factory(), seed, n_runs)
        for run, (env, learner) in enumerate(
            _runs(env_factory, setting, n_runs, seed, fast=True)
        ):
            transitions = interact(env, learner, env.reset()[0])
            # Planning is counted from the end of one episode to the end of the
            # next: value iteration that the probe runs between them (as the
            # next decision would have) counts in the next episode.
            planning_before = learner.n_planning_updates
            for episode in range(n_episodes):
                for step in transitions:
                    steps[run, episode] += 1
                    returns[run, episode] += step.reward
                    if step.terminated or step.truncated:
                        break
                planning[run, episode] = learner.n_planning_updates - planning_before
                planning_before = learner.n_planning_updates
                if probe is not None:
                    policy[run, episode] = probe.of_agent(learner)
            progress(run + 1, n_runs)
        return EpisodeResults(steps, returns, planning, policy)

    return _settings(
        env_factory,
        agent,
        n_runs,
        seed,
        engine,
        progress,
        batched,
        loop,
    )


def tell(agent: Any, reward_fn: Callable, terminal_fn: Callable) -> None:
    """Hand an agent a new reward function mid-run (the goal moved), so that
    it plans for the new goal with no real step: ``agent.tell(reward_fn,
    terminal_fn)``.

    ``reward_fn(states, actions, next_states)`` and ``terminal_fn`` are
    vectorised, as for :class:`~tabular_mbrl.agents.RandomShootingAgent`.

    - A planner (MPC, per run or batched) plans with them from its next
      decision, in place of its model's rewards and ends.
    - A learner with a learned model (Dyna-Q, prioritized sweeping, per run
      or batched) has the outcomes its model has observed relabelled
      (:func:`~tabular_mbrl.models.relabel`); its planning backups then carry
      the new goal into its values.

    Raises
    ------
    TypeError
        For an agent with no ``tell`` (Q-learning has nothing to be told with).
    """
    told = getattr(agent, "tell", None)
    if not callable(told):
        raise cannot_tell(type(agent).__name__)
    told(reward_fn, terminal_fn)


def run_steps(
    env_factory: EnvFactory,
    agent: Agents,
    *,
    n_steps: int,
    n_runs: int = 1,
    seed: int | None = None,
    on_change: Callable[[Any, Any], None] | None = None,
    progress: Progress | None = None,
    engine: str = "loop",
) -> StepResults | list[StepResults]:
    """Run ``n_runs`` independent runs of ``n_steps`` real steps each, starting a
    new episode whenever one ends. Arguments as for :func:`run_episodes`, and:

    on_change : callable, optional
        Called as ``on_change(env, agent)`` right after the step at which the env
        first reports ``info["changed"]`` (e.g. to :func:`tell` the agent the
        new goal). On the batched engines it is called once for the batch, as
        ``on_change(maze, engine)``, after the same step; :func:`tell` takes
        an agent or an engine alike.

    Returns
    -------
    StepResults, or a list of them (one per spec) for a list of specs
    """
    n_steps = check_int("n_steps", n_steps, low=1)
    n_runs = check_int("n_runs", n_runs, low=1)
    check_callable("progress", progress)
    check_callable("on_change", on_change)
    _check_size(n_runs, n_steps, len(agent) if isinstance(agent, list | tuple) else 1)
    if engine not in ENGINES:
        raise ValueError(f"engine == {engine!r}, must be one of {list(ENGINES)}")

    def batched(pieces) -> StepResults:
        return StepResults(*run_steps_batched(*pieces, n_steps, on_change=on_change))

    def loop(setting: AgentSpec | AgentFactory, progress) -> StepResults:
        shape = (n_runs, n_steps)
        rewards, planning = np.zeros(shape), np.zeros(shape, dtype=np.int64)
        change_steps = np.full(shape[0], -1)
        for run, (env, learner) in enumerate(
            _runs(env_factory, setting, n_runs, seed, fast=True)
        ):
            state, info = env.reset()
            if info.get("changed", False):
                change_steps[run] = 0
            steps = interact(env, learner, state)
            for t, step in zip(range(n_steps), steps, strict=False):
                rewards[run, t] = step.reward
                planning[run, t] = learner.n_planning_updates
                if change_steps[run] < 0 and step.info.get("changed", False):
                    change_steps[run] = t + 1
                    if on_change is not None:
                        on_change(env, learner)
            progress(run + 1, n_runs)
        return StepResults(rewards.cumsum(axis=1), planning, change_steps)

    return _settings(
        env_factory,
        agent,
        n_runs,
        seed,
        engine,
        progress,
        batched,
        loop,
    )
