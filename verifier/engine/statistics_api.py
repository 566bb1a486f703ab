"""torch's statistics and reductions outside the registry, built from registry functions
(differentiable): nansum, nanmean, quantile/nanquantile, kthvalue, msort, aminmax, cov,
corrcoef, trapezoid, logdet, dist, vdot.
"""

from __future__ import annotations

import collections

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached

kthvalue_result = collections.namedtuple("kthvalue", ["values", "indices"])
kthvalue_result.__module__ = "torch.return_types"
aminmax_result = collections.namedtuple("aminmax", ["min", "max"])
aminmax_result.__module__ = "torch.return_types"


def _zero(like: Tensor) -> Tensor:
    return _detached(np.zeros((), dtype=like._array.dtype))


def nansum(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    """The sum with NaNs counted as zero (their gradient is zero)."""
    x = input if dtype is None else input.to(dtype)
    cleaned = F["where"](_detached(np.isnan(x._array)), _zero(x), x)
    return F["sum"](cleaned, dim, keepdim=keepdim)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A002
    x = input if dtype is None else input.to(dtype)
    present = (~np.isnan(x._array)).astype(x._array.dtype)
    count = present.sum(axis=dim, keepdims=keepdim) if dim is not None or keepdim else \
        present.sum()
    return nansum(x, dim, keepdim) / _detached(np.asarray(count, dtype=x._array.dtype))


_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear",  # noqa: A002
             out=None):
    """The q-quantiles along dim (of the flattened input when dim is None), from the sorted values."""
    if interpolation not in _METHODS:
        raise ValueError(f"quantile() interpolation must be one of {', '.join(_METHODS)}. Got "
                         f"'{interpolation}'.")
    x = F["reshape"](input, (-1,)) if dim is None else input
    axis = 0 if dim is None else dim % input.ndim
    ordered = F["sort"](x, dim=axis).values
    n = x.shape[axis]
    qs = q._array if isinstance(q, Tensor) else np.asarray(q, dtype=np.float64)
    if np.any((qs < 0) | (qs > 1)):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    results = []
    for level in np.atleast_1d(qs).reshape(-1):
        position = float(level) * (n - 1)
        low, high = int(np.floor(position)), int(np.ceil(position))
        weight = position - low
        if interpolation == "lower":
            weight = 0.0
        elif interpolation == "higher":
            low, weight = high, 0.0
        elif interpolation == "nearest":
            low, weight = int(np.round(position)), 0.0  # round half to even, as torch
        elif interpolation == "midpoint":
            weight = 0.0 if low == high else 0.5
        value = F["narrow"](ordered, axis, low, 1)
        if weight:
            value = value + (F["narrow"](ordered, axis, high, 1) - value) * weight
        if not keepdim:
            value = F["squeeze"](value, axis)
        elif dim is None:
            value = F["reshape"](value, (1,) * input.ndim)
        results.append(value)
    if np.ndim(qs) == 0:
        return results[0]
    return F["stack"](results, dim=0)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):  # noqa: A002
    if np.isnan(input._array).any():
        raise NotImplementedError("nanquantile with NaNs present is not supported by the verifier "
                                  "engine; without NaNs it is quantile")
    return quantile(input, q, dim, keepdim, interpolation=interpolation)


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False, *, out=None):  # noqa: A002
    """The k-th smallest value along dim and its index."""
    ordered = F["sort"](input, dim=dim)
    values = F["narrow"](ordered.values, dim, k - 1, 1)
    indices = _detached(np.take(ordered.indices._array, [k - 1], axis=dim))
    if not keepdim:
        values = F["squeeze"](values, dim)
        indices = _detached(np.squeeze(indices._array, axis=dim))
    return kthvalue_result(values, indices)


def msort(input):  # noqa: A002
    return F["sort"](input, dim=0).values


def aminmax(input, *, dim=None, keepdim: bool = False):  # noqa: A002
    """(min, max) over dim, or over every element when dim is None."""
    if dim is None:
        return aminmax_result(F["amin"](input), F["amax"](input))
    return aminmax_result(F["amin"](input, dim, keepdim=keepdim),
                          F["amax"](input, dim, keepdim=keepdim))


def cov(input, *, correction: int = 1, fweights=None, aweights=None):  # noqa: A002
    """Covariance of the rows (variables) over the columns (observations)."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov(fweights=, aweights=) is not supported by the verifier "
                                  "engine")
    x = F["reshape"](input, (1, -1)) if input.ndim < 2 else input
    n = x.shape[1]
    centered = x - F["mean"](x, 1, keepdim=True)
    result = F["matmul"](centered, F["transpose"](centered, 0, 1)) / max(n - correction, 0)
    return F["reshape"](result, ()) if input.ndim < 2 else result


def corrcoef(input):  # noqa: A002
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = F["sqrt"](F["diagonal"](c, 0, 0, 1))
    return c / F["reshape"](d, (-1, 1)) / F["reshape"](d, (1, -1))


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The trapezoid rule along dim: spacing dx (default 1) or sample points x."""
    segments, widths = trapezoid_parts(y, x, dim)
    if widths is not None:
        return F["sum"](segments * widths, dim) * 0.5
    return F["sum"](segments, dim) * (0.5 * (1 if dx is None else dx))


def trapezoid_parts(y, x, dim: int):
    """(y_i + y_(i+1) along dim, the widths x_(i+1) - x_i shaped to broadcast, or None)."""
    n = y.shape[dim]
    segments = F["narrow"](y, dim, 0, n - 1) + F["narrow"](y, dim, 1, n - 1)
    if x is None:
        return segments, None
    from verifier.engine.composites import diff
    widths = diff(x, dim=dim if x.ndim > 1 else -1)
    if x.ndim == 1 and y.ndim > 1:
        shape = [1] * y.ndim
        shape[dim] = n - 1
        widths = F["reshape"](widths, tuple(shape))
    return segments, widths


def logdet(input):  # noqa: A002
    """log det(A): NaN where the determinant is negative, -inf where it is 0 (as torch)."""
    return F["log"](F["det"](input))


def dist(input, other, p=2):  # noqa: A002
    return F["norm"](input - other, p)


def vdot(input, other):  # noqa: A002
    return F["sum"](input * other)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_") and not name.endswith("_result")
             and getattr(value, "__module__", "") == __name__}
FUNCTIONS["trapz"] = trapezoid
