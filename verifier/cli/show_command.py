"""`verifier show NAME [PATH ...]`: one case in full, and every backend's numbers side by side."""

from __future__ import annotations

import difflib
import sys

from verifier.cli.common import EXIT_INVALID, add_paths, exit_status, load, print_problems
from verifier.cli.run_command import add_backend_options, check_backends, timeout_of


def add_arguments(parser) -> None:
    parser.add_argument("name", metavar="NAME", help="the case's name")
    add_paths(parser)
    add_backend_options(parser)
    parser.add_argument("--full", action="store_true",
                        help="print the symbolic derivative whatever its size (by default an "
                             "expression of more than 400 nodes is not printed, and a printed one "
                             "stops after 40 lines)")


def execute(args) -> int:
    out, err = sys.stdout, sys.stderr
    loaded = load(args.paths)
    print_problems(loaded.problems, err)
    by_name = {c.name: c for c in loaded.cases}
    case = by_name.get(args.name)
    if case is None:
        close = difflib.get_close_matches(args.name, list(by_name), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else \
            "; `verifier list` shows every case"
        print(f"verifier: error: no case named {args.name!r} in "
              f"{', '.join(args.paths) or 'the shipped suite'}{hint}", file=err)
        return EXIT_INVALID
    toolkit, status = check_backends(args.backend, err)
    if toolkit is None:
        return status

    from verifier.report.show import render_show
    from verifier.report.style import Style
    from verifier.runner import run_case_detailed, summarize

    outcome = run_case_detailed(case, args.backend, args.dtype, timeout_of(args), toolkit)
    print(render_show(outcome, Style.for_stream(out), full=args.full), file=out)
    return exit_status(loaded.problems, summarize(outcome.verdicts))
