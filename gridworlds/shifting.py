"""A maze whose walls change after a fixed number of real steps (S&B section 8.3)."""

from __future__ import annotations

from typing import Any

from ._checks import check_int
from .gridworld import GridWorld
from .layout import START, parse_layout
from .model import TabularModel


class ShiftingMaze(GridWorld):
    """A :class:`GridWorld` that switches to ``new_layout`` after ``change_at`` steps.

    The blocking maze (S&B Example 8.2, Figure 8.4) and the shortcut maze
    (Example 8.3, Figure 8.5) are built from it.

    The schedule
    ------------
    The env counts real steps across episodes in ``total_steps``; ``reset()``
    does not clear it. The step that brings ``total_steps`` to ``change_at`` is
    the last one taken in the old layout: every later step uses ``new_layout``.
    ``changed`` says whether the switch has happened, and ``info`` carries
    ``total_steps`` and ``changed`` after every ``reset()`` and ``step()``.
    ``reset(options={"restart_schedule": True})`` sets the counter to 0 and
    restores the old layout, for a new independent run.

    A wall under the agent
    ----------------------
    If a wall appears in the cell the agent stands on, the agent stays there
    and its next move works as if the cell were free: it can step out to any
    free neighbour, and a blocked move keeps it in place. ``transitions()`` and
    ``model()`` describe this too, so they always agree with ``step()``.

    Arguments
    ---------
    layout, new_layout : str
        The maps before and after the change. They must have the same shape and
        the same start cell.
    change_at : int
        The real step count at which the layout switches (>= 0; 0 means the
        maze starts in ``new_layout``).
    **kwargs
        Passed to :class:`GridWorld` (``slip``, ``max_steps``, rewards).
    """

    def __init__(
        self, layout: str, new_layout: str, *, change_at: int, **kwargs: Any
    ) -> None:
        super().__init__(layout, **kwargs)
        self.change_at = check_int("change_at", change_at, low=0)
        self._old_grid = self.grid
        self._new_grid = parse_layout(new_layout)
        if self._new_grid.shape != self._old_grid.shape:
            raise ValueError(
                f"new_layout has shape {self._new_grid.shape}, must match the "
                f"layout's shape {self._old_grid.shape}"
            )
        if (self._new_grid == START).ravel().argmax() != self.start_state:
            raise ValueError(
                "new_layout moves the start 'S'; it must stay at "
                f"{self.to_cell(self.start_state)}"
            )
        self._apply_schedule()

    @property
    def changed(self) -> bool:
        """Whether the layout has switched to ``new_layout``."""
        return self.total_steps >= self.change_at

    def model_at(self, total_steps: int) -> TabularModel:
        """The true model in force once ``total_steps`` real steps have been
        taken (the layout before ``change_at``, the new one from then on).
        Lets a simulator that steps many copies of this maze at once follow
        the schedule without stepping each copy."""
        total_steps = check_int("total_steps", total_steps, low=0)
        grid = self._new_grid if total_steps >= self.change_at else self._old_grid
        if grid is self.grid:
            return self.model()
        current = self.grid
        self.grid = grid
        try:
            return self._build_model()
        finally:
            self.grid = current

    def _apply_schedule(self) -> None:
        grid = self._new_grid if self.changed else self._old_grid
        if grid is not self.grid:
            self._set_grid(grid)

    def _on_restart(self) -> None:
        self._apply_schedule()

    def _on_step(self) -> None:
        self._apply_schedule()

    def _info(self) -> dict[str, Any]:
        return {"total_steps": self.total_steps, "changed": self.changed}
