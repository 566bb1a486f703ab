"""A wall-clock limit for one case (SymPy can be made to hang on a hostile expression).

SIGALRM interrupts pure-Python code wherever it is, SymPy's included; it only
works in the main thread of a process, so elsewhere (a thread pool, Windows)
the limit falls back to the interpreter's own `Limits`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

from verifier.contract import TimeLimit

DEFAULT_TIMEOUT = 60.0
REPEAT_SECONDS = 1.0


class CaseTimeout(TimeLimit):
    """A case ran longer than its time limit."""


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str = "the case"):
    """Raise CaseTimeout inside the block once `seconds` have passed (None or <= 0: no limit).

    Limits nest: an inner limit never outlives the outer one (it is cut to what the outer
    has left), and on leaving it the outer alarm is re-armed with its remaining time.
    """
    if not seconds or seconds <= 0 or not _can_alarm():
        yield
        return
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()

    def on_alarm(signum, frame):
        raise CaseTimeout(f"{what} ran longer than the time limit of {seconds:g} s; "
                          "raise it with --timeout, or make the case smaller")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    limit = min(seconds, outer_left) if outer_left > 0 else seconds
    # Then again every second: library code that swallows exceptions (`except Exception`
    # inside SymPy) cannot make the limit a one-shot that a hang survives.
    signal.setitimer(signal.ITIMER_REAL, limit, REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), REPEAT_SECONDS)
