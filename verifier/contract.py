"""The types every layer shares, at the bottom of the import graph.

`Run` is what a numeric backend computed; `ReferenceValues` is what the exact
reference says at one dtype and path (exact numbers with their provenance,
never a `Run`).  The error kinds and limits are here too, so that `lang`,
`cases`, the backends, the oracle and the judge import them from one place
and no package imports upward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The error kinds of the contract (expect.error) plus the runner's own.
ERROR_KINDS = ("nonscalar_output", "backward_twice", "inplace_saved", "inplace_leaf", "shape")

# The exact reference's row in every report: backend 'sympy', dtype 'exact'.
ORACLE = "sympy"
EXACT = "exact"


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
    """What one numeric backend computed for one case at one dtype (float64 copies)."""
    backend: str
    dtype: str  # 'float64' or 'float32'
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
    seconds: float = 0.0


@dataclass
class ReferenceValues:
    """The exact reference at one dtype (the inputs rounded to it) along one path.

    `exact_*` hold exact numbers (SymPy Rationals, or Floats with `exactness`
    digits); `value`/`grads`/`hvp` their float64 roundings.  `undefined` marks,
    per quantity, the elements where the exact quantity does not exist (0/0, a
    singular matrix); `error_bound`, where filled, is what the dtype can deliver
    per element (the effect of rounding inputs and operations), else None.
    """
    dtype: str
    backend: str = ORACLE
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    value: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    hvp: dict[str, np.ndarray] = field(default_factory=dict)
    exact_value: np.ndarray | None = None
    exact_grads: dict[str, np.ndarray] = field(default_factory=dict)
    exact_hvp: dict[str, np.ndarray] = field(default_factory=dict)
    undefined: dict[str, np.ndarray] = field(default_factory=dict)  # quantity -> bool mask
    # Undefined elements where a convention gives the value a backend may return
    # (a tie whose order torch leaves unspecified): quantity -> bool mask.
    convention: dict[str, np.ndarray] = field(default_factory=dict)
    # There, the value of the other convention (the ties taken in the other order).
    alternative: dict[str, np.ndarray] = field(default_factory=dict)
    error_bound: dict[str, np.ndarray] | None = None  # quantity -> float64 array
    exactness: str = ""  # 'exact' or 'N digits' (certified or not, the text says)
    method: str = ""  # how it was computed: 'graph', 'generic', 'expand'
    symbolic_grads: dict[str, object] = field(default_factory=dict)  # for `verifier show`
    variables: dict[str, object] = field(default_factory=dict)
    trace: tuple = ()
    error_kind: str | None = None
    error_message: str = ""
    skipped: str | None = None
    # The reference ran out of time or another limit: no exact verdict, but the numeric
    # rows are still compared with each other.
    unfinished: bool = False
    seconds: float = 0.0


def hvp_direction(shape) -> np.ndarray:
    """The fixed direction v of order-2 checks: 1, 5/4, 3/2, 7/4, 2, 1, ... (exact in float32).

    Not all ones, so that a Hessian that mixes up elements is caught.
    """
    n = int(np.prod(shape, dtype=np.int64))
    return (1 + (np.arange(n) % 5) / 4).reshape(shape)
