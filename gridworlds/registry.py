"""The named environments: ``make(name, **overrides)`` and ``names()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._checks import check_int, check_memory
from .gridworld import GridWorld, model_bytes
from .layout import edit_layout, scale_layout
from .shifting import ShiftingMaze

#: S&B Example 8.1 (Figure 8.2): 6x9, start (2, 0), goal (0, 8); shortest path 14.
DYNA_MAZE = """
.......#G
..#....#.
S.#....#.
..#......
.....#...
.........
"""

#: S&B Example 8.2 (Figure 8.4): the gap on row 3 is on the right ...
BLOCKING_MAZE = """
........G
.........
.........
########.
.........
...S.....
"""
#: ... and after 1000 steps it moves to the left.
BLOCKING_MAZE_AFTER = """
........G
.........
.........
.########
.........
...S.....
"""

#: S&B Example 8.3 (Figure 8.5): only a gap on the left ...
SHORTCUT_MAZE = BLOCKING_MAZE_AFTER
#: ... and after 3000 steps a shortcut opens on the right.
SHORTCUT_MAZE_AFTER = """
........G
.........
.........
.#######.
.........
...S.....
"""

#: S&B Example 6.6: 4x12, the cliff along the bottom between start and goal.
CLIFF_WALKING = """
............
............
............
SCCCCCCCCCCG
"""

#: Sutton, Precup & Singh (1999): four rooms joined by four doorways.
FOUR_ROOMS = """
#############
#S....#.....#
#.....#.....#
#...........#
#.....#.....#
#.....#.....#
##.####.....#
#.....###.###
#.....#.....#
#.....#.....#
#...........#
#.....#....G#
#############
"""


def dyna_maze(*, scale: int = 1, **kwargs: Any) -> GridWorld:
    """The Dyna maze of S&B Example 8.1 (0 per step, +1 at the goal).

    ``scale=k`` blows every cell up into a k x k block (S and G stay single
    cells), giving the larger mazes of Example 8.4.
    """
    return GridWorld(scale_layout(DYNA_MAZE, scale), **kwargs)


def blocking_maze(*, change_at: int = 1000, **kwargs: Any) -> ShiftingMaze:
    """The blocking maze of S&B Example 8.2: the short path closes at step 1000."""
    return ShiftingMaze(
        BLOCKING_MAZE, BLOCKING_MAZE_AFTER, change_at=change_at, **kwargs
    )


def shortcut_maze(*, change_at: int = 3000, **kwargs: Any) -> ShiftingMaze:
    """The shortcut maze of S&B Example 8.3: a shorter path opens at step 3000."""
    return ShiftingMaze(
        SHORTCUT_MAZE, SHORTCUT_MAZE_AFTER, change_at=change_at, **kwargs
    )


def cliff_walking(**kwargs: Any) -> GridWorld:
    """Cliff walking, S&B Example 6.6: -1 per step, -100 and back to start on C."""
    kwargs = {"step_reward": -1.0, "goal_reward": -1.0, **kwargs}
    return GridWorld(CLIFF_WALKING, **kwargs)


def four_rooms(**kwargs: Any) -> GridWorld:
    """Four rooms (Sutton, Precup & Singh 1999), start top-left, goal bottom-right."""
    return GridWorld(FOUR_ROOMS, **kwargs)


def open_grid(rows: int = 10, cols: int = 10, **kwargs: Any) -> GridWorld:
    """An empty ``rows x cols`` grid, start top-left, goal bottom-right."""
    rows = check_int("rows", rows, low=1)
    cols = check_int("cols", cols, low=1)
    if rows * cols < 2:
        raise ValueError(f"rows * cols == {rows * cols}, must be >= 2 (start and goal)")
    check_memory(  # before the map's text is made
        f"the model of a {rows} x {cols} map",
        model_bytes(rows * cols, slip=bool(kwargs.get("slip", 0.0))),
    )
    cells = [["."] * cols for _ in range(rows)]
    cells[0][0], cells[-1][-1] = "S", "G"
    return GridWorld("\n".join("".join(row) for row in cells), **kwargs)


_REGISTRY: dict[str, Callable[..., GridWorld]] = {
    f.__name__: f
    for f in (
        dyna_maze,
        blocking_maze,
        shortcut_maze,
        cliff_walking,
        four_rooms,
        open_grid,
    )
}


def variant(
    name: str,
    *,
    start: tuple[int, int] | None = None,
    goals: list[tuple[int, int]] | tuple[tuple[int, int], ...] | None = None,
    **overrides: Any,
) -> GridWorld:
    """The named map with its start or goals moved (:func:`~gridworlds.layout.
    edit_layout`), as a new :class:`GridWorld`; ``overrides`` (``slip``,
    ``max_steps``, ...) go to its constructor.

    Examples
    --------
    >>> env = variant("dyna_maze", start=(5, 4), goals=[(0, 3)], max_steps=500)
    >>> env.to_cell(env.start_state)
    (5, 4)
    """
    layout = edit_layout(make(name).layout, start=start, goals=goals)
    return GridWorld(layout, **overrides)


def names() -> list[str]:
    """The names :func:`make` knows, sorted."""
    return sorted(_REGISTRY)


def make(name: str, **overrides: Any) -> GridWorld:
    """Make a named environment; ``overrides`` go to its constructor.

    Examples
    --------
    >>> env = make("dyna_maze", slip=0.2, max_steps=200)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    key = name.replace("-", "_")
    if key not in _REGISTRY:
        raise ValueError(f"unknown environment {name!r}; known: {', '.join(names())}")
    return _REGISTRY[key](**overrides)
