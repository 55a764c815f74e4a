"""GridWorld dynamics against hand-computed outcomes on tiny maps."""

from collections import deque

import numpy as np
import pytest

import gridworlds
from gridworlds import Action, GridWorld

# state numbers:  0 1 2 / 3 4 5 / 6 7 8
TINY = """
S.G
.#.
C..
"""


def test_moves_walls_edges_cliff_and_goal():
    env = GridWorld(TINY)
    assert (env.shape, env.n_states, env.n_actions, env.start_state) == (
        (3, 3),
        9,
        4,
        0,
    )
    assert env.transitions(0, Action.UP) == [(1.0, 0, 0.0, False)]  # off the grid
    assert env.transitions(0, Action.RIGHT) == [(1.0, 1, 0.0, False)]
    assert env.transitions(1, Action.RIGHT) == [(1.0, 2, 1.0, True)]  # goal
    assert env.transitions(3, Action.RIGHT) == [(1.0, 3, 0.0, False)]  # wall
    assert env.transitions(3, Action.DOWN) == [(1.0, 0, -100.0, False)]  # cliff
    assert env.transitions(2, Action.LEFT) == [(1.0, 2, 0.0, True)]  # absorbing goal


def test_rewards_are_arguments():
    env = GridWorld(TINY, step_reward=-1, goal_reward=5, cliff_reward=-7)
    assert env.transitions(0, Action.RIGHT) == [(1.0, 1, -1.0, False)]
    assert env.transitions(1, Action.RIGHT) == [(1.0, 2, 5.0, True)]
    assert env.transitions(3, Action.DOWN) == [(1.0, 0, -7.0, False)]


def test_step_follows_the_model():
    env = GridWorld(TINY)
    assert env.reset(seed=0) == (0, {"total_steps": 0})
    assert env.step(Action.DOWN) == (3, 0.0, False, False, {"total_steps": 1})
    assert env.step(Action.DOWN) == (0, -100.0, False, False, {"total_steps": 2})
    assert env.step(Action.RIGHT)[:4] == (1, 0.0, False, False)
    state, reward, terminated, truncated, _ = env.step(Action.RIGHT)
    assert (state, reward, terminated, truncated) == (2, 1.0, True, False)
    assert all(
        isinstance(x, t)
        for x, t in zip((state, reward, terminated), (int, float, bool), strict=True)
    )


def test_slip_probabilities_hand_computed():
    # slip 0.4: the intended move 1 - 0.3 = 0.7, each other move 0.1.
    # From state 0, RIGHT -> 1 (0.7), UP and LEFT bump -> 0 (0.2), DOWN -> 3 (0.1).
    env = GridWorld(TINY, slip=0.4)
    outcomes = env.transitions(0, Action.RIGHT)
    assert [(s, r, t) for _, s, r, t in outcomes] == [
        (0, 0.0, False),
        (1, 0.0, False),
        (3, 0.0, False),
    ]
    assert [p for p, *_ in outcomes] == pytest.approx([0.2, 0.7, 0.1])
    assert env.model().next_states.shape == (9, 4, 4)


def test_slip_sampling_matches_probabilities():
    env = GridWorld(TINY, slip=0.4)
    env.reset(seed=123)
    counts = np.zeros(9)
    for _ in range(4000):
        env.reset(options={"state": 0})
        counts[env.step(Action.RIGHT)[0]] += 1
    # 4000 samples: the standard error is <= 0.008, so 0.04 is 5 sigma.
    assert counts[[0, 1, 3]] / 4000 == pytest.approx([0.2, 0.7, 0.1], abs=0.04)


def test_same_seed_same_rollout_different_seed_different():
    def rollout(seed):
        env = gridworlds.make("dyna_maze", slip=0.5)
        env.reset(seed=seed)
        return [env.step(a % 4)[0] for a in range(60)]

    assert rollout(1) == rollout(1)
    assert rollout(1) != rollout(2)


