"""The command line: `verifier run | show | check | list | mutate` (the console script `verifier`).

Exit status, in every command: 0 nothing failed; 1 a verification failed
(status fail or error); 2 a case file or the command line is invalid.  2 wins
over 1: a run with an invalid case file exits 2 even when the valid files'
cases failed, so that a broken file can never hide behind a red run.

Each command lives in its own module with `add_arguments(parser)` and
`execute(args) -> int`; adding a command or an option touches one module.
Heavy imports (torch, sympy) happen inside `execute`, never here.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import warnings

from verifier import __version__
from verifier.cli import check_command, mutate_command, run_command, show_command

# A reader that stopped reading (`verifier list | head`): the status a Unix tool killed by
# SIGPIPE reports (128 + 13), without a traceback.
EXIT_BROKEN_PIPE = 141

# name -> (help, add_arguments, execute)
COMMANDS = {
    "run": ("run case files and report how every backend agrees with the exact oracle",
            run_command.add_arguments, run_command.execute),
    "show": ("show one case: its symbolic derivative, claims and every backend's numbers",
             show_command.add_arguments, show_command.execute),
    "check": ("validate case files without running them",
              check_command.add_check_arguments, check_command.execute_check),
    "list": ("list the cases: name, tags, file:line",
             check_command.add_list_arguments, check_command.execute_list),
    "mutate": ("plant catalogued bugs in the engine and report which the cases catch",
               mutate_command.add_arguments, mutate_command.execute),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verifier",
        description="Checks automatic differentiation against an exact symbolic oracle.",
        epilog="exit status: 0 nothing failed; 1 a verification failed; "
               "2 a case file or the command line is invalid (2 wins over 1)")
    parser.add_argument("--version", action="version", version=f"verifier {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, add_arguments, execute) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        add_arguments(sub)
        sub.set_defaults(execute=execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or an invalid command line (2)
        return exc.code if isinstance(exc.code, int) else 2
    # numpy's RuntimeWarnings ("overflow encountered in divide", "Mean of empty slice") are
    # about intermediate values the verdicts already judge; on stderr they are noise.
    with warnings.catch_warnings(), terminate_as_exception():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            status = args.execute(args)
            sys.stdout.flush()  # inside the try: a closed pipe must fail here, not at exit
            return status
        except KeyboardInterrupt:
            print("\nverifier: interrupted", file=sys.stderr)
            return 130
        except Terminated:
            print("\nverifier: terminated", file=sys.stderr)
            return 143
        except BrokenPipeError:
            _silence_stdout()
            return EXIT_BROKEN_PIPE


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so that every cleanup path runs (worker
    processes are killed, temporary report files removed, baselines left intact)."""


@contextlib.contextmanager
def terminate_as_exception():
    """While the command runs, SIGTERM raises Terminated (exit 143) instead of killing the
    process on the spot, which would leave its worker processes running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush of what is still
    buffered does not raise BrokenPipeError again (the recipe of Python's `signal` docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's StringIO)
        pass
    finally:
        os.close(devnull)
