"""`fd`: central finite differences of f(x) = <seed, out(x)> (seed = 1 for a scalar output).

The forward differentiated is, where it is fast enough, the case's program
through the registry's SymPy forms at 50 digits (`fd_forward.PreciseForward`):
independent of the engine and torch (no shared code) and of the oracle's
derivation (no `diff`).  Otherwise it is the engine's float64 forward, and the
notes say so.  Steps are relative to max(1, |x_i|): 1e-12 (first order) and
1e-10 (second) at 50 digits, eps^(1/3) and eps^(1/4) in float64.

First order.  D(h) = (f(x + h e_i) − f(x − h e_i)) / 2h at h, h/2, h/4.  For a
smooth f the differences D(h) − D(h/2) and D(h/2) − D(h/4) shrink (by 4, or 2
where f'' jumps, a C¹ switch such as a Huber loss); the reported value is
D(h/4) and its error estimate |D(h/2) − D(h/4)| plus the rounding bound
8·eps·F/(h/4), F = max |f| seen (no Richardson division: it assumes an order
that a C¹ switch does not have).  Where they do not shrink (ratio above
NONCONVERGED), fd does not converge at that element: NaN, estimate inf.

Kinks.  Where f is not differentiable at x (relu at 0, a tie of amax), the
gap between one-sided slopes (f(x+h) − 2 f(x) + f(x−h)) / h does not shrink
with the step; the derivative there is a registry convention that finite
differences cannot check: NaN, estimate inf, and a note naming the element.

Domain edges.  Where one side of the step leaves the domain (asin at 1, sqrt
at 0), one-sided second-order differences (−3 f(x) + 4 f(x ± h) − f(x ± 2h)) / ±2h
are used, with the same convergence test, and the notes say so.

Second order.  hvp_i = d/dx_i <∇f, v>, mixed differences of f itself:
    M(h, t) = [f(x + h e_i + t v) − f(x + h e_i − t v) − f(x − h e_i + t v)
               + f(x − h e_i − t v)] / (4 h t)
at (h, t), (h/2, t/2), (h/4, t/4), with the same convergence test (relu at 0
gives M ~ 1/h: it does not converge, and is marked, not reported as 8192);
an element whose first derivative is a kink is marked at second order too.

Where a perturbed evaluation takes another branch or loop count (its trace
differs) or fails on both sides, the element is NaN with estimate inf and the
notes say why.  No element is ever dropped without a note.
"""

from __future__ import annotations

import time

from verifier.backends.base import Backend, Run, TimeLimit
from verifier.backends.fd_differences import Differences
from verifier.backends.numeric import classify
from verifier.cases.model import Case
from verifier.lang.interpreter import Limits

MAX_ELEMENTS = 256  # elements perturbed one at a time; beyond this fd is skipped
MAX_SECONDS = 10.0  # wall time of all of one case's evaluations
DEFAULT_LIMITS = Limits()


class FiniteDifferences(Backend):
    name = "fd"
    dtypes = ("float64",)
    dtypes_reason = "finite differences run in float64 only"

    def __init__(self, max_elements: int = MAX_ELEMENTS, max_seconds: float = MAX_SECONDS,
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self.max_elements = max_elements
        self.max_seconds = max_seconds
        self.limits = limits

    def run(self, case: Case, dtype: str) -> Run:
        run = Run(backend=self.name, dtype=dtype)
        if dtype != "float64":
            run.skipped = self.dtypes_reason
            return run
        if case.expect.error and case.expect.error != "shape":
            run.skipped = (f"finite differences run no autograd, so they cannot raise the "
                           f"expected error {case.expect.error}")
            return run
        count = sum(case.inputs[n].exact.size for n in case.grad_inputs)
        if count > self.max_elements:
            run.skipped = (f"finite differences perturb one element at a time; this case has "
                           f"{count} input elements that require grad, more than the cap of "
                           f"{self.max_elements}")
            return run
        run.inputs = {name: inp.rounded("float64") for name, inp in case.inputs.items()}
        started = time.perf_counter()
        try:
            Differences(case, run, self.limits, started + self.max_seconds).compute()
        except TimeLimit:
            raise
        except Exception as exc:
            run.error_kind, run.error_message = classify(exc)
        run.seconds = time.perf_counter() - started
        return run


