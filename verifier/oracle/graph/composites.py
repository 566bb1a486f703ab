"""Reductions that are compositions of primitives, built as those compositions.

softmax, log_softmax and logsumexp are their definitions (exp, a sum over the
dim, log, division: the registry's SymPy forms say the same); norm is
(sum |x|^p)^(1/p) with the zero vector's convention (gradient 0, a real
kink); prod is a chain of products along the dim (exact where elements are
0); amax and amin are, at the point, the linear map that shares the
gradient evenly between tied maxima (the registry's convention at ties).
var is sum((x - mean)²) / max(0, N - correction) and std its root with the
zero-variance convention of norm (gradient 0); with no degree of freedom left
both are NaN, and so are their gradients.  cumprod is a chain of running
products, logcumsumexp log(cumsum(exp(x))) (exact arithmetic needs no shift;
exp(-inf) = 0 and log(0) = -inf are exact).
"""

from __future__ import annotations

import numpy as np
from flint import fmpq

from verifier.ops.dims import axes, keep_shape
from verifier.ops.registry import Op
from verifier.ops.symbolic import elementwise, kink
from verifier.oracle.graph.divide_by_zero import divided_by_zero
from verifier.oracle.graph.elementwise import ElementwiseRule, derived
from verifier.oracle.graph.linear import LinearMap, LinearRule
from verifier.oracle.graph.tape import T


def _logsumexp(ns, tensors, params):
    (x,) = tensors
    total = ns.call("sum", [ns.call("exp", [x], {})],
                    {"dim": params["dim"], "keepdim": params.get("keepdim", False)})
    return ns.call("log", [total], {})


def _softmax(ns, tensors, params):
    (x,) = tensors
    e = ns.call("exp", [x], {})
    return ns.call("div", [e, ns.call("sum", [e], {"dim": params["dim"], "keepdim": True})], {})


def _log_softmax(ns, tensors, params):
    (x,) = tensors
    total = ns.call("sum", [ns.call("exp", [x], {})], {"dim": params["dim"], "keepdim": True})
    return ns.call("sub", [x, ns.call("log", [total], {})], {})


# s ** (1/p) as an elementwise op whose derivative at s = 0 is taken as 0 (elementwise.py).
ROOT = Op(name="norm_root", inputs=("input",), forward=None, vjp=None,
          sympy=lambda a, p: np.asarray(a, dtype=object) ** (1 / p))


# |x|^q with torch's zero gradient at x = 0 (the registry's norm form, sympy_functions.AbsPow).
ABS_POW = Op(name="abs_pow", inputs=("input",), forward=None, vjp=None,
             sympy=lambda a, q: elementwise(lambda e: kink.AbsPow(e, q))(a))


def _norm(ns, tensors, params):
    import sympy as sp
    (x,) = tensors
    p = params.get("p", 2)
    reduce = {"dim": params.get("dim"), "keepdim": params.get("keepdim", False)}
    inf = float("inf")
    if p is None or p == 2:
        total = ns.call("sum", [ns.call("mul", [x, x], {})], reduce)
        return _root(ns, sp.Integer(2), total)
    if p == 1:
        return ns.call("sum", [ns.call("abs", [x], {})], reduce)
    if p in (inf, sp.oo):
        return ns.call("amax", [ns.call("abs", [x], {})], reduce)
    if p in (-inf, -sp.oo):
        return ns.call("amin", [ns.call("abs", [x], {})], reduce)
    if p == 0:
        return ns.call("sum", [ns.call("where", [ns.compare("!=", x, 0), 1, 0], {})], reduce)
    q = p if isinstance(p, sp.Basic) else sp.Rational(p)
    terms = _unary(ns, ABS_POW, {"q": q}, x)
    return _root(ns, q, ns.call("sum", [terms], reduce))


def _root(ns, p, x):
    return _unary(ns, ROOT, {"p": p}, x)


def _unary(ns, op: Op, params: dict, x):
    """One of this module's own elementwise ops (not in the registry) applied to x."""
    d = derived(op, params, (("x", x.node is not None, False),))
    rule = ElementwiseRule(d, [x.value], x.shape, ns.decisions)
    return ns.tape.record(rule.value(), [x], rule)


def _prod(ns, tensors, params):
    (x,) = tensors
    dim, keepdim = params.get("dim"), params.get("keepdim", False)
    if dim is None:
        flat = ns.call("reshape", [x], {"shape": [-1]})
        if flat.size == 0:
            return ns.tensor(1)
        out = _chain(ns, flat, 0, flat.shape[0])
        return ns.call("reshape", [out], {"shape": [1] * x.value.ndim}) if keepdim else out
    d = axes(dim, x.value.ndim)[0]
    n = x.shape[d]
    if n == 0:
        return ns.call("sum", [ns.call("mul", [x, 0], {})], {"dim": dim, "keepdim": keepdim})
    out = _chain(ns, x, d, n)
    return ns.call("unsqueeze", [out], {"dim": d}) if keepdim else out


