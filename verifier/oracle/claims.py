"""Checking the case's claims (`expect.value`, `expect.grad`) against the exact oracle.

A literal is compared number by number with the exact result.  A closed
form is evaluated in the oracle's own symbols (the inputs, the program's
variables after the run such as a loop counter `k`, and `seed`): if SymPy
shows claim - derivative == 0 identically, the claim is proven for all
inputs on the path the program took; otherwise it is compared at the
case's inputs, exactly where both sides are rational, else to 30 digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from verifier.cases.model import Case, Claim
from verifier.contract import CaseError, LimitExceeded, ReferenceValues, TimeLimit
from verifier.oracle.evaluate import DIGITS, as_sympy, rational, to_float
from verifier.oracle.factored import distinct, uniform_array
from verifier.oracle.generic import NotElementwise, Undecidable
from verifier.oracle.longdouble import DIGITS as LD_DIGITS

IDENTITY = "identity proven"
EXACT = "exact at these inputs"
DIGITS_HOW = f"{DIGITS} digits at these inputs"
# Extended-precision evaluation of both sides keeps about 15 of its 18 digits.
LONGDOUBLE_HOW = f"{LD_DIGITS - 3} digits at these inputs (longdouble)"
SHOWN = 3  # differing elements quoted in a failure message


@dataclass
class ClaimResult:
    field: str  # 'value' or 'grad.x'
    status: str  # 'pass', 'fail' or 'error'
    how: str = ""
    max_abs_err: float = 0.0
    message: str = ""


def claim_fields(case: Case) -> list[str]:
    return [field for field, _ in _claims_of(case)]


def _claims_of(case: Case) -> list:
    return ([("value", case.expect.value)] if case.expect.value is not None else []) + \
        [(f"grad.{name}", claim) for name, claim in case.expect.grad.items()]


def check_claims(case: Case, run: ReferenceValues) -> list[ClaimResult]:
    """Every claim of the case against the oracle's exact run (dtype 'exact')."""
    claims = _claims_of(case)
    if not claims:
        return []
    if run.skipped or run.error_kind:
        why = run.skipped or f"{run.error_kind}: {run.error_message}"
        return [ClaimResult(f, "error", message=f"the oracle did not run ({why}); the claim "
                                                 "cannot be checked") for f, _ in claims]
    return [_check(case, run, field, claim) for field, claim in claims]


def _check(case: Case, run: ReferenceValues, field: str, claim: Claim) -> ClaimResult:
    exact = run.exact_value if field == "value" else run.exact_grads.get(field[len("grad."):])
    if exact is None:
        return ClaimResult(field, "error", message=f"{field}: the oracle has no such quantity "
                                                   f"(inputs that require grad: "
                                                   f"{', '.join(case.grad_inputs) or 'none'})")
    try:
        if claim.literal is not None:
            return _literal(field, claim, exact)
        return _closed_form(run, field, claim, exact)
    except TimeLimit:
        raise
    except (CaseError, LimitExceeded, NameError, ValueError, TypeError) as exc:
        return ClaimResult(field, "error", message=f"{field}: the claim {claim.text!r} could not "
                                                   f"be evaluated: {exc}")


def _literal(field: str, claim: Claim, exact: np.ndarray) -> ClaimResult:
    try:
        claimed = np.broadcast_to(claim.literal, exact.shape)
    except ValueError:
        return ClaimResult(field, "error", message=f"{field}: the claim has shape "
                                                   f"{list(np.shape(claim.literal))}, the quantity "
                                                   f"{list(exact.shape)}; they do not broadcast")
    if claim.literal.size == 1:
        claimed = uniform_array(rational(claim.literal.flat[0]), exact.shape)
    else:
        claimed = _map(claimed, rational)
    return _compare(field, claim, claimed, exact, proven=False)


def _closed_form(run: ReferenceValues, field: str, claim: Claim, exact: np.ndarray) -> ClaimResult:
    derivation = getattr(run, "derivation", None)
    if derivation is None:
        return ClaimResult(field, "error", message=f"{field}: the run carries no derivation; "
                                                   "pass the SympyOracle's own 'exact' run")
    if hasattr(derivation, "check_claim"):  # the graph oracle: numbers first, then a proof
        return derivation.check_claim(field, claim, ClaimResult)
    try:
        symbolic = derivation.claim(claim.expr)
    except (NotElementwise, Undecidable):
        derivation = derivation.expansion()
        symbolic = derivation.claim(claim.expr)
    try:
        np.broadcast_shapes(_shape(symbolic), exact.shape)
        claimed = derivation.claim_numbers(symbolic, exact.shape)
    except ValueError:
        return ClaimResult(field, "error", message=f"{field}: the claim {claim.text!r} has shape "
                                                   f"{list(_shape(symbolic))}, the quantity "
                                                   f"{list(exact.shape)}; they do not broadcast")
    proven = derivation.identity(symbolic, field)
    return _compare(field, claim, claimed, exact, proven)


