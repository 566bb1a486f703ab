"""Building blocks for the SymPy side of registry entries.

The oracle holds tensors as numpy object arrays of SymPy expressions, so most
structural operations (sum over a dim, reshape, matmul) are numpy's own, and
an elementwise function is a SymPy function mapped over the array.
"""

from __future__ import annotations

import numpy as np
import sympy as sp


def elementwise(fn):
    """Map a one-argument SymPy function over an object array."""
    ufunc = np.frompyfunc(fn, 1, 1)

    def apply(a):
        return np.asarray(ufunc(a), dtype=object)
    return apply


def elementwise2(fn):
    ufunc = np.frompyfunc(fn, 2, 1)

    def apply(a, b):
        return np.asarray(ufunc(a, b), dtype=object)
    return apply


def as_object(a):
    return np.asarray(a, dtype=object)


def exact(value):
    """A Python number as an exact SymPy number (floats by their binary value)."""
    if isinstance(value, (sp.Basic,)):
        return value
    if isinstance(value, bool):
        return sp.Integer(int(value))
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Rational(value)
    return value
