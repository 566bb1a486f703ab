"""Tensor methods and properties beyond the registry's: conversions (long, int, bool, half,
to(...)), new_* constructors, *_as shapes, memory facts (stride, is_contiguous,
element_size), in-place twins of functions (clamp_min_, masked_fill_, addcmul_, ...),
bitwise and Python operators on masks (&, |, ^, ~, //, %, `in`), and hooks.

Attached to `Tensor` by `attach()` (called from `verifier.engine.api`).
"""

from __future__ import annotations

import numpy as np

from verifier.engine import dtypes
from verifier.engine.function import apply_inplace
from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached, _init_state
from verifier.engine.tensor_api_names import (
    FUNCTION_INPLACE,
    FUNCTION_METHODS,
    MORE_INPLACE,
    REGISTRY_INPLACE,
)
from verifier.ops.registry import all_ops

_OPS = all_ops()


# --- conversions --------------------------------------------------------------
def _converter(dtype):
    def convert(self, memory_format=None):
        return self.to(dtype)
    convert.__name__ = dtype.name
    return convert


def type_as(self, other):
    return self.to(other.dtype)


# --- new tensors like this one -----------------------------------------------
def _new(fill):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
        from verifier.engine.factories import _made, _shape
        numpy_dtype = self._array.dtype if dtype is None else dtypes.to_numpy(dtype)
        return _made(np.full(_shape(size), fill, dtype=numpy_dtype), requires_grad, device)
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    from verifier.engine.factories import _made, _shape
    numpy_dtype = self._array.dtype if dtype is None else dtypes.to_numpy(dtype)
    return _made(np.full(_shape((size,)), fill_value, dtype=numpy_dtype), requires_grad, device)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
    from verifier.engine.creation import tensor
    return tensor(data, dtype=self.dtype if dtype is None else dtype, device=device,
                  requires_grad=requires_grad)


# --- shapes of another tensor ---------------------------------------------------
def view_as(self, other):
    return F["view"](self, tuple(other.shape))


def reshape_as(self, other):
    return F["reshape"](self, tuple(other.shape))


def expand_as(self, other):
    return F["expand"](self, tuple(other.shape))


