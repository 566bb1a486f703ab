"""Facts about dtypes and devices: finfo, iinfo, promote_types, result_type, can_cast, device.

torch's promotion differs from numpy's: a float of any width wins over every
integer (int64 + float16 -> float16, numpy says float64), float16 with
bfloat16 gives float32, and in `result_type` a tensor with dimensions decides
the dtype within its category (bool < integer < float) over 0-d tensors, which
decide over Python numbers.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

from verifier.engine import dtypes
from verifier.engine.tensor import Tensor

_CATEGORY = {"bool": 0, "int32": 1, "int64": 1, "float16": 2, "bfloat16": 2, "float32": 2,
             "float64": 2}
_WIDTH = {"bool": 0, "int32": 1, "int64": 2, "float16": 1, "bfloat16": 1, "float32": 2,
          "float64": 3}


def promote_types(type1, type2) -> dtypes.DType:
    a, b = _dtype(type1), _dtype(type2)
    if a is b:
        return a
    ca, cb = _CATEGORY[a.name], _CATEGORY[b.name]
    if ca != cb:
        return a if ca > cb else b
    if {a.name, b.name} == {"float16", "bfloat16"}:
        return dtypes.float32
    return a if _WIDTH[a.name] > _WIDTH[b.name] else b


def _dtype(value) -> dtypes.DType:
    if isinstance(value, dtypes.DType):
        return value
    return dtypes.from_numpy_dtype(dtypes.to_numpy(value))


def _number_dtype(value) -> dtypes.DType:
    if isinstance(value, (bool, np.bool_)):
        return dtypes.bool_
    if isinstance(value, (int, np.integer)):
        return dtypes.int64
    return dtypes.get_default_dtype()


def result_type(tensor1, tensor2) -> dtypes.DType:
    """The dtype torch gives `tensor1 op tensor2` (numbers count as weak operands)."""
    operands = [tensor1, tensor2]
    tiers = ([t.dtype for t in operands if isinstance(t, Tensor) and t.ndim > 0],
             [t.dtype for t in operands if isinstance(t, Tensor) and t.ndim == 0],
             [_number_dtype(t) for t in operands if not isinstance(t, Tensor)])
    top = max(_CATEGORY[d.name] for tier in tiers for d in tier)
    for tier in tiers:
        chosen = [d for d in tier if _CATEGORY[d.name] == top]
        if chosen:
            result = chosen[0]
            for d in chosen[1:]:
                result = promote_types(result, d)
            return result
    raise AssertionError("unreachable: some operand has the top category")


def can_cast(from_, to) -> bool:
    """torch.can_cast: no cast to a lower category (float -> int, int -> bool)."""
    return _CATEGORY[_dtype(from_).name] <= _CATEGORY[_dtype(to).name]


class finfo:  # noqa: N801  torch's name
    """Machine limits of a floating dtype (the default dtype when none is given)."""

    def __init__(self, type=None) -> None:  # noqa: A002  torch's argument name
        dtype = dtypes.get_default_dtype() if type is None else _dtype(type)
        if not dtype.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type; got {dtype}. "
                            "Use torch.iinfo to handle 'torch.finfo'")
        info = ml_dtypes.finfo(dtype.numpy) if dtype.name == "bfloat16" else np.finfo(dtype.numpy)
        self.dtype = dtype.name
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = float(info.resolution)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801  torch's name
    """Limits of an integer dtype."""

    def __init__(self, type) -> None:  # noqa: A002  torch's argument name
        dtype = _dtype(type)
        if dtype.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type; got {dtype}. "
                            "Use torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(dtype.numpy) if dtype.name != "bool" else None
        self.dtype = dtype.name
        self.bits = 8 if info is None else int(info.bits)
        self.max = 1 if info is None else int(info.max)
        self.min = 0 if info is None else int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


class device:  # noqa: N801  torch's name
    """torch.device: a type ('cpu', 'cuda', ...) and an optional index."""

    def __init__(self, type, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index  # noqa: A001
        elif isinstance(type, int):
            type, index = "cuda", type  # noqa: A001  torch.device(0) is cuda:0
        elif ":" in type:
            type, number = type.split(":", 1)  # noqa: A001
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}:{number}")
            index = int(number)
        self.type = type
        self.index = index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")

FUNCTIONS = {"promote_types": promote_types, "result_type": result_type, "can_cast": can_cast,
             "finfo": finfo, "iinfo": iinfo, "device": device, "dtype": dtypes.DType}
