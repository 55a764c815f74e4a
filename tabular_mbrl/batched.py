"""A batched engine: many independent runs of Q-learning, Dyna-Q or Dyna-Q+ in
lockstep, with NumPy arrays of shape ``(n_runs, n_states, n_actions)``.

The per-run agents (:class:`QLearningAgent`, :class:`DynaQAgent`,
:class:`DynaQPlusAgent`) are the reference: they read like the book's boxes.
This engine computes the same algorithms for all runs at once, so averaging
over 30 seeds costs little more than one run:

- epsilon-greedy with random tie-breaking, for every run in a few array ops;
- the deterministic model and its list of observed pairs, per run, as arrays;
- the ``n`` planning backups of each real step: one short Python loop over
  ``n``, each iteration a backup for every run at once;
- the environments are not stepped one by one: their true model arrays are
  (``env.model()``, and ``model_at(t)`` for mazes whose walls move), indexed
  for every run at once. All runs take one real step per iteration, so each
  run's global real-step counter (what moves the walls) is the iteration count.

Two guarantees, tested in ``tests/test_batched.py``:

- ``streams="per-run"``: each run draws from its own agent's Generator, in the
  same order as the per-run agent would. On an environment without slip
  (which then draws nothing) results are **bit-identical** to the loop engine.
- ``streams="batch"`` (the default, and what ``engine="batched"`` uses): one
  Generator for the whole batch, drawing for all runs at once. Same
  distributions, different numbers: results agree with the loop engine
  **statistically** (Figure 8.2's mean curves within their confidence bands).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gridworlds import sample_outcomes

from ._checks import check_int, check_probability, check_real
from .dyna_q import DynaQAgent
from .dyna_q_plus import DynaQPlusAgent
from .models import DeterministicModel, unknown_outcomes
from .q_learning import QLearningAgent, epsilon_greedy
from .spec import AgentSpec

#: The agent classes the engine can run (and their subclasses that keep the
#: algorithm, see :func:`unsupported`).
SUPPORTED_AGENTS = (QLearningAgent, DynaQAgent, DynaQPlusAgent)


class BatchedDynaQ:
    """``n_runs`` independent Dyna-Q or Dyna-Q+ learners (``all_actions``);
    ``n_planning_steps=0`` is Q-learning (S&B sections 6.5, 8.2, 8.3).

    Parameters
    ----------
    q : ndarray of float, shape (n_runs, n_states, n_actions)
        Initial action values, one table per run (copied).
    alpha, gamma, epsilon : float
        As for the per-run agents.
    n_planning_steps : int, default 0
    kappa : float, default 0.0
        Dyna-Q+ bonus scale, ``kappa * sqrt(tau)`` on planning rewards.
    all_actions : bool, default False
        Dyna-Q+'s search control: planning samples a visited state and any
        action, as :class:`DynaQPlusAgent` does (never-tried actions follow
        the models' rule), whatever ``kappa`` is. False: Dyna-Q's, an
        observed pair.
    rng : Generator or list of Generator
        One Generator for the batch, or one per run (``streams="per-run"``:
        used in the per-run agents' order, for bit-identical results).

    Attributes
    ----------
    q : ndarray, shape (n_runs, n_states, n_actions)
    n_real_steps : int
        Real steps each run has taken (all runs move in lockstep).
    n_planning_updates : int
        Planning backups each run has made.
    """

    def __init__(
        self,
        q: np.ndarray,
        *,
        alpha: float,
        gamma: float,
        epsilon: float,
        n_planning_steps: int = 0,
        kappa: float = 0.0,
        all_actions: bool = False,
        rng: np.random.Generator | list[np.random.Generator],
    ) -> None:
        q = np.array(q, dtype=float)
        if q.ndim != 3 or 0 in q.shape:
            raise ValueError(
                f"q has shape {q.shape}, must be (n_runs, n_states, n_actions)"
            )
        self.q = q
        self.n_runs, self.n_states, self.n_actions = q.shape
        self.alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
        self.gamma = check_probability("gamma", gamma)
        self.epsilon = check_probability("epsilon", epsilon)
        self.n_planning_steps = check_int("n_planning_steps", n_planning_steps, low=0)
        self.kappa = check_real("kappa", kappa, low=0.0)
        self.all_actions = bool(all_actions)
        if isinstance(rng, list):
            if len(rng) != self.n_runs:
                raise ValueError(
                    f"rng is a list of {len(rng)} Generators, must have one per "
                    f"run ({self.n_runs})"
                )
            self._rngs, self._rng = rng, None
        elif isinstance(rng, np.random.Generator):
            self._rngs, self._rng = None, rng
        else:
            raise TypeError(
                f"rng == {rng!r}, must be a numpy Generator or a list of them"
            )
        runs, size = np.arange(self.n_runs), self.n_states * self.n_actions
        self._runs = runs
        self._base = runs * size  # offset of each run's table in the flat arrays
        self.n_real_steps = 0
        self.n_planning_updates = 0
        # The learned deterministic model, per run, starting from the models'
        # rule for never-observed pairs (only Dyna-Q+ ever plans from them).
        shape = (self.n_runs, self.n_states, self.n_actions)
        self.model_next, self.model_reward, self.model_terminated = (
            np.broadcast_to(rule, shape).copy()
            for rule in unknown_outcomes(self.n_states, self.n_actions)
        )
        self.observed = np.zeros(shape, dtype=bool)
        # Observed pairs (s * A + a) per run, in order of first observation.
        self._pairs = np.zeros((self.n_runs, size), dtype=np.int64)
        self._n_pairs = np.zeros(self.n_runs, dtype=np.int64)
        if self.all_actions:
            self.last_tried = np.zeros(shape, dtype=np.int64)
            self._visited = np.zeros((self.n_runs, self.n_states), dtype=bool)
            self._visit_order = np.zeros((self.n_runs, self.n_states), dtype=np.int64)
            self._n_visited = np.zeros(self.n_runs, dtype=np.int64)

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the tables and the model: O(runs x states x actions)."""
        arrays = [self.q, self.model_next, self.model_reward, self.model_terminated]
        arrays += [self.observed, self._pairs]
        if self.all_actions:
            arrays += [self.last_tried, self._visit_order]
        return sum(a.nbytes for a in arrays)

    def select_actions(self, states: np.ndarray) -> np.ndarray:
        """Epsilon-greedy actions ``(n_runs,)`` in ``states`` ``(n_runs,)``,
        ties broken at random."""
        q_rows = self.q[self._runs, states]  # (R, A)
        if self._rngs is not None:
            return np.array(
                [
                    epsilon_greedy(row, self.epsilon, rng)
                    for row, rng in zip(q_rows, self._rngs, strict=True)
                ]
            )
        # One draw per step: tie-breaking noise for each action, then one
        # number that decides exploration and, if it explores, the action.
        u = self._rng.random((self.n_runs, self.n_actions + 1))
        best = q_rows == np.maximum.reduce(q_rows, axis=1)[:, None]
        greedy = np.where(best, u[:, :-1], -1.0).argmax(axis=1)
        # u < epsilon explores; u / epsilon is then uniform in [0, 1).
        explore = u[:, -1] < self.epsilon
        if not explore.any():
            return greedy
        random = (u[:, -1] / self.epsilon * self.n_actions).astype(int)
        return np.where(explore, np.minimum(random, self.n_actions - 1), greedy)

    def update(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """One real transition per run: steps (d), (e) and (f) of the Dyna-Q
        box for every run at once."""
        q = self.q.reshape(-1)  # views, not copies: the arrays are contiguous
        observed = self.observed.reshape(-1)
        pair = states * self.n_actions + actions
        flat = self._base + pair
        if self.all_actions:
            new = ~self._visited[self._runs, states]
            runs = self._runs[new]
            self._visited[runs, states[new]] = True
            self._visit_order[runs, self._n_visited[new]] = states[new]
            self._n_visited += new
            self.last_tried.reshape(-1)[flat] = self.n_real_steps + 1
        self.n_real_steps += 1
        # (d) direct RL: the Q-learning backup of the real transition.
        best_next = np.maximum.reduce(self.q[self._runs, next_states], axis=1)
        target = rewards + self.gamma * best_next * ~terminated
        q[flat] += self.alpha * (target - q[flat])
        # (e) the model remembers the latest outcome of each pair.
        new = ~observed[flat]
        if new.any():
            observed[flat] = True
            self._pairs[self._runs[new], self._n_pairs[new]] = pair[new]
            self._n_pairs += new
        self.model_next.reshape(-1)[flat] = next_states
        self.model_reward.reshape(-1)[flat] = rewards
        self.model_terminated.reshape(-1)[flat] = terminated
        # (f) planning.
        if self.n_planning_steps > 0:
            self.plan(self.n_planning_steps)

    def _sample_pairs(self, n: int) -> np.ndarray:
        """Flat indices ``(n, n_runs)`` of the pairs each planning backup uses."""
        if self.all_actions:  # Dyna-Q+: a visited state, any action
            if self._rngs is None:
                u = self._rng.random((n, self.n_runs))
                index = (u * self._n_visited).astype(np.int64)
                actions = self._rng.integers(self.n_actions, size=(n, self.n_runs))
            else:
                index = np.empty((n, self.n_runs), dtype=np.int64)
                actions = np.empty((n, self.n_runs), dtype=np.int64)
                for run, rng in enumerate(self._rngs):
                    index[:, run] = rng.integers(self._n_visited[run], size=n)
                    actions[:, run] = rng.integers(self.n_actions, size=n)
            states = self._visit_order[self._runs, index]
            return self._base + states * self.n_actions + actions
        if self._rngs is None:  # Dyna-Q: an observed pair
            u = self._rng.random((n, self.n_runs))
            index = (u * self._n_pairs).astype(np.int64)
        else:
            index = np.empty((n, self.n_runs), dtype=np.int64)
            for run, rng in enumerate(self._rngs):
                index[:, run] = rng.integers(self._n_pairs[run], size=n)
        return self._base + self._pairs[self._runs, index]

    def plan(self, n: int) -> None:
        """``n`` planning backups for every run; the ``n`` steps run one after
        another (each may read values the previous one wrote)."""
        flat = self._sample_pairs(n)  # (n, R)
        # The model does not change while planning: look everything up at once.
        reward = self.model_reward.reshape(-1)[flat]
        if self.all_actions:
            tau = self.n_real_steps - self.last_tried.reshape(-1)[flat]
            reward = reward + self.kappa * np.sqrt(tau)
        discount = self.gamma * ~self.model_terminated.reshape(-1)[flat]
        next_rows = self._base + self.model_next.reshape(-1)[flat] * self.n_actions
        next_cells = next_rows[..., None] + np.arange(self.n_actions)  # (n, R, A)
        q, alpha, row_max = self.q.reshape(-1), self.alpha, np.maximum.reduce
        for cells, r, d, nxt in zip(flat, reward, discount, next_cells, strict=True):
            old = q[cells]
            q[cells] = old + alpha * (r + d * row_max(q[nxt], axis=1) - old)
        self.n_planning_updates += n


#: Methods that define an agent's algorithm. A subclass of a supported class
#: that overrides none of them runs the same algorithm, so it batches too.
_ALGORITHM = (
    "__init__",
    "select_action",
    "greedy_action",
    "update",
    "plan",
    "backup",
    "td_error",
)


def unsupported(spec: AgentSpec) -> str:
    """Why the engine cannot run ``spec`` (a one-line reason), or ``''``."""
    cls = spec.agent_class
    base = next((c for c in cls.__mro__ if c in SUPPORTED_AGENTS), None)
    names = ", ".join(c.__name__ for c in SUPPORTED_AGENTS)
    if base is None:
        return f"it runs {names}, not {cls.__name__}"
    for klass in cls.__mro__[: cls.__mro__.index(base)]:
        changed = [m for m in _ALGORITHM if m in vars(klass)]
        if changed:
            return (
                f"it runs {names}, not {cls.__name__}, which overrides "
                f"{changed[0]}() of {base.__name__}"
            )
    model = spec.params.get("model")
    if model is not None and model is not DeterministicModel:
        name = model.__name__ if isinstance(model, type) else type(model).__name__
        return f"it learns a DeterministicModel, not {name}"
    return ""


class VectorMaze:
    """Identical gridworlds for every run, stepped at once from their true
    model arrays (``(S, A, K)``, outcomes sampled by their probabilities).

    Parameters
    ----------
    envs : list
        One env per run, as built by the env factory: ``GridWorld`` or
        ``ShiftingMaze`` (anything with ``model()``, ``start_state`` and
        ``max_steps``; ``change_at`` and ``model_at(t)`` if its walls move).
    """

    def __init__(self, envs: list) -> None:
        env = envs[0]
        reason = self.unsupported(envs)
        if reason:
            raise ValueError(f"the batched engine cannot step these envs: {reason}")
        self.start_state = int(env.start_state)
        self.max_steps = env.max_steps
        self.change_at = getattr(env, "change_at", None)
        self._before = env.model_at(0) if self.change_at is not None else env.model()
        self._after = env.model_at(self.change_at) if self.change_at else None
        self.n_states, self.n_actions = env.n_states, env.n_actions

    @classmethod
    def check(cls, env_factory: Callable[[], object], n_runs: int) -> list | str:
        """Build the env of every run, one at a time, and check they are all
        the same; ``[first env]`` if they are, else the reason. Only one env is
        kept, whatever ``n_runs`` is."""
        first = env_factory()
        for run in range(n_runs):
            reason = cls.unsupported([first] if run == 0 else [first, env_factory()])
            if reason:
                return reason
        return [first]

    @staticmethod
    def unsupported(envs: list) -> str:
        """Why these envs cannot be stepped as one batch ('' if they can)."""
        env = envs[0]
        for name in ("model", "start_state", "max_steps", "total_steps"):
            if not hasattr(env, name):
                return f"{type(env).__name__} has no {name!r}"
        if hasattr(env, "change_at") and not hasattr(env, "model_at"):
            return f"{type(env).__name__} has change_at but no model_at()"
        model = env.model()
        for other in envs:
            if other.total_steps != 0:
                return "the envs must be fresh (no steps taken yet)"
            m = other.model()
            same = (
                type(other) is type(env)
                and other.start_state == env.start_state
                and other.max_steps == env.max_steps
                and getattr(other, "change_at", None) == getattr(env, "change_at", None)
                and m.next_states.shape == model.next_states.shape
                and all(
                    np.array_equal(getattr(m, f), getattr(model, f))
                    for f in ("next_states", "probs", "rewards", "terminated")
                )
            )
            if not same:
                return "every run must use the same environment"
        return ""

    def model_at(self, total_steps: int):
        """The true model for the step taken after ``total_steps`` steps."""
        if self._after is not None and total_steps >= self.change_at:
            return self._after
        return self._before

    def step(
        self, states: np.ndarray, actions: np.ndarray, total_steps: int, rng
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(next_states, rewards, terminated)`` for every run."""
        model = self.model_at(total_steps)
        if model.next_states.shape[2] == 1:
            k = np.zeros_like(states)
        else:
            k = sample_outcomes(model.probs[states, actions], rng)
        return (
            model.next_states[states, actions, k],
            model.rewards[states, actions, k],
            model.terminated[states, actions, k],
        )


def prepare(
    spec: AgentSpec,
    env_factory: Callable[[], object],
    *,
    n_runs: int,
    agent_seeds: list[np.random.SeedSequence],
    streams: str,
    seed_sequence: np.random.SeedSequence,
) -> tuple[BatchedDynaQ, VectorMaze, np.random.Generator] | str:
    """The engine, the vector env and the env's outcome stream for ``n_runs``
    runs of ``spec``, or a one-line reason why they cannot be batched.

    No per-run agent is built: the hyperparameters come from the spec (and,
    for those it leaves out, from the class's defaults). ``agent_seeds`` are
    the runs' own agent streams, which ``streams="per-run"`` draws from.
    """
    reason = unsupported(spec)
    if reason:
        return reason
    envs = VectorMaze.check(env_factory, n_runs)
    if isinstance(envs, str):
        return envs
    settings = spec.hyperparameters
    batch_stream, env_stream = map(np.random.default_rng, seed_sequence.spawn(2))
    if streams == "per-run":
        rng = [np.random.default_rng(s) for s in agent_seeds]
    else:
        rng = batch_stream
    maze = VectorMaze(envs)
    engine = BatchedDynaQ(
        # A read-only view: the engine's own copy is the only full table.
        np.broadcast_to(
            float(settings["q_init"]), (n_runs, maze.n_states, maze.n_actions)
        ),
        alpha=settings["alpha"],
        gamma=settings["gamma"],
        epsilon=settings["epsilon"],
        n_planning_steps=settings.get("n_planning_steps", 0),
        kappa=settings.get("kappa", 0.0),
        all_actions=issubclass(spec.agent_class, DynaQPlusAgent),
        rng=rng,
    )
    return engine, maze, env_stream


def run_episodes_batched(
    engine: BatchedDynaQ,
    maze: VectorMaze,
    env_rng: np.random.Generator,
    n_episodes: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps, returns and planning updates per episode, each ``(R, n_episodes)``.

    Every run steps until all runs have finished ``n_episodes`` episodes; a run
    that is done keeps learning, but nothing more is recorded for it."""
    runs = engine.n_runs
    # Real step count and running return at the end of each episode, per run;
    # the per-episode values are their differences.
    ends = np.zeros((runs, n_episodes + 1), dtype=np.int64)
    gains = np.zeros((runs, n_episodes + 1))
    episode = np.zeros(runs, dtype=np.int64)
    in_episode = np.zeros(runs, dtype=np.int64)
    total = np.zeros(runs)
    states = np.full(runs, maze.start_state)
    limit = maze.max_steps
    while True:
        actions = engine.select_actions(states)
        next_states, rewards, terminated = maze.step(
            states, actions, engine.n_real_steps, env_rng
        )
        engine.update(states, actions, rewards, next_states, terminated)
        total += rewards
        in_episode += 1
        done = terminated if limit is None else terminated | (in_episode >= limit)
        if not done.any():
            states = next_states
            continue
        recording = np.flatnonzero(done & (episode < n_episodes))
        ends[recording, episode[recording] + 1] = engine.n_real_steps
        gains[recording, episode[recording] + 1] = total[recording]
        episode += done
        if (episode >= n_episodes).all():
            break
        in_episode[done] = 0
        states = np.where(done, maze.start_state, next_states)
    steps = np.diff(ends, axis=1)
    returns = np.diff(gains, axis=1)
    planning = steps * engine.n_planning_steps
    return steps, returns, planning


def run_steps_batched(
    engine: BatchedDynaQ, maze: VectorMaze, env_rng: np.random.Generator, n_steps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative reward and planning updates after each real step, each
    ``(R, n_steps)``, and the step at which the maze changed ``(R,)``."""
    runs = engine.n_runs
    rewards = np.zeros((runs, n_steps))
    in_episode = np.zeros(runs, dtype=np.int64)
    states = np.full(runs, maze.start_state)
    for t in range(n_steps):
        actions = engine.select_actions(states)
        next_states, reward, terminated = maze.step(states, actions, t, env_rng)
        engine.update(states, actions, reward, next_states, terminated)
        rewards[:, t] = reward
        in_episode += 1
        done = terminated.copy()
        if maze.max_steps is not None:
            done |= in_episode >= maze.max_steps
        in_episode[done] = 0
        states = np.where(done, maze.start_state, next_states)
    planning = np.broadcast_to(
        np.arange(1, n_steps + 1) * engine.n_planning_steps, (runs, n_steps)
    ).copy()
    change = maze.change_at
    change_step = change if change is not None and change <= n_steps else -1
    return rewards.cumsum(axis=1), planning, np.full(runs, change_step)
