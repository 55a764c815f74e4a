"""Example 8.4's fast twins: one whole run of prioritized sweeping or Dyna-Q
until its greedy path is near-shortest, in plain Python, for
:func:`~tabular_mbrl.backups_until_optimal`.

The agents (:class:`~tabular_mbrl.agents.PrioritizedSweepingAgent`,
:class:`~tabular_mbrl.agents.DynaQAgent`) are the reference: they read like
the book's boxes, and each real step goes through the agent-env loop, NumPy
scalars and the checks of the model and the env. Here the same run is one
function over Python lists: the env's true model flat over pairs ``state *
n_actions + action``; what the agent has seen of it (a deterministic world
shows each pair one outcome); each state's predecessors as a list; the queue
a heap of the distinct priorities, each with its entries first in first out
(the agent's heap pops the same entries in the same order); and the agent's
random numbers computed from its Generator's raw words (:class:`Draws`). The
same numbers in the same order and the same float operations in the same
order: a run gives the same actions, the same ``q`` bit for bit and the same
counts as the loop, and leaves the agent (and its Generator) so that it goes
on as it would have on the loop. ``tests/test_example_8_4.py`` checks this.

Measured (interleaved): prioritized sweeping at alpha = 0.5 on 3,008 free
states, 1.6-2.0 us per real step and 3.1-3.4 us per planning backup; on 752
with the per-step check, 2.0 us per backup (real steps and planning
together) against 9.4-9.6 on the loop, the same backups; Dyna-Q
0.6 us per backup. A lockstep form over runs was measured too: its planning
iteration alone (each run's priorities an array, popped by block maxima,
pushed by maximum; no ties by insertion order, no real step, no runs whose
queue is empty) costs 3.3-3.4 us per run and backup at 20 runs, 2.1-2.3 at
100: no less than the heap at the 20 runs of a setting, before the work it
leaves out.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any

import numpy as np

import gridworlds

from ..models import DeterministicModel
from .dyna_q import DynaQAgent
from .prioritized_sweeping import PrioritizedSweepingAgent

#: The two agents, each with its run.
AGENTS = (PrioritizedSweepingAgent, DynaQAgent)


class Draws:
    """What ``rng.random()`` and ``rng.integers(n)`` would return, in the
    order asked, computed from ``rng``'s raw 64-bit words (NumPy's own
    formulas for a :class:`~numpy.random.PCG64` Generator): a double is the
    top 53 bits of a word; ``integers(n)`` is Lemire's bounded draw from a
    32-bit half, the low half of a new word first, its high half kept for the
    next. :meth:`close` leaves ``rng`` where those calls would have.

    ``random`` and ``integers`` are plain functions over prefetched words
    (closures, cheaper to call than methods): a third of a Generator call."""

    BLOCK = 1 << 14  # words fetched at a time

    def __init__(self, rng: np.random.Generator) -> None:
        bit_generator = rng.bit_generator
        start = bit_generator.state
        words: list[int] = []
        # The next word to read, the words fetched, the high half of the last
        # word split and whether it is still unused (NumPy keeps both).
        at, fetched = 0, 0
        high, has_high = start["uinteger"], bool(start["has_uint32"])

        def word() -> int:
            nonlocal words, at, fetched
            if at == len(words):
                words = bit_generator.random_raw(self.BLOCK).tolist()
                fetched += self.BLOCK
                at = 0
            at += 1
            return words[at - 1]

        def random() -> float:
            """``rng.random()``."""
            return (word() >> 11) * (1.0 / 9007199254740992.0)

        def half() -> int:
            nonlocal high, has_high
            if has_high:
                has_high = False
                return high
            both = word()
            high, has_high = both >> 32, True
            return both & 0xFFFFFFFF

        def integers(n: int) -> int:
            """``int(rng.integers(n))`` for ``1 <= n < 2**32``."""
            if n == 1:
                return 0  # NumPy draws nothing for a range of one
            scaled = half() * n
            if scaled & 0xFFFFFFFF < n:  # rejection: rare, as NumPy does it
                threshold = (0x100000000 - n) % n
                while scaled & 0xFFFFFFFF < threshold:
                    scaled = half() * n
            return scaled >> 32

        def close() -> None:
            """Leave the Generator as if it had made these draws itself."""
            bit_generator.state = start
            bit_generator.advance(fetched - len(words) + at)
            state = bit_generator.state
            state["has_uint32"], state["uinteger"] = int(has_high), high
            bit_generator.state = state

        self.random, self.integers, self.close = random, integers, close


def _draws_agree() -> bool:
    """Whether :class:`Draws` gives this NumPy's numbers (checked once)."""
    if _AGREE:
        return _AGREE[0]
    rng, twin = np.random.default_rng(8), np.random.default_rng(8)
    draws = Draws(twin)
    same = all(
        rng.random() == draws.random()
        and rng.integers(n) == draws.integers(n)
        and rng.integers(n, size=3).tolist() == [draws.integers(n) for _ in "abc"]
        for n in (1, 2, 3, 4, 5, 47, 1000, 2**31 + 7) * 50
    )
    draws.close()
    _AGREE.append(same and rng.bit_generator.state == twin.bit_generator.state)
    return _AGREE[0]


