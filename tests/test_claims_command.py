"""``tabular-mbrl claims``: the verdicts of lectures' claims counted over seeds."""

import pytest

from tabular_mbrl.__main__ import main
from tabular_mbrl.course import claims

LECTURE = """
from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    seed: int = 0


def run(config):
    return config.seed


def claims(seed):
    lines = [f"Seeds are {'even' if seed % 2 == 0 else 'odd'}: seed {seed}."]
    if seed > 2:
        lines.append("Large seeds (above 2) get a second sentence.")
    return lines
"""


def test_the_verdict_is_before_the_colon_or_the_parenthesis():
    assert claims.verdict("MPC wins: 12 against 40.") == "MPC wins"
    assert claims.verdict("Due to compute (95 % intervals). More: x") == (
        "Due to compute (95 % intervals). More"
    )
    assert claims.verdict("Due to compute; nothing else (95 % intervals).") == (
        "Due to compute; nothing else"
    )


def test_tally_counts_each_verdict_per_sentence(tmp_path):
    script = tmp_path / "99_demo.py"
    script.write_text(LECTURE)
    (tally,) = claims.tally([script], range(5))
    assert tally.seeds == (0, 1, 2, 3, 4)
    assert tally.verdicts[0] == {"Seeds are even": 3, "Seeds are odd": 2}
    assert tally.verdicts[1] == {
        "(not printed)": 3,
        "Large seeds": 2,  # before the parenthesis: no colon
    }
    assert tally.lines()[1] == "  1. 3/5 'Seeds are even'; 2/5 'Seeds are odd'"


def test_lectures_are_chosen_by_number():
    chosen = claims.lectures(["2", "11"])
    assert [p.name[:2] for p in chosen] == ["02", "11"]
    with pytest.raises(ValueError, match="no lecture 99; there are 01, 02"):
        claims.lectures(["99"])


def test_a_bad_lecture_number_is_one_line_and_exit_2(capsys):
    assert main(["claims", "--lectures", "02,99", "--seeds", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tabular-mbrl: error: --lectures: lectures == '02,99'")
    assert err.count("\n") == 1
    assert main(["claims", "--seeds", "0"]) == 2


@pytest.mark.slow
def test_claims_runs_a_lecture_at_fresh_seeds(capsys):
    assert main(["claims", "--lectures", "08", "--seeds", "2", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "08_model_errors.py (seeds 1000-1001):"
    assert all(line.startswith(f"  {i}. ") for i, line in enumerate(out[1:], 1))
