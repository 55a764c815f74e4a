"""Lecture 1: Q-learning, with the agent-environment loop written out.

Sutton & Barto, section 6.5 (Q-learning) on Example 6.6 (cliff walking).
Model-free: every improvement costs a real step. The lines printed under the
figure are computed from the run: a claim (its verdict before the colon), then
observations, which hold by construction and so decide nothing. Run:

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


#: The return plot's lowest value; episodes below it are counted and said.
FLOOR = -200


def run(config: Config):
    """Train Q-learning for ``n_episodes``: the env, the agent and each
    episode's return."""
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
    return env, agent, np.array(returns)


def claims(result) -> list[str]:
    """What the lecture claims, computed from the run: its verdict (the words
    before the colon) chosen by the numbers after it. The greedy policy's
    path is measured on the true model, so a run that has not learned fails
    it."""
    env, agent, _ = result
    shortest = tm.shortest_path_length(env.model(), env.start_state)
    greedy = tm.greedy_path_length(agent.q, env.model(), env.start_state)
    learns = "learns" if greedy == shortest else "misses"
    walks = "never reaches the goal" if greedy is None else f"walks {greedy} steps"
    return [
        f"Q-learning {learns} the shortest path: "
        f"its greedy policy {walks}, the shortest path {shortest}.",
    ]


def observations(result) -> list[str]:
    """What the run shows that could not have come out otherwise (no verdict):
    any exploratory step near the cliff lowers the epsilon-greedy return, and
    Q-learning makes no planning update by its definition."""
    env, agent, returns = result
    shortest = tm.shortest_path_length(env.model(), env.start_state)
    return [
        f"On the way, the epsilon-greedy return of the last 50 episodes was "
        f"{returns[-50:].mean():.1f}, the greedy path's {-shortest} (random steps "
        f"next to the cliff fall off).",
        f"Model-free, so {agent.n_real_steps:,} real steps and "
        f"{agent.n_planning_updates} planning updates; {(returns < FLOOR).sum()} of "
        f"{len(returns)} returns were below {FLOOR}, under the plot's floor.",
    ]


def main(config: Config):
    result = run(config)
    for line in claims(result) + observations(result):
        print(line)
    env, agent, returns = result
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.5))
    left.plot(np.arange(1, len(returns) + 1), np.maximum(returns, FLOOR))
    left.set(
        xlabel="episode",
        ylabel=f"return (below {FLOOR} drawn at {FLOOR})",
        title="Q-learning on the cliff",
        ylim=(FLOOR, 0),
    )
    plot_policy(env, agent.q, ax=right)
    right.set_title("greedy policy and max Q")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    run_lecture(main, Config(), __file__, quick=QUICK)
