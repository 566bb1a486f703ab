"""The engine's dtypes: torch's names over numpy's dtypes."""

from __future__ import annotations

import ml_dtypes
import numpy as np


class DType:
    __slots__ = ("name", "numpy", "is_floating_point", "itemsize")

    def __init__(self, name: str, numpy_dtype) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f" or self.numpy.name == "bfloat16"
        self.itemsize = self.numpy.itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (from_name, (self.name,))


float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
float16 = DType("float16", np.float16)
# numpy has no bfloat16: ml_dtypes' (the package JAX uses) is a numpy dtype with ufuncs.
bfloat16 = DType("bfloat16", ml_dtypes.bfloat16)
int64 = DType("int64", np.int64)
int32 = DType("int32", np.int32)
bool_ = DType("bool", np.bool_)

float = float32  # noqa: A001  torch.float is float32
double = float64
long = int64
half = float16

_BY_NUMPY = {d.numpy: d for d in (float32, float64, float16, bfloat16, int64, int32, bool_)}
_BY_NAME = {d.name: d for d in _BY_NUMPY.values()}

_default = [float32]


def from_numpy_dtype(dt) -> DType:
    try:
        return _BY_NUMPY[np.dtype(dt)]
    except KeyError:
        raise TypeError(f"the engine does not support numpy dtype {np.dtype(dt)}") from None


def from_name(name: str) -> DType:
    return _BY_NAME[name]


def to_numpy(dtype) -> np.dtype:
    """Accept an engine DType, a numpy dtype or a name."""
    if dtype is None:
        return _default[0].numpy
    if isinstance(dtype, DType):
        return dtype.numpy
    if isinstance(dtype, str):
        return _BY_NAME[dtype].numpy
    return np.dtype(dtype)


def get_default_dtype() -> DType:
    return _default[0]


def set_default_dtype(dtype: DType) -> None:
    if not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = dtype
