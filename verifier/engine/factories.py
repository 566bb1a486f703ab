"""Tensors from sizes and ranges: zeros, ones, empty, full, their `_like` twins, eye,
arange, linspace, logspace, as_tensor — with torch's signatures and keywords.

Sizes are given as torch accepts them: `zeros(2, 3)`, `zeros((2, 3))`,
`zeros([2, 3])`, `zeros(torch.Size([2, 3]))`.  `dtype=None` is the default
floating dtype (or, for `full`, the dtype the fill value implies); `device`
must be the CPU; `out=` writes into an existing tensor.  `empty` gives zeros:
torch leaves the memory uninitialized, and any values are valid there.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.engine import dtypes
from verifier.engine.creation import _device_check, tensor
from verifier.engine.random_state import _out
from verifier.engine.tensor import Tensor, _detached


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) and not (isinstance(n, Tensor) and n.numel() == 1):
            raise TypeError(f"a size must be a tuple of ints, but got an element of type "
                            f"{type(n).__name__}")
    return tuple(int(n) for n in size)


def _made(array: np.ndarray, requires_grad: bool, device, out=None) -> Tensor:
    _device_check(device)
    t = _detached(array)
    if requires_grad:
        t.requires_grad_(True)
    return _out(out, t)


def _filled(value, shape, dtype, requires_grad, device, out) -> Tensor:
    return _made(np.full(shape, value, dtype=dtypes.to_numpy(dtype)), requires_grad, device, out)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(0, _shape(size), dtype, requires_grad, device, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    return _filled(1, _shape(size), dtype, requires_grad, device, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    return _filled(0, _shape(size), dtype, requires_grad, device, out)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """The dtype follows fill_value when not given: bool, int64, or the default float."""
    if dtype is None:
        dtype = _dtype_of_number(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, _shape((size,)), dtype, requires_grad, device, out)


def _dtype_of_number(value):
    if isinstance(value, (bool, np.bool_)):
        return dtypes.bool_
    if isinstance(value, (int, np.integer)):
        return dtypes.int64
    if isinstance(value, Tensor):
        return value.dtype
    return None


def _like_dtype(input, dtype):  # noqa: A002  torch's argument name
    return input._array.dtype if dtype is None else dtypes.to_numpy(dtype)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
               memory_format=None) -> Tensor:
    return _made(np.zeros(input._array.shape, _like_dtype(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
              memory_format=None) -> Tensor:
    return _made(np.ones(input._array.shape, _like_dtype(input, dtype)), requires_grad, device)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
               memory_format=None) -> Tensor:
    return _made(np.zeros(input._array.shape, _like_dtype(input, dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None,  # noqa: A002
              requires_grad=False, memory_format=None) -> Tensor:
    return _made(np.full(input._array.shape, fill_value, _like_dtype(input, dtype)),
                 requires_grad, device)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    return _made(np.eye(n, m, dtype=dtypes.to_numpy(dtype)), requires_grad, device, out)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """[start, end) by step; int64 when every bound is an integer, else the default float.

    The length is ceil((end - start) / step), computed in float64 as torch does, and
    element i is start + i·step (so arange(0, 1, 0.1) has 10 elements).
    """
    if end is None:
        start, end = 0, start
    bounds = [_scalar(v) for v in (start, end, step)]
    start, end, step = bounds
    if step == 0:
        raise RuntimeError("step must be nonzero")
    length = max(0, math.ceil((end - start) / step))
    integral = all(isinstance(v, (int, np.integer)) for v in bounds)
    if dtype is None:
        numpy_dtype = np.dtype(np.int64) if integral else dtypes.get_default_dtype().numpy
    else:
        numpy_dtype = dtypes.to_numpy(dtype)
    values = start + np.arange(length, dtype=np.int64 if integral else np.float64) * step
    return _made(values.astype(numpy_dtype), requires_grad, device, out)


def _scalar(value):
    if isinstance(value, Tensor):
        return value.item()
    if isinstance(value, bool):
        return int(value)
    return value


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    values = np.linspace(_scalar(start), _scalar(end), int(steps))
    return _made(values.astype(dtypes.to_numpy(dtype)), requires_grad, device, out)


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None,
             device=None, requires_grad=False) -> Tensor:
    values = np.power(float(base), np.linspace(_scalar(start), _scalar(end), int(steps)))
    return _made(values.astype(dtypes.to_numpy(dtype)), requires_grad, device, out)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` itself when it is already a tensor of that dtype; numpy arrays keep their dtype."""
    _device_check(device)
    if isinstance(data, Tensor):
        if dtype is None or dtypes.to_numpy(dtype) == data._array.dtype:
            return data
        return data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.to_numpy(dtype) == data.dtype):
        dtypes.from_numpy_dtype(data.dtype)
        return _detached(data)
    return tensor(data, dtype=dtype)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        t = tensor(t, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


FUNCTIONS = {f.__name__: f for f in (
    zeros, ones, empty, full, zeros_like, ones_like, empty_like, full_like, eye, arange, linspace,
    logspace, as_tensor, asarray)}
