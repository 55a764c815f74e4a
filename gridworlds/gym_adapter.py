"""An adapter from a :class:`~gridworlds.GridWorld` to a real ``gymnasium.Env``.

Importing this module needs gymnasium (``pip install "tabular-mbrl[gym]"``);
:func:`gridworlds.to_gymnasium` says so when it is missing. Importing it also
registers the ids of :data:`GYM_IDS` with gymnasium, so ``gymnasium.make`` finds
them whichever of gridworlds and gymnasium was imported first.
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec

from .drawing import rgb_array
from .gridworld import GridWorld


class GymnasiumGridWorld(gymnasium.Env):
    """A ``gymnasium.Env`` with ``Discrete`` spaces around a gridworld.

    Render modes: ``"ansi"`` (the text map, agent highlighted) and
    ``"rgb_array"`` (drawn with matplotlib on an off-screen canvas).

    Gymnasium promises that ``reset(seed=...)`` makes what follows reproducible,
    so here a seeded reset also restarts the real-step count (and so the wall
    schedule of a changing maze), as ``options={"restart_schedule": True}`` does.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, env: GridWorld, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode == {render_mode!r}, must be one of "
                f"{self.metadata['render_modes']} or None"
            )
        self.env = env
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(env.n_states)
        self.action_space = spaces.Discrete(env.n_actions)
        # A spec lets gymnasium's checker remake the env in every render mode.
        template = copy.deepcopy(env)
        self.spec = EnvSpec(
            id=f"gridworlds/{type(env).__name__}-v0",
            entry_point=lambda **kw: GymnasiumGridWorld(copy.deepcopy(template), **kw),
            disable_env_checker=True,
        )

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            options = {"restart_schedule": True, **(options or {})}
        return self.env.reset(seed=seed, options=options)

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        # GridWorld.step checks the action: the same types (an int, a NumPy
        # integer or an Action; not a str, float or bool) and the same messages.
        return self.env.step(action)

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            return self.env.render()
        if self.render_mode == "rgb_array":
            return rgb_array(self.env)
        return None


#: The Gymnasium ids of the registered environments -> their ``gridworlds`` names.
GYM_IDS = {
    "gridworlds/DynaMaze-v0": "dyna_maze",
    "gridworlds/BlockingMaze-v0": "blocking_maze",
    "gridworlds/ShortcutMaze-v0": "shortcut_maze",
    "gridworlds/CliffWalking-v0": "cliff_walking",
    "gridworlds/FourRooms-v0": "four_rooms",
    "gridworlds/OpenGrid-v0": "open_grid",
}

#: Each id's default time limit (``max_episode_steps``, Gymnasium's ``TimeLimit``):
#: 1000 steps for the 6x9 mazes, cliff walking and the 10x10 open grid, 2000 for
#: the four rooms (169 cells). ``gymnasium.make(id, max_episode_steps=n)`` sets
#: another, ``max_episode_steps=-1`` none.
MAX_EPISODE_STEPS = {
    "gridworlds/DynaMaze-v0": 1000,
    "gridworlds/BlockingMaze-v0": 1000,
    "gridworlds/ShortcutMaze-v0": 1000,
    "gridworlds/CliffWalking-v0": 1000,
    "gridworlds/FourRooms-v0": 2000,
    "gridworlds/OpenGrid-v0": 1000,
}


def make_registered(
    name: str, render_mode: str | None = None, **overrides: Any
) -> GymnasiumGridWorld:
    """What ``gymnasium.make`` calls for a ``gridworlds/...`` id: the named env
    (``overrides`` go to :func:`gridworlds.make`) behind the adapter."""
    from .registry import make

    return GymnasiumGridWorld(make(name, **overrides), render_mode=render_mode)


def register_envs() -> None:
    """Register every id of :data:`GYM_IDS` with gymnasium (once), each with its
    time limit from :data:`MAX_EPISODE_STEPS`."""
    for gym_id, name in GYM_IDS.items():
        if gym_id not in gymnasium.registry:
            gymnasium.register(
                id=gym_id,
                entry_point="gridworlds.gym_adapter:make_registered",
                max_episode_steps=MAX_EPISODE_STEPS[gym_id],
                kwargs={"name": name},
            )


register_envs()
