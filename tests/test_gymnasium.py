"""Gymnasium: registration in any import order, default time limits, the
adapter's action check, and import errors that are reported, not swallowed."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gridworlds

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env as gym_check_env  # noqa: E402

from gridworlds.gym_adapter import GYM_IDS, MAX_EPISODE_STEPS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run_python(code, *, path=()):
    """Run ``code`` in a fresh interpreter (nothing imported yet), with the
    folders ``path`` first on its import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, path), str(ROOT)])
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


# -- registration ---------------------------------------------------------------

MAKE_EVERY_ID = """
for gym_id, steps in {limits!r}.items():
    env = gymnasium.make(gym_id)
    assert env.spec.max_episode_steps == steps, (gym_id, env.spec)
    assert env.reset(seed=0)[0] == env.unwrapped.env.start_state
print("made", len({limits!r}))
"""

IMPORT_ORDERS = {
    # The case: to_gymnasium is the first thing to import gymnasium.
    "to_gymnasium first": """
        import sys
        import gridworlds
        assert "gymnasium" not in sys.modules  # importing gridworlds does not
        gridworlds.to_gymnasium(gridworlds.make("dyna_maze"))
        import gymnasium
    """,
    "gridworlds, then gymnasium": """
        import sys
        import gridworlds
        assert "gymnasium" not in sys.modules
        import gymnasium
    """,
    "gymnasium, then gridworlds": """
        import gymnasium
        import gridworlds
    """,
}


