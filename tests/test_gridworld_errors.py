"""Bad input gets a clear error that names the culprit."""

import pytest

import gridworlds
from gridworlds import GridWorld


@pytest.mark.parametrize(
    "layout, message",
    [
        ("S.G\n..", r"ragged layout: row 1 has 2 cells, row 0 has 3"),
        (
            "S.G\n..x",
            r"unknown map character 'x' at \(row=1, col=2\); "
            r"allowed: '#', '.', 'S', 'G', 'C'",
        ),
        ("..G\n...", r"layout has 0 start cells 'S'; exactly one is required"),
        ("SSG", r"layout has 2 start cells 'S' at \(0, 0\), \(0, 1\); exactly one"),
        ("S..", r"layout has no goal cell 'G'; at least one is required"),
        ("", r"layout is empty"),
        ("\n   \n", r"layout is empty"),
    ],
)
def test_bad_maps(layout, message):
    with pytest.raises(ValueError, match=message):
        GridWorld(layout)


def test_layout_must_be_text():
    with pytest.raises(TypeError, match=r"layout must be a str, got list"):
        GridWorld(["S.G"])


@pytest.mark.parametrize(
    "action, error, message",
    [
        (
            4,
            ValueError,
            r"action == 4, must be one of 0 \(UP\), 1 \(DOWN\), 2 \(LEFT\), 3",
        ),
        (-1, ValueError, r"action == -1, must be one of"),
        (1.0, TypeError, r"action must be an int or gridworlds.Action, got float 1.0"),
        ("UP", TypeError, r"action must be an int .* got str 'UP'"),
        (True, TypeError, r"got bool True"),
    ],
)
def test_bad_actions(action, error, message):
    env = gridworlds.make("dyna_maze")
    env.reset()
    with pytest.raises(error, match=message):
        env.step(action)
    with pytest.raises(error, match=message):
        env.transitions(0, action)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"slip": 1.5}, ValueError, r"slip == 1.5, must be in \[0, 1\]"),
        ({"slip": -0.1}, ValueError, r"slip == -0.1, must be in \[0, 1\]"),
        ({"slip": "0.1"}, TypeError, r"slip must be a real number, got str '0.1'"),
        ({"max_steps": 0}, ValueError, r"max_steps == 0, must be in \[1, inf\]"),
        ({"max_steps": 2.5}, TypeError, r"max_steps must be an int, got float 2.5"),
        ({"goal_reward": float("nan")}, ValueError, r"goal_reward == nan"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        GridWorld("S.G", **kwargs)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(
        ValueError,
        match=r"unknown environment 'dyna'; known: "
        r"blocking_maze, cliff_walking, dyna_maze, "
        r"four_rooms, open_grid, shortcut_maze",
    ):
        gridworlds.make("dyna")
    assert gridworlds.make("dyna-maze").shape == (6, 9)  # hyphens are accepted


def test_step_before_reset():
    with pytest.raises(
        RuntimeError,
        match=r"step\(\) called before reset\(\); "
        r"call env.reset\(\) first",
    ):
        gridworlds.make("dyna_maze").step(0)


def test_bad_states_cells_and_reset_options():
    env = gridworlds.make("dyna_maze")
    with pytest.raises(ValueError, match=r"state == 54, must be in \[0, 53\]"):
        env.to_cell(54)
    with pytest.raises(ValueError, match=r"col == 9, must be in \[0, 8\]"):
        env.to_state(0, 9)
    with pytest.raises(
        ValueError,
        match=r"unknown reset option 'start'; allowed: "
        r"'state', 'restart_schedule'",
    ):
        env.reset(options={"start": 3})
    with pytest.raises(
        ValueError,
        match=r"options\['state'\] == 7 is the '#' cell "
        r"\(0, 7\), must be '.' or 'S'",
    ):
        env.reset(options={"state": 7})


def test_bad_open_grid_sizes():
    with pytest.raises(ValueError, match=r"rows == 0, must be in \[1, inf\]"):
        gridworlds.make("open_grid", rows=0)
    with pytest.raises(ValueError, match=r"rows \* cols == 1, must be >= 2"):
        gridworlds.make("open_grid", rows=1, cols=1)
