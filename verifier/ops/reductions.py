"""Reductions over `dim` (None: every dim) with `keepdim`: sum mean prod amax amin norm logsumexp.

Each VJP first brings the gradient back to the input's shape (`_expand_back`:
reinsert the reduced dims, then expand), then multiplies by the local
derivative.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import axes, keep_shape
from verifier.ops.promotion import numpy_dtype
from verifier.ops.registry import Op, Param, register
from verifier.ops.symbolic import kink, reduce_object, sp

DIM_PARAMS = (Param("dim", None, "dim"), Param("keepdim", False, "bool"))


def _kept(ns, t, x, dim, keepdim):
    """A reduction's result (or gradient) reshaped to keepdim form, to broadcast against x."""
    return t if keepdim else ns.reshape(t, keep_shape(x.shape, dim))


def _expand_back(ns, g, x, dim, keepdim):
    """Broadcast a reduction's gradient back to the input's shape."""
    return ns.expand(_kept(ns, g, x, dim, keepdim), tuple(x.shape))


def _sum(a, dim=None, keepdim=False):
    return np.sum(a, axis=axes(dim, np.ndim(a)), keepdims=keepdim)


register(Op(
    name="sum", inputs=("input",), params=DIM_PARAMS, kind="reduction",
    forward=_sum,
    vjp=lambda ns, g, out, x, dim=None, keepdim=False: (_expand_back(ns, g, x, dim, keepdim),),
    sympy=lambda a, dim=None, keepdim=False: np.asarray(_sum(a, dim, keepdim), dtype=object),
    extra={"saves": ()},
))


def _count(shape, dim) -> int:
    ax = axes(dim, len(shape))
    if ax is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[i] for i in ax], dtype=np.int64))


def _mean(a, dim=None, keepdim=False):
    return np.mean(a, axis=axes(dim, np.ndim(a)), keepdims=keepdim)


register(Op(
    name="mean", inputs=("input",), params=DIM_PARAMS, kind="reduction",
    forward=_mean,
    # d mean/dx_i = 1/n over the reduced elements
    vjp=lambda ns, g, out, x, dim=None, keepdim=False: (
        _expand_back(ns, g, x, dim, keepdim) / _count(x.shape, dim),),
    sympy=lambda a, dim=None, keepdim=False: np.asarray(
        _sum(a, dim, keepdim), dtype=object) * sp.Rational(1, _count(a.shape, dim)),
    extra={"saves": ()},
))


# --- prod -------------------------------------------------------------------
def _prod(a, dim=None, keepdim=False):
    if isinstance(dim, (list, tuple)):
        raise TypeError("prod() takes one int dim (or none), as torch.prod; got "
                        f"{dim!r}: reduce one dim at a time")
    return np.prod(a, axis=axes(dim, np.ndim(a)), keepdims=keepdim)


def _products_of_others(ns, x, d):
    """p_i = prod_{j != i} x_j along dim d, without dividing (exact when some x_j = 0).

    Stack n copies of x along a new dim d (row i), put 1 on the diagonal i == j,
    and take the product over the original dim (now d + 1).
    """
    n = x.shape[d]
    ndim = len(x.shape)
    rows = ns.expand(ns.unsqueeze(x, d), tuple(x.shape[:d]) + (n,) + tuple(x.shape[d:]))
    diagonal = np.eye(n, dtype=bool).reshape((n, n) + (1,) * (ndim - d - 1))
    return ns.prod(ns.where(diagonal, 1, rows), dim=d + 1)


def _prod_vjp(ns, g, out, x, dim=None, keepdim=False):
    # d prod/dx_i = prod_{j != i} x_j. Not out / x_i: that is 0/0 where x_i = 0.
    if x.ndim == 0:
        return (g,)
    if dim is None:
        others = ns.reshape(_products_of_others(ns, ns.reshape(x, (-1,)), 0), tuple(x.shape))
    else:
        others = _products_of_others(ns, x, axes(dim, x.ndim)[0])
    return (_expand_back(ns, g, x, dim, keepdim) * others,)


register(Op(
    name="prod", inputs=("input",), params=(Param("dim", None, "int"), Param("keepdim", False, "bool")),
    kind="reduction",
    forward=_prod, vjp=_prod_vjp,
    sympy=lambda a, dim=None, keepdim=False: reduce_object(a, dim, keepdim, lambda xs: sp.Mul(*xs)),
    torch=lambda torch, x, dim=None, keepdim=False: torch.prod(x, dim, keepdim=keepdim)
    if dim is not None else torch.prod(x).reshape((1,) * x.ndim if keepdim else ()),
    kinks="exact where inputs are 0: the gradient of x_i is the product of the others "
          "(with two or more zeros in a slice every gradient of that slice is 0)",
    # torch saves the result too (its backward divides it by x where no x is 0): kept
    # so that changing it in place raises as in torch, though this VJP does not read it.
    extra={"saves_out": True},
))


# --- amax amin: ties share the gradient evenly ------------------------------
def _extreme_vjp(ns, g, out, x, dim, keepdim):
    # d max/dx_i = [x_i == max] / (number of tied maxima), as torch's amax/amin
    tied = ns.to_dtype(x == _kept(ns, out, x, dim, keepdim), numpy_dtype(x))
    count = ns.sum(tied, dim=dim, keepdim=True) if dim is not None else ns.sum(tied)
    return (_expand_back(ns, g, x, dim, keepdim) * tied / count,)


def _amax(a, dim=None, keepdim=False):
    return np.amax(a, axis=axes(dim, np.ndim(a)), keepdims=keepdim)


def _amin(a, dim=None, keepdim=False):
    return np.amin(a, axis=axes(dim, np.ndim(a)), keepdims=keepdim)


def _all_dims_as_empty(fn):
    # torch.amax(x, dim=None) is not accepted by every release; dim=() means every dim.
    return lambda torch, x, dim=None, keepdim=False: fn(torch)(
        x, dim=() if dim is None else dim, keepdim=keepdim)


for _name, _forward, _combine in (("amax", _amax, lambda xs: kink.TiedMax(*xs)),
                                  ("amin", _amin, lambda xs: kink.tied_min(*xs))):
    register(Op(
        name=_name, inputs=("input",), params=DIM_PARAMS, kind="reduction",
        forward=_forward,
        vjp=lambda ns, g, out, x, dim=None, keepdim=False: _extreme_vjp(ns, g, out, x, dim, keepdim),
        sympy=lambda a, dim=None, keepdim=False, _c=_combine: reduce_object(a, dim, keepdim, _c),
        torch=_all_dims_as_empty(lambda torch, _n=_name: getattr(torch, _n)),
        uses_out=True,
        kinks=f"{_name}: tied extreme elements share the gradient evenly (torch)",
    ))
