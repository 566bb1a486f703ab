"""Tensors from data: tensor, from_numpy, the legacy FloatTensor/DoubleTensor (sizes and
ranges: verifier.engine.factories; random: verifier.engine.random_state)."""

from __future__ import annotations

import numpy as np

from verifier.engine import dtypes
from verifier.engine.tensor import Tensor, _detached
from verifier.ops.promotion import floating


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = _detached(array, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor copying `data`; Python floats give the default dtype (float32)."""
    if isinstance(data, Tensor):
        array = np.array(data._array, dtype=None if dtype is None else dtypes.to_numpy(dtype))
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data, dtype=None if dtype is None else dtypes.to_numpy(dtype))
    else:
        array = np.array(_unwrap(data))
        if dtype is not None:
            array = array.astype(dtypes.to_numpy(dtype))
        elif array.dtype.kind == "f":
            array = array.astype(dtypes.get_default_dtype().numpy)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
    if array.dtype.kind not in "fbiu" and not floating(array.dtype):
        raise TypeError(f"could not make a tensor from data of numpy dtype {array.dtype}")
    _device_check(device)
    return _finish(array, requires_grad)


def _unwrap(data):
    if isinstance(data, Tensor):
        return data._array
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def _device_check(device) -> None:
    if device is not None and str(device).startswith("cuda"):
        raise RuntimeError("the verifier engine runs on numpy (CPU) only; "
                           "engine.cuda.is_available() is False")


def from_numpy(array: np.ndarray) -> Tensor:
    """Shares memory with `array` and keeps its dtype (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return _detached(array, None)


def FloatTensor(data=()) -> Tensor:  # noqa: N802  torch's legacy constructor
    if isinstance(data, int):
        return _finish(np.zeros(data, dtype=np.float32), False)
    return tensor(data, dtype=dtypes.float32)


def DoubleTensor(data=()) -> Tensor:  # noqa: N802  torch's legacy constructor
    if isinstance(data, int):
        return _finish(np.zeros(data, dtype=np.float64), False)
    return tensor(data, dtype=dtypes.float64)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()
