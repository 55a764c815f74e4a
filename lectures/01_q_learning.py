"""Lecture 1: Q-learning, with the agent-environment loop written out.

Sutton & Barto, section 6.5 (Q-learning) on Example 6.6 (cliff walking).
Model-free: every improvement costs a real step. Run:

    python lectures/01_q_learning.py [--show] [--quick]
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import gridworlds
import tabular_mbrl as tm
from tabular_mbrl.course import run_lecture
from tabular_mbrl.plotting import plot_policy


@dataclass(frozen=True)
class Config:
    env_name: str = "cliff_walking"  # a registered gridworld (gridworlds.names())
    n_episodes: int = 300  # episodes of real experience
    alpha: float = 0.5  # step size
    gamma: float = 1.0  # undiscounted, as in Example 6.6
    epsilon: float = 0.1  # exploration of the behaviour policy
    seed: int = 0  # one seed for the env and the agent


#: A reduced budget for a preview in seconds (``--quick``; the tests run it).
QUICK = Config(n_episodes=20)


def main(config: Config):
    env = gridworlds.make(config.env_name)
    agent = tm.QLearningAgent(
        env.n_states,
        env.n_actions,
        alpha=config.alpha,
        gamma=config.gamma,
        epsilon=config.epsilon,
        rng=config.seed,
    )
    returns = []
    for episode in range(config.n_episodes):
        # The loop every RL algorithm shares: observe, act, learn, repeat.
        state, _ = env.reset(seed=config.seed if episode == 0 else None)
        total, terminated, truncated = 0.0, False, False
        while not (terminated or truncated):
            action = agent.select_action(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            state, total = next_state, total + reward
        returns.append(total)
    print(
        f"real steps: {agent.n_real_steps}, planning updates: "
        f"{agent.n_planning_updates} (model-free: none)"
    )
    print(f"mean return of the last 50 episodes: {np.mean(returns[-50:]):.1f}")

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.5))
    left.plot(np.arange(1, len(returns) + 1), returns)
    left.set(
        xlabel="episode",
        ylabel="return",
        title="Q-learning on the cliff",
        ylim=(-200, 0),
    )
    plot_policy(env, agent.q, ax=right)
    right.set_title("greedy policy and max Q")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
