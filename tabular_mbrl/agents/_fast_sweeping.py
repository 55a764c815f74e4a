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

Each run is one loop with the agent-env loop and the draws written out in
it, and skips only work that leaves every float as it is (:class:`_Run`).
At the study's defaults (``run prioritized-sweeping``, 20 runs, 47 to 5,687
free states) the greedy-walk check at episode ends is under 0.5 % of the
time; 87-97 % of real steps on 5,687 free states are taken in rows of q
that are all still 0, which now cost little; what is left is mostly
prioritized sweeping's queue at alpha = 0.5 (about 1.1 million backups per
run on 5,687 free states, censored at 1,000,000 real steps, and 0.6 million
on 3,008), each popping 2.2 entries (one in two superseded), computing 3.9
predecessors' priorities and inserting 2.4. Measured side by side (CPU
seconds, by cell, on a busy 2-core machine): Dyna-Q 76 -> 30 at alpha = 0.5
and 71 -> 24 at alpha = 1; prioritized sweeping 139 -> 107 at alpha = 0.5
and 14 -> 7 at alpha = 1; the whole run 336 -> 197, the same CSV.

Measured before (interleaved): the loop against the first form of these
twins, on 752 free states with the per-step check, 9.4-9.6 against 2.0 us
per backup. A lockstep form over runs was measured too: its planning
iteration alone (each run's priorities an array, popped by block maxima,
pushed by maximum; no ties by insertion order, no real step, no runs whose
queue is empty) costs 3.3-3.4 us per run and backup at 20 runs, 2.1-2.3 at
100: no less than the heap at the 20 runs of a setting, before the work it
leaves out.
"""

from __future__ import annotations

import heapq
import itertools
import math
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

    The state is public, so that a run's loop can draw inline (a function
    call costs more than a draw): ``words``, fetched a block at a time, and
    ``at``, the next one to read; ``high``, the high half of the last word
    split, and ``has_high``, whether it is still unused (NumPy keeps both).
    A loop takes them, draws, and puts them back before :meth:`close`;
    :meth:`retry` finishes a rare rejection for it."""

    BLOCK = 1 << 14  # words fetched at a time

    def __init__(self, rng: np.random.Generator) -> None:
        self._bit_generator = bit_generator = rng.bit_generator
        self._start = start = bit_generator.state
        self._fetched = 0
        self.words: list[int] = []
        self.at = 0
        self.high, self.has_high = start["uinteger"], bool(start["has_uint32"])
        #: Words :meth:`retry` leaves unread at least (a loop's draws per step).
        self.reserve = 0

    def more(self, words: list[int], at: int) -> list[int]:
        """The words not read yet, ``words[at:]``, then a new block: the new
        ``words``, read from ``at = 0``."""
        self.words = words[at:] + self._bit_generator.random_raw(self.BLOCK).tolist()
        self._fetched += self.BLOCK
        self.at = 0
        return self.words

    def _word(self) -> int:
        if self.at == len(self.words):
            self.more(self.words, self.at)
        self.at += 1
        return self.words[self.at - 1]

    def _half(self) -> int:
        if self.has_high:
            self.has_high = False
            return self.high
        both = self._word()
        self.high, self.has_high = both >> 32, True
        return both & _LOW

    def random(self) -> float:
        """``rng.random()``."""
        return (self._word() >> 11) * (1.0 / 9007199254740992.0)

    def integers(self, n: int) -> int:
        """``int(rng.integers(n))`` for ``1 <= n < 2**32``."""
        if n == 1:
            return 0  # NumPy draws nothing for a range of one
        return self._bounded(n, self._half() * n)

    def _bounded(self, n: int, scaled: int) -> int:
        """Lemire: ``scaled`` is a half times ``n``; a rejection draws again
        (rare, as NumPy does it)."""
        if scaled & _LOW < n:
            threshold = (0x100000000 - n) % n
            while scaled & _LOW < threshold:
                scaled = self._half() * n
        return scaled >> 32

    def retry(
        self, n: int, scaled: int, words: list[int], at: int, high: int, has_high: bool
    ) -> tuple[int, list[int], int, int, bool]:
        """:meth:`integers` for a loop that drew ``scaled`` inline and found
        it may be rejected: the draw, and the state, with at least
        ``reserve`` words left unread."""
        self.words, self.at, self.high, self.has_high = words, at, high, has_high
        value = self._bounded(n, scaled)
        if self.at > len(self.words) - self.reserve:
            self.more(self.words, self.at)
        return value, self.words, self.at, self.high, self.has_high

    def close(self) -> None:
        """Leave the Generator as if it had made these draws itself."""
        bit_generator = self._bit_generator
        bit_generator.state = self._start
        bit_generator.advance(self._fetched - len(self.words) + self.at)
        state = bit_generator.state
        state["has_uint32"], state["uinteger"] = int(self.has_high), self.high
        bit_generator.state = state