_AGREE: list[bool] = []


def unsupported(env: Any, agent: Any) -> str:
    """Why :func:`run_until_optimal` cannot run this env and agent (``''``:
    it can); the caller then steps them through the loop."""
    if type(agent) not in AGENTS:
        names = " or ".join(cls.__name__ for cls in AGENTS)
        return f"it runs {names} itself, not {type(agent).__name__}"
    if agent.n_real_steps or agent.model.n_observed or agent.n_planning_updates:
        return "the agent has taken real steps"
    if type(agent.model) is not DeterministicModel:
        return "the agent's model is not a DeterministicModel"
    if type(agent.rng.bit_generator) is not np.random.PCG64:
        return "the agent's Generator is not a PCG64"
    if not _draws_agree():
        return "this NumPy's Generator draws differently from Draws"
    if type(env) is not gridworlds.GridWorld:
        return f"it runs a gridworlds.GridWorld, not {type(env).__name__}"
    if env.slip > 0 or env.model().next_states.shape[2] != 1:
        return "the env is not deterministic"
    if env.total_steps or env.state != env.start_state:
        return "the env has taken steps"
    if (env.n_states, env.n_actions) != (agent.n_states, agent.n_actions):
        return "the agent's table does not match the env"
    return ""


def greedy_walk(
    q: list[list[float]],
    successor: list[int],
    ends: list[bool],
    start: int,
    limit: float,
) -> int | None:
    """Steps of the greedy walk from ``start`` to a terminating outcome, the
    first of tied actions taken (as ``np.argmax``), or None if it takes more
    than ``limit`` steps. ``successor`` and ``ends`` are flat over pairs."""
    n_actions, state = len(q[0]), start
    for steps in range(1, int(limit) + 1):
        row = q[state]
        pair = state * n_actions + row.index(max(row))
        if ends[pair]:
            return steps
        state = successor[pair]
    return None


def greedy_search(
    q: list[list[float]],
    successor: list[int],
    ends: list[bool],
    start: int,
    expanded: set[int],
) -> int | None:
    """:func:`~tabular_mbrl.dynamic_programming.greedy_path` on lists: the
    fewest steps over every greedy action (ties explored; a state whose
    actions are all tied gives no direction). Adds the states whose rows it
    reads to ``expanded``."""
    n_actions, frontier, seen, steps = len(q[0]), [start], {start}, 0
    while frontier:
        steps += 1
        expanded.update(frontier)
        reached = []
        for state in frontier:
            values = q[state]
            best = max(values)
            if min(values) == best:
                continue
            for action, value in enumerate(values):
                if value == best:
                    pair = state * n_actions + action
                    if ends[pair]:
                        return steps
                    reached.append(successor[pair])
        frontier = []
        for state in reached:
            if state not in seen:
                seen.add(state)
                frontier.append(state)
    return None


