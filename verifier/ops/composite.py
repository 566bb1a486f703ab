"""Composite operations: one body over registry primitives gives forward, VJP and SymPy form.

A body `body(ns, *inputs, **params)` calls only `ns.<registered op>` and the
arithmetic operators, so the same text runs on three namespaces:

* `RAW` (numpy arrays): the forward;
* `SYMBOLIC` (object arrays of SymPy expressions): the SymPy form, built from
  each primitive's own SymPy form, kink conventions included;
* the engine: the VJP, by differentiating the graph the body records
  (verifier/engine/subgraph.py), at first and at any higher order.

Exact only where the composite *is* that composition in torch too (layer_norm
is mean, var, rsqrt; cross_entropy is log_softmax then nll): the kink
conventions of the primitives then are torch's.  Numbers in a body go through
`number(ns, ...)` so the SymPy form stays exact (`x / 2`, not `x * 0.5`).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from verifier.ops.registry import get
from verifier.ops.symbolic import sp


class SymbolicNamespace:
    """`SYMBOLIC.name(...)`: the op's SymPy form, with torch's signature, on object arrays."""

    def __getattr__(self, name: str):
        try:
            op = get(name)
        except KeyError:
            raise AttributeError(f"no registered operation named {name!r}") from None

        def call(*args, **kwargs):
            tensors, params = op.bind(args, dict(kwargs))
            if op.variadic:
                tensors = tuple(_object(t) for t in tensors[0]) + tuple(tensors[1:])
            else:
                tensors = tuple(_object(t) for t in tensors)
            return np.asarray(op.sympy(*tensors, **exact_params(params)), dtype=object)
        setattr(self, name, call)
        return call


SYMBOLIC = SymbolicNamespace()


def _object(value):
    if isinstance(value, np.ndarray):
        return value if value.dtype == object else _exact_array(value)
    if isinstance(value, (bool, int, float)):
        return np.asarray(exact_number(value), dtype=object)
    return np.asarray(value, dtype=object)


def _exact_array(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [v if a.dtype == bool else exact_number(v) for v in a.ravel().tolist()]
    return out


def exact_number(value):
    """A Python number as an exact SymPy number; a float by its shortest decimal (1e-5)."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        return sp.Integer(int(value))
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return sp.oo if value > 0 else (-sp.oo if value < 0 else sp.nan)
        f = Fraction(repr(value))
        return sp.Rational(f.numerator, f.denominator)
    return value


def exact_params(params: dict) -> dict:
    return {k: exact_number(v) if isinstance(v, float) else v for k, v in params.items()}


def number(ns, value, exact=None):
    """A constant of a body: exact in the SymPy form (exact() if given), a float elsewhere."""
    if ns is SYMBOLIC:
        return exact() if exact is not None else exact_number(value)
    return value


def _absent(value):
    """None for a left-out optional input that a namespace wrapped as a 0-d object array."""
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0 \
            and value.item() is None:
        return None
    return value


def is_symbolic(ns) -> bool:
    return ns is SYMBOLIC


def composite(body, differentiable=None):
    """(forward, vjp, sympy) of an op whose meaning is `body`.

    differentiable: indices of the tensor inputs that get gradients (default: all).
    """
    from verifier.ops.raw import RAW

    def forward(*arrays, **params):
        return body(RAW, *map(_absent, arrays), **params)

    def vjp(ns, g, out, *inputs, **params):
        from verifier.engine.subgraph import differentiate
        wanted = [differentiable is None or i in differentiable for i in range(len(inputs))]
        return differentiate(body, ns, g, inputs, params, wanted)

    def sympy(*arrays, **params):
        return body(SYMBOLIC, *map(_absent, arrays), **exact_params(params))

    return forward, vjp, sympy
