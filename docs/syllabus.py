# ruff: noqa: E501  (a table, one row per line)
"""The README's syllabus: lecture, idea, exercise, book section, and the time at
its defaults (from ``tabular_mbrl/studies/timings.json``, measured by
``docs/update_timings.py``). ``docs/update_readme.py`` writes it between the
README's syllabus markers; ``tests/test_readme.py`` checks that it is current.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = ROOT / "tabular_mbrl" / "studies" / "timings.json"
BEGIN, END = "<!-- syllabus: begin -->", "<!-- syllabus: end -->"

#: script -> (the idea in a few words, the exercises that go with it, the book).
SYLLABUS = {
    "01_q_learning.py": ("the agent-env loop; model-free Q-learning", "ex01, ex02", "§6.5"),
    "02_dyna_q_planning_steps.py": ("a learned model and n planning steps", "ex03, ex04", "§8.2, Fig. 8.2, 8.3"),
    "03_changing_mazes.py": ("when the world changes: Dyna-Q+", "ex05", "§8.3, Fig. 8.4, 8.5"),
    "04_prioritized_sweeping.py": ("backups where values change", "ex08 (bonus)", "§8.4, Ex. 8.4"),
    "05_random_shooting_mpc.py": ("planning at decision time: random shooting", "ex06, ex07", "§8.8, 8.10"),
    "06_goal_change_and_adaptation.py": ("goals on the fly, with matched controls", "", ""),
    "07_model_free_vs_model_based.py": ("where MPC's saving comes from", "", "§8.8"),
    "08_model_errors.py": ("models are imperfect; errors compound", "", ""),
    "09_replanning_vs_open_loop.py": ("replanning absorbs random model error", "", "§8.8"),
    "10_rollouts_and_drift.py": ("imagined trajectories and drift", "", "§8.6"),
    "11_replay_vs_dyna.py": ("Dyna-Q's model and DQN's replay memory", "", ""),
    "12_intermediate_goals.py": ("intermediate goals on the fly", "", ""),
    "13_what_planning_buys.py": ("real steps against model work", "", "§8.2, 8.4, 8.8"),
    "14_simulation_to_real_world.py": ("a model wrong in a systematic way", "", ""),
}  # fmt: skip


def table() -> str:
    """The syllabus as a Markdown table, times from the stored timings."""
    try:
        lectures = json.loads(TIMINGS.read_text())["lectures"]
    except (OSError, ValueError, KeyError):
        lectures = {}
    scripts = sorted(p.name for p in (ROOT / "lectures").glob("[0-9][0-9]_*.py"))
    missing = [s for s in scripts if s not in SYLLABUS]
    if missing:
        raise SystemExit(f"docs/syllabus.py has no row for {', '.join(missing)}")
    lines = [
        "| lecture | idea | exercises | book | time at its defaults |",
        "|---|---|---|---|---|",
    ]
    for script in scripts:
        idea, exercises, book = SYLLABUS[script]
        seconds = lectures.get(script)
        time = "?" if seconds is None else f"{seconds:.0f} s"
        lines.append(f"| `{script}` | {idea} | {exercises} | {book} | {time} |")
    return "\n".join(lines)


def with_syllabus(readme: str) -> str:
    """``readme`` with the syllabus between its markers written again."""
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"
