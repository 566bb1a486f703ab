"""The error each element of a quantity may have: what its dtype can deliver there.

A backend's element passes when

    |got_i − exact_i|  <=  allowed_i

with `allowed_i` taken, in this order, from:

1. the case's `tolerance:` for the row's dtype (or `fd` for finite
   differences): `atol + rtol·‖exact‖∞`, the user's explicit choice;
2. the oracle's `error_bound` for the quantity, where the reference provides
   one (the attainable error of the dtype at that element: input rounding
   plus operation rounding, in ball arithmetic), or the fallback below where
   that is larger; except that an element which lost every digit (relative
   error >= 1) is held to the fallback alone: a total loss must be explained
   by the problem (its terms, its sensitivity), not by the rounding of a
   backward that a library built on its output (sigmoid'(40) as s·(1 − s));
3. otherwise the fallback below, documented in docs/cases.md:

    allowed_i = r · (|exact_i| + T_i + S_i) + ulp(exact_i)/2,
    r = SAFETY · eps · sqrt(K · N) · A          (tolerance.py: default_tolerance)

   |exact_i|  the element itself: K roundings of about its own size;
   T_i        the magnitude of the terms it is a sum of, where it is one
              (grad = Jᵀ·seed: Σ_k |J_ki·seed_k|; hvp = H·v: Σ_j |H_ij·v_j|):
              an element small by cancellation carries their rounding;
   S_i        its sensitivity to rounding the inputs, Σ_j |∂q_i/∂x_j|·|x_j|:
              a result as accurate as exact at inputs a few ULPs away is
              backward stable and cannot be asked for more (asin near 1,
              logsumexp of 2000s);
   ulp/2      the rounding of the exact value itself into the dtype;
   + R        where the oracle's values are not exact rationals but carry D
              significant digits, its own resolution 10^-D · scale (scale: the
              largest of the value's and the quantity's magnitudes): an exact
              2e-168 evaluated to 30 digits from terms of size 1 (the gradient
              of sum(softmax(x)), identically 0) is noise, not a value to meet.

   Where T and S cannot be estimated (more than conditioning.MAX_ROWS rows
   of J or H, or the engine cannot run the case), every element is taken as
   a sum of terms as large as the quantity's largest element: T_i = ‖exact‖∞
   (the normwise rule, for large cases only).

   There is no floor independent of the element's exact value: a gradient
   of 4.25e-18 computed as 0 is wrong, however small it looks.  T and S come
   from `conditioning.py`, computed only for quantities that fail without them.

An exact value beyond the dtype's largest finite number rounds to ±inf: there
`±inf` is the correct result (`overflow_ok`).
"""

from __future__ import annotations

import numpy as np

from verifier.cases.model import Case
from verifier.compare.tolerance import FD_RTOL, SECOND_ORDER_FACTOR, default_tolerance
from verifier.float_formats import FORMATS

# Per run dtype (verifier/float_formats.py): the largest finite number, the smallest
# subnormal (2^(min_exponent - precision + 1)) and the significand bits.
LARGEST = {f.name: f.max_value for f in FORMATS.values()}
SMALLEST_SPACING = {f.name: 2.0 ** (f.min_exponent - f.precision + 1) for f in FORMATS.values()}
PRECISION = {f.name: f.precision for f in FORMATS.values()}


def half_ulp(exact: np.ndarray, dtype: str) -> np.ndarray:
    """Half the spacing of `dtype` at each exact value (its correct rounding's error),
    at least the smallest subnormal."""
    magnitude = np.abs(np.where(np.isfinite(exact), exact, 0.0))
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log2(np.maximum(magnitude, np.finfo(np.float64).tiny)))
    spacing = np.exp2(exponent - (PRECISION[dtype] - 1))
    return np.maximum(spacing / 2, SMALLEST_SPACING[dtype])  # 2^-1075 would underflow to 0


def relative_rate(case: Case, dtype: str, quantity: str, trace: tuple = ()) -> float:
    """r of the fallback: SAFETY·eps·sqrt(K·N)·A, times 4 for second derivatives."""
    rate = default_tolerance(case, dtype, trace).rtol
    return rate * SECOND_ORDER_FACTOR if quantity.startswith("hvp.") else rate


def fallback_bound(exact: np.ndarray, dtype: str, rate: float, terms=None,
                   sensitivity=None) -> np.ndarray:
    """r · (|exact| + T + S) + ulp(exact)/2, elementwise (T, S: arrays or None)."""
    size = np.abs(np.where(np.isfinite(exact), exact, 0.0))
    for extra in (terms, sensitivity):
        if extra is not None:
            size = size + np.where(np.isfinite(extra), np.abs(extra), 0.0)
    return rate * size + half_ulp(exact, dtype)


def oracle_resolution(exactness: str, scale: float) -> float:
    """10^-D · scale where the oracle says its numbers carry D digits, else 0 (exact)."""
    import re
    digits = [int(d) for d in re.findall(r"(\d+) digits", exactness or "")]
    return 10.0 ** -min(digits) * scale if digits else 0.0


def case_tolerance(case: Case, dtype: str, backend: str):
    """The case's own `tolerance:` for this row, or None."""
    if backend == "fd" and "fd" in case.tolerance:
        return case.tolerance["fd"]
    return case.tolerance.get(dtype)


def normwise_bound(exact: np.ndarray, tol) -> np.ndarray:
    """atol + rtol·‖exact‖∞: the rule of an explicit per-case tolerance."""
    finite = exact[np.isfinite(exact)]
    scale = float(np.max(np.abs(finite), initial=0.0))
    return np.full(exact.shape, tol.atol + tol.rtol * scale)


def fd_bound(exact: np.ndarray, estimate: np.ndarray | None) -> np.ndarray:
    """Finite differences answer for their own estimate: 2·estimate, plus float64's rounding."""
    base = FD_RTOL * np.abs(np.where(np.isfinite(exact), exact, 0.0)) + half_ulp(exact, "float64")
    if estimate is None:
        return base
    return base + 2 * np.where(np.isfinite(estimate), estimate, 0.0)


def overflow_ok(got: np.ndarray, exact: np.ndarray, allowed: np.ndarray, dtype: str) -> np.ndarray:
    """Elements where got = ±inf is the correct rounding: exact (within allowed) beyond the range."""
    largest = LARGEST[dtype]
    with np.errstate(invalid="ignore", over="ignore"):
        up = (got == np.inf) & (exact + allowed >= largest)
        down = (got == -np.inf) & (exact - allowed <= -largest)
    return up | down