def _chain(ns, x, d, n):
    def part(i):
        return ns.call("index", [x], {"index": (slice(None),) * d + (i,)})
    out = part(0)
    for i in range(1, n):
        out = ns.call("mul", [out, part(i)], {})
    return out


def _extreme(largest: bool):
    def apply(ns, tensors, params):
        (x,) = tensors
        dim, keepdim = params.get("dim"), params.get("keepdim", False)
        ndim = x.value.ndim
        ax = axes(dim, ndim)
        ax = tuple(range(ndim)) if ax is None else tuple(ax)
        kept = tuple(i for i in range(ndim) if i not in ax)
        if any(x.shape[i] == 0 for i in ax):
            raise ValueError(f"{'amax' if largest else 'amin'}(): Expected reduction dim to have "
                             "a nonzero size")
        index = np.arange(x.size).reshape(x.shape)
        moved = np.transpose(index, kept + ax)
        rows = moved.reshape((-1, int(np.prod([x.shape[i] for i in ax], dtype=np.int64))))
        flat = x.value.ravel()
        out_rows, cols, coeffs = [], [], []
        op = ">" if largest else "<"
        for r, members in enumerate(rows):
            best = flat[members[0]]
            for m in members[1:]:
                if ns.decisions.compare(op, flat[m], best):
                    best = flat[m]
            tied = [m for m in members if ns.decisions.compare("==", flat[m], best)]
            share = fmpq(1, len(tied))
            for m in tied:
                out_rows.append(r)
                cols.append(m)
                coeffs.append(share)
        shape = tuple(x.shape[i] for i in kept)
        if keepdim:
            shape = keep_shape(x.shape, dim) if dim is not None else (1,) * ndim
        coeff_array = np.empty(len(coeffs), dtype=object)
        coeff_array[:] = coeffs
        lmap = LinearMap(shape, [(np.asarray(out_rows, dtype=np.intp),
                                  np.asarray(cols, dtype=np.intp), coeff_array)])
        # The value is the extreme itself (a share-weighted mean of equal numbers).
        rule = LinearRule(lmap)
        return ns.tape.record(rule.value([x.value]), [x], rule)
    return apply


def _var(ns, tensors, params):
    import sympy as sp

    from verifier.ops.statistics import _divisor
    (x,) = tensors
    dim, keepdim = params.get("dim"), params.get("keepdim", False)
    divisor = _divisor(x.shape, dim, params.get("unbiased"), params.get("correction"))
    mean = ns.call("mean", [x], {"dim": dim, "keepdim": True})
    if divisor == 0:
        # The mean's share of d total/dx, -(2/N) sum(x - mean), is exactly 0; through an
        # infinite slope it would read inf - inf, so the mean is taken as a constant here.
        mean = T(mean.value)
    centered = ns.call("sub", [x, mean], {})
    total = ns.call("sum", [ns.call("mul", [centered, centered], {})],
                    {"dim": dim, "keepdim": keepdim})
    if divisor == 0:  # no degree of freedom left: total / +0 (torch: inf, or nan at 0/0)
        return divided_by_zero(ns, total)
    return ns.call("div", [total, ns.tensor_of(sp.Rational(divisor))], {})


def _std(ns, tensors, params):
    import sympy as sp
    return _root(ns, sp.Integer(2), _var(ns, tensors, params))


def _cumprod(ns, tensors, params):
    (x,) = tensors
    if x.value.ndim == 0:
        return x
    d = axes(params["dim"], x.value.ndim)[0]

    def part(i):
        return ns.call("index", [x], {"index": (slice(None),) * d + (i,)})
    running, parts = part(0), []
    parts.append(running)
    for i in range(1, x.shape[d]):
        running = ns.call("mul", [running, part(i)], {})
        parts.append(running)
    return ns.call("stack", [parts], {"dim": d})


def _logcumsumexp(ns, tensors, params):
    (x,) = tensors
    total = ns.call("cumsum", [ns.call("exp", [x], {})], {"dim": params["dim"]})
    return ns.call("log", [total], {})


def _vector_norm(ns, tensors, params):
    return _norm(ns, tensors, {"p": params.get("ord", 2), "dim": params.get("dim"),
                               "keepdim": params.get("keepdim", False)})


COMPOSITES = {
    "vector_norm": _vector_norm,
    "var": _var,
    "std": _std,
    "cumprod": _cumprod,
    "logcumsumexp": _logcumsumexp,
    "logsumexp": _logsumexp,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "norm": _norm,
    "prod": _prod,
    "amax": _extreme(True),
    "amin": _extreme(False),
}