# --- memory facts (numpy's layout, in elements as torch counts) -----------------
def stride(self, dim=None):
    strides = tuple(s // self._array.itemsize for s in self._array.strides)
    return strides if dim is None else strides[dim]


def is_contiguous(self, memory_format=None) -> bool:
    return bool(self._array.flags.c_contiguous)


def element_size(self) -> int:
    return self._array.itemsize


def data_ptr(self) -> int:
    return int(self._array.__array_interface__["data"][0])


def _true(self, *args, **kwargs):
    return self


# --- in-place twins ---------------------------------------------------------------
def _inplace_of(op_name, **fixed):
    """x.name_(...) through apply_inplace of one registry op (its history follows)."""
    op = _OPS[op_name]

    def method(self, *args, **kwargs):
        tensors, params = op.bind((self,) + args, dict(kwargs))
        params.update(fixed)
        return apply_inplace(op, self, tuple(tensors[1:]), params)
    method.__name__ = op_name + "_"
    return method


def _inplace_by_copy(function):
    """x.name_(...) as x.copy_(function(x, ...)): the value and gradient of the function."""
    def method(self, *args, **kwargs):
        return self.copy_(function(self, *args, **kwargs))
    return method


def clamp_min_(self, min):  # noqa: A002
    return self.clamp_(min, None)


def clamp_max_(self, max):  # noqa: A002
    return self.clamp_(None, max)


def masked_fill_(self, mask, value):
    return apply_inplace(_OPS["masked_fill"], self, (mask,), {"value": value})


def fill_diagonal_(self, fill_value, wrap: bool = False):
    """The main diagonal (of a matrix, or of an all-equal-sides tensor) becomes fill_value."""
    a = self._array
    if a.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    mask = np.zeros(a.shape, dtype=np.bool_)
    count = min(a.shape)
    if a.ndim == 2 and wrap and a.shape[0] > a.shape[1] + 1:
        step = a.shape[1] + 1
        flat = mask.reshape(-1)
        flat[::step] = True
        mask = flat.reshape(a.shape)
    else:
        mask[(np.arange(count),) * a.ndim] = True
    return masked_fill_(self, _detached(mask), fill_value)


def unsqueeze_(self, dim):
    return _reshape_in_place(self, F["unsqueeze"](self, dim))


def squeeze_(self, dim=None):
    return _reshape_in_place(self, F["squeeze"](self, dim))


def _reshape_in_place(self, result):
    """Shape changes in place: the same storage under a new shape (history follows)."""
    if result.grad_fn is not None and self.grad_fn is None and self.requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation. Reshape a copy, or work under `with torch.no_grad():`.")
    self._array = result._array
    if result.grad_fn is not None:
        self.grad_fn = result.grad_fn
    self._version[0] += 1
    return self


# --- operators on masks and integers ------------------------------------------------
def _bitwise(ufunc, reflected=False):
    def operator(self, other):
        a = self._array
        b = other._array if isinstance(other, Tensor) else other
        if a.dtype.kind not in "biu" or np.asarray(b).dtype.kind not in "biu":
            raise TypeError(f"bitwise operations need integral or bool tensors, got "
                            f"{self.dtype} and {getattr(other, 'dtype', type(other).__name__)}")
        return _detached(np.asarray(ufunc(b, a) if reflected else ufunc(a, b)))
    return operator


def _invert(self):
    if self._array.dtype.kind not in "biu":
        raise TypeError(f"~ (bitwise_not) is only supported for integral and bool tensors, got "
                        f"{self.dtype}")
    return _detached(np.asarray(np.invert(self._array)))


def _contains(self, element) -> bool:
    value = element._array if isinstance(element, Tensor) else element
    return bool(np.any(self._array == value))


def _reflected(function):
    def operator(self, other):
        from verifier.engine.creation import tensor
        return function(tensor(other, dtype=self.dtype if isinstance(other, float) and
                               self.is_floating_point() else None), self)
    return operator


def _deepcopy(self, memo):
    """copy.deepcopy: leaves only, as torch (a graph cannot be copied); .grad is copied too."""
    if self.grad_fn is not None:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                           "deepcopy protocol at the moment.  If you were attempting to deepcopy "
                           "a module, this may be because of a torch.nn.utils.weight_norm usage, "
                           "see https://github.com/pytorch/pytorch/pull/103001")
    if id(self) in memo:
        return memo[id(self)]
    new = type(self).__new__(type(self))
    _init_state(new, self._array.copy())
    memo[id(self)] = new
    new.requires_grad = self.requires_grad
    if self._grad is not None:
        new._grad = _deepcopy(self._grad, memo)
    return new


def _size(size) -> tuple:
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def _apply_(self, callable):  # noqa: A002  torch's argument name
    """x.apply_(f): f on every element, in place (CPU tensors, outside autograd)."""
    if self.requires_grad:
        raise RuntimeError("apply_ is only implemented on CPU tensors that do not require grad")
    self._array[...] = np.vectorize(callable, otypes=[self._array.dtype])(self._array)
    self._version[0] += 1
    return self


def _map_(self, tensor, callable):  # noqa: A002
    other = np.broadcast_to(tensor._array, self._array.shape)
    self._array[...] = np.vectorize(callable, otypes=[self._array.dtype])(self._array, other)
    self._version[0] += 1
    return self


