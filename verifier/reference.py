"""`Reference(case)`: the exact values the judge consults, per dtype and path.

The judge asks `reference.at(dtype, trace)` for the exact value, gradients
and Hessian-vector products at the inputs a backend of `dtype` received,
along the path `trace` that backend took (None: the path the exact program
takes at that point).  Results are computed once per (inputs, path) and
kept: a dtype whose rounding leaves every input unchanged shares the exact
run.  The reference has its own time budget: when it runs out, `at` returns
values marked `unfinished` ("oracle timed out after N s") instead of raising,
so the numeric rows are still reported and compared with each other.
Claims (`expect.value`, `expect.grad`) are checked from the same reference,
last, so that a slow proof never holds the numeric verdicts hostage.
"""

from __future__ import annotations

import time
from dataclasses import replace

from verifier.cases.model import Case
from verifier.contract import EXACT, ORACLE, ReferenceValues, TimeLimit

# Past this many input elements no error bound is computed (it costs a second graph run per
# dtype); the judge falls back to its tolerances there.
BOUND_ELEMENTS = 20_000


class Reference:
    def __init__(self, case: Case, budget: float | None = None, oracle=None) -> None:
        self.case = case
        self.budget = budget if budget and budget > 0 else None  # seconds, None: no limit
        self._oracle = oracle
        self.computed: dict[tuple[str, tuple | None], ReferenceValues] = {}
        self.spent = 0.0
        self.timed_out = False
        self._claims: list | None = None

    # --- values ----------------------------------------------------------------
    def at(self, dtype: str, trace: tuple | None = None) -> ReferenceValues:
        """The exact values at the inputs rounded to `dtype`, along `trace` (None: its own)."""
        key = (dtype, None if trace is None else tuple(trace))
        if key in self.computed:
            return self.computed[key]
        effective = EXACT if dtype == EXACT or rounding_is_exact(self.case, dtype) else dtype
        key = (effective, key[1])
        if key not in self.computed:
            self.computed[key] = self._compute(effective, key[1])
        values = self.computed[key]
        if values.dtype != dtype:
            values = replace(values, dtype=dtype, seconds=0.0)
            self.computed[(dtype, key[1])] = values
        if dtype != EXACT and values.error_bound is None:
            values.error_bound = self._error_bound(values, dtype, key[1])
        return values

    def _error_bound(self, values: ReferenceValues, dtype: str, trace) -> dict | None:
        """What `dtype` can deliver per element (oracle/graph/rounding.py), or None."""
        if values.error_kind or values.method != "graph" or self.timed_out:
            return None
        elements = sum(i.exact.size for i in self.case.inputs.values())
        if elements > BOUND_ELEMENTS:
            return None
        started = time.perf_counter()
        try:
            with self._limit():
                return self.oracle().error_bounds(self.case, dtype, values.trace)
        except TimeLimit:
            self.timed_out = True
            return None
        except Exception:  # noqa: BLE001 - no bound: the judge falls back to its tolerances
            return None
        finally:
            self.spent += time.perf_counter() - started

    def _compute(self, dtype: str, trace: tuple | None) -> ReferenceValues:
        if self.timed_out:
            return self._timed_out_values(dtype)
        started = time.perf_counter()
        try:
            with self._limit():
                values = self.oracle().run(self.case, dtype, follow=trace)
        except TimeLimit:
            self.timed_out = True
            self.spent += time.perf_counter() - started
            return self._timed_out_values(dtype)
        except Exception as exc:  # the oracle's failure is reported on the rows it judges
            values = ReferenceValues(dtype=dtype, error_kind="other",
                                     error_message=f"the oracle ({ORACLE}) at {dtype} raised "
                                                   f"{type(exc).__name__}: {exc}")
        self.spent += time.perf_counter() - started
        return values

    def _timed_out_values(self, dtype: str) -> ReferenceValues:
        return ReferenceValues(dtype=dtype, error_kind="other", unfinished=True,
                               error_message=f"oracle timed out after {self.spent:.3g} s "
                                             f"(time limit {self.budget:g} s): no exact verdict; "
                                             "raise it with --timeout or the case's timeout:",
                               seconds=self.spent)

    def _limit(self):
        from verifier.runner.timeout import time_limit
        remaining = None if self.budget is None else max(self.budget - self.spent, 1e-3)
        return time_limit(remaining, f"the exact oracle of case {self.case.name}")

    def oracle(self):
        if self._oracle is None:
            from verifier.oracle.backend import SympyOracle
            self._oracle = SympyOracle()
        return self._oracle

    # --- claims ----------------------------------------------------------------
    def claims(self) -> list:
        """The case's claims checked against the exact run (computed once)."""
        if self._claims is None:
            from verifier.oracle.claims import ClaimResult, check_claims, claim_fields
            exact = self.at(EXACT)
            started = time.perf_counter()
            try:
                with self._limit():
                    self._claims = check_claims(self.case, exact)
            except TimeLimit:
                self.timed_out = True
                self._claims = [ClaimResult(f, "error", message=f"checking the claim timed out "
                                                                f"after {self.budget:g} s")
                                for f in claim_fields(self.case)]
            self.spent += time.perf_counter() - started
        return self._claims


def rounding_is_exact(case: Case, dtype: str) -> bool:
    """Every input (and the seed) is exactly representable in `dtype`."""
    import numpy as np
    inputs = list(case.inputs.values()) + ([case.seed] if case.seed is not None else [])
    for inp in inputs:
        if inp.kind == "random" and dtype == "float64":
            continue  # drawn as float64: exact by construction
        if inp.kind == "random":
            as64 = inp.rounded("float64")
            if not (as64.astype(dtype) == as64).all():
                return False
            continue
        # `fill` repeats one value; literals are small: compare exactly.
        values = inp.exact.flat[:1] if inp.kind == "fill" else inp.exact.ravel()
        sample = replace(inp, exact=np.asarray(values).reshape(-1)) if values.size else None
        if sample is not None and not all(a == b for a, b in
                                          zip(sample.rounded_exact(dtype).ravel(), values)):
            return False
    return True


def as_reference(reference) -> "Reference":
    """A Reference, or a callable (dtype, trace) -> values (tests' fixed references)."""
    if hasattr(reference, "at"):
        return reference
    return _CallableReference(reference)


class _CallableReference:
    def __init__(self, fn) -> None:
        self.fn = fn

    def at(self, dtype: str, trace: tuple | None = None):
        return self.fn(dtype, trace)
