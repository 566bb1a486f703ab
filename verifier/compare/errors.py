"""One quantity (a value, a gradient, an hvp) of one run against the exact result.

Pass/fail uses the float64 rounding of the exact values (vectorized, so a
1e6-element gradient costs milliseconds); the reported maximum ULP error is
then recomputed exactly, from the exact values, at the worst elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from verifier.cases.model import Tolerance
from verifier.compare.bounds import normwise_bound, overflow_ok
from verifier.compare.exact import approximate_ulps, to_fraction, ulp_error

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
    undefined: list = field(default_factory=list)  # indices where no derivative exists
    conventions: list = field(default_factory=list)  # undefined, given a registry convention
    overflow: list = field(default_factory=list)  # ±inf accepted: exact beyond the range
    not_compared: list = field(default_factory=list)  # fd could not judge these
    infinite: list = field(default_factory=list)  # ±inf where the oracle has an unsigned infinity


def rounded(exact: np.ndarray | None) -> np.ndarray | None:
    """float64 roundings of an array of exact numbers (±inf beyond float64's range or
    where the exact value is infinite, NaN where it is undefined)."""
    if exact is None:
        return None
    if exact.dtype != object:
        return np.asarray(exact, dtype=np.float64)
    out = np.empty(exact.shape, dtype=np.float64)
    for i, v in enumerate(exact.ravel()):
        f = to_fraction(v)
        out.flat[i] = _float(f) if f is not None else _nonfinite(v)
    return out


def _float(f) -> float:
    try:
        return float(f)
    except OverflowError:  # an exact value beyond float64's range rounds to ±inf
        return np.inf if f > 0 else -np.inf


def _nonfinite(v) -> float:
    text = str(v)
    if text in ("oo", "inf"):
        return np.inf
    if text in ("-oo", "-inf"):
        return -np.inf
    return np.nan


def check_quantity(name: str, got: np.ndarray | None, exact_float: np.ndarray | None,
                   exact_objects: np.ndarray | None, dtype: str, tol: Tolerance | None,
                   estimate: np.ndarray | None = None, allowed: np.ndarray | None = None,
                   undefined: np.ndarray | None = None,
                   convention: np.ndarray | None = None,
                   alternative: np.ndarray | None = None) -> QuantityCheck:
    """Compare one quantity, element by element.

    `allowed`: the error each element may have (bounds.py); without it the
    normwise rule atol + rtol·‖exact‖∞ of `tol`.  `estimate` (fd): per-element
    error estimate, inf where fd could not tell.  `undefined`: elements where
    the exact result does not exist (NaN exact values are undefined too);
    `convention`: those of them where the registry declares a value; `alternative`, where
    given, the other admissible value there (a tie torch leaves unordered): the backend must
    return the exact value, the alternative or NaN.
    """
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
    undefined = _mask(undefined, got.shape) | np.isnan(exact_float)
    convention = _mask(convention, got.shape) & undefined
    # SymPy's unsigned infinity (zoo, 1/0): a backend's ±inf is that infinity, signed.
    unsigned = _unsigned_infinity(exact_objects, got.shape) & np.isinf(got) & undefined
    compared = ~undefined
    if estimate is not None:
        compared &= np.isfinite(estimate)  # fd marks elements it cannot judge with inf
    if allowed is None:
        allowed = normwise_bound(exact_float, tol)
    allowed = np.broadcast_to(np.asarray(allowed, dtype=np.float64), got.shape)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: handled just below
        abs_err = np.abs(got - exact_float)
    same_infinity = np.isinf(exact_float) & (got == exact_float)
    overflow = overflow_ok(got, exact_float, allowed, dtype) & compared & ~np.isinf(exact_float)
    abs_err = np.where(same_infinity | overflow, 0.0, abs_err)
    abs_err = np.where(np.isnan(abs_err), np.inf, abs_err)  # NaN is never within tolerance
    bad = compared & (abs_err > allowed)
    # Where no derivative exists, NaN is the honest answer and a number is accepted
    # only as a convention the registry declares.
    invented = undefined & ~np.isnan(got) & ~convention & ~unsigned
    if alternative is not None:
        # Only the values the conventions give: the exact one (one order) or the other.
        alternative = np.broadcast_to(np.asarray(alternative, dtype=np.float64), got.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            admissible = (np.abs(got - exact_float) <= allowed) | \
                (np.abs(got - alternative) <= allowed)
        invented |= convention & ~np.isnan(got) & ~admissible
    check = QuantityCheck(name, not bool(bad.any() or invented.any()))
    _fill_errors(check, got, exact_float, exact_objects, abs_err, compared, allowed, dtype,
                 compared & ~(same_infinity | overflow))
    check.details = _details(check, got, exact_float, tol, estimate, allowed)
    check.undefined = _indices(undefined)
    check.conventions = _indices(undefined & convention & ~np.isnan(got))
    check.overflow = _indices(overflow)
    check.infinite = _indices(unsigned)
    messages = []
    if bad.any():
        idx = check.worst_index
        messages.append(f"{name}{list(idx) if idx else ''} = {_num(got[idx])}, exact "
                        f"{_num(exact_float[idx])} (abs err {abs_err[idx]:.3g} > allowed "
                        f"{allowed[idx]:.3g}{_ulps(check)})")
    if invented.any():
        where = _names(name, _indices(invented))
        idx = _indices(invented)[0]
        messages.append(f"{where}: no derivative exists here (exact: undefined), but the backend "
                        f"returned {_num(got[idx])}, which no registry convention gives"
                        + _admitted(exact_float[idx], alternative, idx))
    check.message = "; ".join(messages)
    skipped = int((~compared & ~undefined).sum())
    if skipped:
        check.details["not_compared"] = skipped
        check.not_compared = _indices(~compared & ~undefined)
    if check.undefined:
        check.details["undefined"] = [list(i) for i in check.undefined[:DETAIL_ELEMENTS]]
    if check.overflow:
        check.details["overflow"] = [list(i) for i in check.overflow[:DETAIL_ELEMENTS]]
    return check


def _admitted(exact: float, alternative: np.ndarray | None, idx) -> str:
    if alternative is None:
        return ""
    if alternative[idx] == exact:
        return f" (the convention gives {_num(exact)})"
    return f" (the conventions give {_num(exact)} or {_num(alternative[idx])})"


def _unsigned_infinity(exact_objects, shape) -> np.ndarray:
    if exact_objects is None or np.shape(exact_objects) != shape or \
            getattr(exact_objects, "dtype", None) is not np.dtype(object):
        return np.zeros(shape, dtype=bool)
    return np.vectorize(lambda v: str(v) == "zoo", otypes=[bool])(exact_objects).reshape(shape)


def _mask(mask, shape) -> np.ndarray:
    if mask is None:
        return np.zeros(shape, dtype=bool)
    return np.broadcast_to(np.asarray(mask, dtype=bool), shape).copy()


def _indices(mask: np.ndarray) -> list[tuple]:
    return [tuple(int(i) for i in idx) for idx in zip(*np.nonzero(mask))] if mask.ndim else \
        ([()] if bool(mask) else [])


def element_name(name: str, index: tuple) -> str:
    return f"{name}{list(index)}" if index else name


def _names(name: str, indices: list[tuple], most: int = 6) -> str:
    shown = ", ".join(element_name(name, i) for i in indices[:most])
    return shown + (f" and {len(indices) - most} more" if len(indices) > most else "")


def _num(x) -> str:
    return repr(float(x))


def _ulps(check) -> str:
    u = check.max_ulp_err
    if u is None or not np.isfinite(u) or u < 2:
        return ""
    return f"; {u:.3g} ULPs"


def _fill_errors(check, got, exact_float, exact_objects, abs_err, compared, allowed, dtype,
                 measured):
    if not compared.any():
        check.max_abs_err = check.max_rel_err = check.max_ulp_err = 0.0
        return
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # Relative to the exact element; an exact 0 has no relative error (inf if missed).
        rel = np.where(exact_float != 0, abs_err / np.abs(exact_float),
                       np.where(abs_err == 0, 0.0, np.inf))
        margin = np.where(compared, abs_err / np.maximum(allowed, 2.0 ** -1074), -1.0)
    check.max_abs_err = float(np.max(abs_err[compared]))
    check.max_rel_err = float(np.max(np.where(np.isnan(rel), np.inf, rel)[compared]))
    check.worst_index = tuple(int(i) for i in np.unravel_index(int(np.argmax(margin)), got.shape))
    # an accepted overflow (got = inf) has no ULP error
    check.max_ulp_err = _max_ulps(got, exact_float, exact_objects, measured, dtype)


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


def _details(check, got, exact_float, tol, estimate, allowed) -> dict:
    n = got.size
    details = {
        "exact": exact_float.ravel()[:DETAIL_ELEMENTS].tolist(),
        "got": got.ravel()[:DETAIL_ELEMENTS].tolist(),
        "shape": list(got.shape),
        "max_abs_err": check.max_abs_err, "max_rel_err": check.max_rel_err,
        "max_ulp_err": check.max_ulp_err,
        "allowed": allowed.ravel()[:DETAIL_ELEMENTS].tolist(),
        "worst_index": list(check.worst_index),
    }
    if tol is not None:
        details.update(rtol=tol.rtol, atol=tol.atol)
    if estimate is not None:
        details["estimate"] = estimate.ravel()[:DETAIL_ELEMENTS].tolist()
    if n > DETAIL_ELEMENTS:
        details["truncated"] = n - DETAIL_ELEMENTS
    return details

