"""The attainable error bound: what a dtype can deliver at the point, per element.

The same graph is evaluated once more in ball arithmetic, with every input
and literal a ball of radius u·|x| (its rounding to the dtype, u the unit
roundoff) and every operation's result widened by the rounding that
operation makes in that dtype, relative to the magnitude of its terms:

    elementwise f(x):      2u·|f(x)|     (a correctly rounded result, one ulp for the
                                          library's transcendental functions)
    a sum of k terms:      (k-1)u·Σ|t_i| (recursive summation, any order)
    a matrix product:      k u·(|A| |B|) (k-term dot products)
    moving elements:       0             (reshape, indexing, cat: no arithmetic)

and the reverse sweep likewise (each adjoint contribution and each
accumulation).  Conditions are decided at the balls' midpoints, so the
bound follows the path of the exact run.  The radius of each value, gradient
and Hessian-vector element is a running error bound: a backward-stable
implementation in that dtype stays within it (first order in u).
"""

from __future__ import annotations

import numpy as np
from flint import arb, fmpq

UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24}
ELEMENTWISE_ULPS = 2


def as_ball(v, u: float) -> arb:
    """v (exact) as a ball of radius u·|v|: its rounding to the dtype."""
    x = arb(v) if type(v) is fmpq else v
    if not x.is_finite():
        return x
    return arb(x.mid(), x.rad() + abs(x).upper() * u)


def widen(values: np.ndarray, magnitude: np.ndarray | None, u: float) -> np.ndarray:
    """values widened by u·magnitude (elementwise; magnitude None: by |values|)."""
    values = np.asarray(values, dtype=object)
    flat = values.reshape(-1)
    mags = None if magnitude is None else np.broadcast_to(magnitude, values.shape).reshape(-1)
    out = np.empty(flat.size, dtype=object)
    for i, v in enumerate(flat.tolist()):
        x = arb(v) if type(v) is fmpq else (v if isinstance(v, arb) else arb(v))
        if not x.is_finite():
            out[i] = x
            continue
        m = abs(x).upper() if mags is None else _upper(mags[i])
        out[i] = arb(x.mid(), x.rad() + m * u) if m != 0 else x
    return out.reshape(values.shape)


def _upper(v):
    x = arb(v) if type(v) is fmpq else (v if isinstance(v, arb) else arb(v))
    return abs(x).upper() if x.is_finite() else x


def absolute(values: np.ndarray) -> np.ndarray:
    flat = np.asarray(values, dtype=object).reshape(-1)
    out = np.empty(flat.size, dtype=object)
    for i, v in enumerate(flat.tolist()):
        out[i] = abs(v)
    return out.reshape(np.shape(values))


def radii(values: np.ndarray) -> np.ndarray:
    """The radius of each ball as a float64 (inf where undefined or infinite)."""
    out = np.empty(np.size(values), dtype=np.float64)
    for i, v in enumerate(np.asarray(values, dtype=object).reshape(-1).tolist()):
        if type(v) is fmpq:
            out[i] = 0.0
        elif not v.is_finite():
            out[i] = np.inf
        else:
            out[i] = float(v.rad())
    return out.reshape(np.shape(values))
