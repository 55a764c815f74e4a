"""A model that is wrong in a systematic way: agents trained in a simulator of
the Dyna maze, deployed in the real one ("simulation to real world"). Where
the simulator's error is random (the real floor slips), replanning on its
model absorbs it; where it is biased (a wall the simulator lacks), only a
model that keeps learning gets past it."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import gridworlds

from .._checks import check_int, check_real
from ..agents import QLearningAgent
from ..experiments import run_steps
from ..results import Series, Study, work_per_step
from ..spec import AgentSpec
from .registry import Run, experiment
from .running import engine_for, in_parallel
from .specs import STANDARD_MPC, dyna_q_spec


class Deployment:
    """The simulator for the first ``deploy_at`` real steps, then the real
    maze: a :class:`gridworlds.ShiftingMaze` from the simulator's walls to the
    real ones, whose floor starts to slip at the switch.

    The simulator never slips. From step ``deploy_at`` on, each move is
    replaced with probability ``slip`` by one drawn uniformly from all four,
    as :class:`gridworlds.GridWorld` slips, from the Generator that
    ``reset(seed=...)`` makes. With ``slip=0`` nothing is drawn and the env
    steps as the ShiftingMaze itself, and so, with equal maps, as the real
    maze. ``model()`` and ``model_at(t)`` give the true model in force, slip
    included, so the batched engine can step it too.

    Parameters
    ----------
    simulator, real : str
        The maps of the simulator and of the real maze (same shape and start).
    deploy_at : int
        Real steps in the simulator, >= 0 (0: the real maze from the start).
    slip : float, default 0.0
        The real floor's slip, in [0, 1].
    """

    def __init__(
        self, simulator: str, real: str, *, deploy_at: int, slip: float = 0.0
    ) -> None:
        self.slip = check_real("slip", slip, low=0.0, high=1.0)
        self._maze = gridworlds.ShiftingMaze(simulator, real, change_at=deploy_at)
        slippery = gridworlds.ShiftingMaze(
            simulator, real, change_at=deploy_at, slip=self.slip
        )
        self._real_model = slippery.model_at(deploy_at)
        self._rng: np.random.Generator | None = None
        maze = self._maze
        self.n_states, self.n_actions = maze.n_states, maze.n_actions
        self.shape, self.start_state = maze.shape, maze.start_state
        self.max_steps, self.change_at = maze.max_steps, maze.change_at

    @property
    def total_steps(self) -> int:
        """Real steps taken, across episodes."""
        return self._maze.total_steps

    @property
    def changed(self) -> bool:
        """Whether the agent is in the real maze."""
        return self._maze.changed

    def model_at(self, total_steps: int) -> gridworlds.TabularModel:
        """The true model once ``total_steps`` real steps have been taken."""
        if check_int("total_steps", total_steps, low=0) < self.change_at:
            return self._maze.model_at(total_steps)
        return self._real_model

    def model(self) -> gridworlds.TabularModel:
        """The true model in force now."""
        return self.model_at(self.total_steps)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """As :meth:`gridworlds.GridWorld.reset`; ``seed`` seeds the slip."""
        state, info = self._maze.reset(seed=seed, options=options)
        if seed is not None or self._rng is None:
            self._rng = np.random.default_rng(seed)
        return state, info

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        """As :meth:`gridworlds.GridWorld.step`, slipping once deployed."""
        action = check_int("action", action, low=0, high=self.n_actions - 1)
        if self.slip > 0.0 and self.changed and self._rng.random() < self.slip:
            action = int(self._rng.integers(self.n_actions))
        return self._maze.step(action)

    def __repr__(self) -> str:
        rows, cols = self.shape
        return (
            f"Deployment({rows}x{cols}, deploy_at={self.change_at}, slip={self.slip:g})"
        )


#: The wall of the Dyna maze that the simulator of the "wall" world lacks, by
#: default: its top row then leads to the goal in 10 steps; the real maze's
#: shortest path is 14.
MISSING_WALL = (0, 7)

#: The two worlds, in order: the simulator's error is random (a floor that
#: slips where the simulator's does not), then biased (a wall it lacks).
SIM_TO_REAL_WORLDS = ("slip", "wall")

#: The agents, in order. The frozen MPC plans on the simulator's own model
#: and learns nothing, so it is deployed at once; the two that learn are
#: trained in the simulator first; Q-learning starts from scratch.
SIM_TO_REAL_AGENTS = (
    "MPC, frozen sim model",
    "MPC, learning",
    "Dyna-Q, learning",
    "Q-learning, from scratch",
)

#: The series of :func:`sim_to_real`, in order: ``"world: agent"``.
SIM_TO_REAL = tuple(
    f"{world}: {agent}" for world in SIM_TO_REAL_WORLDS for agent in SIM_TO_REAL_AGENTS
)


def world_maps(
    world: str, missing_wall: tuple[int, int] | None = MISSING_WALL
) -> tuple[str, str]:
    """The maps ``(simulator, real)`` of a world of :func:`sim_to_real`: the
    Dyna maze for both, except that in the "wall" world the simulator lacks
    the wall at ``missing_wall`` (None: it lacks nothing)."""
    if world not in SIM_TO_REAL_WORLDS:
        raise ValueError(
            f"world == {world!r}, must be one of {list(SIM_TO_REAL_WORLDS)}"
        )
    real = gridworlds.make("dyna_maze")
    grid = real.grid.copy()
    cell = _check_wall(missing_wall) if world == "wall" else None
    if cell is not None:
        grid[cell] = "."
    return gridworlds.format_layout(grid), real.layout


def _check_wall(missing_wall: object) -> tuple[int, int] | None:
    """``missing_wall`` as (row, col) if it is None or a wall of the Dyna maze."""
    if missing_wall is None:
        return None
    grid = gridworlds.make("dyna_maze").grid
    walls = [(int(row), int(col)) for row, col in np.argwhere(grid == "#")]
    try:
        cell = tuple(check_int("missing_wall", i) for i in missing_wall)
    except TypeError:
        cell = None
    if cell not in walls:
        raise ValueError(
            f"missing_wall == {missing_wall!r}, must be None or a wall of the "
            f"Dyna maze as (row, col): one of {', '.join(map(str, walls))}"
        )
    return cell


@experiment(
    "sim-to-real",
    "trained in a simulator, deployed: replanning absorbs a slip, not a wall",
    runs=20,
    quick={"n_runs": 3, "n_steps": 300, "sim_steps": 300},
    group="beyond",
)
def sim_to_real(
    run: Run,
    *,
    n_steps: int = 1000,
    sim_steps: int = 2000,
    slip: float = 0.2,
    missing_wall: tuple[int, int] | None = MISSING_WALL,
    n_planning_steps: int = 50,
) -> Study:
    """Agents trained in a simulator of the Dyna maze, deployed in the real
    one for ``n_steps`` real steps, in two worlds. "slip": the real floor
    slips (``slip``) where the simulator's does not, so the simulator's model
    is wrong at random. "wall": the simulator lacks the wall at
    ``missing_wall`` (None: nothing), so its model is wrong in one place,
    always the same way.

    The agents (:data:`SIM_TO_REAL_AGENTS`): MPC that plans on the
    simulator's own model, frozen (never updated; deployed at once); MPC and
    Dyna-Q n = ``n_planning_steps`` trained for ``sim_steps`` steps in the
    simulator, then deployed with their models still learning; Q-learning
    from scratch in the real maze. The simulator and the real maze are one
    :class:`Deployment`, so a simulator equal to the real maze gives what a
    plain run there gives. Each value is the goals reached since deployment
    (cumulative reward), against real steps since it; each series' model
    work per real step is counted over the same steps."""
    n_steps = check_int("n_steps", n_steps, low=1)
    sim_steps = check_int("sim_steps", sim_steps, low=0)
    slip = check_real("slip", slip, low=0.0, high=1.0)
    missing_wall = _check_wall(missing_wall)
    n_planning_steps = check_int("n_planning_steps", n_planning_steps, low=0)

    run.series(SIM_TO_REAL)
    deployed = (run, missing_wall, sim_steps, slip, n_planning_steps, n_steps)
    tasks = [
        partial(_deployed, world, agent, *deployed)
        for world in SIM_TO_REAL_WORLDS
        for agent in SIM_TO_REAL_AGENTS
        if run.wants(f"{world}: {agent}")
    ]
    lacks = "nothing" if missing_wall is None else f"the wall at {missing_wall}"
    return Study(
        "sim-to-real",
        f"Trained in a simulator ({sim_steps:,} steps), deployed in the real Dyna maze",
        "real steps since deployment",
        "goals since deployment",
        in_parallel(tasks, run.jobs),
        kind="panels",
        panel_labels=(
            f"goals (slip: the real floor slips {slip:g})",
            f"goals (wall: the simulator lacks {lacks})",
        ),
    )


def _deployed(
    world: str,
    agent: str,
    run: Run,
    missing_wall: tuple[int, int] | None,
    sim_steps: int,
    slip: float,
    n_planning_steps: int,
    n_steps: int,
) -> Series:
    """One series of :func:`sim_to_real`: ``agent`` deployed in ``world``."""
    simulator, real = world_maps(world, missing_wall)
    frozen = gridworlds.GridWorld(simulator).model()
    spec, trained = {
        "MPC, frozen sim model": (STANDARD_MPC.replace(model=frozen), 0),
        "MPC, learning": (STANDARD_MPC, sim_steps),
        "Dyna-Q, learning": (dyna_q_spec(n_planning_steps), sim_steps),
        "Q-learning, from scratch": (AgentSpec(QLearningAgent), 0),
    }[agent]
    floor = slip if world == "slip" else 0.0
    results = run_steps(
        lambda: Deployment(simulator, real, deploy_at=trained, slip=floor),
        spec,
        n_steps=trained + n_steps,
        n_runs=run.n_runs,
        seed=run.seed,
        engine=engine_for(spec, run.engine),
        progress=run.reporter(f"{world}: {agent}"),
    )
    # With a zero in front, column t holds the totals after t real steps:
    # those at deployment are in column `trained`.
    reward = np.pad(results.cumulative_reward, ((0, 0), (1, 0)))
    work = np.pad(results.planning_updates, ((0, 0), (1, 0)))
    return Series(
        f"{world}: {agent}",
        np.arange(1, n_steps + 1),
        reward[:, trained + 1 :] - reward[:, trained : trained + 1],
        model_work_per_step=work_per_step(
            work[:, -1] - work[:, trained], np.full(run.n_runs, n_steps)
        ),
        panel=SIM_TO_REAL_WORLDS.index(world),
    )
