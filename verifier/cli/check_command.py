"""`verifier check` (validation only) and `verifier list` (what would run).

Neither imports torch or runs anything: `check` must answer in well under a second.
"""

from __future__ import annotations

import sys

from verifier.cli.common import (
    EXIT_INVALID,
    add_keyword,
    add_paths,
    exit_status,
    load,
    print_problems,
)
from verifier.cli.selection import SelectionError, select_cases


def add_check_arguments(parser) -> None:
    add_paths(parser)


def execute_check(args) -> int:
    loaded = load(args.paths)
    print_problems(loaded.problems, sys.stdout)
    files = f"{loaded.files} file{'s' if loaded.files != 1 else ''}"
    cases = f"{len(loaded.cases)} case{'s' if len(loaded.cases) != 1 else ''}"
    if loaded.problems:
        count = len(loaded.problems)
        print(f"{count} problem{'s' if count != 1 else ''}; {cases} valid in {files}")
    else:
        print(f"{cases} in {files} OK")
    return exit_status(loaded.problems)


def add_list_arguments(parser) -> None:
    add_paths(parser)
    add_keyword(parser)


def execute_list(args) -> int:
    loaded = load(args.paths)
    print_problems(loaded.problems, sys.stderr)
    try:
        cases = select_cases(loaded.cases, args.keyword)
    except SelectionError as exc:
        print(f"verifier: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    from verifier.report.escape import printable

    rows = [(printable(c.name, True), printable(", ".join(c.tags), True),
             printable(f"{c.file}:{c.line}", True)) for c in cases]
    name_width = max((len(r[0]) for r in rows), default=0)
    tag_width = max((len(r[1]) for r in rows), default=0)
    for name, tags, where in rows:
        print(f"{name.ljust(name_width)}  {tags.ljust(tag_width)}  {where}".rstrip())
    return exit_status(loaded.problems)
