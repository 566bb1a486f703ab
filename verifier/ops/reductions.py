"""Reductions: sum mean (prod amax amin norm logsumexp softmax log_softmax follow)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.ops.dims import axes, keep_shape
from verifier.ops.registry import Op, Param, register

DIM_PARAMS = (Param("dim", None, "dim"), Param("keepdim", False, "bool"))


def _expand_back(ns, g, x, dim, keepdim):
    """Broadcast a reduction's gradient back to the input's shape."""
    if not keepdim:
        g = ns.reshape(g, keep_shape(x.shape, dim))
    return ns.expand(g, tuple(x.shape))


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
