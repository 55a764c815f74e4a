"""Drawing a gridworld with matplotlib. Never shows, saves or picks a backend."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .layout import CLIFF, GOAL, START, WALL

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .gridworld import GridWorld

#: Cell colours by map character.
CELL_COLOURS = {
    ".": "#ffffff",
    WALL: "#4a4a4a",
    START: "#cfe3ff",
    GOAL: "#b9f2b0",
    CLIFF: "#f4b4b4",
}


def draw(
    env: GridWorld,
    ax: Axes | None = None,
    *,
    show_agent: bool = True,
    labels: bool = True,
) -> Axes:
    """Draw the env's current map (and the agent, once reset) on ``ax``.

    Parameters
    ----------
    env : GridWorld
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes if omitted.
    show_agent : bool, default True
        Draw the agent as a dot where it stands (after ``reset()``).
    labels : bool, default True
        Write ``S``, ``G`` and ``C`` in their cells.

    Returns
    -------
    Axes
        The axes drawn on. Rows run downward, as in the text map.
    """
    from matplotlib.colors import to_rgb

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    image = np.array([[to_rgb(CELL_COLOURS[c]) for c in row] for row in env.grid])
    ax.imshow(image, interpolation="nearest")
    n_rows, n_cols = env.grid.shape
    ax.set_xticks(np.arange(-0.5, n_cols), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows), minor=True)
    ax.grid(which="minor", color="#bbbbbb", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if labels:
        for (row, col), char in np.ndenumerate(env.grid):
            if char in (START, GOAL, CLIFF):
                ax.text(col, row, char, ha="center", va="center", fontsize=9)
    if show_agent and env.state is not None:
        row, col = env.to_cell(env.state)
        ax.plot(col, row, "o", color="#d62728", markersize=10, label="agent")
    return ax


def rgb_array(env: GridWorld, *, cell_pixels: int = 32, **kwargs: Any) -> np.ndarray:
    """Render ``env`` to an RGB image, shape ``(rows * cell_pixels, cols *
    cell_pixels, 3)``, dtype uint8, on an off-screen Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n_rows, n_cols = env.grid.shape
    dpi = 100
    fig = Figure(
        figsize=(n_cols * cell_pixels / dpi, n_rows * cell_pixels / dpi), dpi=dpi
    )
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    draw(env, ax, **kwargs)
    ax.set_axis_off()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
