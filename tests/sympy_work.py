"""Work done by SymPy, counted as expression nodes created: a budget for tests, not a clock.

A test that guards against SymPy "spending minutes" on a case asserts that the case
creates fewer than N expression nodes (`Basic.__new__` calls).  The count does not
depend on how loaded the machine is, and a run past the budget stops at once with
`WorkBudgetExceeded` (a BaseException, so that no `except Exception` inside SymPy or
the runner can swallow it) instead of hanging until a time limit.
"""

from __future__ import annotations

import contextlib

from sympy.core.basic import Basic
from sympy.core.cache import clear_cache


class WorkBudgetExceeded(BaseException):
    pass


class NodeCounter:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.created = 0


@contextlib.contextmanager
def sympy_node_budget(budget: int):
    """Count the SymPy nodes created inside the block; raise once `budget` is passed."""
    counter = NodeCounter(budget)
    original = Basic.__dict__["__new__"]
    original_new = original.__func__ if isinstance(original, staticmethod) else original

    def counting_new(cls, *args, **kwargs):
        counter.created += 1
        if counter.created > counter.budget:
            raise WorkBudgetExceeded(f"SymPy created more than {budget} expression nodes")
        return original_new(cls, *args, **kwargs)

    clear_cache()  # a cached result from an earlier test would hide work
    Basic.__new__ = staticmethod(counting_new)
    try:
        yield counter
    finally:
        Basic.__new__ = original
