"""Measure every experiment and every lecture at its defaults, as whole
processes, and store the times with the registry
(``tabular_mbrl/studies/timings.json``): ``tabular-mbrl list`` shows them, a
run that will take over a minute says so before it starts, and the README's
syllabus gives the lectures'. Run from anywhere (it takes minutes):

    python docs/update_timings.py [NAME ...]

With names, only those experiments are measured again; the others keep their
stored times. One process at a time: times are wall seconds on this machine.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tabular_mbrl._files import write_atomically  # noqa: E402
from tabular_mbrl.studies import STUDIES  # noqa: E402
from tabular_mbrl.studies.registry import TIMINGS  # noqa: E402


def seconds(command: list[str], cwd: str) -> float:
    """Wall seconds of one whole process."""
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=environment, check=True, capture_output=True)
    return round(time.perf_counter() - started, 1)


def main(names: list[str]) -> None:
    stored = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    experiments = dict(stored.get("experiments", {}))
    lectures = dict(stored.get("lectures", {}))
    with tempfile.TemporaryDirectory() as folder:
        for name in names or list(STUDIES):
            command = [sys.executable, "-m", "tabular_mbrl", "run", name, "--quiet"]
            experiments[name] = seconds([*command, "--out", folder], folder)
            print(f"{name}: {experiments[name]} s", flush=True)
        if not names:
            for script in sorted((ROOT / "lectures").glob("[0-9][0-9]_*.py")):
                lectures[script.name] = seconds([sys.executable, str(script)], folder)
                print(f"{script.name}: {lectures[script.name]} s", flush=True)
    data = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "experiments": experiments,
        "lectures": lectures,
    }
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    write_atomically(TIMINGS, lambda handle: handle.write(text))
    print(f"wrote {TIMINGS}")


if __name__ == "__main__":
    unknown = [name for name in sys.argv[1:] if name not in STUDIES]
    if unknown:  # --help included: the docstring says how to call it
        sys.exit(
            f"{__doc__}\nunknown experiment(s): {', '.join(unknown)}; "
            f"known: {', '.join(STUDIES)}"
        )
    main(sys.argv[1:])
