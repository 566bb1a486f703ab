"""The floating-point formats a case runs in: float64 float32 float16 bfloat16.

One table for every layer (the loader's validation, input rounding, the oracle's
point, the judge's epsilon and exact-error formats, the reports), so adding a
format is one row. numpy has no bfloat16: the ml_dtypes package (the one JAX and
TensorFlow use) supplies it, imported on first use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FloatFormat:
    name: str
    precision: int  # significand bits, the implicit one included
    min_exponent: int  # of the smallest normal number
    max_value: float  # the largest finite number
    digits: int  # significant digits that print a value exactly enough to read it back
    short: str  # its column heading in the table


FORMATS = {
    "float64": FloatFormat("float64", 53, -1022, float(np.finfo(np.float64).max), 17, "f64"),
    "float32": FloatFormat("float32", 24, -126, float(np.finfo(np.float32).max), 9, "f32"),
    "float16": FloatFormat("float16", 11, -14, 65504.0, 5, "f16"),
    "bfloat16": FloatFormat("bfloat16", 8, -126, 3.3895313892515355e38, 4, "bf16"),
}
# The run dtypes a case may ask for, in the order the reports show them.
RUN_DTYPES = tuple(FORMATS)
# What a case runs in when it does not say.
DEFAULT_DTYPES = ("float64", "float32")


def eps(name: str) -> float:
    """Machine epsilon: 2^(1 - precision)."""
    return 2.0 ** (1 - FORMATS[name].precision)


def numpy_dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        return np.dtype(importlib.import_module("ml_dtypes").bfloat16)
    return np.dtype(name)


def round_to(name: str, values: np.ndarray) -> np.ndarray:
    """float64 values rounded to `name` (still in that format's numpy dtype)."""
    return np.asarray(values, dtype=np.float64).astype(numpy_dtype(name))


def is_floating(dtype) -> bool:
    """numpy's float kinds, and ml_dtypes' bfloat16 (whose numpy kind is 'V')."""
    dtype = np.dtype(dtype)
    return dtype.kind == "f" or dtype.name == "bfloat16"
