"""Run every ``benchmarks/bench_*.py`` module (or the ones named) and print their reports.

Each module defines ``main(quick: bool) -> None``. Figures are reported as
ratios against a reference measured in the same run, since machines are noisy.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("names", nargs="*", help="e.g. recurrence conflicts (default: all)")
    args = parser.parse_args(argv)
    here = Path(__file__).parent
    found = sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([str(here)])
        if info.name.startswith("bench_")
    )
    chosen = args.names or found
    unknown = sorted(set(chosen) - set(found))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {found}")
    for name in chosen:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"\n=== {name} ===", flush=True)
        module.main(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
