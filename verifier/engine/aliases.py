"""torch's other names for the same functions (arccos, multiply, greater, ...), comparisons as
functions (eq, lt, ...), div with rounding_mode, and a few small composites: fmax/fmin,
pdist, chain_matmul, addr, cumulative_trapezoid, range, histc, conj.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached

_SAME = {"absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin",
         "arcsinh": "asinh", "arctan": "atan", "arctan2": "atan2", "arctanh": "atanh",
         "multiply": "mul", "subtract": "sub", "fix": "trunc", "negative": "neg"}
ALIASES = {name: F[target] for name, target in _SAME.items() if target in F}


def _comparison(dunder):
    def compare(input, other, *, out=None):  # noqa: A002  torch's argument name
        return getattr(Tensor, dunder)(input, other)
    compare.__name__ = dunder.strip("_")
    return compare


COMPARISONS = {name: _comparison(dunder) for name, dunder in (
    ("eq", "__eq__"), ("ne", "__ne__"), ("lt", "__lt__"), ("le", "__le__"), ("gt", "__gt__"),
    ("ge", "__ge__"), ("not_equal", "__ne__"), ("less", "__lt__"), ("less_equal", "__le__"),
    ("greater", "__gt__"), ("greater_equal", "__ge__"))}


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    """True division, or rounded: 'trunc' and 'floor' (their gradient is zero, as torch's)."""
    if rounding_mode is None:
        return F["div"](input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{rounding_mode}'")
    a = input._array if isinstance(input, Tensor) else np.asarray(input)
    b = other._array if isinstance(other, Tensor) else np.asarray(other)
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        q = np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(a / b).astype(
            np.result_type(a, b))
        return _detached(np.asarray(q))
    rounded = F["floor" if rounding_mode == "floor" else "trunc"]
    return rounded(F["div"](input, other))


def fmax(input, other, *, out=None):  # noqa: A002
    """The larger of the two, ignoring a NaN; ties and NaN-other give input the gradient."""
    return F["where"]((input >= other) | _isnan(other), input, other)


def fmin(input, other, *, out=None):  # noqa: A002
    return F["where"]((input <= other) | _isnan(other), input, other)


def _isnan(t) -> Tensor:
    return _detached(np.isnan(t._array if isinstance(t, Tensor) else np.asarray(t)))


def pdist(input, p: float = 2):  # noqa: A002
    """Distances between the rows i < j of an (n, m) input, in row-major pair order."""
    n = input.shape[0]
    first, second = np.triu_indices(n, 1)
    differences = input[first] - input[second]
    return F["vector_norm"](differences, p, -1)


def chain_matmul(*matrices, out=None):
    return functools.reduce(F["matmul"], matrices)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):  # noqa: A002
    product = F["outer"](vec1, vec2)
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product
    return (input if beta == 1 else input * beta) + product


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """Running trapezoid integrals along dim (one fewer element than y)."""
    from verifier.engine.statistics_api import trapezoid_parts
    segments, widths = trapezoid_parts(y, x, dim)
    if widths is not None:
        return F["cumsum"](segments * widths, dim) * 0.5
    return F["cumsum"](segments, dim) * (0.5 * (1 if dx is None else dx))


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None,  # noqa: A001
          device=None, requires_grad=False):
    """The deprecated torch.range: end included, the default float dtype."""
    from verifier.engine import dtypes
    from verifier.engine.factories import _made
    if end is None:
        start, end = 0, start
    count = int(math.floor((end - start) / step)) + 1
    values = start + np.arange(max(count, 0), dtype=np.float64) * step
    return _made(values.astype(dtypes.to_numpy(dtype)), requires_grad, device, out)


def histc(input, bins: int = 100, min=0, max=0, *, out=None):  # noqa: A002
    """Counts in `bins` equal bins over [min, max] (the data's range when both are 0)."""
    a = input._array
    low, high = (float(a.min()), float(a.max())) if min == max else (min, max)
    if low == high:
        low, high = low - 1, high + 1
    counts, _ = np.histogram(a, bins=bins, range=(low, high))
    return _detached(counts.astype(a.dtype))


def conj(input):  # noqa: A002
    """Real tensors are their own conjugate (torch returns the tensor itself)."""
    return input


def ger(input, vec2):  # noqa: A002
    return F["outer"](input, vec2)


FUNCTIONS = {**ALIASES, **COMPARISONS, "ger": ger, "div": div, "divide": div, "fmax": fmax, "fmin": fmin,
             "pdist": pdist, "chain_matmul": chain_matmul, "addr": addr,
             "cumulative_trapezoid": cumulative_trapezoid, "range": range, "histc": histc,
             "conj": conj, "resolve_conj": conj, "resolve_neg": conj}
