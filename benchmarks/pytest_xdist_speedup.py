"""How much faster the pytest plugin is under pytest-xdist (`-n N`) than serial, measured
in the same run, and how many times each case ran (once is correct).

    python benchmarks/pytest_xdist_speedup.py [-n N] [--dist load|loadgroup] [PATH ...]

Each mode is a fresh `python -m pytest` process on the shipped suite's case files by
default (start-up, imports and collection included, as a user sees it).  A conftest in a
temporary folder logs every run of a case with its process id.  Run it on an otherwise idle
machine: other processes on the same cores distort the ratio.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COUNTING_CONFTEST = """
import os
import verifier.runner as runner

_run_case = runner.run_case

def counting(case, *args, **kwargs):
    with open(os.environ["CASE_RUN_LOG"], "a") as log:
        log.write(f"{os.getpid()} {case.name}\\n")
    return _run_case(case, *args, **kwargs)

runner.run_case = counting
"""


def timed_pytest(folder: Path, files: list[Path], extra: list[str], log: Path) -> float:
    env = dict(os.environ, CASE_RUN_LOG=str(log),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-p", "no:unraisableexception", *extra, *map(str, files)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr}")
    return seconds


def runs_per_case(log: Path) -> tuple[int, int, int]:
    """(cases, runs, worker processes) from a run log."""
    lines = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    counts = collections.Counter(name for _, name in lines)
    return len(counts), sum(counts.values()), len({pid for pid, _ in lines})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", dest="workers", type=int, default=2)
    parser.add_argument("--dist", default="load", choices=("load", "loadgroup"))
    parser.add_argument("paths", nargs="*", help="case files (default: the shipped suite)")
    args = parser.parse_args()
    files = [Path(p).resolve() for p in args.paths] or sorted((ROOT / "cases").glob("*.yaml"))
    import pytest
    import xdist

    with tempfile.TemporaryDirectory() as tmp:
        # The case files are copied beside the counting conftest and an ini file, so that
        # pytest roots the session there (and not in a project that holds the files).
        folder = Path(tmp)
        (folder / "pytest.ini").write_text("[pytest]\n")
        (folder / "conftest.py").write_text(COUNTING_CONFTEST)
        copies = []
        for i, file in enumerate(files):
            copies.append(folder / f"{i:02d}_{file.name}")
            copies[-1].write_text(file.read_text())
        files = copies
        serial_log, parallel_log = folder / "serial.log", folder / "parallel.log"
        serial = timed_pytest(folder, files, [], serial_log)
        parallel = timed_pytest(folder, files, ["-n", str(args.workers), "--dist", args.dist],
                                parallel_log)
        print(f"pytest {pytest.__version__}, pytest-xdist {xdist.__version__}, "
              f"{len(files)} case files, {os.cpu_count()} CPUs")
        for label, seconds, log in (("serial", serial, serial_log),
                                    (f"-n {args.workers} --dist {args.dist}", parallel, parallel_log)):
            cases, runs, workers = runs_per_case(log)
            print(f"  {label:<22} {seconds:7.1f} s   {cases} cases, {runs} runs, "
                  f"{workers} process(es)")
        print(f"  speedup: {serial / parallel:.2f}x")


if __name__ == "__main__":
    main()
