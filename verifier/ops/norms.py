"""norm, logsumexp, softmax, log_softmax: reductions that need care at zero and at overflow.

logsumexp, softmax and log_softmax subtract the maximum before exponentiating
(e^(x - m) <= 1 cannot overflow); norm gives a zero gradient at the zero vector.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.ops.dims import axes
from verifier.ops.promotion import numpy_dtype
from verifier.ops.reductions import DIM_PARAMS, _expand_back, _kept
from verifier.ops.registry import REQUIRED, Op, Param, register
from verifier.ops.symbolic import as_object, elementwise, kink, reduce_object, sp

INF = math.inf


def _norm(a, p=2, dim=None, keepdim=False):
    return np.linalg.vector_norm(a, ord=float(p), axis=axes(dim, np.ndim(a)), keepdims=keepdim)


def _norm_vjp(ns, g, out, x, p=2, dim=None, keepdim=False):
    g = _expand_back(ns, g, x, dim, keepdim)
    norm = _kept(ns, out, x, dim, keepdim)
    if p == 0:
        return (g * 0,)  # counts nonzeros: piecewise constant
    if p in (INF, -INF):
        # |x|_inf = max |x_i|: ties share evenly, as amax
        tied = ns.to_dtype(ns.abs(x) == norm, numpy_dtype(x))
        return (g * ns.sign(x) * tied / ns.sum(tied, dim=dim, keepdim=True),)
    # torch: the gradient at the zero vector is 0; dividing by 1 there keeps 0/0 out.
    safe = ns.where(norm == 0, 1, norm)
    if p == 2:
        return (g * x / safe,)  # d|x|_2/dx = x / |x|_2
    if p == 1:
        return (g * ns.sign(x),)
    # d (sum |x_j|^p)^(1/p) / dx_i = sign(x_i) |x_i|^(p-1) / |x|_p^(p-1); at x_i = 0 it is
    # 0 as in torch (sign 0), also for p < 1 where |0|^(p-1) is inf: 1 there keeps 0·inf out.
    magnitude = ns.where(x == 0, 1, ns.abs(x))
    return (g * ns.sign(x) * magnitude ** (p - 1) / safe ** (p - 1),)


def _norm_sympy(a, p=2, dim=None, keepdim=False):
    if p == 2:
        combine = lambda xs: kink.EuclideanNorm(*xs)  # noqa: E731
    elif p in (INF, sp.oo):
        combine = lambda xs: kink.TiedMax(*[kink.torch_abs(e) for e in xs])  # noqa: E731
    elif p in (-INF, -sp.oo):
        combine = lambda xs: -kink.TiedMax(*[-kink.torch_abs(e) for e in xs])  # noqa: E731
    elif p == 0:
        combine = lambda xs: sp.Add(*[sp.Piecewise((0, sp.Eq(e, 0)), (1, True)) for e in xs])  # noqa: E731
    elif p == 1:
        combine = lambda xs: sp.Add(*[kink.torch_abs(e) for e in xs])  # noqa: E731
    else:
        q = sp.nsimplify(p) if isinstance(p, float) else p
        combine = lambda xs: sp.Add(*[kink.torch_abs(e) ** q for e in xs]) ** (1 / q)  # noqa: E731
    return reduce_object(a, dim, keepdim, combine)


register(Op(
    name="norm", inputs=("input",),
    params=(Param("p", 2, "number"),) + DIM_PARAMS, kind="reduction",
    forward=_norm, vjp=_norm_vjp, sympy=_norm_sympy, uses_out=True,
    torch=lambda torch, x, p=2, dim=None, keepdim=False: torch.linalg.vector_norm(
        x, ord=p, dim=dim, keepdim=keepdim),
    extra={"node_name": "LinalgVectorNormBackward0"},
    kinks="the gradient at the zero vector is 0 (torch); p=inf shares ties evenly",
    doc="the vector p-norm over dim (torch.linalg.vector_norm): (sum |x|^p)^(1/p)",
))


def _shifted_max(a, ax):
    # The max of each slice, 0 where it is infinite (so x - m stays finite or nan as torch).
    m = np.amax(a, axis=ax, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


def _logsumexp(a, dim, keepdim=False):
    ax = axes(dim, np.ndim(a))
    m = _shifted_max(a, ax)
    out = np.log(np.sum(np.exp(a - m), axis=ax, keepdims=True)) + m
    return out if keepdim else np.reshape(out, np.shape(np.sum(a, axis=ax)))


def _softmax_of(ns, x, lse):
    """d lse/dx_i = e^(x_i - lse), the softmax.  A slice of only -inf (lse = -inf) gets 0
    (e^(-inf - 0)), not e^(-inf + inf) = nan: a dropped all-masked slice has no gradient
    (torch 2.13 gives nan there)."""
    return ns.exp(x - ns.where(lse == -math.inf, 0, lse))


def _logsumexp_sympy(a, dim, keepdim=False):
    return reduce_object(a, dim, keepdim, lambda xs: sp.log(sp.Add(*[sp.exp(e) for e in xs])))


register(Op(
    name="logsumexp", inputs=("input",),
    params=(Param("dim", REQUIRED, "dim"), Param("keepdim", False, "bool")), kind="reduction",
    forward=_logsumexp,
    vjp=lambda ns, g, out, x, dim, keepdim=False: (
        _expand_back(ns, g, x, dim, keepdim) * _softmax_of(ns, x, _kept(ns, out, x, dim, keepdim)),),
    sympy=_logsumexp_sympy, uses_out=True,
    doc="log(sum(exp(x), dim)), computed stably; dim is required, as in torch",
))


def _softmax(a, dim):
    ax = axes(dim, np.ndim(a))
    e = np.exp(a - _shifted_max(a, ax))
    return e / np.sum(e, axis=ax, keepdims=True)


def _log_softmax(a, dim):
    ax = axes(dim, np.ndim(a))
    shifted = a - _shifted_max(a, ax)
    return shifted - np.log(np.sum(np.exp(shifted), axis=ax, keepdims=True))


def _softmax_sympy(a, dim):
    e = elementwise("exp")(as_object(a))
    return e / np.sum(e, axis=axes(dim, e.ndim), keepdims=True)


def _log_softmax_sympy(a, dim):
    a = as_object(a)
    e = elementwise("exp")(a)
    return a - elementwise("log")(np.sum(e, axis=axes(dim, a.ndim), keepdims=True))


SOFTMAX_DIM = (Param("dim", REQUIRED, "int"),)

register(Op(
    name="softmax", inputs=("input",), params=SOFTMAX_DIM, kind="reduction",
    forward=_softmax,
    # y = softmax(x): dx = y * (g - sum(g * y))
    vjp=lambda ns, g, out, x, dim: (out * (g - ns.sum(g * out, dim=dim, keepdim=True)),),
    sympy=_softmax_sympy, uses_out=True, extra={"saves": ()},
    doc="exp(x) / sum(exp(x), dim), computed stably",
))

register(Op(
    name="log_softmax", inputs=("input",), params=SOFTMAX_DIM, kind="reduction",
    forward=_log_softmax,
    # y = log_softmax(x): dx = g - softmax(x) * sum(g) = g - e^y sum(g)
    vjp=lambda ns, g, out, x, dim: (g - ns.exp(out) * ns.sum(g, dim=dim, keepdim=True),),
    sympy=_log_softmax_sympy, uses_out=True, extra={"saves": ()},
    doc="x - logsumexp(x, dim, keepdim=True), computed stably",
))
