"""How much faster `verifier run --workers N` is than `--workers 1`, measured in the same run.

    python benchmarks/parallel_speedup.py [--workers N] [PATH ...]

Each mode runs as a fresh `python -m verifier run` process (start-up, imports and loading
included, as a user sees it) on the shipped suite by default; the script prints the
serial time, the parallel time, their ratio, and checks that both JSON reports hold the
same results in the same order (times aside). Run it on an otherwise idle machine: other
processes on the same cores distort the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, installed or not


def timed_run(workers: int, paths: list[str], report: Path) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                   os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "verifier", "run", "-qq", "--no-progress",
               "--workers", str(workers), "--json", str(report), *paths]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return seconds


def results_without_times(report: Path) -> list[dict]:
    rows = json.loads(report.read_text())["results"]
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def main() -> int:
    from verifier.parallel import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, {default_workers()} usable; load average before: {load:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        serial_report, parallel_report = Path(tmp, "serial.json"), Path(tmp, "parallel.json")
        serial = timed_run(1, args.paths, serial_report)
        print(f"serial   (--workers 1): {serial:7.2f} s")
        parallel = timed_run(args.workers, args.paths, parallel_report)
        print(f"parallel (--workers {args.workers}): {parallel:7.2f} s")
        print(f"speedup: {serial / parallel:.2f}x")
        serial_rows = results_without_times(serial_report)
        parallel_rows = results_without_times(parallel_report)
        same = serial_rows == parallel_rows
        print(f"results identical ({len(serial_rows)} rows): {'yes' if same else 'NO'}")
        differing = [(a, b) for a, b in zip(serial_rows, parallel_rows) if a != b]
        for a, b in differing[:5]:
            print(f"  serial:   {a}\n  parallel: {b}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
