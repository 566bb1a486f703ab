"""Creating tensors: tensor, ones, zeros, full, eye, arange, rand, randn, from_numpy, ..."""

from __future__ import annotations

import numpy as np

from verifier.engine import dtypes
from verifier.engine.tensor import Tensor, _detached
from verifier.ops.promotion import floating

_rng = [np.random.default_rng(0)]


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = _detached(array, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(int(n) for n in size)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor copying `data`; Python floats give the default dtype (float32)."""
    if isinstance(data, Tensor):
        array = np.array(data._array, dtype=None if dtype is None else dtypes.to_numpy(dtype))
    elif isinstance(data, np.ndarray):
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


def _filled(value, size, dtype, requires_grad, device=None):
    _device_check(device)
    return _finish(np.full(_shape(size), value, dtype=dtypes.to_numpy(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _filled(1, size, dtype, requires_grad, device)


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _filled(0, size, dtype, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    """torch.full: the dtype follows fill_value (bool, int64, or the default float)."""
    if dtype is None and isinstance(fill_value, bool):
        dtype = dtypes.bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = dtypes.int64
    return _filled(fill_value, (size,), dtype, requires_grad, device)


def ones_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.ones_like(t._array, dtype=None if dtype is None else dtypes.to_numpy(dtype)),
                   requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros_like(t._array, dtype=None if dtype is None else dtypes.to_numpy(dtype)),
                   requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=dtypes.to_numpy(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    if dtype is not None:
        values = values.astype(dtypes.to_numpy(dtype))
    elif floating(values.dtype):
        values = values.astype(dtypes.get_default_dtype().numpy)
    return _finish(values, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.linspace(start, end, steps).astype(dtypes.to_numpy(dtype)), requires_grad)


def manual_seed(seed: int):
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def rand(*size, dtype=None, requires_grad=False) -> Tensor:
    return _finish(_rng[0].random(_shape(size)).astype(dtypes.to_numpy(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False) -> Tensor:
    return _finish(_rng[0].standard_normal(_shape(size)).astype(dtypes.to_numpy(dtype)),
                   requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """Shares memory with `array` and keeps its dtype (float64 stays float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return _detached(array, None)


def FloatTensor(data=()) -> Tensor:  # noqa: N802  torch's legacy constructor
    if isinstance(data, int):
        return zeros(data, dtype=dtypes.float32)
    return tensor(data, dtype=dtypes.float32)


def DoubleTensor(data=()) -> Tensor:  # noqa: N802  torch's legacy constructor
    if isinstance(data, int):
        return zeros(data, dtype=dtypes.float64)
    return tensor(data, dtype=dtypes.float64)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()