def test_truncation_and_stepping_after_the_end():
    env = GridWorld(TINY, max_steps=2)
    env.reset()
    assert env.step(Action.UP)[2:4] == (False, False)
    assert env.step(Action.UP)[2:4] == (False, True)
    with pytest.raises(
        RuntimeError, match=r"after the episode ended .* call env.reset"
    ):
        env.step(Action.UP)
    env.reset()
    env.step(Action.RIGHT)
    assert env.step(Action.RIGHT)[2:4] == (True, True)  # goal on the last allowed step


def test_total_steps_survive_reset_unless_restarted():
    env = GridWorld(TINY)
    env.reset()
    env.step(Action.UP)
    env.step(Action.UP)
    assert env.reset() == (0, {"total_steps": 2})
    assert env.reset(options={"restart_schedule": True}) == (0, {"total_steps": 0})


def test_reset_to_a_chosen_state():
    env = GridWorld(TINY)
    assert env.reset(options={"state": 7})[0] == 7
    assert env.step(Action.UP) == (7, 0.0, False, False, {"total_steps": 1})


def test_coordinates():
    env = gridworlds.make("dyna_maze")
    assert env.to_state(2, 0) == env.start_state == 18
    assert env.to_cell(8) == (0, 8)
    assert env.goal_states == [8]
    assert all(env.to_state(*env.to_cell(s)) == s for s in range(env.n_states))


def shortest_path(env):
    """Breadth-first search over env.transitions from the start to a goal."""
    distance, queue = {env.start_state: 0}, deque([env.start_state])
    while queue:
        state = queue.popleft()
        for action in Action:
            for _, next_state, _, terminated in env.transitions(state, action):
                if next_state not in distance:
                    distance[next_state] = distance[state] + 1
                    if terminated:
                        return distance[next_state]
                    queue.append(next_state)
    return None


@pytest.mark.parametrize(
    "name, length",
    [
        ("dyna_maze", 14),
        ("cliff_walking", 13),
        ("blocking_maze", 10),
        ("shortcut_maze", 16),
        ("four_rooms", 20),
    ],
)
def test_shortest_paths_by_bfs(name, length):
    assert shortest_path(gridworlds.make(name)) == length


def test_dyna_maze_is_example_8_1():
    env = gridworlds.make("dyna_maze")
    walls = {tuple(int(i) for i in c) for c in np.argwhere(env.grid == "#")}
    assert walls == {(1, 2), (2, 2), (3, 2), (0, 7), (1, 7), (2, 7), (4, 5)}
    assert env.to_cell(env.start_state) == (2, 0) and env.shape == (6, 9)


def test_dense_views_agree_with_outcome_arrays():
    env = GridWorld(TINY, slip=0.4)
    model = env.model()
    dense = model.transition_matrix()
    assert dense.shape == (9, 4, 9)
    np.testing.assert_allclose(dense.sum(axis=-1), 1.0)
    assert dense[0, Action.RIGHT, [0, 1, 3]] == pytest.approx([0.2, 0.7, 0.1])
    rewards = model.expected_rewards()
    assert rewards.shape == (9, 4)
    assert rewards[1, Action.RIGHT] == pytest.approx(0.7)  # +1 with probability 0.7


def test_large_grid_model_is_sparse():
    env = gridworlds.make("open_grid", rows=100, cols=100, slip=0.1)
    model = env.model()
    assert model.next_states.shape == (10_000, 4, 4)
    total = sum(
        a.nbytes
        for a in (model.next_states, model.probs, model.rewards, model.terminated)
    )
    assert total < 5 * 2**20
    with pytest.raises(ValueError, match=r"dense transition matrix needs 3052 MiB"):
        model.transition_matrix()


def test_render_highlights_the_agent_and_parses_back():
    env = gridworlds.make("dyna_maze")
    with pytest.raises(RuntimeError, match=r"render\(\) called before reset\(\)"):
        env.render()
    env.reset()
    text = env.render()
    assert text.splitlines()[2] == "\x1b[7mS\x1b[0m.#....#."
    assert (gridworlds.parse_layout(text) == env.grid).all()
    assert gridworlds.parse_layout(env.layout).tolist() == env.grid.tolist()