def run_until_optimal(
    env: gridworlds.GridWorld,
    agent: PrioritizedSweepingAgent | DynaQAgent,
    *,
    bar: float,
    max_steps: int,
    check: str = "episode",
) -> bool:
    """Run ``agent`` on ``env`` until its greedy path from the start is at
    most ``bar`` steps long, or for ``max_steps`` real steps; whether it got
    there. ``check`` is when the path is looked at: ``"episode"`` at each
    episode's end (the greedy walk, :func:`greedy_walk`), ``"step"`` after
    every real step (every greedy action, :func:`greedy_search`).

    The agent is left as the loop would leave it; the env is not stepped.
    Needs an env and agent that :func:`unsupported` passes."""
    reason = unsupported(env, agent)
    if reason:
        raise ValueError(f"the fast run cannot take this env and agent: {reason}")
    run = _Run(env, agent, bar, check)
    draws = Draws(agent.rng)
    if type(agent) is PrioritizedSweepingAgent:
        done = run.sweep(agent, draws, max_steps)
    else:
        done = run.dyna_q(agent, draws, max_steps)
    draws.close()
    run.leave(agent)
    return done


class _Run:
    """The tables one run reads and writes, as lists, and the check."""

    def __init__(self, env, agent, bar: float, check: str) -> None:
        if check not in ("episode", "step"):
            raise ValueError(f"check == {check!r}, must be 'episode' or 'step'")
        true = env.model()
        self.n_actions = n_actions = env.n_actions
        self.successor = true.next_states[..., 0].ravel().tolist()
        self.rewards = true.rewards[..., 0].ravel().tolist()
        self.ends = true.terminated[..., 0].ravel().tolist()
        self.start, self.limit = env.start_state, env.max_steps or 0
        self.q = agent.q.tolist()
        # Per pair: its state's row of q (the same list) and its action.
        self.row = [row for row in self.q for _ in range(n_actions)]
        self.action = list(range(n_actions)) * env.n_states
        self.bar, self.check = bar, check
        self.observed: list[int] = []  # pairs in the order first seen
        self.seen = [False] * len(self.successor)
        self.predecessors: list[list[int]] = [[] for _ in range(env.n_states)]
        self.steps = self.planned = 0
        self.watched: set[int] = set()  # rows the last per-step search read
        self.stale = True  # a watched row changed since

    def done(self, ended: bool) -> bool:
        """The check after a real step (``ended``: the episode ended)."""
        if self.check == "step":
            if not self.stale:
                return False
            self.stale, self.watched = False, set()
            length = greedy_search(
                self.q, self.successor, self.ends, self.start, self.watched
            )
            return length is not None and length <= self.bar
        return ended and (
            greedy_walk(self.q, self.successor, self.ends, self.start, self.bar)
            is not None
        )

    def real_steps(self, epsilon: float, draws: Draws, max_steps: int):
        """The agent-env loop: yields ``(pair, next_state, reward,
        terminated)`` per real step, the action epsilon-greedy in ``q[state]``
        with ties broken at random (:func:`~tabular_mbrl.agents.
        epsilon_greedy`'s draws), the pair remembered (:meth:`see`); after
        the agent's update, the check, until it passes or ``max_steps``."""
        q, successor, rewards, ends = self.q, self.successor, self.rewards, self.ends
        seen, observed, predecessors = self.seen, self.observed, self.predecessors
        random, integers, n_actions = draws.random, draws.integers, self.n_actions
        per_step = self.check == "step"
        state, in_episode = self.start, 0
        while self.steps < max_steps:
            row = q[state]
            if random() < epsilon:
                action = integers(n_actions)
            else:
                best = max(row)
                if row.count(best) == 1:
                    action = row.index(best)
                else:
                    tied = [a for a, value in enumerate(row) if value == best]
                    action = tied[integers(len(tied))]
            pair = state * n_actions + action
            next_state = successor[pair]
            self.steps += 1
            in_episode += 1
            if not seen[pair]:  # Model(S,A) <- R, S'; S,A leads to S'
                seen[pair] = True
                observed.append(pair)
                predecessors[next_state].append(pair)
            yield pair, next_state, rewards[pair], ends[pair]
            ended = ends[pair] or in_episode == self.limit
            if (ended or per_step) and self.done(ended):
                return True
            if ended:
                state, in_episode = self.start, 0
            else:
                state = next_state
        return False

    def sweep(self, agent: PrioritizedSweepingAgent, draws: Draws, max_steps: int):
        """Prioritized sweeping's box, as :class:`PrioritizedSweepingAgent`.

        The queue is the agent's, entries ``(-P, order, pair)`` leaving in
        that order and a superseded entry skipped, kept as a heap of the
        distinct ``-P`` and, per ``-P``, its entries first in first out: the
        same entries leave in the same order, with heap operations on floats
        only, once per priority rather than once per entry."""
        q, successor, rewards, ends = self.q, self.successor, self.rewards, self.ends
        rows, actions = self.row, self.action
        alpha, gamma, theta = agent.alpha, agent.gamma, agent.theta
        n_planning, per_step = agent.n_planning_steps, self.check == "step"
        # Each state's predecessors, each as (pair, its row of q, its action,
        # its reward, whether it ends), in the order first seen.
        before: list[list[tuple]] = [[] for _ in self.predecessors]
        known = 0  # the pairs of self.observed already in `before`
        keys: list[float] = []  # the distinct -P in the queue, a heap
        waiting: dict[float, list[tuple[int, int]]] = {}  # -P -> (order, pair)
        priority = [0.0] * len(successor)  # 0: not in the queue (P > theta >= 0)
        counts = [0] * len(successor)  # backups per pair
        order, queued = 0, 0
        push, pop, observed = heapq.heappush, heapq.heappop, self.observed
        steps = self.real_steps(agent.epsilon, draws, max_steps)
        done = False
        while True:
            try:  # (a)-(d): a real step, its pair in the model
                pair, next_state, reward, terminated = next(steps)
            except StopIteration as stop:
                done = stop.value
                break
            if known < len(observed):  # a new pair: a predecessor of S'
                before[next_state].append(
                    (pair, rows[pair], actions[pair], reward, terminated)
                )
                known += 1
            # (e), (f): P <- |R + gamma max_a Q(S',a) - Q(S,A)|; into the queue.
            target = reward if terminated else reward + gamma * max(q[next_state])
            p = abs(target - rows[pair][actions[pair]])
            if p > theta and p > priority[pair]:
                queued += priority[pair] == 0.0
                priority[pair] = p
                line = waiting.get(-p)
                if line is None:
                    waiting[-p] = [(order, pair)]
                    push(keys, -p)
                else:
                    line.append((order, pair))
                order += 1
            # (g) up to n backups from the queue, each pushing its predecessors.
            for _ in range(n_planning):
                if not queued:
                    break
                while True:  # the first entry of the highest priority
                    negative = keys[0]
                    line = waiting[negative]
                    first = line.pop(0)[1]
                    if not line:
                        pop(keys)
                        del waiting[negative]
                    if priority[first] == -negative:  # else superseded: skip
                        break
                priority[first] = 0.0
                queued -= 1
                values, a = rows[first], actions[first]
                target = (
                    rewards[first]
                    if ends[first]
                    else rewards[first] + gamma * max(q[successor[first]])
                )
                values[a] += alpha * (target - values[a])
                counts[first] += 1
                self.planned += 1
                s = first // len(values)
                if per_step and s in self.watched:
                    self.stale = True
                best = gamma * max(values)
                for pair, row, a, reward, terminated in before[s]:
                    p = abs((reward if terminated else reward + best) - row[a])
                    if p > theta and p > priority[pair]:
                        queued += priority[pair] == 0.0
                        priority[pair] = p
                        line = waiting.get(-p)
                        if line is None:
                            waiting[-p] = [(order, pair)]
                            push(keys, -p)
                        else:
                            line.append((order, pair))
                        order += 1
        n_actions = self.n_actions
        # The agent's heap: every entry left, sorted (a sorted list is a heap;
        # the loop's list may hold them in another heap order, and gives the
        # same pops).
        agent._queue = sorted(
            (key, at, *divmod(pair, n_actions))
            for key, line in waiting.items()
            for at, pair in line
        )
        agent._priority = self.by_pair(priority)
        agent._order = itertools.count(order)
        agent.pair_backups = self.by_pair(counts)
        agent.predecessors = [
            {divmod(pair, n_actions): None for pair in pairs}
            for pairs in self.predecessors
        ]
        return done

    def by_pair(self, values: list) -> dict[tuple[int, int], Any]:
        """``{(state, action): value}`` for the pairs whose value is not 0."""
        return {
            divmod(pair, self.n_actions): value
            for pair, value in enumerate(values)
            if value
        }

    def dyna_q(self, agent: DynaQAgent, draws: Draws, max_steps: int) -> bool:
        """Dyna-Q's box, as :class:`DynaQAgent`."""
        q, successor, rewards, ends = self.q, self.successor, self.rewards, self.ends
        rows, actions, observed = self.row, self.action, self.observed
        alpha, gamma, n_planning = agent.alpha, agent.gamma, agent.n_planning_steps
        integers, plans = draws.integers, range(n_planning)
        # While q is all 0 and every reward seen is 0, a backup leaves q as it
        # is: only its draws need making (they are made, in order).
        idle = not (agent.q.any() or np.signbit(agent.q).any())
        steps = self.real_steps(agent.epsilon, draws, max_steps)
        while True:
            try:  # (a)-(c): a real step, and (e): its pair in the model
                pair, next_state, reward, terminated = next(steps)
            except StopIteration as stop:
                return stop.value
            self.planned += n_planning
            idle = idle and reward == 0
            if idle:
                n_observed = len(observed)
                for _ in plans:  # (f), the draws only
                    integers(n_observed)
                continue
            # (d) direct RL
            values, a = rows[pair], actions[pair]
            target = reward if terminated else reward + gamma * max(q[next_state])
            values[a] += alpha * (target - values[a])
            # (f) n backups of pairs seen, drawn uniformly (one draw each)
            n_observed = len(observed)
            for index in [integers(n_observed) for _ in plans]:
                first = observed[index]
                values, a = rows[first], actions[first]
                target = (
                    rewards[first]
                    if ends[first]
                    else rewards[first] + gamma * max(q[successor[first]])
                )
                values[a] += alpha * (target - values[a])
            self.stale = True

    def leave(self, agent: Any) -> None:
        """Write the run's tables and counts back into the agent."""
        n_actions = self.n_actions
        agent.q[...] = self.q
        agent.n_real_steps = self.steps
        agent.n_planning_updates = self.planned
        model = agent.model
        if self.observed:
            pairs = np.array(self.observed)
            s, a = np.divmod(pairs, n_actions)
            model.next_states[s, a, 0] = np.array(self.successor)[pairs]
            model.rewards[s, a, 0] = np.array(self.rewards)[pairs]
            model.terminated[s, a, 0] = np.array(self.ends)[pairs]
            model.observed[s, a] = True
            model._pairs[: len(pairs)] = np.column_stack([s, a])
            model.n_observed = len(pairs)
