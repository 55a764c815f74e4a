"""Tests of exercise 5 (10 points), on a recorded trace of real steps."""

import math

import pytest

from tabular_mbrl.course import points, submission

ex = submission("ex05_dyna_q_plus_bonus")

TRACE = [(0, 0), (0, 1), (1, 0), (0, 0), (2, 1)]  # five real steps


def after(trace, kappa=0.5):
    bonus = ex.ExplorationBonus(3, 2, kappa)
    for state, action in trace:
        bonus.observe(state, action)
    return bonus


@points(1)
def test_no_bonus_before_any_real_step():
    assert after([]).bonus(1, 1) == 0.0


@points(3)
def test_bonus_hand_computed():
    bonus = after(TRACE)  # time 5; (0,0) last tried at 4, (0,1) at 2, (1,0) at 3
    assert bonus.bonus(0, 0) == pytest.approx(0.5 * math.sqrt(1))
    assert bonus.bonus(0, 1) == pytest.approx(0.5 * math.sqrt(3))
    assert bonus.bonus(1, 0) == pytest.approx(0.5 * math.sqrt(2))


@points(2)
def test_trying_a_pair_resets_its_bonus():
    assert after(TRACE).bonus(2, 1) == 0.0


@points(2)
def test_never_tried_pairs_count_from_the_start():
    assert after(TRACE).bonus(1, 1) == pytest.approx(0.5 * math.sqrt(5))


@points(2)
def test_planning_does_not_move_time():
    bonus = after(TRACE)
    values = [bonus.bonus(0, 1) for _ in range(100)]  # 100 planning backups
    assert values == [values[0]] * 100, "the bonus changed while only planning"
    bonus.observe(2, 0)  # one more real step
    assert bonus.bonus(0, 1) == pytest.approx(0.5 * math.sqrt(4))