def test_draw_uses_the_given_axes():
    import matplotlib.pyplot as plt

    env = gridworlds.make("cliff_walking")
    fig, ax = plt.subplots()
    assert gridworlds.draw(env, ax) is ax
    assert len(ax.images) == 1 and len(ax.lines) == 0  # no agent before reset
    env.reset()
    gridworlds.draw(env, ax)
    assert ax.lines[-1].get_xydata().tolist() == [[0.0, 3.0]]  # agent at (row 3, col 0)
    assert sum(t.get_text() == "C" for t in ax.texts) >= 10
    plt.close(fig)
    image = gridworlds.rgb_array(env, cell_pixels=10)
    assert image.shape == (40, 120, 3) and image.dtype == np.uint8


def test_every_gym_id_makes_an_env_that_passes_gymnasiums_checker():
    gymnasium = pytest.importorskip("gymnasium")
    from gymnasium.utils.env_checker import check_env as gym_check_env

    from gridworlds.gym_adapter import GYM_IDS

    assert set(GYM_IDS.values()) == set(gridworlds.names())
    for gym_id, name in GYM_IDS.items():
        env = gymnasium.make(gym_id)
        assert env.unwrapped.env.n_states == gridworlds.make(name).n_states
        gym_check_env(env.unwrapped, skip_render_check=True)
        env.close()


def test_gym_ids_respect_max_episode_steps_and_overrides():
    gymnasium = pytest.importorskip("gymnasium")
    env = gymnasium.make("gridworlds/DynaMaze-v0", max_episode_steps=3, slip=0.5)
    assert env.unwrapped.env.slip == 0.5
    env.reset(seed=0)
    truncated = [env.step(gridworlds.Action.LEFT)[3] for _ in range(3)]
    assert truncated == [False, False, True]


def test_a_variant_of_a_named_map_moves_its_start_and_goals():
    env = gridworlds.variant("dyna_maze", start=(5, 4), goals=[(0, 3)], max_steps=9)
    base = gridworlds.make("dyna_maze")
    assert env.to_cell(env.start_state) == (5, 4) and env.max_steps == 9
    assert [env.to_cell(s) for s in env.goal_states] == [(0, 3)]
    walls = env.grid == "#"
    assert (walls == (base.grid == "#")).all()  # the walls stay
    # The start may move onto the old goal's cell: both are cleared first.
    leg = gridworlds.variant("dyna_maze", start=(0, 8), goals=[(5, 4)])
    assert leg.to_cell(leg.start_state) == (0, 8)
    text = "S.#\n..G"
    assert gridworlds.edit_layout(text, goals=[(1, 0)]) == "S.#\nG.."
    assert gridworlds.edit_layout(text) == text  # nothing moved


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"goals": [(1, 2)]}, ValueError, r"goal \(row=1, col=2\) is on 'wall'"),
        ({"goals": [(9, 2)]}, ValueError, r"goal row == 9, must be in \[0, 5\]"),
        ({"start": (0, 3), "goals": [(0, 3)]}, ValueError, r"goal .* on 'start'"),
        ({"start": 3}, TypeError, r"start must be a \(row, col\) pair, got 3"),
        ({"goals": []}, ValueError, r"layout has no goal cell"),
    ],
)
def test_a_variant_names_the_cell_it_cannot_use(kwargs, error, message):
    with pytest.raises(error, match=message):
        gridworlds.variant("dyna_maze", **kwargs)


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_a_map_with_several_goals_makes_each_one_absorbing(slip):
    env = GridWorld("S.G.G\n.....", slip=slip)
    model = env.model()
    for goal in env.goal_states:
        assert (model.next_states[goal] == goal).all()
        assert model.terminated[goal].all() and not model.rewards[goal].any()
    variant = gridworlds.variant("dyna_maze", goals=[(0, 8), (5, 8)])
    assert len(variant.goal_states) == 2
    gridworlds.check_env(env)
