"""What one load may allocate: elements per case and per load, and shape-probe time.

Every tensor the loader makes (an input, a seed, a literal claim) is charged here
*before* it is allocated, so a file of many cases that each name one YAML alias of
10⁷ elements stops at the budget instead of spending minutes and gigabytes.

The budget of the load in progress is a context variable: `load_paths` opens one
for everything it reads (`with load_budget():`), a bare `load_text` gets its own,
and `validate_case` starts each case's share with `start_case()`.  Outside any
load (a test calling `exact_array` directly) nothing is budgeted but the
per-tensor limit.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar

from verifier import limits


class BudgetExceeded(ValueError):
    """A case or a load would allocate past its budget."""


class LoadBudget:
    def __init__(self, case_elements: int = limits.MAX_CASE_ELEMENTS,
                 load_elements: int = limits.MAX_LOAD_ELEMENTS,
                 probe_seconds: float = limits.MAX_LOAD_PROBE_SECONDS) -> None:
        self.case_limit = case_elements
        self.load_limit = load_elements
        self.probe_limit = probe_seconds
        self.case_used = 0
        self.load_used = 0
        self.probe_used = 0.0

    def start_case(self) -> None:
        self.case_used = 0

    def charge(self, n: int) -> None:
        """Account for `n` elements about to be allocated, or raise BudgetExceeded."""
        if self.case_used + n > self.case_limit:
            raise BudgetExceeded(f"this case's data would hold {self.case_used + n} elements, beyond "
                                 f"the limit of {self.case_limit} per case")
        if self.load_used + n > self.load_limit:
            raise BudgetExceeded(f"the case files read so far hold {self.load_used + n} elements, "
                                 f"beyond the limit of {self.load_limit} per run; split the suite")
        self.case_used += n
        self.load_used += n

    def probe_seconds_left(self) -> float:
        return max(self.probe_limit - self.probe_used, 0.0)

    @contextmanager
    def probing(self):
        started = time.monotonic()
        try:
            yield
        finally:
            self.probe_used += time.monotonic() - started


_current: ContextVar[LoadBudget | None] = ContextVar("verifier_load_budget", default=None)


def current() -> LoadBudget | None:
    return _current.get()


@contextmanager
def load_budget(budget: LoadBudget | None = None):
    """Open a budget for one load, unless one is already open (then share it)."""
    if _current.get() is not None and budget is None:
        yield _current.get()
        return
    token = _current.set(budget or LoadBudget())
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def start_case() -> None:
    budget = _current.get()
    if budget is not None:
        budget.start_case()


def charge(n: int) -> None:
    budget = _current.get()
    if budget is not None:
        budget.charge(n)
