"""A wall-clock limit for one case (SymPy can be made to hang on a hostile expression).

SIGALRM interrupts pure-Python code wherever it is, SymPy's included; it only
works in the main thread of a process, so elsewhere (a thread pool, Windows)
the limit falls back to the interpreter's own `Limits`.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from verifier.contract import TimeLimit

DEFAULT_TIMEOUT = 60.0
REPEAT_SECONDS = 1.0


class CaseTimeout(TimeLimit):
    """A case ran longer than its time limit."""


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str = "the case"):
    """Raise CaseTimeout inside the block once `seconds` have passed (None or <= 0: no limit)."""
    if not seconds or seconds <= 0 or not _can_alarm():
        yield
        return

    def on_alarm(signum, frame):
        raise CaseTimeout(f"{what} ran longer than the time limit of {seconds:g} s; "
                          "raise it with --timeout, or make the case smaller")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # Then again every second: library code that swallows exceptions (`except Exception`
    # inside SymPy) cannot make the limit a one-shot that a hang survives.
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
