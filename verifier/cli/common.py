"""What the commands share: the PATH arguments, loading cases, printing problems, exit status."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

EXIT_OK = 0  # nothing failed
EXIT_FAILED = 1  # a verification failed (status fail or error)
EXIT_INVALID = 2  # a case file or the command line is invalid; wins over EXIT_FAILED


@dataclass
class Loaded:
    cases: list
    problems: list = field(default_factory=list)
    files: int = 0


def add_paths(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="case files (*.yaml, *.yml) or folders of them; "
                             "default: the suite shipped with the package")


def add_keyword(parser) -> None:
    parser.add_argument("-k", dest="keyword", metavar="EXPRESSION",
                        help="select cases whose name contains a word or that carry it as a tag; "
                             "words combine with and, or, not, parentheses")


def load(paths: list[str]) -> Loaded:
    """Load and validate case files; problems are collected, never raised."""
    # Imported here so that `verifier --help` stays instant.
    from verifier.cases.loader import load_paths, shipped_suite

    targets = [Path(p) for p in paths] if paths else [shipped_suite()]
    missing = [f"{p}: no such file or folder; expected a case file (*.yaml) or a folder of them"
               for p in targets if not p.exists()]
    result = load_paths([p for p in targets if p.exists()])
    # Files that held a valid case or a problem (a folder without case files is not a file).
    files = {c.file for c in result.cases} | {
        p.file for p in result.problems
        if isinstance(getattr(p, "file", None), str) and Path(p.file).is_file()}
    return Loaded(list(result.cases), missing + list(result.problems), len(files))


def print_problems(problems: list, stream=None) -> None:
    stream = stream or sys.stderr
    from verifier.report.escape import printable

    for problem in problems:
        print(printable(str(problem), one_line=True), file=stream)


def exit_status(problems: list, summary=None) -> int:
    """2 when any case file is invalid, else 1 when anything failed or errored, else 0."""
    if problems:
        return EXIT_INVALID
    if summary is not None and not summary.ok:
        return EXIT_FAILED
    return EXIT_OK
