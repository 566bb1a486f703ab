"""Building blocks for the SymPy side of registry entries.

The oracle holds tensors as numpy object arrays of SymPy expressions, so most
structural operations (sum over a dim, reshape, matmul) are numpy's own, and
an elementwise function is a SymPy function mapped over the array.

SymPy and SciPy are imported on first use, never when the registry is loaded:
the parser and the loader (`verifier check`) read only names and signatures,
and importing SymPy alone costs about 0.2 s.  Registry modules write `sp.exp`
inside the functions they register, with `sp` the lazy module below, and
`elementwise("exp")` where they would have passed `sp.exp` itself.
"""

from __future__ import annotations

import importlib
import math
from fractions import Fraction

import numpy as np


class LazyModule:
    """A module imported on its first attribute access: `sp.exp` imports SymPy there.

    Each attribute is copied onto the proxy once read, so later reads cost what a
    module attribute costs.  Dunder names are not forwarded: introspection
    (pickle, inspect, copy) must not trigger the import.
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


sp = LazyModule("sympy")
# SymPy Function subclasses with torch's conventions at kinks (imports SymPy).
kink = LazyModule("verifier.ops.sympy_functions")


def elementwise(fn):
    """Map a one-argument SymPy function over an object array.

    fn is a callable, or the name of a SymPy function ("exp"), looked up on
    first call so that declaring the op does not import SymPy.
    """
    ufunc = None

    def apply(a):
        nonlocal ufunc
        if ufunc is None:
            ufunc = np.frompyfunc(getattr(sp, fn) if isinstance(fn, str) else fn, 1, 1)
        return np.asarray(ufunc(a), dtype=object)
    return apply


def elementwise2(fn):
    ufunc = np.frompyfunc(fn, 2, 1)

    def apply(a, b):
        return np.asarray(ufunc(a, b), dtype=object)
    return apply


def as_object(a):
    return np.asarray(a, dtype=object)


def exact(value, decimal: bool = False):
    """A Python number as an exact SymPy number: a float by its binary value, or with
    `decimal` by its shortest decimal (a parameter written 1e-5 means 1/100000); ±inf and
    NaN as SymPy's."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        return sp.Integer(int(value))
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return sp.oo if value > 0 else (-sp.oo if value < 0 else sp.nan)
        if decimal:
            f = Fraction(repr(value))
            return sp.Rational(f.numerator, f.denominator)
        return sp.Rational(value)
    return value


def elementwise3(fn):
    ufunc = np.frompyfunc(fn, 3, 1)

    def apply(a, b, c):
        return np.asarray(ufunc(a, b, c), dtype=object)
    return apply


def reduce_object(a, dim, keepdim, combine):
    """Reduce an object array over torch `dim` with combine(list of elements) -> element."""
    from verifier.ops.dims import axes, keep_shape

    a = as_object(a)
    ax = axes(dim, a.ndim)
    if ax is None:
        ax = tuple(range(a.ndim))
    kept = tuple(i for i in range(a.ndim) if i not in ax)
    moved = np.transpose(a, kept + tuple(ax))
    rows = moved.reshape((-1, int(np.prod([a.shape[i] for i in ax], dtype=np.int64))))
    values = [combine(list(row)) for row in rows]
    out = np.empty(len(values), dtype=object)
    out[:] = values
    out = out.reshape(tuple(a.shape[i] for i in kept))
    if keepdim:
        out = out.reshape(keep_shape(a.shape, dim))
    return out
