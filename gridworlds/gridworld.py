"""A gridworld built from a text map, with a Gymnasium-shaped API."""

from __future__ import annotations

import numbers
from enum import IntEnum
from typing import Any

import numpy as np

from ._checks import check_bool, check_int, check_memory, check_real
from .layout import CLIFF, GOAL, START, WALL, format_layout, parse_layout
from .model import TabularModel


class Action(IntEnum):
    """The four moves. ``MOVES[action]`` is its ``(d_row, d_col)``."""

    UP = 0
    DOWN = 1
    LEFT = 2
    RIGHT = 3


#: One table of moves, indexed by :class:`Action`, as ``(d_row, d_col)``.
MOVES = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])


def model_bytes(n_states: int, *, slip: bool) -> int:
    """About what building the true model of ``n_states`` cells takes at its
    peak (the arrays ``(S, 4, K)`` and their temporaries), in bytes: what
    :class:`GridWorld` checks against the machine's memory first."""
    outcomes = len(MOVES) if slip else 1
    return n_states * len(MOVES) * (40 + 40 * outcomes)


class GridWorld:
    """A gridworld parsed from a text map (see :mod:`gridworlds.layout`).

    Actions
    -------
    ``Action.UP``, ``DOWN``, ``LEFT``, ``RIGHT`` (ints 0-3). Moving into a wall or
    off the grid leaves the agent in place.

    States
    ------
    An int per cell, ``row * n_cols + col`` (:meth:`to_state`, :meth:`to_cell`).
    Every cell has a state number, walls included; walls are never entered.

    Rewards
    -------
    Set by the cell a move enters: ``goal_reward`` for ``G``, ``cliff_reward``
    for ``C``, ``step_reward`` otherwise (including bumping into a wall). The
    defaults (0 per step, +1 at the goal) are those of the Dyna maze, S&B
    Example 8.1.

    Episode end
    -----------
    ``terminated`` when a goal is entered. ``truncated`` when ``max_steps`` real
    steps have been taken in this episode. A cliff is not terminal: it sends the
    agent back to the start (S&B Example 6.6).

    Slip
    ----
    With probability ``slip`` the chosen action is replaced by one drawn
    uniformly from all four (which may be the chosen one again). The intended
    move thus happens with probability ``1 - 3 * slip / 4`` and each other move
    with ``slip / 4``. The env's randomness comes only from the Generator made
    by ``reset(seed=...)``.

    Arguments
    ---------
    layout : str
        The text map.
    slip : float, default 0.0
        Probability in [0, 1] that the move is replaced by a random one.
    max_steps : int or None, default None
        Episode length limit (truncation); ``None`` for no limit.
    step_reward, goal_reward, cliff_reward : float
        Rewards for entering a free cell, a goal, a cliff.
    """

    n_actions = len(Action)

    def __init__(
        self,
        layout: str,
        *,
        slip: float = 0.0,
        max_steps: int | None = None,
        step_reward: float = 0.0,
        goal_reward: float = 1.0,
        cliff_reward: float = -100.0,
    ) -> None:
        self.slip = check_real("slip", slip, low=0.0, high=1.0)
        self.max_steps = (
            None if max_steps is None else check_int("max_steps", max_steps, low=1)
        )
        self.step_reward = check_real("step_reward", step_reward)
        self.goal_reward = check_real("goal_reward", goal_reward)
        self.cliff_reward = check_real("cliff_reward", cliff_reward)
        grid = parse_layout(layout)
        check_memory(
            f"the model of a {grid.shape[0]} x {grid.shape[1]} map",
            model_bytes(grid.size, slip=self.slip > 0),
        )
        self._set_grid(grid)
        self.shape: tuple[int, int] = self.grid.shape
        self.n_states = self.grid.size
        self.start_state = self.to_state(*np.argwhere(self.grid == START)[0])
        self.total_steps = 0  # real steps across all episodes; reset() keeps it
        self._rng: np.random.Generator | None = None
        self._state: int | None = None
        self._episode_steps = 0
        self._done = False

    # -- coordinates ---------------------------------------------------------
    def to_state(self, row: int, col: int) -> int:
        """The state number of cell ``(row, col)``."""
        row = check_int("row", row, low=0, high=self.grid.shape[0] - 1)
        col = check_int("col", col, low=0, high=self.grid.shape[1] - 1)
        return row * self.grid.shape[1] + col

    def to_cell(self, state: int) -> tuple[int, int]:
        """The ``(row, col)`` of a state number."""
        state = check_int("state", state, low=0, high=self.grid.size - 1)
        row, col = divmod(state, self.grid.shape[1])
        return row, col

    @property
    def layout(self) -> str:
        """The current map as text (parses back to the same grid)."""
        return format_layout(self.grid)

    @property
    def goal_states(self) -> list[int]:
        """States of the goal cells."""
        return [int(s) for s in np.flatnonzero(self.grid == GOAL)]

    # -- the true model ------------------------------------------------------
    def _set_grid(self, grid: np.ndarray) -> None:
        """Use ``grid`` as the layout and rebuild the model arrays for it."""
        self.grid = grid
        self._model = self._build_model()

    def _build_model(self) -> TabularModel:
        n_rows, n_cols = self.grid.shape
        cells = self.grid.ravel()
        states = np.arange(cells.size)
        rows, cols = np.divmod(states, n_cols)
        start = int(np.flatnonzero(cells == START)[0])
        # Where each of the four moves leads from every cell: (S, 4).
        dest = np.empty((cells.size, len(Action)), dtype=np.int64)
        for action, (d_row, d_col) in enumerate(MOVES):
            r, c = rows + d_row, cols + d_col
            inside = (r >= 0) & (r < n_rows) & (c >= 0) & (c < n_cols)
            target = np.where(inside, r * n_cols + c, states)
            dest[:, action] = np.where(cells[target] == WALL, states, target)
        entered = cells[dest]
        reward = np.select(
            [entered == GOAL, entered == CLIFF],
            [self.goal_reward, self.cliff_reward],
            self.step_reward,
        )
        landed = np.where(entered == CLIFF, start, dest)
        # Outcome k of (s, a) is "the move k happened": one outcome without slip,
        # four with slip (the intended move gets the remaining probability).
        if self.slip == 0.0:
            next_states, rewards = landed[:, :, None], reward[:, :, None]
            probs = np.ones_like(next_states, dtype=float)
        else:
            shape = (cells.size, len(Action), len(Action))
            next_states = np.broadcast_to(landed[:, None, :], shape).copy()
            rewards = np.broadcast_to(reward[:, None, :], shape).copy()
            probs = np.full(shape, self.slip / len(Action))
            probs[:, np.arange(len(Action)), np.arange(len(Action))] += 1 - self.slip
        terminated = cells[next_states] == GOAL
        # Goal cells are absorbing with reward 0, so values there are 0.
        goals = cells == GOAL
        next_states[goals] = states[goals, None, None]
        rewards[goals] = 0.0
        probs[goals] = 0.0
        probs[goals, :, 0] = 1.0
        terminated[goals] = True
        return TabularModel(next_states, probs, rewards, terminated)

    def model(self) -> TabularModel:
        """The true model of the current layout as outcome arrays ``(S, A, K)``.

        ``K`` is 1 without slip and 4 with it. Goal states are absorbing with
        reward 0 and ``terminated=True``. A wall cell's moves are computed as if it
        were free (this only matters if a wall appears under the agent).
        """
        return self._model

    def transitions(
        self, state: int, action: int
    ) -> list[tuple[float, int, float, bool]]:
        """The outcomes of ``action`` in ``state`` as ``(prob, next_state, reward,
        terminated)``, merged and sorted by next state, zero-probability ones dropped.
        """
        state = check_int("state", state, low=0, high=self.n_states - 1)
        action = self._check_action(action)
        merged: dict[tuple[int, float, bool], float] = {}
        m = self._model
        for k in range(m.next_states.shape[2]):
            prob = float(m.probs[state, action, k])
            if prob > 0:
                key = (
                    int(m.next_states[state, action, k]),
                    float(m.rewards[state, action, k]),
                    bool(m.terminated[state, action, k]),
                )
                merged[key] = merged.get(key, 0.0) + prob
        return [(p, s, r, t) for (s, r, t), p in sorted(merged.items())]

    # -- interaction -----------------------------------------------------------
    def _check_action(self, action: object) -> int:
        # A plain int skips the slower abstract-class check (see check_int).
        if type(action) is not int and (
            isinstance(action, bool) or not isinstance(action, numbers.Integral)
        ):
            raise TypeError(
                f"action must be an int or gridworlds.Action, "
                f"got {type(action).__name__} {action!r}"
            )
        if not 0 <= action < self.n_actions:
            allowed = ", ".join(f"{a.value} ({a.name})" for a in Action)
            raise ValueError(f"action == {int(action)}, must be one of {allowed}")
        return int(action)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Start an episode.

        Parameters
        ----------
        seed : int, optional
            Seeds the env's Generator (used only for slip). Without a seed the
            previous Generator keeps going (a fresh one on the first reset).
        options : dict, optional
            ``{"state": s}`` starts the episode in state ``s`` instead of the start
            (a free cell or the start). ``{"restart_schedule": True}`` sets
            ``total_steps`` back to 0 (and restores the first layout of a
            :class:`~gridworlds.ShiftingMaze`), for a new independent run.

        Returns
        -------
        state : int
        info : dict
            ``{"total_steps": ...}``, the real steps taken across all episodes.
        """
        options = {} if options is None else dict(options)
        unknown = sorted(set(options) - {"state", "restart_schedule"})
        if unknown:
            allowed = "'state', 'restart_schedule'"
            raise ValueError(f"unknown reset option {unknown[0]!r}; allowed: {allowed}")
        if seed is not None:
            seed = check_int("seed", seed, low=0)
        if seed is not None or self._rng is None:
            self._rng = np.random.default_rng(seed)
        if check_bool("restart_schedule", options.get("restart_schedule", False)):
            self.total_steps = 0
            self._on_restart()
        state = self.start_state
        if "state" in options:
            state = check_int(
                "options['state']", options["state"], low=0, high=self.n_states - 1
            )
            if self.grid.flat[state] in (WALL, GOAL, CLIFF):
                raise ValueError(
                    f"options['state'] == {state} is the '{self.grid.flat[state]}' "
                    f"cell {self.to_cell(state)}, must be '.' or 'S'"
                )
        self._state, self._episode_steps, self._done = state, 0, False
        return state, self._info()

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """Take one real step.

        Returns
        -------
        state : int
        reward : float
        terminated : bool
            A goal was entered.
        truncated : bool
            ``max_steps`` steps have been taken in this episode.
        info : dict
            ``{"total_steps": ...}`` (plus what subclasses add).

        Raises
        ------
        RuntimeError
            Before ``reset()``, or after the episode ended.
        """
        action = self._check_action(action)
        if self._state is None:
            raise RuntimeError("step() called before reset(); call env.reset() first")
        if self._done:
            raise RuntimeError(
                "step() called after the episode ended (terminated or truncated); "
                "call env.reset() to start a new episode"
            )
        move = action
        if self.slip > 0.0 and self._rng.random() < self.slip:
            move = int(self._rng.integers(self.n_actions))
        k = move if self._model.next_states.shape[2] > 1 else 0
        m = self._model
        state = int(m.next_states[self._state, action, k])
        reward = float(m.rewards[self._state, action, k])
        terminated = bool(m.terminated[self._state, action, k])
        self._state = state
        self._episode_steps += 1
        self.total_steps += 1
        truncated = self.max_steps is not None and self._episode_steps >= self.max_steps
        self._done = terminated or truncated
        self._on_step()
        return state, reward, terminated, truncated, self._info()

    # Hooks for subclasses (see ShiftingMaze).
    def _on_restart(self) -> None:
        pass

    def _on_step(self) -> None:
        pass

    def _info(self) -> dict[str, Any]:
        return {"total_steps": self.total_steps}

    @property
    def state(self) -> int | None:
        """The agent's current state, or ``None`` before the first reset."""
        return self._state

    # -- rendering ------------------------------------------------------------
    def render(self) -> str:
        """The map as text with the agent's cell highlighted (ANSI reverse video).

        Stripping the colour codes, or passing the text to ``parse_layout``,
        gives back the layout.
        """
        if self._state is None:
            raise RuntimeError("render() called before reset(); call env.reset() first")
        chars = self.grid.astype(object)
        row, col = self.to_cell(self._state)
        chars[row, col] = f"\x1b[7m{chars[row, col]}\x1b[0m"
        return format_layout(chars)

    def __repr__(self) -> str:
        rows, cols = self.shape
        return f"{type(self).__name__}({rows}x{cols}, slip={self.slip:g})"
