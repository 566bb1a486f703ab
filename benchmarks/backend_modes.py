"""The differentiation paths on the shipped suite: time of each relative to its reverse mode.

Run: python benchmarks/backend_modes.py [--rounds N] [-k TEXT]

Every backend runs every selected shipped case at float64 (the oracle is not
run: only the backends' own work is timed).  Rounds interleave the backends so
that all see the same machine state; a first untimed round pays the one-time
costs (torch loads its forward-mode decompositions on first use).  Printed:
the median over rounds of each backend's total, and its ratio to `torch`
(torch's paths) or to `engine` (the engine's forward mode).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verifier.backends.available import all_backends  # noqa: E402
from verifier.cases.loader import load_paths, shipped_suite  # noqa: E402
from verifier.cli.selection import select_cases  # noqa: E402

PAIRS = {"torch-fwd": "torch", "torch-func": "torch", "torch-vmap": "torch",
         "engine-fwd": "engine", "torch": "torch", "engine": "engine"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-k", default=None, help="select cases by name or tag")
    args = parser.parse_args()
    cases = select_cases(load_paths([shipped_suite()]).cases, args.k)
    table = all_backends()
    totals: dict[str, list[float]] = {name: [] for name in PAIRS}
    for round_ in range(args.rounds + 1):
        for name in PAIRS:
            started = time.perf_counter()
            for case in cases:
                table[name].run(case, "float64")
            if round_:  # round 0 pays the one-time costs
                totals[name].append(time.perf_counter() - started)
    print(f"{len(cases)} cases at float64, median of {args.rounds} rounds")
    for name, reference in PAIRS.items():
        median = statistics.median(totals[name])
        ratio = median / statistics.median(totals[reference])
        print(f"  {name:<11} {median:7.2f} s   {ratio:5.1f}x {reference}")


if __name__ == "__main__":
    main()
