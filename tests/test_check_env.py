"""check_env passes on good envs and catches deliberately broken ones."""

import dataclasses
import itertools

import pytest

import gridworlds
from gridworlds import EnvCheckError, GridWorld, check_env

MAZE = gridworlds.registry.DYNA_MAZE


class BadProbabilities(GridWorld):
    def model(self):
        m = super().model()
        return dataclasses.replace(m, probs=m.probs * 0.9)


class WrongReward(GridWorld):
    def step(self, action):
        state, reward, terminated, truncated, info = super().step(action)
        return state, reward + 1.0, terminated, truncated, info


class IgnoresSlip(GridWorld):
    """Claims slip in its model but always makes the intended move."""

    def step(self, action):
        slip, self.slip = self.slip, 0.0
        try:
            return super().step(action)
        finally:
            self.slip = slip


class IgnoresSeed(GridWorld):
    """Seeds itself with a seed of its own, a new one at every seeded reset of
    any copy (the checker works on copies), from a seeded counter: two seeded
    resets never get the same seed, so the check never passes by chance."""

    seeds = itertools.count(1000, 7919)

    def reset(self, *, seed=None, options=None):
        return super().reset(
            seed=None if seed is None else next(IgnoresSeed.seeds), options=options
        )


class KeepsGoing(GridWorld):
    def step(self, action):
        self._done = False
        return super().step(action)


class DrawsTheAgentAsA(GridWorld):
    def render(self):
        row, col = self.to_cell(self.state)
        lines = [list(line) for line in self.layout.splitlines()]
        lines[row][col] = "A"
        return "\n".join("".join(line) for line in lines)


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (
            BadProbabilities,
            {},
            r"expected non-negative and summing to 1, found \[0.9\]",
        ),
        (
            WrongReward,
            {},
            r"expected an outcome of .* found \(next_state=\d+, reward=1.0",
        ),
        (
            IgnoresSlip,
            {"slip": 0.5},
            r"with probability 0.625 .* found frequency 1.000",
        ),
        (
            IgnoresSeed,
            {"slip": 0.5},
            r"reset\(seed=\d+\) twice with the same actions: "
            r"expected the same rollout",
        ),
        (KeepsGoing, {}, r"step\(\) after the episode ended: expected an error"),
        (
            DrawsTheAgentAsA,
            {},
            r"parse_layout\(env.render\(\)\): expected the layout, "
            r"found an error: unknown map character 'A'",
        ),
    ],
)
def test_broken_envs_are_caught(cls, kwargs, message):
    with pytest.raises(EnvCheckError, match=message):
        check_env(cls(MAZE, **kwargs))


def test_every_violation_is_reported():
    class TwoBugs(KeepsGoing, DrawsTheAgentAsA):
        pass

    with pytest.raises(EnvCheckError) as info:
        check_env(TwoBugs(MAZE))
    assert len(info.value.violations) == 2
    assert "check_env found 2 problem(s)" in str(info.value)


def test_check_env_leaves_the_env_alone():
    env = gridworlds.make("blocking_maze", change_at=50)
    check_env(env)
    assert env.total_steps == 0 and env.state is None and not env.changed
