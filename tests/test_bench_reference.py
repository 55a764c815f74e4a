"""``bench --reference``: a stand-in reference file, our quick runs."""

import re

import pytest

from tabular_mbrl import bench_reference
from tabular_mbrl.__main__ import main

# A stand-in for the chapter 8 maze code: the figure functions, Figure 8.2
# with the reference's 10 runs (the driver must make them 30), figures saved
# under IMAGE_DIR.
STAND_IN = """
import os
IMAGE_DIR = None

class DynaParams:
    def __init__(self):
        self.runs = 10

def figure_8_2():
    runs = 10
    if runs != 30:
        raise SystemExit("figure_8_2 ran with %d runs" % runs)
    open(os.path.join(IMAGE_DIR, "figure_8_2.png"), "w").write("x")

def figure_8_4():
    sum(range(10**5))
    open(os.path.join(IMAGE_DIR, "figure_8_4.png"), "w").write("x")

def figure_8_5():
    import tqdm
    for _ in tqdm.tqdm(range(3)):
        pass
"""


def test_a_file_that_is_not_the_reference_is_refused_in_one_line(tmp_path, capsys):
    missing = tmp_path / "maze.py"
    assert main(["bench", "--reference", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"tabular-mbrl: error: --reference {str(missing)!r}: no such file\n"
    )
    with pytest.raises(
        ValueError, match=re.escape(f"--reference {str(tmp_path)!r} is not a file")
    ):
        bench_reference.check_reference(tmp_path)
    missing.write_text("def figure_8_2():\n    pass\n")
    with pytest.raises(ValueError, match="defines no figure_8_4, figure_8_5: it"):
        bench_reference.check_reference(missing)


@pytest.mark.slow
def test_pairs_alternate_and_give_ratios_of_cpu_seconds(tmp_path, monkeypatch):
    reference = tmp_path / "maze.py"
    reference.write_text(STAND_IN)
    quick = ["run", "fig-8-3", "--quick"]
    monkeypatch.setattr(
        bench_reference,
        "CASES",
        {"fig8.2": ("figure_8_2", quick, 40.0, (0, 1))},
    )
    seen = []
    rows = bench_reference.compare(
        reference, cases=("fig8.2",), progress=lambda *a: seen.append(a)
    )
    assert seen == [("fig8.2 pair 1", 1, 2), ("fig8.2 pair 2", 2, 2)]
    two = rows[0]
    assert len(two["reference_cpu"]) == len(two["ours_cpu"]) == 2
    ratios = [r / o for r, o in zip(two["reference_cpu"], two["ours_cpu"], strict=True)]
    assert two["ratio"] == (
        min(ratios),
        sorted(ratios)[0] / 2 + sorted(ratios)[1] / 2,
        max(ratios),
    )
    assert all(mib > 10 for mib in two["ours_mib"] + two["reference_mib"])
    table = bench_reference.format_rows(rows).splitlines()
    assert table[0].split()[:4] == ["case", "pairs", "reference", "s"]
    assert table[2].startswith("fig8.2 ") and len(table) == 4  # and the legend
    # The stand-in does next to nothing: far from 40x faster than it, ours misses.
    assert "MISS 40x" in table[2]
    # A reference that fails stops the bench (it runs first in a first pair).
    reference.write_text(STAND_IN.replace("runs = 10", "runs = 11"))
    with pytest.raises(
        RuntimeError,
        match=r"failed \(exit 1\): the reference's figure_8_2 does not set "
        r"'runs = 10'$",
    ):
        bench_reference.compare(reference, cases=("fig8.2",), pairs=1)


@pytest.mark.parametrize("set_here, inherited", [(True, "None"), (False, "1")])
def test_each_program_runs_in_the_users_environment(
    monkeypatch, tmp_path, set_here, inherited
):
    """The one BLAS thread this command line set for itself is not handed to
    the programs it times; one the user set is."""
    import sys

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setattr(bench_reference, "BLAS_THREADS_SET", set_here)
    # The child exits with its setting as its message: the error quotes it.
    command = [
        sys.executable,
        "-c",
        "import os, sys; sys.exit(str(os.environ.get('OPENBLAS_NUM_THREADS')))",
    ]
    with pytest.raises(RuntimeError, match=rf"failed \(exit 1\): {inherited}$"):
        bench_reference._measured(command, str(tmp_path))
