"""One quantity of one numeric row, judged element by element (bounds.py's rule),
and the notes a row owes its reader about elements at the edges.

The cheap bound (the element's own size and its rounding) is tried first;
only a quantity that fails it pays for the conditioning terms, computed once
per case and dtype (conditioning.py).
"""

from __future__ import annotations

import numpy as np

from verifier.backends.base import Run
from verifier.cases.model import Case, Tolerance
from verifier.compare import bounds
from verifier.compare.conditioning import Conditioning
from verifier.compare.errors import QuantityCheck, check_quantity, element_name, rounded
from verifier.compare.tolerance import FD_RTOL

SHOWN = 6  # elements named in one note


def judge_quantity(case: Case, run: Run, ref: Run, quantity: str, got, exact_float,
                   exact_objects, estimate, conditioning: Conditioning) -> QuantityCheck:
    if exact_float is None:
        exact_float = rounded(exact_objects)
    marks = {"undefined": reference_field(ref, "undefined", quantity),
             "convention": reference_field(ref, "convention", quantity),
             "alternative": reference_field(ref, "alternative", quantity)}
    if run.backend == "fd" and marks["convention"] is not None:
        # Where a convention stands in for a derivative that does not exist, differences
        # measure one-sided partials: no evidence either way, so fd is not held to it.
        marks["alternative"] = None
    if exact_float is None or got is None or np.shape(got) != np.shape(exact_float):
        return check_quantity(quantity, got, exact_float, exact_objects, run.dtype, None,
                              estimate, allowed=np.zeros(np.shape(exact_float)), **marks)
    exact_float = np.asarray(exact_float, dtype=np.float64)
    override = bounds.case_tolerance(case, run.dtype, run.backend)
    if override is not None:
        allowed = bounds.normwise_bound(exact_float, override)
        if run.backend == "fd" and estimate is not None:
            allowed = allowed + 2 * np.where(np.isfinite(estimate), estimate, 0.0)
        return _ruled("case tolerance", check_quantity(
            quantity, got, exact_float, exact_objects, run.dtype, override, estimate,
            allowed=allowed, **marks))
    resolution = bounds.oracle_resolution(ref.exactness, _scale(ref, exact_float))
    if run.backend == "fd":
        return _ruled("fd estimate", check_quantity(
            quantity, got, exact_float, exact_objects, run.dtype, Tolerance(FD_RTOL, 0.0),
            estimate, allowed=bounds.fd_bound(exact_float, estimate) + resolution, **marks))
    check, fallback = _fallback(case, run, quantity, got, exact_float, exact_objects, estimate,
                                conditioning, resolution, marks)
    given = reference_field(ref, "error_bound", quantity)
    if given is None or check.ok:
        return check
    # The reference's attainable error: the larger of it and the fallback, except that a
    # result which lost every digit (relative error >= 1) must be explained by the problem
    # itself (the fallback's terms and sensitivity), not by the rounding of a backward that a
    # library chose to build on its output (sigmoid'(40) as s·(1 − s) with s = 1).
    given = np.asarray(given, dtype=np.float64) + bounds.half_ulp(exact_float, run.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        lost = (exact_float != 0) & np.isfinite(exact_float) & \
            (np.abs(np.asarray(got, dtype=np.float64) - exact_float) >= np.abs(exact_float))
    allowed = np.where(lost, fallback, np.maximum(np.where(np.isfinite(given), given, 0.0),
                                                  fallback))
    bounded = check_quantity(quantity, got, exact_float, exact_objects, run.dtype,
                             Tolerance(0.0, 0.0), estimate, allowed=allowed, **marks)
    bounded.details.update({k: v for k, v in check.details.items() if k in ("terms", "sensitivity")})
    bounded.details["error_bound"] = np.ravel(given)[:1000].tolist()
    return _ruled("oracle error bound (a total loss of digits: the problem's own bound)", bounded)


def _fallback(case, run, quantity, got, exact_float, exact_objects, estimate, conditioning,
              resolution, marks) -> tuple[QuantityCheck, np.ndarray]:
    """The fallback bound's check and the allowance it used (bounds.py)."""
    rate = bounds.relative_rate(case, run.dtype, quantity, tuple(run.trace))
    tol = Tolerance(rate, 0.0)
    allowed = bounds.fallback_bound(exact_float, run.dtype, rate) + resolution
    check = check_quantity(quantity, got, exact_float, exact_objects, run.dtype, tol, estimate,
                           allowed=allowed, **marks)
    if check.ok:
        return _ruled("fallback: element size", check), allowed
    terms, sensitivity = conditioning.of(run.dtype, quantity)
    if terms is None and sensitivity is None:
        # Too large for the estimate (or the engine cannot run it): the elements of the
        # quantity are taken as sums of terms as large as its largest element (normwise).
        allowed = allowed + rate * float(np.max(np.abs(exact_float[np.isfinite(exact_float)]),
                                                initial=0.0))
        return _ruled("fallback: normwise (too large for a conditioning estimate)", check_quantity(
            quantity, got, exact_float, exact_objects, run.dtype, tol, estimate, allowed=allowed,
            **marks)), allowed
    allowed = bounds.fallback_bound(exact_float, run.dtype, rate, _fit(terms, exact_float),
                                    _fit(sensitivity, exact_float)) + resolution
    check = check_quantity(quantity, got, exact_float, exact_objects, run.dtype, tol, estimate,
                           allowed=allowed, **marks)
    for label, extra in (("terms", terms), ("sensitivity", sensitivity)):
        if _fit(extra, exact_float) is not None:
            check.details[label] = np.ravel(extra)[:1000].tolist()
    return _ruled("fallback: element size + terms + input sensitivity", check), allowed


def _ruled(rule: str, check: QuantityCheck) -> QuantityCheck:
    check.details["rule"] = rule
    return check


def reference_field(ref: Run, field: str, quantity: str):
    """A per-quantity array the reference may provide (error_bound, undefined, convention,
    alternative):
    `ref.<field>` as {quantity: array}, or {'value': a, 'grads': {name: a}, 'hvp': {...}}."""
    table = getattr(ref, field, None)
    if not table:
        return None
    if quantity in table:
        return table[quantity]
    kind, _, name = quantity.partition(".")
    nested = table.get({"grad": "grads"}.get(kind, kind))
    return nested.get(name) if isinstance(nested, dict) else None


def _scale(ref: Run, exact: np.ndarray) -> float:
    values = [np.asarray(a, dtype=np.float64) for a in (ref.value, exact) if a is not None]
    return max([0.0] + [float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in values])


def _fit(extra, exact):
    if extra is None:
        return None
    extra = np.asarray(extra, dtype=np.float64)
    return extra if extra.shape == exact.shape else None


def edge_notes(checks: list[QuantityCheck], run: Run) -> list[str]:
    """What a passing row must still say: undefined elements, conventions, overflow, fd's gaps."""
    notes = []
    undefined = [(c.name, i) for c in checks for i in c.undefined
                 if i not in c.conventions and i not in c.infinite]
    infinite = [(c.name, i) for c in checks for i in c.infinite]
    if infinite:
        notes.append(f"infinite: {_names(infinite)} (the exact result is an unsigned infinity; "
                     f"{run.backend}'s ±inf is accepted)")
    if undefined:
        notes.append(f"undefined: {_names(undefined)} (no derivative exists at this point; "
                     f"{run.backend} gives nan there)")
    conventions = [(c.name, i) for c in checks for i in c.conventions]
    if conventions:
        notes.append(f"undefined, registry convention: {_names(conventions)} (no derivative "
                     "exists there; the value is the convention the registry declares)")
    overflow = [(c.name, i) for c in checks for i in c.overflow]
    if overflow:
        notes.append(f"{_names(overflow)}: the exact value is beyond {run.dtype}'s range, "
                     "so ±inf is its correct rounding")
    gaps = [(c.name, i) for c in checks for i in c.not_compared]
    if gaps:
        reasons = [f"{element_name(n, i)}: {_fd_reason(run, element_name(n, i))}"
                   for n, i in gaps[:SHOWN]]
        more = f" and {len(gaps) - SHOWN} more" if len(gaps) > SHOWN else ""
        notes.append(f"not checked by finite differences: {', '.join(reasons)}{more}")
    return notes


def _fd_reason(run: Run, label: str) -> str:
    """The short reason fd gave in its notes for not checking an element."""
    prefix = f"fd {label}: not checked: "
    for note in run.notes:
        if note.startswith(prefix):
            reason = note[len(prefix):]
            return reason.split(" (")[0].split(":")[0]
    return "see the fd notes"


def _names(pairs: list[tuple]) -> str:
    shown = ", ".join(element_name(n, i) for n, i in pairs[:SHOWN])
    return shown + (f" and {len(pairs) - SHOWN} more" if len(pairs) > SHOWN else "")