def attach(functions: dict) -> None:
    """Attach the methods and properties above; `functions`: the engine's non-registry functions."""
    from verifier.engine import closeness, hooks, random_state
    for dtype in (dtypes.float64, dtypes.float32, dtypes.float16, dtypes.bfloat16, dtypes.int64,
                  dtypes.int32, dtypes.bool_):
        name = {"float64": "double", "float32": "float", "float16": "half", "int64": "long",
                "int32": "int"}.get(dtype.name, dtype.name)
        if not hasattr(Tensor, name):
            setattr(Tensor, name, _converter(dtype))
    Tensor.type_as = type_as
    Tensor.new_zeros, Tensor.new_ones, Tensor.new_empty = _new(0), _new(1), _new(0)
    Tensor.new_full, Tensor.new_tensor = new_full, new_tensor
    Tensor.view_as, Tensor.reshape_as, Tensor.expand_as = view_as, reshape_as, expand_as
    Tensor.stride, Tensor.is_contiguous, Tensor.element_size = stride, is_contiguous, element_size
    Tensor.data_ptr = data_ptr
    Tensor.layout = property(lambda self: functions["strided"])
    Tensor.itemsize = property(element_size)
    Tensor.nbytes = property(lambda self: int(self._array.nbytes))
    Tensor.storage_offset = lambda self: 0
    Tensor.is_complex = lambda self: False
    Tensor.is_shared = Tensor.is_sparse = lambda self: False
    Tensor.is_inference = lambda self: False
    Tensor.pin_memory = Tensor.share_memory_ = Tensor.to_dense = _true
    Tensor.H = property(lambda self: F["t"](self) if self.ndim == 2 else self.T)
    Tensor.mH = property(lambda self: self.mT)
    Tensor.register_hook = hooks.register_hook
    Tensor.apply_, Tensor.map_ = _apply_, _map_
    Tensor.__deepcopy__ = _deepcopy
    Tensor.split_with_sizes = lambda self, split_sizes, dim=0: F["split"](self, list(split_sizes),
                                                                          dim)
    # in place
    registered_clamp_ = Tensor.clamp_

    def clamp_(self, min=None, max=None):  # noqa: A002  torch's argument names
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return self.copy_(functions["clamp"](self, min, max))
        return registered_clamp_(self, min, max)
    Tensor.clamp_ = clamp_
    Tensor.clamp_min_, Tensor.clamp_max_ = clamp_min_, clamp_max_
    Tensor.clip_ = _inplace_of("clamp")
    Tensor.masked_fill_, Tensor.fill_diagonal_ = masked_fill_, fill_diagonal_
    Tensor.unsqueeze_, Tensor.squeeze_ = unsqueeze_, squeeze_
    for name in REGISTRY_INPLACE:
        if name in _OPS and not hasattr(Tensor, name + "_") and _OPS[name].kind != "meta":
            setattr(Tensor, name + "_", _inplace_of(name))
    for name in FUNCTION_INPLACE:
        setattr(Tensor, name + "_", _inplace_by_copy(functions[name]))
    for name in FUNCTION_METHODS:
        setattr(Tensor, name, functions[name])
    for name in MORE_INPLACE:
        if not hasattr(Tensor, name + "_"):
            function = getattr(Tensor, name)
            setattr(Tensor, name + "_", _inplace_by_copy(function))
    for name in ("cov", "corrcoef", "pdist", "hardshrink", "ger", "addbmm"):
        if name in functions and not hasattr(Tensor, name):
            setattr(Tensor, name, functions[name])
    Tensor.addbmm_ = _inplace_by_copy(functions["addbmm"])
    Tensor.adjoint = lambda self: self.mH
    Tensor.real = property(lambda self: self)
    Tensor.is_cpu = True
    Tensor.is_meta = Tensor.is_quantized = Tensor.is_nested = Tensor.is_mkldnn = False
    Tensor.is_conj = Tensor.is_neg = lambda self: False
    Tensor.is_signed = lambda self: self._array.dtype.kind in "fi"
    Tensor.is_same_size = lambda self, other: tuple(self.shape) == tuple(other.shape)
    Tensor.get_device = lambda self: -1
    Tensor.sum_to_size = lambda self, *size: F["reshape"](
        F["sum"](self, tuple(i for i, (n, m) in enumerate(zip(self.shape, _size(size)))
                             if m == 1 and n != 1) or None, keepdim=True), _size(size))

    def is_nonzero(self):
        if self._array.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._array.reshape(()))
    Tensor.is_nonzero = is_nonzero
    Tensor.where = lambda self, condition, other: F["where"](condition, self, other)
    closeness.attach(Tensor)
    random_state.attach(Tensor)
    # operators
    Tensor.__and__, Tensor.__rand__ = _bitwise(np.bitwise_and), _bitwise(np.bitwise_and, True)
    Tensor.__or__, Tensor.__ror__ = _bitwise(np.bitwise_or), _bitwise(np.bitwise_or, True)
    Tensor.__xor__, Tensor.__rxor__ = _bitwise(np.bitwise_xor), _bitwise(np.bitwise_xor, True)
    Tensor.__lshift__ = _bitwise(np.left_shift)
    Tensor.__rshift__ = _bitwise(np.right_shift)
    Tensor.__invert__ = _invert
    Tensor.__floordiv__ = functions["floor_divide"]
    Tensor.__rfloordiv__ = _reflected(functions["floor_divide"])
    Tensor.__mod__ = functions["remainder"]
    Tensor.__rmod__ = _reflected(functions["remainder"])
    Tensor.__contains__ = _contains