def _compare(field: str, claim: Claim, claimed: np.ndarray, exact: np.ndarray,
             proven: bool) -> ClaimResult:
    if exact.dtype != object or claimed.dtype != object:
        return _compare_longdouble(field, claim, claimed, exact, proven)
    # Each distinct (claimed, exact) pair is judged once: a uniform result is one object.
    claimed_table, claimed_index = distinct(claimed)
    exact_table, exact_index = distinct(exact)
    if len(claimed_table) * len(exact_table) == 1:
        pairs, pair_index = np.zeros(1, dtype=np.intp), np.zeros(exact.size, dtype=np.intp)
    else:
        pairs, pair_index = np.unique(claimed_index.ravel() * len(exact_table)
                                      + exact_index.ravel(), return_inverse=True)
    bad_pairs, max_err, all_exact = set(), 0.0, True
    for p, code in enumerate(pairs.tolist()):
        c = as_sympy(claimed_table[code // len(exact_table)])
        e = as_sympy(exact_table[code % len(exact_table)])
        d = c - e
        max_err = max(max_err, abs(to_float(sp.N(d, 20))) if d != 0 else 0.0)
        all_exact = all_exact and bool(c.is_Rational and e.is_Rational)
        if not _negligible(d, e):
            bad_pairs.add(p)
    bad = np.flatnonzero(np.isin(pair_index, list(bad_pairs))).tolist() if bad_pairs else []
    how = IDENTITY if proven else (EXACT if all_exact else DIGITS_HOW)
    if bad:
        status = "error" if proven else "fail"
        return ClaimResult(field, status, how, max_err, _message(field, claim, claimed, exact, bad))
    return ClaimResult(field, "pass", how, max_err)


def _compare_longdouble(field, claim, claimed, exact, proven) -> ClaimResult:
    if proven:  # equal as expressions, hence equal at every element
        return ClaimResult(field, "pass", IDENTITY, 0.0)
    c = _longdoubles(claimed)
    e = _longdoubles(exact)
    with np.errstate(all="ignore"):
        err = np.abs(c - e)
        allowed = np.maximum(np.abs(e), np.max(np.abs(e), initial=0) * 1e-3) * \
            np.longdouble(10.0) ** (3 - LD_DIGITS)
    bad_mask = ~((err <= allowed) | ((c == e) & ~np.isnan(e)))
    bad = np.flatnonzero(bad_mask.ravel()).tolist()
    max_err = float(np.max(np.where(np.isfinite(err), err, 0), initial=0.0))
    how = IDENTITY if proven else LONGDOUBLE_HOW
    if bad:
        return ClaimResult(field, "error" if proven else "fail", how, max_err,
                           _message(field, claim, claimed, exact, bad))
    return ClaimResult(field, "pass", how, max_err)


def _negligible(d, exact) -> bool:
    """Exactly zero, or zero to DIGITS significant digits of the exact value."""
    if d == 0:
        return True
    if d.is_Rational:
        return False
    value = sp.N(d, DIGITS + 10)
    if not value.is_Number or value is sp.nan:
        return False
    scale = max(abs(sp.N(exact, 20)), sp.Float(10) ** -300) if as_sympy(exact).is_finite \
        else sp.Float(1)
    return bool(abs(value) <= scale * sp.Float(10) ** (1 - DIGITS))


def _message(field, claim, claimed, exact, bad: list) -> str:
    parts = []
    for i in bad[:SHOWN]:
        index = np.unravel_index(i, exact.shape) if exact.shape else ()
        where = f"{field}{list(map(int, index))}" if exact.shape else field
        parts.append(f"{where}: claimed {_show(claimed.flat[i])}, exact {_show(exact.flat[i])}")
    more = f" (and {len(bad) - SHOWN} more elements)" if len(bad) > SHOWN else ""
    return (f"the claim {claim.text!r} is wrong at {len(bad)} of {exact.size} elements: "
            + "; ".join(parts) + more)


def _show(v) -> str:
    if isinstance(v, sp.Basic) and not v.is_Rational:
        return str(sp.N(v, 20))
    return str(v)


def _shape(value) -> tuple:
    shape = getattr(value, "shape", ())
    return tuple(shape)


def _longdoubles(a: np.ndarray) -> np.ndarray:
    if a.dtype != object:
        return a.astype(np.longdouble)
    from verifier.oracle.longdouble import ld_number
    return np.array([ld_number(as_sympy(v)) for v in a.flat],
                    dtype=np.longdouble).reshape(a.shape)


def _map(array: np.ndarray, fn) -> np.ndarray:
    out = np.empty(array.shape, dtype=object)
    for i, v in enumerate(array.flat):
        out.flat[i] = fn(v)
    return out