@pytest.mark.parametrize("order", IMPORT_ORDERS)
def test_every_id_makes_whichever_imports_gymnasium_first(order):
    code = textwrap.dedent(IMPORT_ORDERS[order]) + MAKE_EVERY_ID.format(
        limits=MAX_EPISODE_STEPS
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "made 6"


def test_make_in_a_fresh_interpreter_without_importing_gridworlds():
    # Gymnasium >= 1.0 loads no plugin entry points; its "module:id" form
    # imports the module that registers the id.
    result = run_python(
        """
        import sys
        import gymnasium
        env = gymnasium.make("gridworlds:gridworlds/DynaMaze-v0")
        assert "gridworlds" in sys.modules
        print(env.spec.id, env.spec.max_episode_steps, env.reset(seed=0)[0])
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["gridworlds/DynaMaze-v0", "1000", "18"]


def test_the_ids_and_their_limits_cover_every_named_env():
    assert set(GYM_IDS.values()) == set(gridworlds.names())
    assert set(MAX_EPISODE_STEPS) == set(GYM_IDS)
    for gym_id, steps in MAX_EPISODE_STEPS.items():
        assert gymnasium.spec(gym_id).max_episode_steps == steps


def test_the_readme_gives_each_ids_time_limit():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Gymnasium\n", 1)[1].split("\n## ", 1)[0]
    for gym_id, name in GYM_IDS.items():
        row = f"| `{gym_id}` | `{name}` | {MAX_EPISODE_STEPS[gym_id]:,} |"
        assert row in section, row


# -- import errors --------------------------------------------------------------


@pytest.fixture
def broken_gymnasium(tmp_path):
    """A folder holding a gymnasium whose import raises ImportError."""
    package = tmp_path / "gymnasium"
    package.mkdir()
    (package / "__init__.py").write_text(
        'raise ImportError("gymnasium is broken on purpose")\n'
    )
    return tmp_path


@pytest.fixture
def incompatible_gymnasium(tmp_path):
    """A folder holding a gymnasium that imports but has nothing in it."""
    package = tmp_path / "gymnasium"
    package.mkdir()
    (package / "__init__.py").write_text("")
    return tmp_path


def last_line(result):
    return result.stderr.strip().splitlines()[-1]


def test_a_broken_gymnasium_leaves_the_environments_working(broken_gymnasium):
    result = run_python(
        "import gridworlds; print(gridworlds.make('dyna_maze').reset(seed=0)[0])",
        path=[broken_gymnasium],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "18"


@pytest.mark.parametrize(
    "code",
    [
        "import gridworlds; gridworlds.to_gymnasium(gridworlds.make('dyna_maze'))",
        "import gridworlds; import gymnasium",
    ],
)
def test_a_broken_gymnasium_says_so(broken_gymnasium, code):
    result = run_python(code, path=[broken_gymnasium])
    assert result.returncode == 1
    assert last_line(result) == "ImportError: gymnasium is broken on purpose"
    assert "not installed" not in result.stderr


@pytest.mark.parametrize(
    "code",
    [
        "import gridworlds; import gymnasium",
        "import gymnasium; import gridworlds",
        "import gridworlds; gridworlds.to_gymnasium(gridworlds.make('dyna_maze'))",
    ],
)
def test_a_gymnasium_the_adapter_cannot_use_says_so(incompatible_gymnasium, code):
    result = run_python(code, path=[incompatible_gymnasium])
    assert result.returncode == 1
    assert re.fullmatch(
        r"ImportError: (gridworlds could not register its environments with the "
        r"installed gymnasium \()?cannot import name 'spaces' from "
        r"(partially initialized module )?'gymnasium' .*",
        last_line(result),
    ), result.stderr
    assert "not installed" not in result.stderr


def test_without_gymnasium_gridworlds_imports_and_to_gymnasium_says_how_to_install():
    result = run_python(
        """
        import sys
        sys.modules["gymnasium"] = None  # as if it were not installed
        import gridworlds
        print(gridworlds.make("dyna_maze").reset(seed=0)[0])
        gridworlds.to_gymnasium(gridworlds.make("dyna_maze"))
        """
    )
    assert result.stdout.strip() == "18"
    assert last_line(result) == (
        "ImportError: to_gymnasium needs gymnasium, which is not installed; "
        'install it with: pip install "tabular-mbrl[gym]"'
    )


# -- time limits ----------------------------------------------------------------


@pytest.mark.parametrize("gym_id", GYM_IDS)
def test_an_episode_truncates_at_the_default_time_limit(gym_id):
    env = gymnasium.make(gym_id)
    env.reset(seed=0)
    # LEFT never reaches a goal from any of the starts (walls or the edge).
    ends = [
        env.step(gridworlds.Action.LEFT)[2:4] for _ in range(MAX_EPISODE_STEPS[gym_id])
    ]
    assert ends[:-1] == [(False, False)] * (len(ends) - 1)
    assert ends[-1] == (False, True)


def test_max_episode_steps_minus_one_removes_the_time_limit():
    env = gymnasium.make("gridworlds/DynaMaze-v0", max_episode_steps=-1)
    env.reset(seed=0)
    ends = [env.step(gridworlds.Action.LEFT)[2:4] for _ in range(1001)]
    assert ends == [(False, False)] * 1001


# -- the action check -----------------------------------------------------------

CHOICES = "0 (UP), 1 (DOWN), 2 (LEFT), 3 (RIGHT)"
BAD_ACTIONS = [
    ("1", TypeError, "action must be an int or gridworlds.Action, got str '1'"),
    (1.7, TypeError, "action must be an int or gridworlds.Action, got float 1.7"),
    (True, TypeError, "action must be an int or gridworlds.Action, got bool True"),
    (-1, ValueError, f"action == -1, must be one of {CHOICES}"),
    (4, ValueError, f"action == 4, must be one of {CHOICES}"),
]


def adapters():
    yield gridworlds.to_gymnasium(gridworlds.make("dyna_maze"))
    yield gymnasium.make("gridworlds/DynaMaze-v0")  # with gymnasium's wrappers


@pytest.mark.parametrize(("action", "error", "message"), BAD_ACTIONS)
def test_the_adapter_refuses_what_gridworld_step_refuses(action, error, message):
    env = gridworlds.make("dyna_maze")
    env.reset(seed=0)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        env.step(action)
    for adapter in adapters():
        adapter.reset(seed=0)
        with pytest.raises(error, match=f"^{re.escape(message)}$"):
            adapter.step(action)
        # Nothing was taken: the next step is the episode's first.
        assert adapter.step(1)[4] == {"total_steps": 1}


@pytest.mark.parametrize("action", [3, np.int64(3), gridworlds.Action.RIGHT])
def test_the_adapter_takes_what_gridworld_step_takes(action):
    env = gridworlds.make("dyna_maze")
    env.reset(seed=0)
    expected = env.step(action)
    for adapter in adapters():
        adapter.reset(seed=0)
        assert adapter.step(action) == expected


# -- Gymnasium's checker --------------------------------------------------------


@pytest.mark.parametrize("gym_id", GYM_IDS)
def test_every_id_passes_gymnasiums_checker_with_its_render_modes(gym_id):
    gym_check_env(gymnasium.make(gym_id).unwrapped)
