"""``tabular-mbrl bench --reference FILE``: our figures against a reference
implementation of the book's chapter 8, side by side, as whole processes.

The reference is a ``maze.py`` with ``figure_8_2``, ``figure_8_4`` and
``figure_8_5`` functions that save their figures under ``../images`` (the
layout of the widely used companion code of Sutton & Barto); it is not part
of this package: pass its path. Each pair runs the reference's figure and our
``tabular-mbrl run`` of the same figure, one after the other (the order
alternates), on the same interpreter; a ratio is the reference's CPU seconds
over ours (user + system of the whole process: imports, plotting and
writing included), and the memory ratio is our peak resident memory over the
reference's.

The reference runs its own defaults but for Figure 8.2, where its ``runs =
10`` becomes the book's 30 (the text is changed in memory, never on disk).
``tqdm`` is replaced by a pass-through, so its progress bars cost nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ._processes import BLAS_THREADS_SET

#: Case -> (the reference's function, our CLI arguments, target ratio, seeds
#: of ours: one pair per seed).
CASES = {
    "fig8.2": ("figure_8_2", ["run", "dyna-maze"], 40.0, (0, 1, 2, 3, 4)),
    "fig8.4": (
        "figure_8_4",
        ["run", "blocking-maze", "--only", "Dyna-Q,Dyna-Q+", "--runs", "20"],
        30.0,
        (0, 1, 2),
    ),
    "fig8.5": (
        "figure_8_5",
        ["run", "shortcut-maze", "--only", "Dyna-Q,Dyna-Q+", "--runs", "5"],
        30.0,
        (0, 1, 2),
    ),
}

#: Our peak memory may be at most this many times the reference's.
MEMORY_TARGET = 1.2

# Runs in a fresh interpreter: loads the reference from its text (Figure 8.2
# at the book's 30 runs), with tqdm as a pass-through, and calls one figure.
_DRIVER = r"""
import sys, types
path, function, images = sys.argv[1:4]
tqdm = types.ModuleType("tqdm")
tqdm.tqdm = lambda iterable, *args, **kwargs: iterable
sys.modules["tqdm"] = tqdm
source = open(path, encoding="utf-8").read()
if function == "figure_8_2":
    start = source.index("def figure_8_2(")
    end = source.find("\ndef ", start)
    end = len(source) if end < 0 else end
    body = source[start:end]
    if body.count("runs = 10\n") != 1:
        sys.exit("the reference's figure_8_2 does not set 'runs = 10'")
    source = source[:start] + body.replace("runs = 10\n", "runs = 30\n") + source[end:]
module = types.ModuleType("reference")
module.__file__ = path
exec(compile(source, path, "exec"), module.__dict__)
module.IMAGE_DIR = images
getattr(module, function)()
"""


def _measured(command: list[str], cwd: str) -> tuple[float, float]:
    """(CPU seconds, peak MiB) of one whole process, from ``wait4``. Its
    standard error goes to a file (a pipe read only after ``wait4`` would
    stall a process that writes more than the pipe holds)."""
    with tempfile.TemporaryFile() as errors:
        # Each program in the user's environment: the reference without the
        # BLAS setting this command line made for itself (ours makes it again).
        env = dict(os.environ)
        if BLAS_THREADS_SET:
            env.pop("OPENBLAS_NUM_THREADS", None)
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        lines = errors.read().decode(errors="replace").strip().splitlines()
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:4])} ... failed (exit {process.returncode}): "
            f"{lines[-1] if lines else 'no message'}"
        )
    # ru_maxrss is in KiB on Linux.
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def check_reference(path: str | os.PathLike) -> Path:
    """The reference file, or ``ValueError`` saying why it cannot be one."""
    file = Path(path)
    if not file.exists():
        raise ValueError(f"--reference {str(path)!r}: no such file")
    if not file.is_file():
        raise ValueError(f"--reference {str(path)!r} is not a file")
    text = file.read_text(encoding="utf-8", errors="replace")
    missing = [f for f, *_ in CASES.values() if f"def {f}(" not in text]
    if missing:
        raise ValueError(
            f"--reference {str(path)!r} defines no {', '.join(missing)}: "
            "it must be the chapter 8 maze code with the figure functions"
        )
    return file.resolve()


def compare(
    reference: str | os.PathLike,
    *,
    cases: tuple[str, ...] = tuple(CASES),
    pairs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[dict]:
    """One row per case: the CPU seconds and peak MiB of every pair, and the
    ratios (min, median, max of reference / ours, per pair). ``pairs`` caps
    the pairs per case (default: one per seed of :data:`CASES`)."""
    file = check_reference(reference)
    rows = []
    total = sum(len(CASES[c][3][:pairs]) for c in cases)
    done = 0
    for case in cases:
        function, args, target, seeds = CASES[case]
        ours_cpu, ref_cpu, ours_mib, ref_mib = [], [], [], []
        for k, seed in enumerate(seeds[:pairs]):
            with tempfile.TemporaryDirectory() as work:
                images = os.path.join(work, "images")
                os.mkdir(images)
                ref = [sys.executable, "-c", _DRIVER, str(file), function, images]
                own = [sys.executable, "-m", "tabular_mbrl", *args]
                own += ["--seed", str(seed), "--quiet", "--out", work]
                pair = [("reference", ref), ("ours", own)]
                if k % 2:  # every other pair, ours first
                    pair.reverse()
                timed = {who: _measured(command, work) for who, command in pair}
            ref_cpu.append(timed["reference"][0])
            ref_mib.append(timed["reference"][1])
            ours_cpu.append(timed["ours"][0])
            ours_mib.append(timed["ours"][1])
            done += 1
            if progress is not None:
                progress(f"{case} pair {k + 1}", done, total)
        ratios = [r / o for r, o in zip(ref_cpu, ours_cpu, strict=True)]
        rows.append(
            {
                "case": case,
                "reference_cpu": ref_cpu,
                "ours_cpu": ours_cpu,
                "reference_mib": ref_mib,
                "ours_mib": ours_mib,
                "ratio": (min(ratios), statistics.median(ratios), max(ratios)),
                "target": target,
                "memory_ratio": max(ours_mib) / max(ref_mib),
            }
        )
    return rows


def format_rows(rows: list[dict]) -> str:
    """The rows as a text table with each target's verdict."""
    header = (
        f"{'case':<8}{'pairs':>6}{'reference s':>13}{'ours s':>9}"
        f"{'ratio min/median/max':>24}{'target':>9}{'memory':>9}{'target':>9}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        low, mid, high = row["ratio"]
        ok = "ok" if mid >= row["target"] else "MISS"
        memory = row["memory_ratio"]
        mem_ok = "ok" if memory <= MEMORY_TARGET else "MISS"
        spread = f"{low:.1f} / {mid:.1f} / {high:.1f}x"
        target = f"{ok} {row['target']:.0f}x"
        lines.append(
            f"{row['case']:<8}{len(row['ours_cpu']):>6}"
            f"{statistics.median(row['reference_cpu']):>13.1f}"
            f"{statistics.median(row['ours_cpu']):>9.2f}"
            f"{spread:>24}{target:>9}"
            f"{memory:>8.2f}x{f'{mem_ok} {MEMORY_TARGET}x':>9}"
        )
    lines.append(
        "CPU seconds of whole processes (medians); ratio = reference / ours per "
        "pair; memory = our peak / the reference's"
    )
    return "\n".join(lines)
