"""Tensor operators and methods, each a thin call into the registry.

Binary operators take the direct path (engine.operators);
methods come from every registry entry with `method=True`, and the in-place
`op_` methods from `INPLACE`.  Comparisons, `all`/`any` and index assignment
are not differentiable, so they work on the arrays directly (as in torch,
their results never require grad).
"""

from __future__ import annotations

import numbers

import numpy as np

from verifier.engine.function import apply, apply_inplace
from verifier.engine.functional import FUNCTIONS
from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.operators import binary_operator
from verifier.engine.tensor import Tensor, _detached
from verifier.ops.registry import all_ops

OPS = all_ops()
_NEG, _INDEX = OPS["neg"], OPS["index"]
_EMPTY: dict = {}


# --- arithmetic operators ---------------------------------------------------
def _binary(op):
    def inplace(self, other):
        return apply_inplace(op, self, (other,), _EMPTY)
    return binary_operator(op, reflected=False), binary_operator(op, reflected=True), inplace


for _name, _op_name in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"),
                        ("pow", "pow"), ("matmul", "matmul")):
    _fwd, _refl, _inpl = _binary(OPS[_op_name])
    setattr(Tensor, f"__{_name}__", _fwd)
    setattr(Tensor, f"__r{_name}__", _refl)
    setattr(Tensor, f"__i{_name}__", _inpl)

Tensor.__div__ = Tensor.__truediv__
Tensor.__neg__ = lambda self: apply(_NEG, (self,), _EMPTY)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: FUNCTIONS["abs"](self)


# --- comparisons: bool tensors, outside the graph ------------------------------
def _compare(ufunc):
    def method(self, other):
        if isinstance(other, Tensor):
            other = other._array
        elif not isinstance(other, (numbers.Number, np.ndarray, np.generic, list, tuple)):
            return NotImplemented  # x == None is False, as for any Python object
        try:
            return _detached(np.asarray(ufunc(self._array, other)))
        except ValueError:
            raise RuntimeError(f"The shapes {list(self._array.shape)} and "
                               f"{list(np.shape(other))} of a comparison do not broadcast: each "
                               "dimension must match or be 1") from None
    return method


for _dunder, _ufunc in (("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                        ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)):
    setattr(Tensor, f"__{_dunder}__", _compare(_ufunc))



# --- indexing ------------------------------------------------------------
def _getitem(self, index):
    return apply(_INDEX, (self,), {"index": _numpy_index(index)})


def _numpy_index(index):
    """Tensors inside an index become arrays (bool masks and integer lists)."""
    if isinstance(index, Tensor):
        return index._array
    if isinstance(index, tuple):
        return tuple(_numpy_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray([i._array if isinstance(i, Tensor) else i for i in index])
    if isinstance(index, slice) and index.step is not None and index.step <= 0:
        raise ValueError(f"step must be greater than zero (got {index.step}); torch has no "
                         "negative-step slices: use torch.flip or an integer list instead")
    return index


def _setitem(self, index, value):
    if GRAD_ENABLED[0] and (self.requires_grad or getattr(value, "requires_grad", False)):
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation (index assignment). Wrap it in `with torch.no_grad():`.")
        from verifier.engine.index_put import index_put_recorded
        index_put_recorded(self, _numpy_index(index), value)
        return
    self._array[_numpy_index(index)] = value._array if isinstance(value, Tensor) else value
    self._version[0] += 1


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem


# --- methods from the registry ----------------------------------------------
def _method(function, varargs_param):
    if varargs_param:
        # x.reshape(2, 3) as well as x.reshape((2, 3)), as torch allows.
        def method(self, *args, **kwargs):
            if args and all(isinstance(a, int) for a in args) and varargs_param not in kwargs:
                args = (tuple(args),)
            return function(self, *args, **kwargs)
    else:
        def method(self, *args, **kwargs):
            return function(self, *args, **kwargs)
    method.__name__ = function.__name__
    method.__doc__ = function.__doc__
    return method


for _name, _op in OPS.items():
    if _op.method and not _op.variadic and _op.kind != "meta" and not hasattr(Tensor, _name):
        setattr(Tensor, _name, _method(FUNCTIONS[_name], _op.extra.get("varargs")))


# --- in-place methods ----------------------------------------------------------
def _inplace_method(op):
    def method(self, *args, **kwargs):
        _, params = op.bind((self,) + args, dict(kwargs))
        others = args[:len(op.inputs) - 1]
        return apply_inplace(op, self, others, params)
    method.__name__ = op.name + "_"
    return method


# torch's in-place twins of registered functions (x.add_(y), x.clamp_(0, 1), ...).
INPLACE = ("add", "sub", "mul", "div", "pow", "clamp", "abs", "exp", "neg", "sqrt", "relu",
           "sigmoid", "tanh", "log", "sin", "cos")
for _name in INPLACE:
    if _name in OPS:
        setattr(Tensor, _name + "_", _inplace_method(OPS[_name]))


def _records(*tensors) -> bool:
    return GRAD_ENABLED[0] and any(isinstance(t, Tensor) and t.requires_grad for t in tensors)


def _copy_(self, src, non_blocking=False):
    """x.copy_(src): src broadcast to x's shape and cast to x's dtype; gradient flows to src."""
    if _records(self, src):
        return apply_inplace(OPS["copy_from"], self, (src,), _EMPTY)
    source = src._array if isinstance(src, Tensor) else src
    try:
        np.copyto(self._array, source, casting="unsafe")
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {list(np.shape(source))} does not "
                           f"broadcast to the destination's shape {list(self._array.shape)}") \
            from None
    self._version[0] += 1
    return self


def _fill_(self, value):
    """x.fill_(v): every element becomes v; no gradient reaches x's previous value."""
    if _records(self, value):
        return apply_inplace(OPS["fill_value"], self, (), {"value": value})
    self._array.fill(value.item() if isinstance(value, Tensor) else value)
    self._version[0] += 1
    return self


def _zero_(self):
    return _fill_(self, 0)


def _t_(self):
    """x.t_(): transpose a tensor of at most 2 dims in place (its history follows)."""
    if self._array.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self._array.ndim}D; use transpose(dim0, dim1) or permute(...)")
    if _records(self):
        if self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation. Wrap t_() in `with torch.no_grad():` or use x.t().")
        result = FUNCTIONS["t"](self)
        self._array = result._array
        self.grad_fn = result.grad_fn
    else:
        self._array = self._array.T
    # Nodes that saved this tensor must notice that it changed.
    self._version[0] += 1
    return self


def _reversed_dims(self):
    """x.T: every dim reversed (torch: the transpose of a matrix)."""
    return FUNCTIONS["permute"](self, tuple(reversed(range(self._array.ndim))))


Tensor.copy_ = _copy_
Tensor.zero_ = _zero_
Tensor.fill_ = _fill_
Tensor.t_ = _t_
Tensor.T = property(_reversed_dims)
Tensor.mT = property(lambda self: FUNCTIONS["transpose"](self, -2, -1))
