"""The engine's Tensor: a numpy array plus autograd state, with torch's API.

Operators and registry methods are attached in `verifier.engine.methods`,
so this file holds only the state and the behaviour that is not an operation.
"""

from __future__ import annotations

import warnings

import numpy as np

from verifier.engine import dtypes
from verifier.engine.graph import AccumulateGrad
from verifier.ops.promotion import floating

_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "float16": "torch.HalfTensor", "bfloat16": "torch.BFloat16Tensor",
               "int64": "torch.LongTensor", "int32": "torch.IntTensor", "bool": "torch.BoolTensor"}


class Size(tuple):
    """torch.Size: a tuple that prints as torch does and equals a plain tuple."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class Tensor:
    # `_base`: the tensor whose storage a view shares (None for a non-view).
    __slots__ = ("_array", "requires_grad", "_grad", "grad_fn", "_version",
                 "_retains_grad", "_accumulator", "_base", "__weakref__")

    # Tensors compare elementwise, so they hash by identity (as torch's do).
    __hash__ = object.__hash__
    # numpy must defer to our reflected operators (array * tensor -> Tensor).
    __array_priority__ = 1000

    def __init__(self, *data, dtype=None, requires_grad: bool = False) -> None:
        # torch.Tensor(list) copies the list into the default floating dtype;
        # torch.Tensor(2, 3) makes a 2x3 tensor (uninitialized in torch, zeros here).
        if len(data) == 1 and not isinstance(data[0], int):
            source = data[0]._array if isinstance(data[0], Tensor) else data[0]
            array = np.array(source, dtype=dtypes.to_numpy(dtype))
        elif all(isinstance(n, int) for n in data):
            array = np.zeros(data, dtype=dtypes.to_numpy(dtype))
        else:
            raise TypeError(f"Tensor() takes a list of numbers or sizes (ints), got {data!r}")
        _init_state(self, array)
        if requires_grad:
            self.requires_grad_(True)

    # --- state --------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._array.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[dim]

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy_dtype(self._array.dtype)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def creator(self):
        """The seed notebook's name for `grad_fn` (the legacy Variable API)."""
        return self.grad_fn

    @property
    def device(self):
        from verifier.engine.dtype_info import CPU
        return CPU

    is_cuda = False

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def dim(self) -> int:
        return self._array.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._array.size)

    nelement = numel

    @property
    def grad(self):
        """The accumulated gradient of a leaf (or of a non-leaf after `retain_grad()`)."""
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you "
                "access the leaf Tensor instead.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._array.shape != self._array.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value._array.shape)}' to a tensor of size "
                                   f"'{list(self._array.shape)}'. Please ensure that the "
                                   "gradient and the tensor are the same size")
        self._grad = value

    @property
    def data(self) -> "Tensor":
        """A tensor sharing storage, outside the graph and outside version tracking.

        As torch's `.data`: in-place changes made through it are not seen by
        autograd (use `detach()` to have them caught).
        """
        return _detached(self._array, None)

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._array = value._array

    def item(self):
        if self._array.size != 1:
            raise RuntimeError(f"a Tensor with {self._array.size} elements cannot be converted "
                               "to Scalar; index it first (x[0].item()) or reduce it (x.sum().item())")
        return self._array.reshape(()).item()

    def tolist(self):
        return self._array.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._array

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.numpy(), dtype=dtype)

    def detach(self) -> "Tensor":
        out = _detached(self._array, None)
        out._version = self._version  # same storage, same counter
        return out

    def detach_(self) -> "Tensor":
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if requires_grad and not floating(self._array.dtype):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        import weakref
        node = self.grad_fn
        if node.retained is None:
            node.retained = []
        node.retained.append(weakref.ref(self))

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None,
                 retain_variables=None) -> None:
        if retain_variables is not None:
            warnings.warn("retain_variables option is deprecated and will be removed; "
                          "use retain_graph instead", DeprecationWarning, stacklevel=2)
            if retain_graph is None:
                retain_graph = retain_variables
        from verifier.engine.autograd import backward
        backward([self], [gradient], retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    # --- conversions -----------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """to(dtype), to(device), to(device, dtype), to(other), to(device=, dtype=, copy=)."""
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        for a in args:
            if isinstance(a, dtypes.DType):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif a is not None:
                device = a
        if device is not None and str(device).startswith("cuda"):
            return self.cuda()
        if dtype is None or dtypes.to_numpy(dtype) == self._array.dtype:
            if kwargs.get("copy"):
                from verifier.engine import functional
                return functional.FUNCTIONS["clone"](self)
            return self
        from verifier.engine import functional
        return functional.to_dtype(self, dtype)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        """type() names the tensor type ('torch.FloatTensor'); type(dtype or name) converts."""
        if dtype is None:
            return _TYPE_NAMES.get(self._array.dtype.name, f"torch.{self._array.dtype}")
        if isinstance(dtype, str):
            names = {name: dtype_name for dtype_name, name in _TYPE_NAMES.items()}
            if dtype not in names:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = dtypes.from_name(names[dtype])
        return self.to(dtype)

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs) -> "Tensor":
        from verifier.engine.cuda import CudaUnavailableError
        raise CudaUnavailableError(
            "the verifier engine computes with numpy on the CPU, so CUDA is not available "
            "(engine.cuda.is_available() is False). Guard the call with "
            "`if torch.cuda.is_available():`, or run the case on the torch backend for CUDA.")

    def contiguous(self, memory_format=None) -> "Tensor":
        """self when already C-contiguous, else a C-ordered copy (a clone: gradients flow)."""
        if self._array.flags.c_contiguous:
            return self
        from verifier.engine import functional
        out = functional.FUNCTIONS["clone"](self)
        out._array = np.ascontiguousarray(out._array)  # a fresh result: nothing else holds it
        return out

    def is_floating_point(self) -> bool:
        return floating(self._array.dtype)

    # --- Python protocol ---------------------------------------------------
    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __bool__(self) -> bool:
        if self._array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(it has {self._array.size}); reduce it first with .all() or .any()")
        return bool(self._array.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._array.dtype.kind not in "iu" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __repr__(self) -> str:
        return _format(self)

    def __format__(self, spec: str) -> str:
        if self._array.ndim == 0 and spec:
            return format(self._array.item(), spec)
        return repr(self)

    # --- in-place support ----------------------------------------------------
    def _shadow(self, copy: bool) -> "Tensor":
        """A stand-in for this tensor's current value and graph position."""
        shadow = Tensor.__new__(Tensor)
        shadow._array = self._array.copy() if copy else self._array
        shadow.requires_grad = self.requires_grad
        shadow._grad = None
        shadow.grad_fn = self.grad_fn
        shadow._version = [0] if copy else self._version
        shadow._retains_grad = False
        shadow._accumulator = self._accumulator
        shadow._base = self._base
        return shadow


def edge_of(t: Tensor):
    """The node that receives the gradient of `t`: its grad_fn, or its leaf sink."""
    if t.grad_fn is not None:
        return t.grad_fn
    if t.requires_grad:
        if t._accumulator is None:
            t._accumulator = AccumulateGrad(t)
        return t._accumulator
    return None


def wrap(value, dtype=None) -> Tensor:
    """An existing Tensor, or a new one holding `value` (no copy of arrays)."""
    if isinstance(value, Tensor):
        return value
    return _detached(np.asarray(value, dtype=dtype), None)


def _detached(array: np.ndarray, _dtype=None) -> Tensor:
    """A tensor over `array` (no copy) outside any graph, with a fresh version counter."""
    out = _new_tensor(Tensor)
    _init_state(out, array)
    return out


def _init_state(t: Tensor, array: np.ndarray) -> None:
    """Every slot of a tensor outside any graph (the one place they are listed)."""
    t._array = array
    t.requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._version = [0]
    t._retains_grad = False
    t._accumulator = None
    t._base = None


_new_tensor = Tensor.__new__


def _format(t: Tensor) -> str:
    from verifier.engine.printing import tensor_repr
    a = t._array
    suffixes = []
    if a.dtype not in (dtypes.get_default_dtype().numpy, np.int64, np.bool_):
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return tensor_repr(a, suffixes)
