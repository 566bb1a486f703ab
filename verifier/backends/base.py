"""What every backend produces (`Run`) and the interface it implements (`Backend`).

The comparison reads `Run`s only; it never knows how a backend computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from verifier.cases.model import Case

# The error kinds of the contract (expect.error) plus the runner's own.
ERROR_KINDS = ("nonscalar_output", "backward_twice", "inplace_saved", "inplace_leaf", "shape")


class LimitExceeded(Exception):
    """A case went past a resource limit (loop iterations, elements, time, power size)."""


class TimeLimit(LimitExceeded):
    """The case's wall-clock limit (the runner's alarm).

    Unlike the interpreter's own limits, no backend turns it into a result: it
    must reach the runner, which ends the whole case, or the next backend would
    start on the same case with the alarm already spent.
    """


class CaseError(Exception):
    """A computation failed with a known kind (one of ERROR_KINDS, or 'other')."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Run:
    """What one backend computed for one case at one dtype.

    Arrays are float64 copies of what the backend produced (the oracle fills
    `exact_value`/`exact_grads` with object arrays of SymPy numbers instead,
    and `value`/`grads` with their float64 roundings).
    """
    backend: str
    dtype: str  # 'float64', 'float32' or 'exact'
    inputs: dict[str, np.ndarray] = field(default_factory=dict)  # as received
    value: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    # order 2: d/dx_i of sum_j <grad_j, v_j> with v = hvp_direction(shape_j)
    hvp: dict[str, np.ndarray] = field(default_factory=dict)
    variables: dict[str, object] = field(default_factory=dict)  # scalars after the run (k)
    trace: tuple = ()  # branch decisions and loop counts, in program order
    error_kind: str | None = None
    error_message: str = ""
    skipped: str | None = None  # the reason, where the backend did not run
    notes: list[str] = field(default_factory=list)  # facts worth reporting (zero grads, fd steps)
    # fd: the estimated absolute error of each gradient element
    error_estimate: dict[str, np.ndarray] = field(default_factory=dict)
    # The dtype the backend produced for each quantity ('value', 'grad.x', 'hvp.x'),
    # as torch names it ('float32'); the arrays above are float64 copies, so the judge
    # reads the dtypes here.  Empty where the backend does not report them.
    result_dtypes: dict[str, str] = field(default_factory=dict)
    # oracle only
    exact_value: np.ndarray | None = None
    exact_grads: dict[str, np.ndarray] = field(default_factory=dict)
    exact_hvp: dict[str, np.ndarray] = field(default_factory=dict)
    exactness: str = ""  # 'exact' or 'N digits'
    symbolic_grads: dict[str, object] = field(default_factory=dict)  # for `verifier show`
    seconds: float = 0.0


class Backend:
    """One way of computing a case's value and gradients."""

    name = ""
    exact = False  # True for the oracle
    # The dtypes the backend computes in (None: every one) and why not the others; the
    # runner plans no row at another dtype unless both were asked for by name.
    dtypes: tuple[str, ...] | None = None
    dtypes_reason = ""

    def unavailable(self) -> str | None:
        """None where the backend can run here, else the reason it cannot."""
        return None

    def run(self, case: Case, dtype: str) -> Run:
        raise NotImplementedError


def hvp_direction(shape) -> np.ndarray:
    """The fixed direction v of order-2 checks: 1, 5/4, 3/2, 7/4, 2, 1, ... (exact in float32).

    Not all ones, so that a Hessian that mixes up elements is caught.
    """
    n = int(np.prod(shape, dtype=np.int64))
    return (1 + (np.arange(n) % 5) / 4).reshape(shape)
