"""Plot helpers draw on the Axes they are given and return it (Agg backend)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl import plotting
from tabular_mbrl.results import Series, Study


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def dyna(n):
    return tm.AgentSpec(tm.DynaQAgent, n_planning_steps=n)


def test_steps_per_episode_overlays_results_with_bands(ax):
    results = {
        f"n={n}": tm.run_episodes(
            lambda: gridworlds.make("dyna_maze"),
            dyna(n),
            n_episodes=4,
            n_runs=3,
            seed=0,
        )
        for n in (0, 5)
    }
    assert plotting.plot_steps_per_episode(results, ax=ax) is ax
    assert [line.get_label() for line in ax.lines] == ["n=0", "n=5"]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    np.testing.assert_allclose(ax.lines[0].get_ydata(), results["n=0"].mean())
    assert ax.get_yscale() == "log"


def test_cumulative_reward_marks_the_change(ax):
    results = {
        "Dyna-Q": tm.run_steps(
            lambda: gridworlds.make("blocking_maze", change_at=40),
            dyna(2),
            n_steps=60,
            n_runs=2,
            seed=0,
        )
    }
    plotting.plot_cumulative_reward(results, ax=ax)
    marker = ax.lines[-1]
    assert marker.get_label() == "env changes"
    assert list(marker.get_xdata()) == [40, 40]
    assert ax.get_xlabel() == "real steps"


def test_single_run_has_no_band(ax):
    study = Study("s", "t", "x", "y", [Series("a", np.arange(3), np.ones((1, 3)))])
    plotting.plot_study(study, ax=ax)
    assert len(ax.lines) == 1 and not ax.collections
    assert ax.get_title() == "t"


def bar(name: str, budget: int, steps: list[float], real_steps: int) -> Series:
    done = tm.Convergence(np.array(steps), np.full(len(steps), real_steps))
    return Series(name, np.array([budget]), done.values[:, None], convergence=done)


def test_convergence_bars(ax):
    study = Study(
        "mpc",
        "bars",
        "budget",
        "steps",
        [
            bar("Q-learning", 0, [100.0, 120.0, 130.0], 500),
            bar("MPC", 500, [20.0, np.nan, 30.0], 400),  # censored above: 30
            bar("never", 5, [np.nan, np.nan, 70.0], 200),  # >= 200
        ],
        kind="bar",
    )
    assert plotting.plot_study(study, ax=ax) is ax
    bars = ax.patches
    assert [b.get_height() for b in bars] == [120.0, 30.0, 200.0]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["3/3", "2/3", "1/3 (>=)"]
    assert [b.get_hatch() for b in bars] == [None, None, "//"]
    # Each tick shows the series and its x, which the axis label names.
    assert [t.get_text() for t in ax.get_xticklabels()][1] == "MPC\n500"
    assert ax.get_xlabel() == "budget"
    # The error bars are the bootstrap band of the median: inside the runs.
    segments = ax.collections[0].get_segments()
    assert all(100 <= y <= 130 for y in segments[0][:, 1])


def test_grid_views(ax):
    env = gridworlds.make("dyna_maze")
    v, q = tm.value_iteration(env.model(), gamma=0.95)
    assert plotting.plot_policy(env, q, ax=ax) is ax
    arrows = ax.collections[-1]
    # One arrow per free cell: 54 cells - 7 walls - 1 goal = 46.
    assert len(arrows.get_offsets()) == int(np.isin(env.grid, [".", "S"]).sum()) == 46
    fig, axes = plt.subplots(1, 3)
    assert plotting.plot_grid_values(env, v, ax=axes[0]) is axes[0]
    assert np.ma.getmaskarray(axes[0].images[-1].get_array())[0, 7]  # wall: blank
    assert plotting.plot_visits(env, np.ones((54, 4)), ax=axes[1]) is axes[1]
    model = tm.DeterministicModel(54, 4)
    errors = tm.transition_error(env.model(), model).mean(axis=1)
    assert plotting.plot_model_error(env, errors, ax=axes[2]) is axes[2]
    error = axes[2].images[-1].get_array()
    assert error[2, 0] == pytest.approx(0.75)  # 3 of 4 moves from S leave it
    plt.close(fig)
    with pytest.raises(ValueError, match=r"values has shape \(3,\), must be"):
        plotting.plot_grid_values(env, np.zeros(3), ax=ax)


def test_policy_arrows_point_the_right_way(ax):
    env = gridworlds.GridWorld("G#\n.#\nS.")  # a column: UP leads to the goal
    q = np.zeros((env.n_states, 4))
    q[:, gridworlds.Action.UP] = 1.0
    q[env.to_state(2, 1), gridworlds.Action.LEFT] = 2.0
    plotting.plot_policy(env, q, ax=ax)
    arrows = ax.collections[-1]
    assert ax.yaxis_inverted()  # row 0 at the top, as in the text map
    # (col, row) -> (dx, dy) in data coordinates: UP is -1 in rows.
    got = {
        tuple(o): (u, v)
        for o, u, v in zip(
            arrows.get_offsets().tolist(), arrows.U, arrows.V, strict=True
        )
    }
    assert got[(0.0, 1.0)] == (0, -1) and got[(0.0, 2.0)] == (0, -1)
    assert got[(1.0, 2.0)] == (-1, 0)


def test_new_axes_when_none_given():
    ax = plotting.plot_curves({"a": Series("a", np.arange(2), np.ones((2, 2)))})
    assert ax is not None
    plt.close(ax.figure)


def test_bad_data_type(ax):
    with pytest.raises(TypeError, match=r"data must be a Study, a Series or a dict"):
        plotting.plot_curves([1, 2], ax=ax)
