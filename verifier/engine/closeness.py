"""Closeness and finiteness tests: allclose, isclose, equal, isnan, isinf, isfinite, nan_to_num.

None of them is differentiable except `nan_to_num` (which is built from `where`,
so its gradient is 1 where the input is finite and 0 where it was replaced).
They work on the arrays and return bool tensors or Python bools, as torch's do.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.tensor import Tensor, _detached


def array_of(value) -> np.ndarray:
    """The numpy array behind a tensor, or a number as a 0-d array."""
    return value._array if isinstance(value, Tensor) else np.asarray(value)


def _bool_tensor(array) -> Tensor:
    return _detached(np.asarray(array, dtype=np.bool_))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002  torch's name
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol·|other|, elementwise; infinities equal only themselves."""
    a, b = array_of(input), array_of(other)
    if a.dtype != b.dtype and isinstance(other, Tensor):
        raise RuntimeError(f"{a.dtype} did not match {b.dtype}: isclose compares tensors of one "
                           "dtype; convert one with .to(other.dtype)")
    return _bool_tensor(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._array.all())


def equal(input, other) -> bool:  # noqa: A002
    """True when both have one shape and equal elements (NaN equals nothing)."""
    a, b = array_of(input), array_of(other)
    return a.shape == b.shape and bool(np.all(a == b))


def isnan(input) -> Tensor:  # noqa: A002
    return _bool_tensor(np.isnan(array_of(input)))


def isinf(input) -> Tensor:  # noqa: A002
    return _bool_tensor(np.isinf(array_of(input)))


def isposinf(input) -> Tensor:  # noqa: A002
    return _bool_tensor(np.isposinf(array_of(input)))


def isneginf(input) -> Tensor:  # noqa: A002
    return _bool_tensor(np.isneginf(array_of(input)))


def isfinite(input) -> Tensor:  # noqa: A002
    return _bool_tensor(np.isfinite(array_of(input)))


def isreal(input) -> Tensor:  # noqa: A002
    return _bool_tensor(np.isreal(array_of(input)))


def nan_to_num(input, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Tensor:
    """NaN -> nan, +inf -> posinf (default: the dtype's max), -inf -> neginf (its lowest)."""
    from verifier.engine.functional import FUNCTIONS
    a = input._array
    if a.dtype.kind != "f" and a.dtype.name != "bfloat16":
        return FUNCTIONS["clone"](input)
    info = np.finfo(a.dtype)
    replaced = np.where(np.isnan(a), nan,
                        np.where(a == np.inf, info.max if posinf is None else posinf,
                                 info.min if neginf is None else neginf)).astype(a.dtype)
    return FUNCTIONS["where"](isfinite(a), input, _detached(replaced))


def attach(tensor_class) -> None:
    """The Tensor methods torch has for these (x.isnan(), x.allclose(y), ...)."""
    for name in ("isclose", "allclose", "equal", "isnan", "isinf", "isposinf", "isneginf",
                 "isfinite", "isreal", "nan_to_num"):
        setattr(tensor_class, name, globals()[name])

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self.copy_(nan_to_num(self, nan, posinf, neginf))
    tensor_class.nan_to_num_ = nan_to_num_


FUNCTIONS = {name: globals()[name] for name in (
    "isclose", "allclose", "equal", "isnan", "isinf", "isposinf", "isneginf", "isfinite",
    "isreal", "nan_to_num")}
