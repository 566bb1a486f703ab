"""The `verifier run` options of CI gating: --workers, --baseline, --update-baseline.

cli/run_command.py calls the three functions below; everything about these
options lives here:
  add_arguments(parser)                        declares them;
  run_verdicts(cases, args, ...) -> verdicts   runs the cases, in worker processes or not;
  gate(args, verdicts, status, out, err) -> int  holds the run against the baseline and
                                               decides the exit status.

Exit status with --baseline FILE (without --update-baseline): 1 when anything regressed
(see verifier/gate/baseline.py), else 0 -- failures already recorded in the baseline
are printed but tolerated, so a suite can be gated while known failures are fixed.
An invalid case file or command line still exits 2, and so does a missing or
unreadable baseline. With --update-baseline the comparison is printed for
information, FILE is rewritten atomically, and the exit status is the run's own.
"""

from __future__ import annotations

import argparse
import pickle

EXIT_FAILED = 1
EXIT_INVALID = 2


def _worker_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes >= 1, got {text!r}")
    return n


def add_arguments(parser) -> None:
    # Imports stay inside the functions: `verifier --help` must not load numpy or torch.
    from verifier.parallel import default_workers

    parser.add_argument("--workers", type=_worker_count, default=None, metavar="N",
                        help="run cases in N processes (default: the CPU count, "
                             f"{default_workers()} here; 1: in this process). "
                             "Results are identical to a serial run")
    parser.add_argument("--baseline", metavar="FILE",
                        help="hold the run against FILE, an earlier --json report: exit 1 on a "
                             "regression (a row that passed and no longer does, a new failure or "
                             "error, a ULP error past 2x before + 4, a vanished row)")
    parser.add_argument("--update-baseline", action="store_true",
                        help="with --baseline FILE: write this run's report to FILE (atomically)")


def check_arguments(args, err) -> int:
    """0, or EXIT_INVALID after a message when the options do not fit together, or when
    --baseline FILE cannot serve: checked before the run, not after minutes of it."""
    if args.update_baseline and not args.baseline:
        print("verifier: error: --update-baseline needs --baseline FILE (the file to write), "
              "e.g. --baseline ci/baseline.json --update-baseline", file=err)
        return EXIT_INVALID
    if args.baseline and not args.update_baseline:
        # Read (and check) the baseline before the run: a missing, hostile or broken one is
        # exit 2 now, not after an hour of running.  (--update-baseline replaces it.)
        from verifier.gate.baseline import BaselineError, read_baseline
        try:
            args.baseline_rows = read_baseline(args.baseline)
        except BaselineError as exc:
            print(f"verifier: error: --baseline: {exc}", file=err)
            return EXIT_INVALID
    return 0


def prestart_workers(args) -> None:
    """Warm the worker pool's fork server while the parent loads the case files."""
    from verifier.parallel import default_workers, prestart
    prestart(default_workers() if args.workers is None else args.workers)


def run_verdicts(cases, args, on_verdicts, on_start, timeout, toolkit) -> list:
    """Run the cases as asked: in this process (--workers 1, or a single case), else in workers."""
    from verifier.parallel import default_workers, run_cases_parallel
    from verifier.runner import run_cases

    workers = default_workers() if args.workers is None else args.workers
    if workers > 1 and len(cases) > 1 and _picklable(toolkit):
        return run_cases_parallel(cases, args.backend, args.dtype, workers=workers,
                                  on_verdicts=on_verdicts, timeout=timeout, toolkit=toolkit)
    return run_cases(cases, args.backend, args.dtype, on_verdicts=on_verdicts, timeout=timeout,
                     on_start=on_start, toolkit=toolkit)


def _picklable(toolkit) -> bool:
    # A toolkit of lambdas (tests' fakes) cannot reach a worker: run those in this process.
    try:
        pickle.dumps(toolkit)
    except Exception:
        return False
    return True


def gate(args, verdicts, status: int, out, err, cases=()) -> int:
    """Compare with --baseline and decide the exit status (`status` is the run's own).
    `cases` (the run's) give the digests behind the "renamed?" hints."""
    if not args.baseline:
        return status
    from verifier.gate.baseline import (
        BaselineError,
        compare,
        format_comparison,
        read_baseline,
        write_baseline,
    )
    from verifier.gate.renames import case_digests, mark_renames, read_case_digests

    digests = case_digests(cases)
    try:
        before = getattr(args, "baseline_rows", None)
        comparison = mark_renames(compare(read_baseline(args.baseline) if before is None else before,
                                          verdicts),
                                  read_case_digests(args.baseline), digests)
    except BaselineError as exc:
        if not args.update_baseline:
            print(f"verifier: error: {exc}", file=err)
            return EXIT_INVALID
        comparison = None  # writing the first baseline
    if comparison is not None:
        print(format_comparison(comparison, args.baseline), file=out)
    if not args.update_baseline:
        return status if status == EXIT_INVALID else (EXIT_FAILED if comparison.regressions else 0)
    if status == EXIT_INVALID:
        print(f"verifier: not updating {args.baseline}: fix the case files above first", file=err)
        return status
    write_baseline(args.baseline, verdicts, digests)
    print(f"baseline {args.baseline}: written ({len(verdicts)} rows)", file=out)
    return status
