"""Bug: every call of bonus() (a planning step) advances the clock, so tau
counts planning steps instead of real steps."""

import math


class ExplorationBonus:
    def __init__(self, n_states, n_actions, kappa):
        self.kappa = kappa
        self.steps = 0
        self.last = {}

    def observe(self, state, action):
        self.steps += 1
        self.last[(state, action)] = self.steps

    def bonus(self, state, action):
        value = self.kappa * math.sqrt(self.steps - self.last.get((state, action), 0))
        self.steps += 1
        return value
