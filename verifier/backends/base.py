"""The interface a numeric backend implements (`Backend`).

The shared contract types (`Run`, the errors, the limits) live in
`verifier.contract`; they are re-exported here for code that imported them
from this module.  The comparison reads `Run`s only; it never knows how a
backend computed.
"""

from __future__ import annotations

from verifier.cases.model import Case
from verifier.contract import (  # noqa: F401  re-exported
    ERROR_KINDS,
    CaseError,
    LimitExceeded,
    Run,
    TimeLimit,
    hvp_direction,
)


class Backend:
    """One numeric way of computing a case's value and gradients."""

    name = ""

    def unavailable(self) -> str | None:
        """None where the backend can run here, else the reason it cannot."""
        return None

    def run(self, case: Case, dtype: str) -> Run:
        raise NotImplementedError
