"""Model-predictive control: agents that plan at decision time and act.

:class:`RandomShootingAgent` replans at every real step: it samples many action
sequences, rolls each out in its learned model (:mod:`tabular_mbrl.planning`),
executes only the first action of the best one, and plans again at the next
step (a receding horizon). :class:`ReplanningAgent` plans a whole path and
replans every ``k`` steps, from closed loop (``k = 1``) to open loop. See
Sutton & Barto, 2nd ed., sections 8.8 and 8.10.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from gridworlds import TabularModel

from .._checks import (
    agent_repr,
    check_generator,
    check_int,
    check_memory,
    check_probability,
    check_real,
    check_transition,
    make_rng,
)
from ..dynamic_programming import iterate_values, likely_outcomes
from ..models import DeterministicModel, outcome_arrays
from ..planning import (
    RewardFn,
    candidate_sequences,
    check_terminal_value,
    cross_entropy_method,
    n_sequences,
    planning_view,
    random_shooting,
    rollout_returns,
)

#: Value iteration's tolerance in MPC's terminal values and the replanner's
#: paths: stop when no value changes by this much in a sweep.
VALUE_TOLERANCE = 1e-6


def _same(key: tuple, cached: list) -> bool:
    """Whether each part of ``key`` is equal to the cached one, as
    :func:`numpy.array_equal` says (the same shape, every element ==)."""
    for a, b in zip(key, cached, strict=True):
        if type(a) is np.ndarray and type(b) is np.ndarray:
            if a.shape != b.shape or not (a == b).all():
                return False
        elif not np.array_equal(a, b):
            return False
    return True


class RandomShootingAgent:
    """An MPC agent that replans at every step on a tabular model.

    ``select_action(state)`` plans from ``state`` with the planner and returns
    only the first action (receding horizon); ``update(...)`` teaches the model
    the real transition. The model is a :class:`DeterministicModel` learned from
    real steps by default; pass one (an :class:`EmpiricalModel`, or an env's true
    ``model()``, which is then never updated) to plan with it instead.

    Exploration: with ``unknown_value`` set, a pair the learned model has never
    seen is worth that much and ends the rollout (optimism in the spirit of
    R-max), so the planner seeks out what it does not know. With
    ``unknown_value=None`` unknown pairs follow the model's guess (stay in place,
    reward 0), and on a sparse-reward maze the agent may never find the goal.

    Changing worlds: a learned deterministic model has no reason to retry a
    pair whose outcome it has seen, so when the world changes where the agent
    does not go (a shortcut opens), it never finds out. ``kappa > 0`` adds
    Dyna-Q+'s bonus ``kappa * sqrt(tau)`` to the reward of every pair not
    tried for ``tau`` real steps, in the rollouts (S&B section 8.3): pairs
    within ``horizon`` steps become worth a visit. The terminal values are
    computed without it, so the bonus does not reach beyond the horizon
    (and value iteration runs only when the model changes, not at every
    step as the bonus grows).

    Terminal values: ``terminal_value="value_iteration"`` runs value iteration
    on the planning model before every decision (warm-started from the last
    one) and adds the value of where each rollout ends at the horizon. The
    trade-off: values carry what lies beyond the horizon, so even a horizon of
    1-5 works in a long maze, where random sequences would almost never reach
    the goal. But they cost a value iteration per step, they are only as good as
    the model, and once they are exact the planner mostly acts greedily on them:
    MPC turns into a model-based value method. Without them the horizon must
    reach the reward.

    Parameters
    ----------
    n_states, n_actions : int
    horizon : int, default 3
        Length of the planned sequences, >= 1.
    n_candidates : int, default 64
        Sequences sampled per decision, >= 1; when there are no more sequences
        than this (``n_actions ** horizon``), every one is scored instead, with
        no sampling noise. The defaults score all 4^3 = 64 sequences of a
        gridworld: the agent the package teaches, which with the true model
        walks a shortest path and with a learned one settles on it (the
        ``mpc`` experiment measures it).
    gamma : float, default 0.95
    rng : numpy Generator, int or None
    model : learned model or TabularModel, optional
    reward_fn, terminal_fn : callable, optional
        Override the model's rewards and terminations (see
        :func:`rollout_returns`); public attributes, so an experiment can move
        the goal mid-run.
    unknown_value : float or None, default 1.0
        Value of a never-observed pair (see above).
    terminal_value : None, "value_iteration" or ndarray (n_states,)
        Default "value_iteration" (see above). None: rollouts end at the
        horizon, and must reach the reward to see it.
    planner : {"random_shooting", "cem"}, default "random_shooting"
        ``"cem"`` uses :func:`cross_entropy_method` with ``n_iterations``.
    n_iterations : int, default 4
        CEM iterations.
    epsilon : float, default 0.0
        Probability of a uniformly random action instead of planning.
    kappa : float, default 0.0
        Staleness bonus scale, >= 0 (see above); 0 adds nothing.

    Attributes
    ----------
    n_real_steps : int
    n_planning_updates : int
        All the model work: transitions simulated in rollouts (``n_candidates
        * horizon`` per decision, fewer when every sequence is scored, times
        ``n_iterations`` for CEM) plus ``n_value_backups``.
    n_value_backups : int
        Backups of the value iteration behind ``terminal_value=
        "value_iteration"``: ``S * A * K`` per sweep, swept only when the
        model changed.
    """

    direct_rl = False

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        horizon: int = 3,
        n_candidates: int = 64,
        gamma: float = 0.95,
        rng: np.random.Generator | int | None = None,
        model: object | None = None,
        reward_fn: RewardFn | None = None,
        terminal_fn: RewardFn | None = None,
        unknown_value: float | None = 1.0,
        terminal_value: str | np.ndarray | None = "value_iteration",
        planner: str = "random_shooting",
        n_iterations: int = 4,
        epsilon: float = 0.0,
        kappa: float = 0.0,
    ) -> None:
        self.n_states = check_int("n_states", n_states, low=1)
        self.n_actions = check_int("n_actions", n_actions, low=1)
        self.horizon = check_int("horizon", horizon, low=1)
        self.n_candidates = check_int("n_candidates", n_candidates, low=1)
        check_memory(
            f"{self.n_candidates:,} sequences of {self.horizon:,} actions",
            self.n_candidates * self.horizon * 40,
        )
        self.gamma = check_probability("gamma", gamma)
        self.epsilon = check_probability("epsilon", epsilon)
        self.rng = make_rng(rng)
        self.model = DeterministicModel(n_states, n_actions) if model is None else model
        shape = outcome_arrays(self.model)[0].shape[:2]
        if shape != (self.n_states, self.n_actions):
            raise ValueError(
                f"model has (n_states, n_actions) == {shape}, must "
                f"match the agent's ({self.n_states}, {self.n_actions})"
            )
        self.reward_fn, self.terminal_fn = reward_fn, terminal_fn
        self.unknown_value = (
            None
            if unknown_value is None
            else check_real("unknown_value", unknown_value)
        )
        if isinstance(terminal_value, str):
            if terminal_value != "value_iteration":
                raise ValueError(
                    f"terminal_value == {terminal_value!r}, must be None, "
                    f"'value_iteration' or an array of shape (n_states,)"
                )
        elif terminal_value is not None:
            terminal_value = check_terminal_value(terminal_value, self.n_states)
        self.terminal_value = terminal_value
        if planner not in ("random_shooting", "cem"):
            raise ValueError(
                f"planner == {planner!r}, must be 'random_shooting' or 'cem'"
            )
        self.planner = planner
        self.n_iterations = check_int("n_iterations", n_iterations, low=1)
        self.kappa = check_real("kappa", kappa, low=0.0)
        # The real step at which each pair was last tried (0: never).
        self.last_tried = np.zeros((self.n_states, self.n_actions), dtype=np.int64)
        self.n_real_steps = 0
        self.n_planning_updates = 0
        self.n_value_backups = 0
        self._values = np.zeros(self.n_states)
        self._values_stale = True
        self._view: tuple[list, TabularModel] | None = None
        # Best first actions per state, and what they were computed on.
        self._firsts: dict[int, list[int]] | None = {}
        self._firsts_on: tuple | None = None

    def __repr__(self) -> str:
        return agent_repr(self)

    def select_action(self, state: int) -> int:
        """Plan from ``state`` and return the first action of the best plan."""
        state = check_int("state", state, low=0, high=self.n_states - 1)
        if self.epsilon > 0 and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions))
        if self.planner == "cem":
            self.n_planning_updates += (
                self.n_iterations * self.n_candidates * self.horizon
            )
        else:
            count = n_sequences(self.n_actions, self.horizon, self.n_candidates)
            self.n_planning_updates += count * self.horizon
        return self.plan_action(state, self.rng)

    def plan_action(self, state: int, rng: np.random.Generator) -> int:
        """The planner's choice in ``state``, exploration off, drawing from
        ``rng``. Its rollouts are not counted (:meth:`select_action` counts
        them); value iteration, which runs only when the model changed, is
        counted where it runs, since its values serve every later decision.
        With ``rng`` other than the agent's own, the agent's own stream is
        untouched: how an experiment measures the policy without changing the
        run."""
        state = check_int("state", state, low=0, high=self.n_states - 1)
        model = self._planning_model()
        terminal_value = self.terminal_value
        if isinstance(terminal_value, str):
            if self._values_stale:
                self._values, _, sweeps = iterate_values(
                    model,
                    gamma=self.gamma,
                    tol=VALUE_TOLERANCE,
                    initial_values=self._values,
                )
                self._values_stale = False
                size = outcome_arrays(model)[0].size  # S * A * K per sweep
                self.n_value_backups += sweeps * size
                self.n_planning_updates += sweeps * size
            terminal_value = self._values
        kwargs = {
            "horizon": self.horizon,
            "n_candidates": self.n_candidates,
            "gamma": self.gamma,
            "rng": rng,
            "terminal_value": terminal_value,
        }
        if self.kappa:  # the rollouts see the staleness bonus; the values not
            model = planning_view(
                self.model,
                reward_fn=self.reward_fn,
                terminal_fn=self.terminal_fn,
                unknown_value=self.unknown_value,
                bonus=self.kappa * np.sqrt(self.n_real_steps - self.last_tried),
            )
        if self.planner == "cem":
            return cross_entropy_method(
                model, state, n_iterations=self.n_iterations, **kwargs
            )
        firsts = self._best_firsts(model, state, terminal_value)
        if firsts is None:
            return random_shooting(model, state, **kwargs)
        return firsts[check_generator("rng", rng).integers(len(firsts))]

    def _best_firsts(
        self, model: TabularModel, state: int, terminal_value: np.ndarray | None
    ) -> list[int] | None:
        """The first actions of the best sequences from ``state``, one per
        best sequence (ties kept), when random shooting scores every sequence
        on a deterministic view with no bonus and no goal function: then
        scoring draws nothing and gives the same returns until the view or
        the values change, so they are kept per state (the tie is still
        broken by a draw at every decision, as :func:`random_shooting`
        does). None where they cannot be kept."""
        if (
            self.kappa
            or self.reward_fn is not None
            or self.terminal_fn is not None
            or not (terminal_value is None or terminal_value is self._values)
            or n_sequences(self.n_actions, self.horizon, self.n_candidates)
            < self.n_actions**self.horizon
        ):
            return None
        on = (model, terminal_value, self.horizon, self.n_candidates, self.gamma)
        if self._firsts_on is None or any(
            a is not b for a, b in zip(on, self._firsts_on, strict=True)
        ):
            probs = model.probs  # a stochastic view: every rollout draws outcomes
            stochastic = probs.shape[2] > 1 and (probs[..., 1:] > 0).any()
            self._firsts, self._firsts_on = None if stochastic else {}, on
        if self._firsts is None:
            return None
        firsts = self._firsts.get(state)
        if firsts is None:
            sequences = candidate_sequences(
                self.n_actions, self.horizon, self.n_candidates, self.rng
            )
            returns = rollout_returns(
                model,
                state,
                sequences,
                gamma=self.gamma,
                terminal_value=terminal_value,
            )
            if not np.isfinite(returns).all():
                return None  # random_shooting says why
            best = np.flatnonzero(returns == returns.max())
            firsts = self._firsts[state] = sequences[best, 0].tolist()
        return firsts

    def _planning_model(self) -> TabularModel:
        """:func:`planning_view` of the model, rebuilt only when the model, the
        goal or the optimism changed since the last decision (with the values
        of the last one, converged on that same model, kept)."""
        if self.reward_fn is not None or self.terminal_fn is not None:
            self._values_stale = True  # a goal function may change at any time
            return planning_view(
                self.model,
                reward_fn=self.reward_fn,
                terminal_fn=self.terminal_fn,
                unknown_value=self.unknown_value,
            )
        key = (
            self.unknown_value,
            *outcome_arrays(self.model),
            getattr(self.model, "observed", None),
        )
        if self._view is None or not _same(key, self._view[0]):
            # The arrays just read, not the model: a counted model's
            # probabilities and mean rewards are computed on every read.
            next_states, probs, rewards, terminated, observed = key[1:]
            read = SimpleNamespace(
                next_states=next_states,
                probs=probs,
                rewards=rewards,
                terminated=terminated,
                observed=observed,
            )
            view = planning_view(read, unknown_value=self.unknown_value)
            self._view = ([np.copy(part) for part in key], view)
            self._values_stale = True
        return self._view[1]

    def tell(self, reward_fn: RewardFn, terminal_fn: RewardFn) -> None:
        """The goal moved: plan with ``reward_fn`` and ``terminal_fn`` from the
        next decision on, in place of the model's rewards and ends (no real
        step, nothing relearned)."""
        self.reward_fn, self.terminal_fn = reward_fn, terminal_fn

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Count the real step and teach it to the model (if it learns)."""
        state, action, reward, next_state, terminated = check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        self.n_real_steps += 1
        self.last_tried[state, action] = self.n_real_steps
        if hasattr(self.model, "update"):
            self.model.update(state, action, reward, next_state, terminated)