#: The low 32 bits of a word.
_LOW = 0xFFFFFFFF


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
    if env.n_actions < 2:
        return "the env has fewer than two actions"
    if np.signbit(agent.q[agent.q == 0]).any():
        return "the agent's q holds a -0.0 (a backup may turn it into 0.0)"
    return ""


def explore_below(epsilon: float) -> int:
    """The word below which ``random() < epsilon``: ``random()`` is ``(word
    >> 11) / 2**53``, and ``epsilon * 2**53`` is exact, so one comparison of
    ints decides it as the float would."""
    return math.ceil(epsilon * 9007199254740992.0) << 11


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
    """The tables one run reads and writes, as lists, and the check.

    :meth:`sweep` and :meth:`dyna_q` are each one loop, with the agent-env
    loop and the draws written out in it (a call per step costs more than
    the step), and two shortcuts that skip only what would change nothing:

    - ``flat[s]``: every action of ``q[s]`` ties (set at the start, cleared
      when a backup writes the row). There epsilon-greedy draws
      ``integers(n_actions)`` either way, after its ``random()``: the action
      needs no ``max`` and no list of ties. Far from the goal of a large maze
      most rows are still all zero.
    - A pair known to do nothing: prioritized sweeping's ``offered`` (its
      priority, as it is now, was offered to the queue: again, it would not
      go in, or find itself there as high already) and Dyna-Q's ``idle``
      (its backup gives back the same float). Each is known from the last
      time it was computed, and forgotten when ``Q(S,A)`` or the row of
      ``S'`` changes (or the pair leaves the queue); meanwhile the same
      floats give the same result.
    """

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
        self.flat = [row.count(max(row)) == n_actions for row in self.q]
        self.explore = explore_below(agent.epsilon)
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

    def sweep(self, agent: PrioritizedSweepingAgent, draws: Draws, max_steps: int):
        """Prioritized sweeping's box, as :class:`PrioritizedSweepingAgent`.

        The queue is the agent's, entries ``(-P, order, pair)`` leaving in
        that order and a superseded entry skipped, kept as a heap of the
        distinct ``-P`` and, per ``-P``, its entries first in first out: the
        same entries leave in the same order, with heap operations on floats
        only, once per priority rather than once per entry. An entry is one
        int, ``order * n_pairs + pair`` (no tuple to build per insert)."""
        q, successor, rewards, ends = self.q, self.successor, self.rewards, self.ends
        rows, actions, n_actions = self.row, self.action, self.n_actions
        seen, observed, predecessors = self.seen, self.observed, self.predecessors
        alpha, gamma, theta = agent.alpha, agent.gamma, agent.theta
        n_planning, per_step = agent.n_planning_steps, self.check == "step"
        start, limit, explore, flat = self.start, self.limit, self.explore, self.flat
        # Each state's predecessors, each as (pair, its row of q, its action,
        # its reward, whether it ends), in the order first seen.
        before: list[list[tuple]] = [[] for _ in predecessors]
        n_pairs = len(successor)
        keys: list[float] = []  # the distinct -P in the queue, a heap
        waiting: dict[float, list[int]] = {}  # -P -> its entries, in order
        priority = [0.0] * n_pairs  # 0: not in the queue (P > theta >= 0)
        offered = [False] * n_pairs  # its P as it is now was offered to the queue
        counts = [0] * n_pairs  # backups per pair
        order = queued = planned = 0  # order: the agent's, times n_pairs
        push, pop, plans = heapq.heappush, heapq.heappop, range(n_planning)
        words, at, high, has_high = draws.words, draws.at, draws.high, draws.has_high
        draws.reserve = reserve = 4  # words a step draws at most, but retries
        refill = len(words) - reserve
        state, in_episode, steps, done = start, 0, self.steps, False
        while steps < max_steps:
            if at > refill:
                words, at = draws.more(words, at), 0
                refill = len(words) - reserve
            # (a)-(c): epsilon-greedy in q[state], ties broken at random.
            at += 1
            if words[at - 1] < explore or flat[state]:
                n, tied = n_actions, None
            else:
                row = q[state]
                best = max(row)
                if row.count(best) == 1:
                    n, action = 0, row.index(best)
                else:
                    tied = [a for a, value in enumerate(row) if value == best]
                    n = len(tied)
            if n:  # action = integers(n), inline
                if has_high:
                    half, has_high = high, False
                else:
                    half, high, has_high = words[at] & _LOW, words[at] >> 32, True
                    at += 1
                scaled = half * n
                if scaled & _LOW < n:
                    scaled, words, at, high, has_high = draws.retry(
                        n, scaled, words, at, high, has_high
                    )
                    refill = len(words) - reserve
                else:
                    scaled >>= 32
                action = scaled if tied is None else tied[scaled]
            pair = state * n_actions + action
            next_state = successor[pair]
            steps += 1
            in_episode += 1
            if not seen[pair]:  # (d) Model(S,A) <- R, S'; S,A leads to S'
                seen[pair] = True
                observed.append(pair)
                predecessors[next_state].append(pair)
                before[next_state].append(
                    (pair, rows[pair], actions[pair], rewards[pair], ends[pair])
                )
            # (e), (f): P <- |R + gamma max_a Q(S',a) - Q(S,A)|; into the queue
            # (unless this P was offered to it already: again changes nothing).
            if not offered[pair]:
                offered[pair] = True
                reward = rewards[pair]
                target = reward if ends[pair] else reward + gamma * max(q[next_state])
                p = abs(target - rows[pair][actions[pair]])
                if p > theta and p > priority[pair]:
                    queued += priority[pair] == 0.0
                    priority[pair] = p
                    line = waiting.get(-p)
                    if line is None:
                        waiting[-p] = [order + pair]
                        push(keys, -p)
                    else:
                        line.append(order + pair)
                    order += n_pairs
            # (g) up to n backups from the queue, each pushing its predecessors.
            for _ in plans if queued else ():
                while True:  # the first entry of the highest priority
                    negative = keys[0]
                    line = waiting[negative]
                    first = line.pop(0) % n_pairs
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
                planned += 1
                s = first // n_actions
                offered[first] = flat[s] = False
                if per_step and s in self.watched:
                    self.stale = True
                best = gamma * max(values)
                for earlier, row, a, reward, terminated in before[s]:
                    p = abs((reward if terminated else reward + best) - row[a])
                    offered[earlier] = True
                    if p > theta and p > priority[earlier]:
                        queued += priority[earlier] == 0.0
                        priority[earlier] = p
                        line = waiting.get(-p)
                        if line is None:
                            waiting[-p] = [order + earlier]
                            push(keys, -p)
                        else:
                            line.append(order + earlier)
                        order += n_pairs
                if not queued:
                    break
            ended = ends[pair] or in_episode == limit
            if (ended or per_step) and self.done(ended):
                done = True
                break
            if ended:
                state, in_episode = start, 0
            else:
                state = next_state
        draws.words, draws.at, draws.high, draws.has_high = words, at, high, has_high
        self.steps, self.planned = steps, self.planned + planned
        # The agent's heap: every entry left, sorted (a sorted list is a heap;
        # the loop's list may hold them in another heap order, and gives the
        # same pops).
        agent._queue = sorted(
            (key, entry // n_pairs, *divmod(entry % n_pairs, n_actions))
            for key, line in waiting.items()
            for entry in line
        )
        agent._priority = self.by_pair(priority)
        agent._order = itertools.count(order // n_pairs)
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
        rows, actions, n_actions = self.row, self.action, self.n_actions
        seen, observed, predecessors = self.seen, self.observed, self.predecessors
        alpha, gamma, n_planning = agent.alpha, agent.gamma, agent.n_planning_steps
        per_step = self.check == "step"
        start, limit, explore, flat = self.start, self.limit, self.explore, self.flat
        # idle[pair]: its backup gave back the same float, and neither Q(S,A)
        # nor the row of S' has changed since (it would again).
        idle = [False] * len(successor)
        drawn = [0] * (n_planning + 1)  # a step's pairs to back up, in order
        plans, planned = range(1, n_planning + 1), 0
        words, at, high, has_high = draws.words, draws.at, draws.high, draws.has_high
        draws.reserve = reserve = n_planning + 4  # words a step draws at most
        refill = len(words) - reserve
        state, in_episode, steps, done = start, 0, self.steps, False
        while steps < max_steps:
            if at > refill:
                words, at = draws.more(words, at), 0
                refill = len(words) - reserve
            # (a)-(c): epsilon-greedy in q[state], ties broken at random.
            at += 1
            if words[at - 1] < explore or flat[state]:
                n, tied = n_actions, None
            else:
                row = q[state]
                best = max(row)
                if row.count(best) == 1:
                    n, action = 0, row.index(best)
                else:
                    tied = [a for a, value in enumerate(row) if value == best]
                    n = len(tied)
            if n:  # action = integers(n), inline
                if has_high:
                    half, has_high = high, False
                else:
                    half, high, has_high = words[at] & _LOW, words[at] >> 32, True
                    at += 1
                scaled = half * n
                if scaled & _LOW < n:
                    scaled, words, at, high, has_high = draws.retry(
                        n, scaled, words, at, high, has_high
                    )
                    refill = len(words) - reserve
                else:
                    scaled >>= 32
                action = scaled if tied is None else tied[scaled]
            pair = state * n_actions + action
            next_state = successor[pair]
            steps += 1
            in_episode += 1
            if not seen[pair]:  # (e) Model(S,A) <- R, S'; S,A leads to S'
                seen[pair] = True
                observed.append(pair)
                predecessors[next_state].append(pair)
            planned += n_planning
            # (d) direct RL on S,A, then (f) n backups of pairs seen, drawn
            # uniformly first (integers(len(observed)) each; none for one).
            n = len(observed)
            drawn[0] = pair
            if n > 1:
                for i in plans:
                    if has_high:
                        half, has_high = high, False
                    else:
                        half, high, has_high = words[at] & _LOW, words[at] >> 32, True
                        at += 1
                    scaled = half * n
                    if scaled & _LOW < n:
                        scaled, words, at, high, has_high = draws.retry(
                            n, scaled, words, at, high, has_high
                        )
                        refill = len(words) - reserve
                    else:
                        scaled >>= 32
                    drawn[i] = observed[scaled]
            else:
                drawn[1:] = observed * n_planning
            for first in drawn:
                if idle[first]:
                    continue
                values, a = rows[first], actions[first]
                old = values[a]
                target = (
                    rewards[first]
                    if ends[first]
                    else rewards[first] + gamma * max(q[successor[first]])
                )
                values[a] = new = old + alpha * (target - old)
                if new == old:  # the same float (q holds no -0.0: unsupported)
                    idle[first] = True
                    continue
                s = first // n_actions
                flat[s] = False
                for before in predecessors[s]:  # their targets may move
                    idle[before] = False
                if per_step and s in self.watched:
                    self.stale = True
            ended = ends[pair] or in_episode == limit
            if (ended or per_step) and self.done(ended):
                done = True
                break
            if ended:
                state, in_episode = start, 0
            else:
                state = next_state
        draws.words, draws.at, draws.high, draws.has_high = words, at, high, has_high
        self.steps, self.planned = steps, self.planned + planned
        return done

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
