"""Random examples for every registry entry: shapes, params and values inside each Domain.

A builder draws through a `Draws` object, so the same builders serve hypothesis
(`HypothesisDraws`) and fixed deterministic examples (`RandomDraws`).
"""

from __future__ import annotations

import math
import random

import numpy as np
from hypothesis import strategies as st


class RandomDraws:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options):
        return options[self.rng.randrange(len(options))]


class HypothesisDraws:
    def __init__(self, data) -> None:
        self.data = data

    def int(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def choice(self, options):
        return options[self.data.draw(st.integers(0, len(options) - 1))]


def shape(d, min_dims=0, max_dims=3, low=1, high=3):
    return tuple(d.int(low, high) for _ in range(d.int(min_dims, max_dims)))


def broadcast_partner(d, base):
    """A shape that broadcasts with `base`: a suffix of it, some sizes replaced by 1."""
    tail = base[len(base) - d.int(0, len(base)):] if base else ()
    return tuple(1 if d.choice((False, True)) else n for n in tail)


def some_dims(d, n, allow_none=True):
    """None, one dim (maybe negative) or a list of distinct dims of an n-d tensor."""
    if n == 0:
        return d.choice((None, 0)) if allow_none else 0
    kind = d.choice(("none", "one", "list") if allow_none else ("one", "list"))
    if kind == "none":
        return None
    if kind == "one":
        return d.int(-n, n - 1)
    picked = sorted({d.int(0, n - 1) for _ in range(d.int(1, n))})
    return picked


def unary(d):
    return [shape(d)], {}


def binary(d):
    a = shape(d)
    b = broadcast_partner(d, a)
    return ([a, b] if d.choice((True, False)) else [b, a]), {}


def where(d):
    a = shape(d)
    return [broadcast_partner(d, a), a, broadcast_partner(d, a)], {}


def reduction(d, allow_list=True):
    s = shape(d)
    dim = some_dims(d, len(s))
    if not allow_list and isinstance(dim, list):
        dim = dim[0]
    params = {} if dim is None else {"dim": dim}
    if d.choice((True, False)):
        params["keepdim"] = True
    return [s], params


def prod(d):
    return reduction(d, allow_list=False)


def norm(d):
    shapes, params = reduction(d)
    p = d.choice((2, 1, 3, math.inf))
    if p != 2:
        params["p"] = p
    return shapes, params


def logsumexp(d):
    s = shape(d)
    params = {"dim": some_dims(d, len(s), allow_none=False)}
    if d.choice((True, False)):
        params["keepdim"] = True
    return [s], params


def softmax(d):
    s = shape(d)
    return [s], {"dim": d.int(-len(s), len(s) - 1) if s else 0}


def clamp(d):
    low, high = d.choice(((-0.5, 0.5), (-0.5, None), (None, 0.5), (0.3, -0.3)))
    params = {k: v for k, v in (("min", low), ("max", high)) if v is not None}
    return [shape(d)], params


def softplus(d):
    return [shape(d)], d.choice(({}, {"beta": 2.0, "threshold": 1.0}))


def reshape(d):
    s = shape(d)
    target = d.choice((tuple(reversed(s)), (-1,), (int(np.prod(s)), 1)))
    return [s], {"shape": target}


def expand(d):
    s = shape(d, low=1, high=2)
    size = tuple(3 if n == 1 and d.choice((True, False)) else d.choice((n, -1)) for n in s)
    return [s], {"size": (2,) * d.int(0, 1) + size}


def transpose(d):
    s = shape(d, min_dims=1)
    n = len(s)
    return [s], {"dim0": d.int(-n, n - 1), "dim1": d.int(-n, n - 1)}


def permute(d):
    s = shape(d, min_dims=1)
    dims = list(range(len(s)))
    for i in range(len(dims) - 1, 0, -1):  # a Fisher-Yates shuffle through the draws
        j = d.int(0, i)
        dims[i], dims[j] = dims[j], dims[i]
    return [s], {"dims": tuple(dims)}


def t(d):
    return [shape(d, max_dims=2)], {}


def squeeze(d):
    s = shape(d, low=1, high=2)
    return [s], ({} if d.choice((True, False)) else {"dim": some_dims(d, len(s), allow_none=False)})


def unsqueeze(d):
    s = shape(d)
    return [s], {"dim": d.int(-len(s) - 1, len(s))}


def flatten(d):
    s = shape(d)
    if not s:
        return [s], {}
    start = d.int(0, len(s) - 1)
    return [s], {"start_dim": start, "end_dim": d.int(start, len(s) - 1)}


def cat(d):
    s = shape(d, min_dims=1)
    dim = d.int(-len(s), len(s) - 1)
    shapes = []
    for _ in range(d.int(1, 3)):
        one = list(s)
        one[dim] = d.int(1, 3)
        shapes.append(tuple(one))
    return shapes, {"dim": dim}


def stack(d):
    s = shape(d)
    return [s] * d.int(1, 3), {"dim": d.int(-len(s) - 1, len(s))}


def matmul(d):
    n, k, m = d.int(1, 3), d.int(1, 3), d.int(1, 3)
    return d.choice(([(k,), (k,)], [(n, k), (k,)], [(k,), (k, m)], [(n, k), (k, m)],
                     [(2, 1, n, k), (3, k, m)], [(2, n, k), (k,)])), {}


def dot(d):
    n = d.int(1, 4)
    return [(n,), (n,)], {}


def outer(d):
    return [(d.int(1, 3),), (d.int(1, 3),)], {}


def trace(d):
    return [(d.int(1, 3), d.int(1, 3))], {}


def square_matrices(d):
    n = d.int(1, 3)
    return [(2,) * d.int(0, 1) + (n, n)], {}


def lerp(d):
    a = shape(d)
    weight = broadcast_partner(d, a)
    return [a, broadcast_partner(d, a), weight], {}


def round_(d):
    return [shape(d)], d.choice(({}, {"decimals": 1}))


def logit(d):
    return [shape(d)], d.choice(({}, {"eps": 0.2}))


def polygamma(d):
    return [shape(d)], {"n": d.int(0, 2)}


def gelu(d):
    return [shape(d)], d.choice(({}, {"approximate": "tanh"}))


def glu(d):
    s = list(shape(d, min_dims=1))
    dim = d.int(-len(s), len(s) - 1)
    s[dim] = 2 * d.int(1, 2)
    return [tuple(s)], {"dim": dim}


def one_number(param, *choices):
    return lambda d: ([shape(d)], d.choice(({},) + tuple({param: c} for c in choices)))


BUILDERS = {
    "gelu": gelu, "glu": glu, "elu": one_number("alpha", 0.5, 2.0),
    "celu": one_number("alpha", 0.5, 2.0), "leaky_relu": one_number("negative_slope", 0.2),
    "hardtanh": lambda d: ([shape(d)], d.choice(({}, {"min_val": -0.5, "max_val": 1.5}))),
    "lerp": lerp, "polygamma": polygamma, "round": round_, "logit": logit,
    "where": where, "clamp": clamp, "softplus": softplus,
    "sum": reduction, "mean": reduction, "amax": reduction, "amin": reduction,
    "prod": prod, "norm": norm, "logsumexp": logsumexp,
    "softmax": softmax, "log_softmax": softmax,
    "reshape": reshape, "view": reshape, "expand": expand, "transpose": transpose,
    "permute": permute, "t": t, "squeeze": squeeze, "unsqueeze": unsqueeze,
    "flatten": flatten, "cat": cat, "stack": stack,
    "matmul": matmul, "dot": dot, "outer": outer, "trace": trace,
    "det": square_matrices, "inverse": square_matrices,
}


def build(op, d):
    from tests.nn_examples import NN_BUILDERS

    if op.name in NN_BUILDERS:
        return NN_BUILDERS[op.name](d)
    from tests.op_examples_logical import BUILDERS as LOGICAL  # all, any, count_nonzero
    if op.name in LOGICAL:
        return LOGICAL[op.name](d)
    from tests.op_examples_more import BUILDERS as MORE  # statistics, indexing, linalg (issue 11)
    if op.name in MORE:
        return MORE[op.name](d)
    if op.name in BUILDERS:
        return BUILDERS[op.name](d)
    return (binary if len(op.inputs) == 2 else unary)(d)


def values(domain, shape, rng: np.random.Generator) -> np.ndarray:
    """float64 values inside `domain`, kept `margin` away from its `avoid` points."""
    x = rng.uniform(domain.low, domain.high, size=shape)
    for point in domain.avoid:
        near = np.abs(x - point) < domain.margin
        pushed = point + np.where(x >= point, 1, -1) * (domain.margin + rng.uniform(0, 0.5, size=shape))
        x = np.where(near, pushed, x)
    if domain.symmetric:
        x = (x + np.swapaxes(x, -1, -2)) / 2
    if domain.well_conditioned or domain.symmetric:
        # A diagonally dominant matrix: eigenvalues (singular values of a rectangular one)
        # stay away from 0.
        rows, n = shape[-2:] if len(shape) >= 2 else (shape[-1], shape[-1])
        x = x / max(rows, n, 1) + 2 * np.eye(rows, n)
    return np.asarray(x)
