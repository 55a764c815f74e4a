"""``python -m tabular_mbrl``: the command-line entry point."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Print what the package contains."""
    import gridworlds
    import tabular_mbrl

    print(f"tabular_mbrl {tabular_mbrl.__version__}")
    print("environments (gridworlds.make):", ", ".join(gridworlds.names()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
