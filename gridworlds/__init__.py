"""gridworlds: small tabular environments from text maps, for teaching RL.

A self-contained suite (it does not import ``tabular_mbrl``)::

    import gridworlds
    env = gridworlds.make("dyna_maze")
    state, info = env.reset(seed=0)
    state, reward, terminated, truncated, info = env.step(gridworlds.Action.RIGHT)
    env.transitions(state, gridworlds.Action.UP)   # [(prob, next_state, reward, done)]
    env.model()                                    # the same, as (S, A, K) arrays
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .checker import EnvCheckError, check_env
from .drawing import draw, rgb_array
from .gridworld import MOVES, Action, GridWorld
from .layout import LEGEND, edit_layout, format_layout, parse_layout
from .model import TabularModel, sample_outcomes
from .registry import make, names, variant
from .shifting import ShiftingMaze

try:  # one distribution, tabular-mbrl, ships both packages: one version
    __version__ = version("tabular-mbrl")
except PackageNotFoundError:  # run from a source tree that is not installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from .gym_adapter import GymnasiumGridWorld


def _register_with_gymnasium() -> None:
    # Importing the adapter registers the ids (gym_adapter.register_envs). An
    # error is not swallowed: gymnasium.make would then fail later with only
    # "Namespace gridworlds not found. Have you installed the proper package?".
    try:
        importlib.import_module(f"{__name__}.gym_adapter")
    except ImportError as error:
        raise ImportError(
            f"gridworlds could not register its environments with the installed "
            f"gymnasium ({error}); reinstall it with: "
            'pip install "tabular-mbrl[gym]"'
        ) from error


class _RegisterOnImport(importlib.abc.MetaPathFinder):
    """Registers our ids the moment gymnasium is imported, so that importing
    gridworlds does not import gymnasium (a quarter of a second) for nothing."""

    def find_spec(self, name, path=None, target=None):
        if name != "gymnasium":
            return None
        sys.meta_path.remove(self)  # find the real module, once
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            execute = spec.loader.exec_module

            def exec_module(module):
                execute(module)
                _register_with_gymnasium()

            spec.loader.exec_module = exec_module
        return spec


# With gymnasium installed, gymnasium.make("gridworlds/DynaMaze-v0") works after
# ``import gridworlds``, whichever of the two is imported first, and
# gymnasium.make("gridworlds:gridworlds/DynaMaze-v0") works without it (ids in
# gridworlds.gym_adapter.GYM_IDS). Gymnasium >= 1.0 reads no plugin entry
# points, so there is nothing to declare in setup.cfg. Nothing here imports
# gymnasium itself; the adapter registers the ids whenever it is imported.
if sys.modules.get("gymnasium") is not None:
    _register_with_gymnasium()
elif "gymnasium" not in sys.modules and importlib.util.find_spec("gymnasium"):
    sys.meta_path.insert(0, _RegisterOnImport())

__all__ = [
    "__version__",
    "Action",
    "EnvCheckError",
    "GridWorld",
    "LEGEND",
    "MOVES",
    "ShiftingMaze",
    "TabularModel",
    "check_env",
    "draw",
    "edit_layout",
    "format_layout",
    "make",
    "names",
    "parse_layout",
    "rgb_array",
    "sample_outcomes",
    "to_gymnasium",
    "variant",
]


def to_gymnasium(env: GridWorld, **kwargs: Any) -> GymnasiumGridWorld:
    """Wrap ``env`` as a ``gymnasium.Env`` (``Discrete`` spaces, ansi and
    rgb_array rendering). ``kwargs`` (e.g. ``render_mode``) go to the adapter.

    Raises
    ------
    ImportError
        If gymnasium is not installed, saying how to install it; if it is
        installed but fails to import, gymnasium's own error.
    """
    try:
        from .gym_adapter import GymnasiumGridWorld
    except ModuleNotFoundError as error:
        if error.name != "gymnasium":  # installed but broken: say what broke
            raise
        raise ImportError(
            "to_gymnasium needs gymnasium, which is not installed; "
            'install it with: pip install "tabular-mbrl[gym]"'
        ) from error
    return GymnasiumGridWorld(env, **kwargs)
