"""One quantity (a value, a gradient, an hvp) of one run against the exact result.

Pass/fail uses the float64 rounding of the exact values (vectorized, so a
1e6-element gradient costs milliseconds); the reported maximum ULP error is
then recomputed exactly, from the exact values, at the worst elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from verifier.cases.model import Tolerance
from verifier.compare.exact import FORMATS, approximate_ulps, to_fraction, ulp_error
from verifier.float_formats import FORMATS as FLOAT_FORMATS

EXACT_ULP_CANDIDATES = 16  # worst elements whose ULP error is recomputed exactly
DETAIL_ELEMENTS = 1000  # elements listed in Verdict.details (the rest is counted)


@dataclass
class QuantityCheck:
    """How `got` compares with `exact` for one named quantity."""
    name: str
    ok: bool
    message: str = ""
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    max_ulp_err: float | None = None
    worst_index: tuple = ()
    details: dict = field(default_factory=dict)


def rounded(exact: np.ndarray | None) -> np.ndarray | None:
    """float64 roundings of an array of exact numbers (NaN where not finite)."""
    if exact is None:
        return None
    if exact.dtype != object:
        return np.asarray(exact, dtype=np.float64)
    out = np.empty(exact.shape, dtype=np.float64)
    for i, v in enumerate(exact.ravel()):
        f = to_fraction(v)
        out.flat[i] = float(f) if f is not None else _nonfinite(v)
    return out


def _nonfinite(v) -> float:
    text = str(v)
    if text in ("oo", "inf"):
        return np.inf
    if text in ("-oo", "-inf"):
        return -np.inf
    return np.nan


def check_quantity(name: str, got: np.ndarray | None, exact_float: np.ndarray | None,
                   exact_objects: np.ndarray | None, dtype: str, tol: Tolerance,
                   estimate: np.ndarray | None = None) -> QuantityCheck:
    """Compare one quantity.  `estimate` (fd): per-element error estimate, inf = undefined."""
    if exact_float is None:
        exact_float = rounded(exact_objects)
    if got is None:
        return QuantityCheck(name, False, f"{name}: the backend produced no result, "
                                          f"expected shape {list(np.shape(exact_float))}")
    got = np.asarray(got, dtype=np.float64)
    if exact_float is None:
        return QuantityCheck(name, False, f"{name}: the oracle has no exact {name} to compare with")
    if got.shape != exact_float.shape:
        return QuantityCheck(name, False, f"{name}: shape {list(got.shape)} but the exact result "
                                          f"has shape {list(exact_float.shape)}")
    exact_float = beyond_range_as_infinity(exact_float, dtype)
    compared = np.ones(got.shape, dtype=bool)
    if estimate is not None:
        compared = np.isfinite(estimate)  # fd marks undefined elements with inf
    with np.errstate(invalid="ignore"):  # inf - inf: handled just below
        abs_err = np.abs(got - exact_float)
    same_nonfinite = ~np.isfinite(exact_float) & (
        (np.isnan(exact_float) & np.isnan(got)) | (got == exact_float))
    abs_err = np.where(same_nonfinite, 0.0, abs_err)
    abs_err = np.where(np.isnan(abs_err), np.inf, abs_err)  # NaN is never within tolerance
    scale = float(np.max(np.abs(exact_float[np.isfinite(exact_float)]), initial=0.0))
    allowed = tol.atol + tol.rtol * scale
    if estimate is not None:
        allowed = allowed + 2 * np.where(compared, estimate, 0.0)
    allowed = np.broadcast_to(allowed, got.shape)
    bad = compared & (abs_err > allowed)
    check = QuantityCheck(name, not bool(bad.any()))
    _fill_errors(check, got, exact_float, exact_objects, abs_err, compared, allowed, dtype)
    check.details = _details(check, got, exact_float, tol, estimate)
    if not check.ok:
        idx = check.worst_index
        check.message = (f"{name}{list(idx) if idx else ''} = {float(got[idx])!r}, exact "
                         f"{float(exact_float[idx])!r} (abs err {abs_err[idx]:.3g} > allowed "
                         f"{allowed[idx]:.3g})")
    skipped = int((~compared).sum())
    if skipped:
        check.details["not_compared"] = skipped
    return check


def _fill_errors(check, got, exact_float, exact_objects, abs_err, compared, allowed, dtype):
    if not compared.any():
        check.max_abs_err = check.max_rel_err = check.max_ulp_err = 0.0
        return
    tiny = 2.0 ** FORMATS[dtype][1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = abs_err / np.maximum(np.abs(exact_float), tiny)
        margin = np.where(compared, abs_err / np.maximum(allowed, tiny), -1.0)
    check.max_abs_err = float(np.max(abs_err[compared]))
    check.max_rel_err = float(np.max(np.where(np.isnan(rel), np.inf, rel)[compared]))
    check.worst_index = tuple(int(i) for i in np.unravel_index(int(np.argmax(margin)), got.shape))
    check.max_ulp_err = _max_ulps(got, exact_float, exact_objects, compared, dtype)


def _max_ulps(got, exact_float, exact_objects, compared, dtype) -> float:
    approx = np.where(compared, approximate_ulps(got, exact_float, dtype), -1.0).ravel()
    if approx.size > EXACT_ULP_CANDIDATES:
        candidates = np.argpartition(approx, -EXACT_ULP_CANDIDATES)[-EXACT_ULP_CANDIDATES:]
    else:
        candidates = np.arange(approx.size)
    worst = 0.0
    for flat in candidates:
        if approx[flat] < 0:
            continue
        source = exact_objects.flat[flat] if exact_objects is not None else exact_float.flat[flat]
        exact = to_fraction(source)
        if exact is None:
            continue  # a non-finite exact value has no ULP; a mismatch shows in abs err
        worst = max(worst, ulp_error(float(got.flat[flat]), exact, dtype))
    return worst


def _details(check, got, exact_float, tol, estimate) -> dict:
    n = got.size
    details = {
        "exact": exact_float.ravel()[:DETAIL_ELEMENTS].tolist(),
        "got": got.ravel()[:DETAIL_ELEMENTS].tolist(),
        "shape": list(got.shape),
        "max_abs_err": check.max_abs_err, "max_rel_err": check.max_rel_err,
        "max_ulp_err": check.max_ulp_err, "rtol": tol.rtol, "atol": tol.atol,
        "worst_index": list(check.worst_index),
    }
    if estimate is not None:
        details["estimate"] = estimate.ravel()[:DETAIL_ELEMENTS].tolist()
    if n > DETAIL_ELEMENTS:
        details["truncated"] = n - DETAIL_ELEMENTS
    return details


def beyond_range_as_infinity(exact: np.ndarray, dtype: str) -> np.ndarray:
    """What the dtype can deliver: +-inf where the exact value is beyond its largest number
    (exp(12) = 162754.8 is inf in float16, whose largest is 65504)."""
    fmt = FLOAT_FORMATS.get(dtype)
    if fmt is None or dtype == "float64":
        return exact
    with np.errstate(invalid="ignore"):
        beyond = np.isfinite(exact) & (np.abs(exact) > fmt.max_value)
    return np.where(beyond, np.sign(exact) * np.inf, exact) if beyond.any() else exact