class ReplanningAgent:
    """Plan a whole path on a fixed model, execute part of it, plan again.

    The plan is the model's best path from the current state: greedy on the
    values of value iteration on the model (ties broken at random), each
    action followed to its most likely outcome, until the model says the
    episode ends, the path comes back to a state it passed (it would go
    round for ever), or ``max_length`` actions. The agent executes the first
    ``replan_every`` actions of the plan in the real world, whatever happens
    there, then plans again from where it really is. ``replan_every=1`` is
    closed-loop control, as MPC replans at every step; ``replan_every=None``
    executes each whole plan (open loop). With an exact model every plan
    works; with a wrong one (a deterministic model of a slippery world), the
    real state drifts from the planned one until the next plan.

    Parameters
    ----------
    n_states, n_actions : int
    model : learned model or TabularModel
        Planned on, never updated (what the ``replanning`` experiment varies is
        how often the agent looks, not what it knows).
    replan_every : int or None, default 1
        Actions executed per plan, >= 1; None: the whole plan.
    gamma : float, default 0.95
    max_length : int, default 1000
        Longest plan, >= 1.
    rng : numpy Generator, int or None

    Attributes
    ----------
    n_real_steps : int
    n_plans : int
        Plans made.
    n_planning_updates : int
        Value-iteration backups (once, for the fixed model) plus the model
        steps followed to build plans.
    """

    direct_rl = False

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        *,
        model: object,
        replan_every: int | None = 1,
        gamma: float = 0.95,
        max_length: int = 1000,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.n_states = check_int("n_states", n_states, low=1)
        self.n_actions = check_int("n_actions", n_actions, low=1)
        self.replan_every = (
            None
            if replan_every is None
            else check_int("replan_every", replan_every, low=1)
        )
        self.gamma = check_probability("gamma", gamma)
        self.max_length = check_int("max_length", max_length, low=1)
        self.rng = make_rng(rng)
        view = planning_view(model)
        if view.next_states.shape[:2] != (self.n_states, self.n_actions):
            raise ValueError(
                f"model has (n_states, n_actions) == {view.next_states.shape[:2]}, "
                f"must match the agent's ({self.n_states}, {self.n_actions})"
            )
        values, q, sweeps = iterate_values(view, gamma=self.gamma, tol=VALUE_TOLERANCE)
        self.q = q
        self._next, self._ends = likely_outcomes(view)  # [state][action]
        self.n_real_steps = 0
        self.n_plans = 0
        self.n_planning_updates = sweeps * view.next_states.size
        self._plan: list[int] = []
        self._left = 0  # actions of the current plan still to execute

    def __repr__(self) -> str:
        return agent_repr(self)

    def plan(self, state: int) -> list[int]:
        """The model's best path of actions from ``state`` (see above)."""
        state = check_int("state", state, low=0, high=self.n_states - 1)
        actions: list[int] = []
        seen = set()
        while len(actions) < self.max_length and state not in seen:
            seen.add(state)  # back at a state: the model's path goes round
            values = self.q[state]
            best = np.flatnonzero(values == values.max())
            action = int(best[self.rng.integers(len(best))])
            actions.append(action)
            self.n_planning_updates += 1
            if self._ends[state][action]:
                break
            state = self._next[state][action]
        self.n_plans += 1
        return actions

    def select_action(self, state: int) -> int:
        """The next action of the current plan, after planning again if it is
        used up (or ``replan_every`` of its actions have been taken)."""
        check_int("state", state, low=0, high=self.n_states - 1)
        if self._left == 0 or not self._plan:
            self._plan = self.plan(state)
            every = self.replan_every
            self._left = (
                len(self._plan) if every is None else min(every, len(self._plan))
            )
        self._left -= 1
        return self._plan.pop(0)

    def drop_plan(self) -> None:
        """Forget what is left of the plan: the next action plans afresh (at
        the start of an episode)."""
        self._plan, self._left = [], 0

    def update(
        self, state: int, action: int, reward: float, next_state: int, terminated: bool
    ) -> None:
        """Count the real step; the model stays as it is. An episode's end
        drops what is left of the plan."""
        check_transition(
            self.n_states, self.n_actions, state, action, reward, next_state, terminated
        )
        self.n_real_steps += 1
        if terminated:
            self.drop_plan()
