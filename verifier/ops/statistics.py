"""Statistics and scans: var std (with `correction`), cumsum cumprod logcumsumexp.

var and std divide by max(0, N - correction) as torch does: one element with the
default correction 1 gives nan, with a nan gradient. std's gradient is 0 where
std is 0 (a constant slice), as torch's.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import _one, axes
from verifier.ops.reductions import _count, _expand_back, _kept
from verifier.ops.registry import REQUIRED, Op, Param, register
from verifier.ops.slices import map_slices, plain
from verifier.ops.symbolic import as_object, kink, reduce_object, sp

# torch.var(input, dim, unbiased, keepdim) positionally; correction= by keyword (torch 2.x).
VAR_PARAMS = (Param("dim", None, "dim"), Param("unbiased", None, "bool"),
              Param("keepdim", False, "bool"), Param("correction", None, "number"))


def _correction(unbiased, correction) -> float:
    if unbiased is not None and correction is not None:
        raise RuntimeError("var/std: give either unbiased= or correction=, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _divisor(shape, dim, unbiased, correction) -> float:
    return max(0.0, _count(shape, dim) - _correction(unbiased, correction))


def _var(a, dim=None, unbiased=None, keepdim=False, correction=None):
    ax = axes(dim, np.ndim(a))
    centered = a - np.mean(a, axis=ax, keepdims=True)
    total = np.sum(centered * centered, axis=ax, keepdims=keepdim)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(total / a.dtype.type(_divisor(np.shape(a), dim, unbiased, correction)))


def _std(a, dim=None, unbiased=None, keepdim=False, correction=None):
    return np.sqrt(_var(a, dim, unbiased, keepdim, correction))


def _centered(ns, x, dim):
    return x - ns.mean(x, dim=dim, keepdim=True)


def _var_vjp(ns, g, out, x, dim=None, unbiased=None, keepdim=False, correction=None):
    # d var / dx_i = 2 (x_i - mean) / (N - correction); the mean's own terms sum to 0
    divisor = _divisor(x.shape, dim, unbiased, correction)
    scale = 2.0 / divisor if divisor else np.inf
    return (_expand_back(ns, g, x, dim, keepdim) * _centered(ns, x, dim) * scale,)


def _std_vjp(ns, g, out, x, dim=None, unbiased=None, keepdim=False, correction=None):
    # d std / dx_i = (x_i - mean) / ((N - correction) std), taken as 0 where std = 0 (torch)
    divisor = _divisor(x.shape, dim, unbiased, correction)
    scale = 1.0 / divisor if divisor else np.inf
    std = _kept(ns, out, x, dim, keepdim)
    zero = std == 0
    safe = ns.where(zero, 1, std)  # keeps 0/0 out of the unused branch (and its derivative)
    grad = _expand_back(ns, g, x, dim, keepdim) * _centered(ns, x, dim) * scale / safe
    return (ns.where(zero, 0, grad),)


def _var_sympy(a, dim=None, unbiased=None, keepdim=False, correction=None):
    divisor = _divisor(np.shape(a), dim, unbiased, correction)

    def combine(xs):
        mean = sp.Add(*xs) / len(xs)
        total = sp.Add(*[(e - mean) ** 2 for e in xs])
        return total / _exact(divisor) if divisor else sp.nan
    return reduce_object(a, dim, keepdim, combine)


def _std_sympy(a, dim=None, unbiased=None, keepdim=False, correction=None):
    divisor = _divisor(np.shape(a), dim, unbiased, correction)

    def combine(xs):
        # sqrt(sum (x - mean)^2) as a Euclidean norm: its gradient is 0 at a constant slice
        mean = sp.Add(*xs) / len(xs)
        return kink.EuclideanNorm(*[e - mean for e in xs]) / sp.sqrt(_exact(divisor)) \
            if divisor else sp.nan
    return reduce_object(a, dim, keepdim, combine)


def _exact(number):
    return sp.Rational(number) if isinstance(number, float) else sp.Integer(number)


def _var_torch(name):
    def call(torch, x, dim=None, unbiased=None, keepdim=False, correction=None):
        if unbiased is not None:
            return getattr(torch, name)(x, dim, unbiased=unbiased, keepdim=keepdim)
        return getattr(torch, name)(x, dim, correction=1 if correction is None else correction,
                                    keepdim=keepdim)
    return call


register(Op(
    name="var", inputs=("input",), params=VAR_PARAMS, kind="reduction",
    forward=_var, vjp=_var_vjp, sympy=_var_sympy, torch=_var_torch("var"),
    kinks="N - correction <= 0 gives nan (one element with the default correction)",
    doc="sum((x - mean)^2) / (N - correction) over dim; correction=1 by default",
))

register(Op(
    name="std", inputs=("input",), params=VAR_PARAMS, kind="reduction",
    forward=_std, vjp=_std_vjp, sympy=_std_sympy, torch=_var_torch("std"), uses_out=True,
    kinks="std'(x) = 0 where std = 0 (a constant slice), as torch; N - correction <= 0 gives nan",
    doc="sqrt(var(x, dim, correction=1))",
))


# --- scans ---------------------------------------------------------------------------
SCAN_PARAMS = (Param("dim", REQUIRED, "int"), Param("dtype", None, "dtype"))


def _cast(a, dtype):
    if dtype is None:
        return a
    from verifier.engine.dtypes import to_numpy
    return a.astype(to_numpy(dtype))


def _cumsum(a, dim, dtype=None):
    a = _cast(a, dtype)
    return np.array(a) if np.ndim(a) == 0 else np.cumsum(a, axis=_one(dim, np.ndim(a)))


def _cumsum_vjp(ns, g, out, x, dim, dtype=None):
    # out_j = sum_{i<=j} x_i: dx_i = sum_{j>=i} g_j, a cumsum from the end
    if x.ndim == 0:
        return (g,)
    d = _one(dim, x.ndim)
    return (ns.flip(ns.cumsum(ns.flip(g, [d]), d), [d]),)


register(Op(
    name="cumsum", inputs=("input",), params=SCAN_PARAMS, kind="reduction",
    forward=_cumsum, vjp=_cumsum_vjp,
    sympy=lambda a, dim, dtype=None: np.array(a, dtype=object) if np.ndim(a) == 0
    else np.cumsum(as_object(a), axis=_one(dim, np.ndim(a))),
    extra={"saves": ()},
    doc="the running sum along dim",
))


def _cumprod(a, dim, dtype=None):
    a = _cast(a, dtype)
    return np.array(a) if np.ndim(a) == 0 else np.cumprod(a, axis=_one(dim, np.ndim(a)))


def _lower_triangle(n, trailing):
    """mask[j, k] = k <= j, shaped to broadcast over `trailing` dims after the pair."""
    return np.tril(np.ones((n, n), dtype=bool)).reshape((n, n) + (1,) * trailing)


def _cumprod_vjp(ns, g, out, x, dim, dtype=None):
    # dx_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i, with no division (exact at zeros):
    # row k of a stack is x with x_k replaced by 1; its cumprod gives the products.
    if x.ndim == 0:
        return (g,)
    d = _one(dim, x.ndim)
    n = x.shape[d]
    trailing = x.ndim - d - 1
    rows = ns.expand(ns.unsqueeze(x, d), tuple(x.shape[:d]) + (n,) + tuple(x.shape[d:]))
    replaced = ns.where(np.eye(n, dtype=bool).reshape((n, n) + (1,) * trailing), 1, rows)
    partial = ns.cumprod(replaced, d + 1)  # [k, j]: prod_{i<=j, i != k} x_i
    later = _lower_triangle(n, trailing).swapaxes(0, 1)  # [k, j]: j >= k
    weighted = ns.where(later, ns.unsqueeze(g, d) * partial, 0)
    return (ns.sum(weighted, dim=d + 1),)


register(Op(
    name="cumprod", inputs=("input",), params=SCAN_PARAMS, kind="reduction",
    forward=_cumprod, vjp=_cumprod_vjp,
    sympy=lambda a, dim, dtype=None: np.array(a, dtype=object) if np.ndim(a) == 0
    else np.cumprod(as_object(a), axis=_one(dim, np.ndim(a))),
    kinks="exact where inputs are 0: the gradient of x_k sums products of the other factors",
    extra={"saves_out": True},  # torch saves the result too
    doc="the running product along dim",
))


def _logcumsumexp(a, dim):
    return np.array(a) if np.ndim(a) == 0 else np.logaddexp.accumulate(a, axis=_one(dim, np.ndim(a)))


def _logcumsumexp_vjp(ns, g, out, x, dim):
    # out_j = log sum_{k<=j} e^{x_k}: dx_k = sum_{j>=k} g_j e^{x_k - out_j}, where
    # x_k - out_j <= 0 cannot overflow; an x_k = -inf gets 0.
    if x.ndim == 0:
        return (g,)
    d = _one(dim, x.ndim)
    n = x.shape[d]
    trailing = x.ndim - d - 1
    columns = ns.unsqueeze(x, d)  # [.., 1, k, ..]
    rows = ns.unsqueeze(out, d + 1)  # [.., j, 1, ..]
    used = _lower_triangle(n, trailing) & np.expand_dims(plain(x) > -np.inf, d)
    weights = ns.exp(ns.where(used, columns - rows, -np.inf))
    return (ns.sum(ns.unsqueeze(g, d + 1) * weights, dim=d),)


def _logcumsumexp_sympy(a, dim):
    if np.ndim(a) == 0:
        return np.array(a, dtype=object)
    return map_slices(a, _one(dim, np.ndim(a)), lambda xs: [
        sp.log(sp.Add(*[sp.exp(e) for e in xs[:j + 1]])) for j in range(len(xs))])


register(Op(
    name="logcumsumexp", inputs=("input",), params=(Param("dim", REQUIRED, "int"),),
    kind="reduction",
    forward=_logcumsumexp, vjp=_logcumsumexp_vjp, sympy=_logcumsumexp_sympy, uses_out=True,
    kinks="-inf inputs get a zero gradient; -inf prefixes stay -inf",
    doc="log(cumsum(exp(x), dim)), computed stably",
))
