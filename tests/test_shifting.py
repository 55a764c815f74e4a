"""The changing mazes: the switch happens exactly at the global step count."""

import numpy as np
import pytest

import gridworlds
from gridworlds import Action

R, U, D, L = Action.RIGHT, Action.UP, Action.DOWN, Action.LEFT


def walk_to_4_8(env, arrive_at):
    """Burn steps (with resets between) so the agent reaches (4, 8) on step
    ``arrive_at``: from the start (5, 3), five RIGHTs and one UP."""
    env.reset(seed=0, options={"restart_schedule": True})
    for i in range(arrive_at - 6):
        if i % 100 == 99:
            env.reset()  # resets do not clear the global counter
        env.step(D)  # bump into the bottom edge: stay at the start
    env.reset()
    for action in (R, R, R, R, R, U):
        state, *_, info = env.step(action)
    assert env.to_cell(state) == (4, 8) and info["total_steps"] == arrive_at
    return env


def test_blocking_maze_blocks_exactly_at_step_1000_across_resets():
    env = walk_to_4_8(gridworlds.make("blocking_maze"), arrive_at=999)
    assert not env.changed
    # Step 1000 is the last one in the old layout: the gap at (3, 8) is open.
    state, _, _, _, info = env.step(U)
    assert env.to_cell(state) == (3, 8)
    assert info == {"total_steps": 1000, "changed": True}
    # The wall now stands under the agent: it stays until it steps out.
    assert env.grid[3, 8] == "#"
    assert env.transitions(state, D) == [(1.0, env.to_state(4, 8), 0.0, False)]
    assert env.to_cell(env.step(U)[0]) == (2, 8)


def test_after_the_switch_the_right_gap_is_closed_and_the_left_one_open():
    env = walk_to_4_8(gridworlds.make("blocking_maze"), arrive_at=1000)
    assert env.changed
    assert env.to_cell(env.step(U)[0]) == (4, 8)  # blocked
    assert env.transitions(env.to_state(4, 0), U)[0][1] == env.to_state(3, 0)


def test_shortcut_opens_at_step_3000():
    env = gridworlds.make("shortcut_maze")
    gap = env.to_state(4, 8)
    assert env.transitions(gap, U)[0][1] == gap  # closed
    env = walk_to_4_8(env, arrive_at=3000)
    assert env.transitions(gap, U)[0][1] == env.to_state(3, 8)  # open
    assert env.to_cell(env.step(U)[0]) == (3, 8)


def test_restart_schedule_starts_a_new_run():
    env = gridworlds.make("blocking_maze", change_at=3)
    env.reset(seed=0)
    for _ in range(3):
        env.step(D)
    assert env.changed and env.reset()[1] == {"total_steps": 3, "changed": True}
    state, info = env.reset(options={"restart_schedule": True})
    assert info == {"total_steps": 0, "changed": False}
    assert env.layout == gridworlds.registry.BLOCKING_MAZE.strip()
    assert env.model().next_states[env.to_state(4, 8), U, 0] == env.to_state(3, 8)


def test_change_at_zero_starts_in_the_new_layout():
    env = gridworlds.make("shortcut_maze", change_at=0)
    assert env.changed and env.grid[3, 8] == "."


def test_shifting_maze_rejects_mismatched_layouts():
    with pytest.raises(ValueError, match=r"new_layout has shape \(1, 3\), must match"):
        gridworlds.ShiftingMaze("S.G\n...", "S.G", change_at=5)
    with pytest.raises(ValueError, match=r"new_layout moves the start 'S'"):
        gridworlds.ShiftingMaze("S.G", ".SG", change_at=5)
    with pytest.raises(ValueError, match=r"change_at == -1, must be in \[0, inf\]"):
        gridworlds.ShiftingMaze("S.G", "S.G", change_at=-1)


def test_model_at_gives_the_model_before_and_after_the_change():
    env = gridworlds.make("blocking_maze", change_at=10)
    before, after = env.model_at(0), env.model_at(10)
    assert (before.next_states != after.next_states).any()
    assert np.array_equal(env.model_at(9).next_states, before.next_states)
    assert np.array_equal(env.model().next_states, before.next_states)  # unchanged
    with pytest.raises(ValueError, match=r"total_steps == -1"):
        env.model_at(-1)
