"""Text maps and their one strict parser.

A map is a block of text, one line per grid row, one character per cell:

====  =================================================================
char  meaning
====  =================================================================
``#``  wall: cannot be entered; moving into it leaves the agent in place
``.``  free cell
``S``  start cell (exactly one)
``G``  goal: entering it ends the episode (terminal); at least one
``C``  cliff: entering it costs ``cliff_reward`` and sends the agent back
       to the start, without ending the episode (S&B Example 6.6)
====  =================================================================

Leading and trailing blank lines and the indentation of each line are ignored,
so maps can be written as indented triple-quoted strings. ANSI colour codes
(as drawn by ``GridWorld.render()``) are stripped, so a rendered map parses back
to the same layout. Coordinates are always ``(row, col)`` with row 0 at the top.
"""

from __future__ import annotations

import re

import numpy as np

WALL, FREE, START, GOAL, CLIFF = "#", ".", "S", "G", "C"
LEGEND = {
    WALL: "wall",
    FREE: "free",
    START: "start",
    GOAL: "goal (terminal)",
    CLIFF: "cliff (penalty, back to start)",
}
_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def parse_layout(text: str) -> np.ndarray:
    """Parse a text map into a grid of characters.

    Parameters
    ----------
    text : str
        The map, using the legend in :data:`LEGEND`.

    Returns
    -------
    grid : ndarray of str, shape (n_rows, n_cols)
        One character per cell.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If the map is empty, ragged, uses an unknown character, or does not have
        exactly one ``S`` and at least one ``G``. The message says where.
    """
    if not isinstance(text, str):
        raise TypeError(f"layout must be a str, got {type(text).__name__}")
    lines = [line.strip() for line in _ANSI_CODE.sub("", text).splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ValueError("layout is empty; expected at least one row of cells")
    width = len(lines[0])
    for row, line in enumerate(lines):
        if len(line) != width:
            raise ValueError(
                f"ragged layout: row {row} has {len(line)} cells, "
                f"row 0 has {width}; every row must have the same length"
            )
        for col, char in enumerate(line):
            if char not in LEGEND:
                allowed = ", ".join(repr(c) for c in LEGEND)
                raise ValueError(
                    f"unknown map character {char!r} at (row={row}, col={col}); "
                    f"allowed: {allowed}"
                )
    grid = np.array([list(line) for line in lines])
    starts = [tuple(int(i) for i in cell) for cell in np.argwhere(grid == START)]
    if len(starts) != 1:
        where = f" at {', '.join(map(str, starts))}" if starts else ""
        raise ValueError(
            f"layout has {len(starts)} start cells 'S'{where}; exactly one is required"
        )
    if not (grid == GOAL).any():
        raise ValueError("layout has no goal cell 'G'; at least one is required")
    return grid


def format_layout(grid: np.ndarray) -> str:
    """Turn a grid of characters back into map text (the inverse of parsing)."""
    return "\n".join("".join(row) for row in grid)


def scale_layout(text: str, factor: int) -> str:
    """Blow each cell of a map up into a ``factor x factor`` block.

    Walls, free cells and cliffs fill their whole block; ``S`` and ``G`` stay
    single cells, at the top-left corner of their block, and the rest of the
    block is free. Used for the growing mazes of S&B Example 8.4.
    """
    from ._checks import check_int, check_memory

    factor = check_int("factor", factor, low=1)
    grid = parse_layout(text)
    cells = grid.size * factor**2
    check_memory(f"a map scaled {factor}x ({cells:,} cells)", cells * 250)
    rows = []
    for row in grid:
        for i in range(factor):
            cells = []
            for char in row:
                corner = char if i == 0 or char not in (START, GOAL) else FREE
                rest = FREE if char in (START, GOAL) else char
                cells.append(corner + rest * (factor - 1))
            rows.append("".join(cells))
    return "\n".join(rows)


def edit_layout(
    text: str,
    *,
    start: tuple[int, int] | None = None,
    goals: list[tuple[int, int]] | tuple[tuple[int, int], ...] | None = None,
) -> str:
    """A variant of a map with its start or its goals moved; the walls stay.

    Parameters
    ----------
    text : str
        The map (see :data:`LEGEND`).
    start : (row, col), optional
        Where the start moves (the old ``S`` becomes free).
    goals : sequence of (row, col), optional
        Where the goals are now (every old ``G`` becomes free).

    Returns
    -------
    str
        The new map, as :func:`format_layout` writes it.

    Raises
    ------
    ValueError
        If a cell is outside the map or not free after the moves (a wall, a
        cliff, or the start and a goal on one cell), saying which.

    Examples
    --------
    >>> edit_layout("S.#\\n..G", goals=[(1, 0)])
    'S.#\\nG..'
    """
    grid = parse_layout(text)
    moves = []
    if start is not None:
        grid[grid == START] = FREE
        moves.append(("start", START, start))
    if goals is not None:
        grid[grid == GOAL] = FREE
        moves += [("goal", GOAL, cell) for cell in goals]
    for what, char, cell in moves:
        row, col = _cell(what, cell, grid.shape)
        if grid[row, col] != FREE:
            raise ValueError(
                f"{what} (row={row}, col={col}) is on {LEGEND[grid[row, col]]!r}, "
                f"must be on a free cell"
            )
        grid[row, col] = char
    return format_layout(parse_layout(format_layout(grid)))  # still a valid map


def _cell(what: str, cell: object, shape: tuple[int, int]) -> tuple[int, int]:
    """``cell`` as ``(row, col)`` inside a grid of ``shape``."""
    from ._checks import check_int

    if not isinstance(cell, tuple | list) or len(cell) != 2:
        raise TypeError(f"{what} must be a (row, col) pair, got {cell!r}")
    row = check_int(f"{what} row", cell[0], low=0, high=shape[0] - 1)
    col = check_int(f"{what} col", cell[1], low=0, high=shape[1] - 1)
    return row, col
