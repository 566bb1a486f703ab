"""`verifier run [PATH ...]`: run the cases, print the table, write the reports."""

from __future__ import annotations

import sys
import time

from verifier.cli.common import (
    EXIT_INVALID,
    add_keyword,
    add_paths,
    exit_status,
    load,
    print_problems,
)
from verifier.cli.reports import report_targets_invalid, write_reports
from verifier.cli.selection import SelectionError, select_cases
from verifier.cli.timeout_option import timeout_seconds
from verifier.float_formats import RUN_DTYPES
from verifier.gate import options as gate_options

DTYPES = RUN_DTYPES


def add_backend_options(parser) -> None:
    """--backend, --dtype, --timeout: shared by `run` and `show`."""
    parser.add_argument("--backend", action="append", metavar="NAME",
                        help="run only this backend (repeatable): engine, engine-fwd, torch, "
                             "torch-fwd, torch-func, torch-vmap, torch-compile, torch-cuda (and "
                             "the -cuda twins of torch's modes), sympy, fd; default every one "
                             "but torch-compile (slow: opt-in) and the CUDA ones without CUDA")
    parser.add_argument("--dtype", action="append", choices=DTYPES,
                        help="run numeric backends only at this dtype (repeatable)")
    parser.add_argument("--timeout", type=timeout_seconds, default=None, metavar="S",
                        help="time limit of one case in seconds (default 60; 0: no limit; at most "
                             "a week): for the numeric backends, and as much again for the exact "
                             "oracle; a case's timeout: key overrides it")


def add_arguments(parser) -> None:
    add_paths(parser)
    add_keyword(parser)
    add_backend_options(parser)
    parser.add_argument("--json", metavar="FILE", help="write the JSON report to FILE")
    parser.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report to FILE")
    parser.add_argument("-q", "--quiet", action="count", default=0,
                        help="no table: failures and the summary line only (-qq: the line only)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="also detail xfail, xpass and diverged rows")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar, even on a terminal")
    gate_options.add_arguments(parser)  # --workers, --baseline, --update-baseline


def check_backends(requested: list[str] | None, err) -> tuple[dict | None, int]:
    """The backend table, or None (after a message) when a requested name is unknown."""
    from verifier.runner import real_toolkit, select_backends

    toolkit = real_toolkit()
    try:
        select_backends(toolkit.backends(), requested)
    except ValueError as exc:
        print(f"verifier: error: --backend: {exc}", file=err)
        return None, EXIT_INVALID
    return toolkit, 0


def timeout_of(args) -> float | None:
    from verifier.runner import DEFAULT_TIMEOUT
    return DEFAULT_TIMEOUT if args.timeout is None else (args.timeout or None)


def execute(args) -> int:
    out, err = sys.stdout, sys.stderr
    started = time.perf_counter()
    if gate_options.check_arguments(args, err) or report_targets_invalid(args, err):
        return EXIT_INVALID
    gate_options.prestart_workers(args)
    loaded = load(args.paths)
    print_problems(loaded.problems, err)
    try:
        cases = select_cases(loaded.cases, args.keyword)
    except SelectionError as exc:
        print(f"verifier: error: {exc}", file=err)
        return EXIT_INVALID
    if not cases:
        what = f"matches -k {args.keyword!r}" if args.keyword else "was found"
        print(f"verifier: error: no case {what} in {', '.join(args.paths) or 'the shipped suite'}",
              file=err)
        return EXIT_INVALID
    toolkit, status = check_backends(args.backend, err)
    if toolkit is None:
        return status

    from verifier.report.progress import Progress
    from verifier.runner import summarize

    progress = Progress(len(cases), stream=err, enabled=False if args.no_progress else None)
    try:
        verdicts = gate_options.run_verdicts(cases, args, progress.finish, progress.start,
                                             timeout_of(args), toolkit)
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    summary = summarize(verdicts)
    _print_report(out, verdicts, cases, loaded, summary, seconds, args,
                  _left_out_line(cases, args, toolkit))
    if not write_reports(args, verdicts, summary, loaded.problems, seconds, err):
        return EXIT_INVALID
    return gate_options.gate(args, verdicts, exit_status(loaded.problems, summary), out, err, cases)


def _print_report(out, verdicts, cases, loaded, summary, seconds, args, left_out="") -> None:
    from verifier.report.style import Style
    from verifier.report.table import render_failures, render_summary_line, render_table

    style = Style.for_stream(out)
    sections = []
    if args.quiet == 0:
        sections.append(render_table(verdicts, style))
    if args.quiet < 2:
        failures = render_failures(verdicts, style, {c.name: c.line for c in cases},
                                   verbose=args.verbose > 0)
        if failures:
            sections.append(failures)
    if left_out and args.quiet < 2:
        sections.append(left_out)
    sections.append(render_summary_line(summary, seconds, style, len(loaded.problems)))
    print("\n\n".join(s for s in sections if s), file=out)


def _left_out_line(cases, args, toolkit) -> str:
    from verifier.report.left_out import render_left_out
    from verifier.runner import left_out_rows

    return render_left_out(left_out_rows(cases, toolkit.backends(), args.backend, args.dtype))
