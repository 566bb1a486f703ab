"""torch's type promotion where it differs from numpy's.

numpy 2 (NEP 50) already treats Python scalars as weak, as torch does.  The one
remaining difference: torch lets a tensor with dimensions decide the dtype over
a 0-d tensor of the same category (float32 [3] * float64 [] -> float32), while
numpy promotes (-> float64).
"""

from __future__ import annotations

import numpy as np

_ndarray = np.ndarray


def promote(*arrays):
    """Cast 0-d float arrays to the dtype of the dimensioned float arrays, as torch does (and
    0-d integer arrays to the dimensioned integer dtype: int32 [3] * int64 [] is int32)."""
    dimensioned = [a for a in arrays if type(a) is _ndarray and a.ndim > 0 and floating(a.dtype)]
    if not dimensioned:
        return _promote_integers(arrays)
    target = np.result_type(*dimensioned)
    return tuple(
        a.astype(target) if type(a) is _ndarray and a.ndim == 0 and floating(a.dtype)
        and a.dtype != target else a
        for a in arrays)


def _promote_integers(arrays):
    dimensioned = [a for a in arrays if type(a) is _ndarray and a.ndim > 0 and a.dtype.kind in "iu"]
    if not dimensioned:
        return arrays
    target = np.result_type(*dimensioned)
    return tuple(a.astype(target) if type(a) is _ndarray and a.ndim == 0 and a.dtype.kind in "iu"
                 and a.dtype != target else a for a in arrays)


def floating(dtype) -> bool:
    """A float dtype: numpy's kind 'f', or ml_dtypes' bfloat16 (numpy kind 'V')."""
    return dtype.kind == "f" or dtype.name == "bfloat16"


def binary(ufunc):
    """A numpy ufunc of two arguments with torch's promotion of 0-d operands."""
    def forward(a, b):
        if type(a) is _ndarray and type(b) is _ndarray and a.dtype != b.dtype:
            a, b = promote(a, b)
        return ufunc(a, b)
    forward.__name__ = ufunc.__name__
    # Same-dtype operands need no promotion: the engine may call the ufunc directly.
    forward.ufunc = ufunc
    return forward


def numpy_dtype(x):
    """The numpy dtype of a raw array or an engine Tensor (VJPs see both)."""
    return getattr(x.dtype, "numpy", x.dtype)
